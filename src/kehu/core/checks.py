"""`kehu check --deploy`: what a production set-up (several app servers, workers, PostgreSQL,
Redis or RabbitMQ) needs beyond Django's own deployment checks.

Each check names the environment variable to set. They run only with ``--deploy`` (the
embedded set-up is allowed SQLite, the file-system broker and a generated secret key).
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.checks import Error, Warning, register

LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}


@register("production", deploy=True)
def check_production(app_configs=None, **kwargs) -> list:
    problems: list = []
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        problems.append(
            Error(
                "The database is SQLite.",
                hint="Set DATABASE_URL=postgres://user:password@host:5432/kehu: SQLite allows "
                "one writer and one machine.",
                id="kehu.E001",
            )
        )
    broker = settings.CELERY_BROKER_URL or ""
    if broker.startswith("filesystem://") or broker.startswith("memory://"):
        problems.append(
            Error(
                "The Celery broker is the embedded file-system broker.",
                hint="Set KEHU_BROKER_URL=redis://host:6379/0 or amqp://user:password@host//: "
                "workers on other machines cannot read this machine's folder.",
                id="kehu.E002",
            )
        )
    if settings.CELERY_TASK_ALWAYS_EAGER:
        problems.append(
            Error(
                "Background jobs run inside the web request (KEHU_CELERY_EAGER is on).",
                hint="Unset KEHU_CELERY_EAGER and run `kehu worker` processes.",
                id="kehu.E003",
            )
        )
    if not os.environ.get("SECRET_KEY"):
        problems.append(
            Error(
                "SECRET_KEY is not set in the environment.",
                hint="Set the same SECRET_KEY (50+ random characters) on every app server: "
                "the generated one lives in one machine's data directory, and sessions and "
                "signed links made on one server fail on another.",
                id="kehu.E004",
            )
        )
    if settings.DEBUG:
        problems.append(
            Error("KEHU_DEBUG is on.", hint="Unset KEHU_DEBUG in production.", id="kehu.E005")
        )
    if not set(settings.ALLOWED_HOSTS) - LOCAL_HOSTS:
        problems.append(
            Error(
                "KEHU_ALLOWED_HOSTS names only this machine.",
                hint="Set KEHU_ALLOWED_HOSTS=crm.example.com (the names users type).",
                id="kehu.E006",
            )
        )
    if "*" in settings.ALLOWED_HOSTS:
        problems.append(
            Error(
                "KEHU_ALLOWED_HOSTS allows any host.",
                hint="List the host names: '*' lets forged Host headers into links and mail.",
                id="kehu.E007",
            )
        )
    if not (settings.KEHU_ENCRYPTION_KEYS and settings.KEHU_BLIND_INDEX_SECRET):
        problems.append(
            Error(
                "The encryption keys are not set in the environment.",
                hint="Set KEHU_ENCRYPTION_KEYS and KEHU_BLIND_INDEX_SECRET (the values in "
                "$KEHU_DATA_DIR/encryption.keys) on every app server and worker.",
                id="kehu.E008",
            )
        )
    if "LocMemCache" in settings.CACHES["default"]["BACKEND"]:
        problems.append(
            Warning(
                "The cache is per process.",
                hint="Set KEHU_CACHE_URL=redis://host:6379/1 so login throttling and cached "
                "figures are shared by every app server process, and reference data cached by "
                "each process (core.refcache) is refreshed everywhere within a second.",
                id="kehu.W001",
            )
        )
    if settings.STATIC_ROOT is None:
        problems.append(
            Warning(
                "Static files are served from the apps, not collected.",
                hint="Set KEHU_COLLECTSTATIC=1 and run `kehu collectstatic --noinput` at deploy: "
                "compressed, cache-forever file names served by WhiteNoise.",
                id="kehu.W002",
            )
        )
    if not os.environ.get("KEHU_HTTPS"):
        problems.append(
            Warning(
                "KEHU_HTTPS is not set.",
                hint="Serve Kehu over HTTPS (a proxy in front) and set KEHU_HTTPS=1 for secure "
                "cookies, HSTS and the redirect.",
                id="kehu.W003",
            )
        )
    return problems
