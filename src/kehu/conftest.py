"""Named users shared by every app's tests (house style: owner, teammate, manager, outsider,
administrator), and a few more roles. The organisation:

    总公司 (HQ)
    ├── 销售部 (Sales)                head: manager
    │   ├── 华东销售组 (East)          owner, teammate (both report to manager)
    │   └── 华北销售组 (North)         outsider
    ├── 客服部 (Service)               service
    └── 市场部 (Marketing)             marketing
    data steward and administrator sit in HQ.
"""

from typing import NamedTuple

import pytest

from kehu.celery import app as celery_app

celery_app.conf.task_always_eager = True
celery_app.conf.task_eager_propagates = True


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Full-strength hashing costs ~2 s per named user; tests are not about the hasher."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _generous_count_time(settings):
    """Lists stop counting after KEHU_COUNT_TIME_MS on PostgreSQL and show an estimate; on a
    busy test machine a tiny table's count can take longer than the production budget, so
    tests keep the timed path but with a budget no test table comes near. The budget itself
    is tested in core/tests/test_pagination_count.py."""
    settings.KEHU_COUNT_TIME_MS = 5000


@pytest.fixture(autouse=True)
def _two_factor_passed(monkeypatch):
    """force_login stands for a finished sign-in, second factor included, so the many tests
    that force_login an administrator are not sent to the code step. The two-factor tests sign
    in through the real pages (or clear the flag) to test the step itself."""
    from django.test.client import ClientMixin

    from kehu.accounts.security.totp import VERIFIED_SESSION_KEY

    original = ClientMixin.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        session = self.session
        session[VERIFIED_SESSION_KEY] = True
        session.save()

    monkeypatch.setattr(ClientMixin, "force_login", force_login)


@pytest.fixture(autouse=True)
def _empty_cache():
    """API throttling counts requests in the cache: each test starts with none counted. The
    per-process reference cache (core.refcache) starts empty too: a rolled-back test sends
    no signal, so the previous test's industries or tags would otherwise linger."""
    from django.core.cache import cache

    from kehu.core import refcache

    cache.clear()
    refcache.clear_local()


@pytest.fixture(autouse=True)
def _default_language():
    """A request with Accept-Language activates that language for the thread and leaves it
    active; reset it so a test never reads the previous test's language."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture
def english(client):
    """The client asks for the English UI (language cookie): for tests that read English text."""
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def org(db):
    from kehu.accounts.tests.factories import build_org

    return build_org()


@pytest.fixture
def owner(org):
    return org.owner


@pytest.fixture
def teammate(org):
    return org.teammate


@pytest.fixture
def manager(org):
    return org.manager


@pytest.fixture
def outsider(org):
    return org.outsider


@pytest.fixture
def administrator(org):
    return org.administrator


@pytest.fixture
def customer(owner):
    from kehu.customers.tests.factories import make_customer

    return make_customer(owner=owner, name="上海东方精密机械有限公司")


class BrowserSession(NamedTuple):
    context: object
    page: object
    errors: list[str]


@pytest.fixture
def browser_session():
    """A chromium page (zh-CN, 1440×900) and the JavaScript errors it raised."""
    import os

    from kehu.core.tests.browser import CHROMIUM, LAUNCH_ARGS

    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # meanwhile are still plain synchronous calls.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(15_000)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        yield BrowserSession(context, page, errors)
        context.close()
        browser.close()
        # The test's ORM calls ran while Playwright's event loop ran in this thread, on
        # connections kept in that context; Django's teardown of the test database does not
        # see them. Closed here, where they were opened.
        from django.db import connections

        connections.close_all()


@pytest.fixture
def browser_page(browser_session):
    return browser_session.page, browser_session.errors
