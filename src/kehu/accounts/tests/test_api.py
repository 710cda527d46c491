"""Organisation API from the outside: /me/, users, the department tree, tokens."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from kehu.accounts.tests.factories import make_user


def token_client(user, language: str | None = None) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    if language:
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    return client


def test_me_shows_roles_and_the_widest_rights_they_add_up_to(org):
    response = token_client(org.manager, language="en").get("/api/v1/me/")

    assert response.status_code == 200
    body = response.data
    assert body["username"] == "manager"
    assert body["name"] == "王经理"
    assert body["department"] == {"id": org.sales.pk, "name": "销售部"}
    assert {role["code"] for role in body["roles"]} == {"manager", "sales"}
    assert {role["label"] for role in body["roles"]} == {
        "Department head",
        "Sales (account manager)",
    }
    assert body["rights"] == {
        "read_scope": "department",
        "write_scope": "department",
        "unmask_scope": "visible",
        "is_admin": False,
    }


def test_me_for_a_sales_rep_and_an_administrator(org):
    rep = token_client(org.owner).get("/api/v1/me/").data
    admin = token_client(org.administrator).get("/api/v1/me/").data

    assert rep["rights"]["read_scope"] == "own"
    assert rep["rights"]["unmask_scope"] == "editable"
    assert rep["superior"] == {"id": org.manager.pk, "name": "王经理"}
    assert admin["rights"]["read_scope"] == "company"
    assert admin["rights"]["is_admin"] is True


def test_me_works_with_a_session_too(org):
    client = APIClient()
    client.force_login(org.steward)

    response = client.get("/api/v1/me/")

    assert response.status_code == 200
    assert response.data["rights"]["write_scope"] == "company"


def test_users_lists_active_users_with_their_departments_only(org):
    gone = make_user("gone", department=org.east, roles=["sales"])
    gone.is_active = False
    gone.save()

    response = token_client(org.outsider).get("/api/v1/users/")

    assert response.status_code == 200
    usernames = [u["username"] for u in response.data["results"]]
    assert "gone" not in usernames
    assert set(usernames) == {
        "manager",
        "owner",
        "teammate",
        "outsider",
        "administrator",
        "service",
        "marketing",
        "steward",
    }
    assert response.data["count"] == 8
    owner = next(u for u in response.data["results"] if u["username"] == "owner")
    assert owner == {
        "id": org.owner.pk,
        "username": "owner",
        "name": "张三",
        "full_name": "张三",
        "department": {"id": org.east.pk, "name": "华东销售组"},
    }
    assert token_client(org.outsider).get(f"/api/v1/users/{gone.pk}/").status_code == 404


def test_users_can_be_searched_and_filtered_by_department_tree(org):
    client = token_client(org.owner)

    by_name = client.get("/api/v1/users/", {"q": "李"}).data["results"]
    in_sales = client.get("/api/v1/users/", {"department": org.sales.pk}).data["results"]

    assert [u["username"] for u in by_name] == ["teammate"]
    assert {u["username"] for u in in_sales} == {"manager", "owner", "teammate", "outsider"}


def test_users_are_read_only(org):
    client = token_client(org.administrator)

    assert client.post("/api/v1/users/", {"username": "x"}).status_code == 405
    assert client.delete(f"/api/v1/users/{org.owner.pk}/").status_code == 405


def test_departments_come_as_a_tree(org):
    response = token_client(org.marketing).get("/api/v1/departments/")

    assert response.status_code == 200
    [root] = response.data
    assert root["name"] == "总公司"
    assert root["parent_id"] is None
    children = {child["name"]: child for child in root["children"]}
    assert set(children) == {"销售部", "客服部", "市场部"}
    sales = children["销售部"]
    assert sales["head"] == {"id": org.manager.pk, "name": "王经理"}
    assert [c["name"] for c in sales["children"]] == ["华东销售组", "华北销售组"]
    assert sales["children"][0]["children"] == []


def test_token_is_issued_for_the_right_password_only(org):
    client = APIClient()

    good = client.post("/api/v1/auth/token/", {"username": "owner", "password": "pw-Kehu-2026"})
    again = client.post(
        "/api/v1/auth/token/", {"username": "owner", "password": "pw-Kehu-2026"}, format="json"
    )
    bad = client.post(
        "/api/v1/auth/token/",
        {"username": "owner", "password": "wrong"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert good.status_code == 200
    assert good.data["token"] == again.data["token"] == Token.objects.get(user=org.owner).key
    assert bad.status_code == 400
    assert "Unable to log in" in " ".join(bad.data["non_field_errors"])
    assert "token" not in bad.data


def test_inactive_user_gets_no_token_and_their_token_stops_working(org):
    client = token_client(org.outsider)
    org.outsider.is_active = False
    org.outsider.save()

    refused = APIClient().post(
        "/api/v1/auth/token/", {"username": "outsider", "password": "pw-Kehu-2026"}
    )

    assert refused.status_code == 400
    assert client.get("/api/v1/me/").status_code == 401


@pytest.mark.parametrize("path", ["/api/v1/me/", "/api/v1/users/", "/api/v1/departments/"])
def test_organisation_endpoints_need_authentication(org, path):
    response = APIClient().get(path)

    assert response.status_code == 401
    assert "王经理" not in response.content.decode()
