"""The sales dashboard (销售看板) and the drill-down list behind its won/lost chart. Figures
come from analytics.selectors (always the viewer's own data scope)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kehu.analytics import selectors


def _charts(figures: dict) -> dict:
    """What the chart script draws (labels translated here; amounts as strings)."""
    return {
        "industry": {
            "title": _("Customers"),
            "items": [
                {"name": s["label"], "value": s["count"], "url": s["url"]}
                for s in figures["industry"]["slices"]
            ],
        },
        "funnel": {
            "title": _("Customers"),
            "items": [
                {"name": s["label"], "value": s["count"], "url": s["url"]}
                for s in figures["funnel"]["steps"]
            ],
        },
        "pipeline": {
            "titles": {"count": _("Opportunities"), "weighted": _("Weighted value (CNY)")},
            "labels": [s["label"] for s in figures["pipeline"]["stages"]],
            "counts": [s["count"] for s in figures["pipeline"]["stages"]],
            "weighted": [s["weighted"] for s in figures["pipeline"]["stages"]],
            "urls": [s["url"] for s in figures["pipeline"]["stages"]],
        },
        "won_lost": {
            "titles": {"won": _("Won"), "lost": _("Lost")},
            "labels": [m["month"] for m in figures["won_lost"]["months"]],
            "won": [m["won"] for m in figures["won_lost"]["months"]],
            "lost": [m["lost"] for m in figures["won_lost"]["months"]],
            "won_urls": [m["won_url"] for m in figures["won_lost"]["months"]],
            "lost_urls": [m["lost_url"] for m in figures["won_lost"]["months"]],
        },
    }


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    figures = selectors.dashboard_figures(user=request.user)
    context = {"figures": figures, "charts": _charts(figures)}
    return render(request, "analytics/dashboard.html", context)


@login_required
@require_GET
def won_lost(request: HttpRequest) -> HttpResponse:
    """The opportunities won (or lost) in one month: what one bar of the chart counts."""
    result = request.GET.get("result")
    try:
        month = dt.date.fromisoformat(f"{request.GET.get('month', '')[:7]}-01")
    except ValueError as exc:
        raise Http404 from exc
    if result not in ("won", "lost"):
        raise Http404
    opportunities = selectors.won_lost_opportunities(
        user=request.user, month=month, won=result == "won"
    ).order_by("-closed_at", "-id")
    page = Paginator(opportunities, settings.KEHU_LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "month": month.strftime("%Y-%m"),
        "won": result == "won",
        "page_obj": page,
        "opportunities": page.object_list,
    }
    return render(request, "analytics/won_lost.html", context)
