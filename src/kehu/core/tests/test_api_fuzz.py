"""Schemathesis against /api/schema/: every operation, called in-process through the WSGI app
as an administrator with generated (schema-valid) input, answers without a 5xx and as the
schema says (status code, content type, body). Bounded to a few examples per operation so
it stays part of the normal suite; KEHU_API_FUZZ_EXAMPLES raises it for a deeper run."""

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from kehu.customers.tests.factories import make_customer
from kehu.wsgi import application

pytestmark = [pytest.mark.api_fuzz, pytest.mark.django_db]

EXAMPLES = int(os.environ.get("KEHU_API_FUZZ_EXAMPLES", "4"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Signing in and revoking the token: covered by their own tests; here a revoke would sign the
# fuzzing administrator out, and every later call would only test the 401.
SKIPPED = {("POST", "/api/v1/auth/token/"), ("DELETE", "/api/v1/auth/token/")}
# Found by this test in work still in progress elsewhere; each entry names its owner and goes
# when they fix it (the test then covers the operation again).
KNOWN_FAILURES: dict[tuple[str, str], str] = {}


@pytest.fixture
def api(org, owner, settings):
    settings.ALLOWED_HOSTS = ["*"]
    make_customer(owner=owner, name="接口测试科技有限公司")
    token = Token.objects.create(user=org.administrator)
    headers = {"Authorization": f"Token {token.key}"}
    # The WSGI app is called directly, not through Django's test client, so keep it from
    # closing the test's connection (inside the test transaction) at the end of each request,
    # as the test client does.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        schema = schemathesis.openapi.from_wsgi(
            "/api/schema/?format=json", application, headers=headers
        )
        yield schema, headers
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _operations(schema):
    for result in schema.get_all_operations():
        operation = result.ok()
        key = (operation.method.upper(), operation.path)
        if key not in SKIPPED and key not in KNOWN_FAILURES:
            yield operation


def test_every_api_operation_answers_without_server_errors_and_as_documented(api, monkeypatch):
    # The per-token rate limit is tested on its own; here it would turn into 429s mid-run.
    monkeypatch.setattr(
        "rest_framework.throttling.SimpleRateThrottle.allow_request", lambda *a: True
    )
    schema, headers = api
    failures: list[str] = []

    for operation in _operations(schema):

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def exercise(case):
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS, headers=headers)

        try:
            exercise()
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - one report for all
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")

    assert not failures, "\n\n".join(failures)


def test_an_id_filter_out_of_the_databases_range_is_not_a_server_error(owner):
    """SQLite cannot take the number (400); PostgreSQL compares it and finds nothing (200)."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(owner)

    response = client.get("/api/v1/leads/", {"owner": "8e37"})

    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert "non_field_errors" in response.json()
    else:
        assert response.json()["results"] == []
