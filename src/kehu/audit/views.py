"""The audit page (administrators only; everyone else gets 404, as if it did not exist), its
CSV export, one entry's before/after and the revert of one field."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kehu.audit import selectors, services
from kehu.audit.export import audit_export_csv
from kehu.audit.forms import FeedFilterForm
from kehu.core.api import client_ip
from kehu.core.permissions import can_open_audit

PAGE_SIZE = 50


def _require_administrator(request: HttpRequest) -> None:
    if not can_open_audit(request.user):
        raise Http404


@login_required
@require_GET
def audit_feed(request: HttpRequest) -> HttpResponse:
    _require_administrator(request)
    form = FeedFilterForm(request.GET or None)
    page = selectors.audit_feed(
        flt=form.feed_filter(), cursor=request.GET.get("after"), size=PAGE_SIZE
    )
    query = request.GET.copy()
    query.pop("after", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    return render(request, "audit/feed.html", context)


@login_required
@require_GET
def audit_export(request: HttpRequest) -> HttpResponse:
    """The filtered feed as CSV (mobile numbers masked, formulas neutralised); logged."""
    _require_administrator(request)
    form = FeedFilterForm(request.GET or None)
    content, _count = audit_export_csv(
        flt=form.feed_filter(),
        by=request.user,
        filters={k: v for k, v in request.GET.items() if v},
        ip_address=client_ip(request),
    )
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    name = f"audit-{timezone.localdate():%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_GET
def audit_entry(request: HttpRequest, source: str, pk: int) -> HttpResponse:
    _require_administrator(request)
    entry = selectors.history_entry(source_key=source, pk=pk)
    if entry is None:
        raise Http404
    context = {"entry": entry, "can_revert": source in services.REVERTERS}
    return render(request, "audit/entry.html", context)


@login_required
@require_POST
def audit_revert(request: HttpRequest, source: str, pk: int) -> HttpResponse:
    _require_administrator(request)
    field = request.POST.get("field", "")
    try:
        services.audit_revert_field(source_key=source, history_id=pk, field=field, by=request.user)
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The change was reverted."))
    return redirect("audit:entry", source, pk)
