"""The home redirect, a health page that says when the background worker last ran, and the
liveness and readiness probes a load balancer or orchestrator polls."""

import datetime as dt
import logging

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from kehu.core.models import Heartbeat

# The scheduler sends a heartbeat every minute; three missed ones mean the worker is down.
WORKER_STALE_AFTER = dt.timedelta(minutes=3)
BROKER_TIMEOUT_SECONDS = 2

logger = logging.getLogger(__name__)


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Users land on their dashboard (销售看板), as in the systems they come from."""
    return redirect("analytics:dashboard")


@require_GET
def health(request: HttpRequest) -> HttpResponse:
    """Public on purpose (monitoring); shows nothing but liveness. JSON on request."""
    beat = Heartbeat.objects.filter(name="worker").values_list("beat_at", flat=True).first()
    worker_ok = beat is not None and timezone.now() - beat < WORKER_STALE_AFTER
    if (
        request.GET.get("format") == "json"
        or request.get_preferred_type(["text/html", "application/json"]) == "application/json"
    ):
        return JsonResponse(
            {
                "status": "ok",
                "database": "ok",
                "worker": "ok" if worker_ok else ("stale" if beat else "never seen"),
                "worker_last_seen": beat.isoformat() if beat else None,
            }
        )
    return render(request, "core/health.html", {"worker_last_seen": beat, "worker_ok": worker_ok})


@require_GET
def health_live(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers. Touches nothing, so a slow database never restarts it."""
    return JsonResponse({"status": "ok"})


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    # Unapplied migrations: an app server started before `kehu migrate` finished.
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        return "migrations pending"
    return "ok"


def _check_cache() -> str:
    cache.set("kehu:readiness", "1", 10)
    return "ok" if cache.get("kehu:readiness") == "1" else "unavailable"


def _check_broker() -> str:
    from kehu.celery import app

    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "eager"
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
    return "ok"


@require_GET
def health_ready(request: HttpRequest) -> HttpResponse:
    """Readiness: database reachable and migrated, cache and broker reachable. 503 otherwise,
    so a load balancer sends no traffic to an app server that cannot serve it."""
    checks: dict[str, str] = {}
    for name, check in (
        ("database", _check_database),
        ("cache", _check_cache),
        ("broker", _check_broker),
    ):
        try:
            checks[name] = check()
        except Exception as exc:  # a probe reports what failed; it never raises
            logger.warning("readiness check %s failed: %s", name, exc)
            checks[name] = "unavailable"
    ready = all(value in ("ok", "eager") for value in checks.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", **checks}, status=200 if ready else 503
    )
