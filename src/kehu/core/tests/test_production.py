"""Production set-up (issue 7): liveness and readiness probes, `kehu check --deploy`, JSON logs."""

import json
import logging

import pytest
from django.core.checks import run_checks
from django.test import override_settings

from kehu.core import views
from kehu.core.logformat import JsonFormatter

PRODUCTION = {
    "DATABASES": {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "kehu",
        }
    },
    "CELERY_BROKER_URL": "redis://redis.internal:6379/0",
    "CELERY_TASK_ALWAYS_EAGER": False,
    "DEBUG": False,
    "ALLOWED_HOSTS": ["crm.example.com"],
    "KEHU_ENCRYPTION_KEYS": "kid1:x",
    "KEHU_BLIND_INDEX_SECRET": "y",
    "CACHES": {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache"}},
    "STATIC_ROOT": "/srv/kehu/static",
}


@pytest.fixture(autouse=True)
def _no_database_override_warning(recwarn):
    """The checks read DATABASES; overriding it for them is what these tests are about."""


def production_problems(**overrides) -> set[str]:
    with override_settings(**{**PRODUCTION, **overrides}):
        return {m.id for m in run_checks(include_deployment_checks=True, tags=["production"])}


# --- probes -----------------------------------------------------------------------------------
def test_liveness_answers_without_touching_the_database(client, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/health/live")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readiness_reports_each_dependency(client, monkeypatch):
    monkeypatch.setattr(views, "_check_broker", lambda: "ok")

    response = client.get("/health/ready")

    assert response.status_code == 200, response.json()
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "cache": "ok",
        "broker": "ok",
    }


@pytest.mark.django_db
def test_readiness_is_503_when_the_broker_is_unreachable(client, monkeypatch):
    def unreachable():
        raise ConnectionRefusedError("connection refused")

    monkeypatch.setattr(views, "_check_broker", unreachable)

    response = client.get("/health/ready")

    assert response.status_code == 503
    assert response.json()["broker"] == "unavailable"
    assert response.json()["database"] == "ok"


@pytest.mark.django_db
def test_readiness_is_503_while_migrations_are_pending(client, monkeypatch):
    monkeypatch.setattr(views, "_check_broker", lambda: "ok")
    monkeypatch.setattr(
        views.MigrationExecutor, "migration_plan", lambda self, targets: [("app", False)]
    )

    response = client.get("/health/ready")

    assert response.status_code == 503
    assert response.json()["database"] == "migrations pending"


def test_probes_are_public_but_reveal_nothing(client, monkeypatch, db):
    monkeypatch.setattr(views, "_check_broker", lambda: "ok")

    body = client.get("/health/ready").content.decode()

    for detail in ("postgres", "redis", "sqlite", "filesystem"):
        assert detail not in body


# --- kehu check --deploy ----------------------------------------------------------------------
def test_a_complete_production_configuration_passes(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 50)
    monkeypatch.setenv("KEHU_HTTPS", "1")

    assert production_problems() == set()


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        (
            {"DATABASES": {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "x"}}},
            "kehu.E001",
        ),
        ({"CELERY_BROKER_URL": "filesystem://localhost//"}, "kehu.E002"),
        ({"CELERY_TASK_ALWAYS_EAGER": True}, "kehu.E003"),
        ({"DEBUG": True}, "kehu.E005"),
        ({"ALLOWED_HOSTS": ["127.0.0.1", "localhost"]}, "kehu.E006"),
        ({"ALLOWED_HOSTS": ["*"]}, "kehu.E007"),
        ({"KEHU_ENCRYPTION_KEYS": ""}, "kehu.E008"),
        (
            {"CACHES": {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}},
            "kehu.W001",
        ),
        ({"STATIC_ROOT": None}, "kehu.W002"),
    ],
)
def test_each_unsafe_production_setting_is_named(monkeypatch, overrides, problem):
    monkeypatch.setenv("SECRET_KEY", "x" * 50)
    monkeypatch.setenv("KEHU_HTTPS", "1")

    assert production_problems(**overrides) == {problem}


def test_a_generated_secret_key_is_refused_in_production(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("KEHU_HTTPS", "1")

    assert production_problems() == {"kehu.E004"}


def test_the_embedded_set_up_is_not_checked_without_deploy():
    messages = run_checks(tags=["production"])

    assert messages == []


# --- logs -------------------------------------------------------------------------------------
def test_json_log_lines_carry_the_message_the_extras_and_the_traceback():
    record = logging.makeLogRecord(
        {"name": "kehu.x", "levelname": "ERROR", "msg": "import %s failed", "args": (7,)}
    )
    record.job = 7
    try:
        raise ValueError("bad row")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()

    line = json.loads(JsonFormatter().format(record))

    assert line["message"] == "import 7 failed"
    assert line["level"] == "ERROR"
    assert line["logger"] == "kehu.x"
    assert line["job"] == 7
    assert "ValueError: bad row" in line["exception"]
