"""The home redirect and a health page that says when the background worker last ran."""

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from kehu.core.models import Heartbeat

# The scheduler sends a heartbeat every minute; three missed ones mean the worker is down.
WORKER_STALE_AFTER = dt.timedelta(minutes=3)


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return redirect("customers:list")


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
