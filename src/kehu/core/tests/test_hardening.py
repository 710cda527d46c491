"""Response headers, cookies, API throttling, page size bounds and request size limits."""

import json
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from kehu.core.middleware import CONTENT_SECURITY_POLICY


def test_every_html_page_has_a_strict_content_security_policy(client, owner):
    client.force_login(owner)

    response = client.get(reverse("customers:list"))

    policy = response["Content-Security-Policy"]
    assert policy == CONTENT_SECURITY_POLICY
    directives = dict(part.split(" ", 1) for part in policy.split("; "))
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert directives["frame-ancestors"] == "'none'"


def test_the_login_page_has_the_policy_and_no_framing(client):
    response = client.get(reverse("login"))

    assert "Content-Security-Policy" in response
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_json_answers_carry_no_html_policy(client, owner):
    client.force_login(owner)

    response = client.get("/api/v1/me/")

    assert "Content-Security-Policy" not in response


def test_session_and_csrf_cookies_are_httponly_and_samesite(client, owner):
    login = client.get(reverse("login"))
    response = client.post(reverse("login"), {"username": "owner", "password": "pw-Kehu-2026"})

    session = response.cookies["sessionid"]
    assert session["httponly"]
    assert session["samesite"] == "Lax"
    assert login.cookies["csrftoken"]["samesite"] == "Lax"


# --- throttling ------------------------------------------------------------------------------
@pytest.fixture
def strict_rates():
    from rest_framework.throttling import SimpleRateThrottle

    rates = {"user": "3/min", "anon": "2/min"}
    original = SimpleRateThrottle.THROTTLE_RATES
    SimpleRateThrottle.THROTTLE_RATES = rates
    yield rates
    SimpleRateThrottle.THROTTLE_RATES = original


def test_api_calls_per_user_are_throttled(strict_rates, owner, outsider):
    client = APIClient()
    client.force_authenticate(owner)
    other = APIClient()
    other.force_authenticate(outsider)

    answers = [client.get("/api/v1/me/").status_code for _ in range(4)]

    assert answers == [200, 200, 200, 429]
    assert other.get("/api/v1/me/").status_code == 200  # counted per user


def test_anonymous_token_requests_are_throttled(strict_rates, org):
    client = APIClient()
    answers = [
        client.post("/api/v1/auth/token/", {"username": "x", "password": "y"}).status_code
        for _ in range(3)
    ]

    assert answers[-1] == 429


def test_default_rates_come_from_settings():
    from django.conf import settings

    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    assert rates == {"user": "600/min", "anon": "30/min"}


def test_page_size_is_capped(owner):
    from kehu.customers.tests.factories import make_customer

    for index in range(3):
        make_customer(owner=owner, name=f"上海测试{index}有限公司")
    client = APIClient()
    client.force_authenticate(owner)

    response = client.get("/api/v1/customers/", {"page_size": 100000})

    assert response.status_code == 200
    from kehu.core.api import Pagination

    assert Pagination.max_page_size == 200
    assert len(response.data["results"]) == 3


# --- request size ---------------------------------------------------------------------------
def test_oversized_api_request_gets_a_json_413(settings, owner):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client = APIClient()
    client.force_authenticate(owner)

    response = client.post(
        "/api/v1/customers/",
        data=json.dumps({"name": "x" * 2000}),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 413
    body = response.json()
    assert body["code"] == "too_large"
    assert "at most 1000" in body["detail"]


def test_oversized_form_post_gets_a_413_page(settings, client, owner):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client.force_login(owner)

    response = client.post(
        reverse("customers:create"),
        urlencode({"name": "x" * 2000}),
        content_type="application/x-www-form-urlencoded",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 413
    assert "The request is too large" in response.content.decode()


def test_uploads_have_their_own_larger_limit(settings, client, owner):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    settings.KEHU_MAX_UPLOAD_BYTES = 100_000
    client.force_login(owner)
    small = SimpleUploadedFile("a.csv", b"x" * 5000)
    big = SimpleUploadedFile("b.csv", b"x" * 200_000)

    fits = client.post(reverse("login"), {"file": small})
    too_big = client.post(reverse("login"), {"file": big})

    assert fits.status_code != 413
    assert too_big.status_code == 413


def test_api_docs_load_their_start_up_script_from_a_file(client, owner):
    client.force_login(owner)

    page = client.get("/api/docs/")
    script = client.get("/api/docs/?script=")

    html = page.content.decode()
    assert "<script>" not in html
    assert 'src="/api/docs/?script=' in html
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "script-src 'self';" in page["Content-Security-Policy"]
