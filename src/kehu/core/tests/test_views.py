"""The shell every page shares: sign in and out, home, health, error pages, layout rules."""

import datetime as dt
import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import timezone

from kehu.core.models import Heartbeat


def test_home_sends_anonymous_users_to_login(client, db):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_home_redirects_to_the_dashboard(client, owner):
    client.force_login(owner)

    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == reverse("analytics:dashboard")


def test_login_with_the_right_password_opens_the_dashboard(client, owner):
    page = client.get(reverse("login"))

    response = client.post(reverse("login"), {"username": "owner", "password": "pw-Kehu-2026"})

    assert page.status_code == 200
    assert 'name="username"' in page.content.decode()
    assert response.status_code == 302
    assert response["Location"] == reverse("analytics:dashboard")


def test_login_with_a_wrong_password_says_so(client, owner):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the message is read in English
    response = client.post(reverse("login"), {"username": "owner", "password": "wrong"})

    assert response.status_code == 200
    assert "password is wrong" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_logout_is_a_post_and_ends_the_session(client, owner):
    client.force_login(owner)

    refused = client.get(reverse("logout"))
    response = client.post(reverse("logout"))

    assert refused.status_code == 405
    assert response.status_code == 302
    assert client.get(reverse("customers:list")).status_code == 302


def test_health_reports_when_the_worker_was_last_seen(client, db):
    beat = timezone.now() - dt.timedelta(seconds=30)
    Heartbeat.objects.create(name="worker", beat_at=beat)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the page is read in English

    as_json = client.get(reverse("health"), {"format": "json"}).json()
    as_html = client.get(reverse("health")).content.decode()

    assert as_json["worker"] == "ok"
    assert as_json["worker_last_seen"] == beat.isoformat()
    assert "Background worker last seen" in as_html


def test_health_says_when_the_worker_is_stale_or_never_seen(client, db):
    never = client.get(reverse("health"), HTTP_ACCEPT="application/json").json()
    Heartbeat.objects.create(name="worker", beat_at=timezone.now() - dt.timedelta(hours=1))
    stale = client.get(reverse("health"), HTTP_ACCEPT="application/json").json()

    assert never["worker"] == "never seen"
    assert stale["worker"] == "stale"


def test_unknown_page_gets_the_404_page_inside_the_layout(client, owner):
    client.force_login(owner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the page is read in English

    response = client.get("/no-such-page/")

    content = response.content.decode()
    assert response.status_code == 404
    assert "Not found" in content
    assert 'id="global-search"' in content


@pytest.fixture
def layout(client, owner):
    client.force_login(owner)
    return client.get(reverse("customers:list")).content.decode()


def test_layout_has_no_inline_scripts_and_no_cdn(layout):
    scripts = re.findall(r"<script\b[^>]*>", layout)

    assert scripts
    assert all('src="/static/' in tag for tag in scripts)
    assert not re.search(r"<script\b[^>]*>(?!</script>)", layout)  # no script bodies
    assert " on" + "click=" not in layout
    assert not re.search(r'(src|href)="(https?:)?//', layout)


def test_htmx_posts_pass_csrf_with_the_token_from_body_hx_headers(owner):
    import json

    from django.test import Client

    from kehu.customers.tests.factories import make_customer

    customer = make_customer(owner=owner, name="上海东方精密机械有限公司")
    contact = customer.contacts.get()
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    page = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    headers = json.loads(
        re.search(r"<body\b[^>]*hx-headers='([^']+)'", page).group(1).replace("&quot;", '"')
    )
    unmask = reverse("customers:unmask", args=[customer.pk])

    without = client.post(unmask, {"contact": contact.pk}, HTTP_HX_REQUEST="true")
    with_token = client.post(
        unmask,
        {"contact": contact.pk},
        HTTP_HX_REQUEST="true",
        HTTP_X_CSRFTOKEN=headers["X-CSRFToken"],
    )

    assert without.status_code == 403
    assert with_token.status_code == 200
    assert contact.mobile in with_token.content.decode()


def test_layout_has_sidebar_search_language_switch_and_logout(layout):
    assert 'id="sidebar"' in layout
    assert "offcanvas-lg" in layout
    assert f'href="{reverse("customers:list")}"' in layout
    search = re.search(r'<form class="app-search"[^>]*>', layout).group(0)
    assert f'action="{reverse("customers:list")}"' in search
    assert 'method="get"' in search
    assert layout.count(f'action="{reverse("set_language")}"') == 2
    assert 'value="en"' in layout
    assert 'value="zh-hans"' in layout
    assert re.search(rf'<form method="post" action="{reverse("logout")}">', layout)


def test_messages_become_toasts(client, owner):
    from kehu.customers.tests.factories import make_customer

    customer = make_customer(owner=owner, name="上海东方精密机械有限公司")
    client.force_login(owner)

    response = client.post(
        reverse("customers:contact-create", args=[customer.pk]),
        {"name": "李娜", "mobile": "13700001111"},
        follow=True,
    )

    assert re.search(r'class="toast [^"]*text-bg-success', response.content.decode())


@pytest.mark.parametrize(
    "path",
    [
        "vendor/bootstrap/css/bootstrap.min.css",
        "vendor/bootstrap/js/bootstrap.bundle.min.js",
        "vendor/htmx/htmx.min.js",
        "vendor/bootstrap-icons/bootstrap-icons.min.css",
        "vendor/bootstrap-icons/fonts/bootstrap-icons.woff2",
        "kehu/app.js",
        "kehu/app.css",
    ],
)
def test_front_end_assets_are_vendored(path):
    assert finders.find(path), path
