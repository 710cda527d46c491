"""The OpenAPI schema and its interactive docs: complete, warning-free, usable offline."""

import re

import pytest
import yaml
from django.core.management import call_command
from rest_framework.test import APIClient

from kehu.accounts.tests.factories import make_user


@pytest.fixture
def client(db):
    client = APIClient()
    client.force_login(make_user("reader", roles=["sales"]))
    return client


def test_schema_endpoint_returns_openapi_3_with_the_customer_paths(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi")

    schema = yaml.safe_load(response.content)
    assert response.status_code == 200
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/customers/"])
    assert {"get", "put", "patch"} == set(paths["/api/v1/customers/{id}/"]) - {"parameters"}
    for path in (
        "/api/v1/customers/{id}/unmask/",
        "/api/v1/customers/{id}/contacts/",
        "/api/v1/customers/{id}/team/",
        "/api/v1/customers/{id}/team/{user_id}/",
        "/api/v1/customers/{id}/history/",
        "/api/v1/contacts/{id}/",
        "/api/v1/contacts/{id}/make-decision-maker/",
        "/api/v1/me/",
        "/api/v1/users/",
        "/api/v1/departments/",
        "/api/v1/auth/token/",
        "/api/v1/custom-fields/",
    ):
        assert path in paths, path
    filters = {p["name"] for p in paths["/api/v1/customers/"]["get"]["parameters"]}
    assert filters >= {
        "q", "status", "industry", "scale", "source", "enterprise_type", "region", "owner",
        "department", "budget_min", "budget_max", "customer_type", "sort", "page",
    }  # fmt: skip
    update = paths["/api/v1/customers/{id}/"]["patch"]
    assert "409" in update["responses"]
    assert "400" in update["responses"]
    assert {"tokenAuth", "cookieAuth"} <= set(schema["components"]["securitySchemes"])


def test_schema_documents_ids_for_presets_and_masked_mobiles(client):
    schema = yaml.safe_load(client.get("/api/schema/").content)
    components = schema["components"]["schemas"]

    create = components["CustomerCreateRequest"]["properties"]
    assert create["industry"]["type"] == "integer"
    assert "/api/v1/industries/" in create["industry"]["description"]
    assert create["owner"]["type"] == "integer"
    mobile = components["DecisionMaker"]["properties"]["mobile"]
    assert "138****5678" in mobile["description"]
    listing = schema["paths"]["/api/v1/customers/"]["get"]["responses"]["200"]
    assert listing["content"]["application/json"]["schema"]["$ref"].endswith(
        "PaginatedCustomerList"
    )


def test_schema_generates_without_warnings(db, tmp_path):
    # --fail-on-warn turns every drf-spectacular warning into an error (SystemExit).
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml")
    )

    assert "/api/v1/customers/" in (tmp_path / "schema.yml").read_text()


def test_docs_page_loads_swagger_ui_from_local_static_files_only(client):
    response = client.get("/api/docs/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "swagger-ui" in html
    references = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert references, html
    assert all(ref.startswith("/") and not ref.startswith("//") for ref in references), references
    assert not re.search(r"https?://", html)


def test_docs_assets_are_served_by_the_app(client):
    html = client.get("/api/docs/").content.decode()
    scripts = re.findall(r'<script src="([^"]+)"', html)

    for script in scripts:
        response = client.get(script)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert response.status_code == 200, script
        assert len(body) > 1000, script
