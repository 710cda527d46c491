"""The public web-to-lead form: a valid post creates a lead; spam and bad input are refused
with a clear message and nothing is created; HTML stays text."""

import time

import pytest
from django.core.cache import cache

from kehu.sales import webtolead
from kehu.sales.models import Lead, WebToLeadForm

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_rate_limit():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def web_form(owner):
    return WebToLeadForm.objects.create(
        name="官网咨询", owner=owner, allowed_origins="https://www.example.com"
    )


def url(web_form):
    return f"/sales/web-to-lead/{web_form.token}/"


def valid_post(web_form, **overrides):
    data = {
        "name": "刘洋",
        "company": "广州南方餐饮管理有限公司",
        "mobile": "139 0000 3333",
        "email": "",
        "notes": "想了解会员系统",
        "website": "",
        "stamp": webtolead.stamp(web_form, issued_at=time.time() - 30),
    }
    data.update(overrides)
    return data


def test_public_form_page_loads_without_login_and_may_be_framed_by_allowed_site(client, web_form):
    response = client.get(url(web_form))

    assert response.status_code == 200
    assert "X-Frame-Options" not in response
    assert "https://www.example.com" in response["Content-Security-Policy"]
    assert b'name="stamp"' in response.content


def test_unknown_or_inactive_form_token_is_404(client, web_form):
    web_form.is_active = False
    web_form.save()

    assert client.get(url(web_form)).status_code == 404
    assert client.get("/sales/web-to-lead/nope/").status_code == 404


def test_valid_post_creates_a_lead_for_the_forms_owner(client, web_form, owner):
    response = client.post(url(web_form), valid_post(web_form))

    assert response.status_code == 200
    assert b'data-testid="web-to-lead-sent"' in response.content
    lead = Lead.objects.get()
    assert (lead.name, lead.mobile, lead.owner, lead.web_form) == (
        "刘洋",
        "13900003333",
        owner,
        web_form,
    )
    assert lead.source == "website"


def test_honeypot_filled_is_refused(client, web_form):
    response = client.post(url(web_form), valid_post(web_form, website="http://spam.example"))

    assert response.status_code == 400
    assert b"web-to-lead-refused" in response.content
    assert not Lead.objects.exists()


def test_too_fast_post_is_refused(client, web_form, english):
    response = client.post(url(web_form), valid_post(web_form, stamp=webtolead.stamp(web_form)))

    assert response.status_code == 400
    assert b"too quickly" in response.content
    assert not Lead.objects.exists()


def test_forged_or_missing_stamp_is_refused(client, web_form):
    assert client.post(url(web_form), valid_post(web_form, stamp="forged")).status_code == 400
    other = WebToLeadForm.objects.create(name="另一个", owner=web_form.owner)
    stolen = webtolead.stamp(other, issued_at=time.time() - 30)
    assert client.post(url(web_form), valid_post(web_form, stamp=stolen)).status_code == 400
    assert not Lead.objects.exists()


def test_missing_fields_are_refused_with_messages(client, web_form, english):
    response = client.post(url(web_form), valid_post(web_form, name="", mobile="", email=""))

    assert response.status_code == 400
    assert b'id="id_name_error"' in response.content
    assert b"mobile number or an email address" in response.content
    assert not Lead.objects.exists()


def test_malicious_values_are_refused(client, web_form):
    response = client.post(url(web_form), valid_post(web_form, notes="a\x00b", mobile="abc"))

    assert response.status_code == 400
    assert not Lead.objects.exists()


def test_posts_over_the_rate_limit_are_refused(client, web_form, settings):
    settings.KEHU_WEB_TO_LEAD_RATE_LIMIT = 2
    for number in range(2):
        response = client.post(url(web_form), valid_post(web_form, mobile=f"1390000444{number}"))
        assert response.status_code == 200

    response = client.post(url(web_form), valid_post(web_form, mobile="13900004449"))

    assert response.status_code == 429
    assert Lead.objects.count() == 2


def test_post_from_a_foreign_origin_is_refused(client, web_form):
    response = client.post(url(web_form), valid_post(web_form), HTTP_ORIGIN="https://evil.example")

    assert response.status_code == 403
    assert not Lead.objects.exists()


def test_post_from_an_allowed_origin_is_accepted(client, web_form):
    response = client.post(
        url(web_form), valid_post(web_form), HTTP_ORIGIN="https://www.example.com"
    )

    assert response.status_code == 200
    assert Lead.objects.count() == 1


def test_script_tags_are_stored_as_text_and_rendered_escaped(client, web_form, owner):
    payload = '<script>alert("x")</script><b>hi</b>'
    client.post(url(web_form), valid_post(web_form, notes=payload, company=payload))

    lead = Lead.objects.get()
    assert lead.notes == payload
    client.force_login(owner)
    page = client.get(f"/sales/leads/{lead.pk}/").content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    listing = client.get("/sales/leads/").content.decode()
    assert "<b>hi</b>" not in listing
