"""Data-quality pages: the overview (completeness, timeliness, overdue list, calendar coverage)
and the export of the filtered customer list."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.html import escape
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kehu.core.access import access_customer
from kehu.core.api import client_ip
from kehu.core.permissions import (
    can_create_customer,
    can_export,
    can_import,
    can_review_data,
    is_administrator,
)
from kehu.customers.forms import duplicate_check_input
from kehu.dataquality import selectors
from kehu.dataquality.calendar import calendar_coverage
from kehu.dataquality.completeness import MISSING_LABELS
from kehu.dataquality.duplicates.selectors import (
    duplicate_counts_by_team,
    duplicate_counts_by_user,
)
from kehu.dataquality.entry_check import duplicate_ask_owner, probable_duplicates
from kehu.dataquality.export import CONTENT_TYPES, customers_export
from kehu.dataquality.models import ExportFormat
from kehu.dataquality.review import (
    month_start,
    review_confirm,
    review_pending,
    review_progress,
    review_send_back,
    stale_customers,
)
from kehu.interactions.selectors import timeliness_by_team, timeliness_by_user

COMPLETENESS_TARGET = 0.95  # KPI: at least 95 % of customers complete
TIMELINESS_TARGET = 0.95  # KPI: at least 95 % of interactions entered within 24 h
OVERDUE_PAGE_SIZE = 25


def download_response(content: bytes, filename: str, file_format: str) -> HttpResponse:
    response = HttpResponse(content, content_type=CONTENT_TYPES[file_format])
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def export_customers(request: HttpRequest, fmt: str) -> HttpResponse:
    """The customer list as a file: the list's query string chooses the rows."""
    if fmt not in ExportFormat.values:
        raise Http404
    if not can_export(request.user):
        raise PermissionDenied
    content, filename, _count = customers_export(
        user=request.user, params=request.GET, file_format=fmt, ip_address=client_ip(request)
    )
    return download_response(content, filename, fmt)


def _chart(rows, rate_title: str, target: float) -> dict:
    return {
        "target": target * 100,
        "labels": [row.label for row in rows],
        "rates": [round(row.rate * 100, 1) for row in rows],
        "titles": {"rate": rate_title, "target": _("Target")},
    }


@login_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    """数据质量: completeness and timeliness against 95 %, the overdue list, calendar coverage."""
    user = request.user
    today = timezone.localdate()
    by_user = selectors.completeness_rate_by_user(viewer=user)
    by_team = selectors.completeness_rate_by_team(viewer=user)
    checked = sum(row.total for row in by_user)
    complete = sum(row.complete for row in by_user)
    overdue_qs = selectors.steward_overdue_list(viewer=user)
    page = Paginator(overdue_qs, OVERDUE_PAGE_SIZE).get_page(request.GET.get("page"))
    overdue = page.paginator.count
    for state in page:
        state.missing_labels = [str(MISSING_LABELS.get(key, key)) for key in state.missing]

    since = today.replace(day=1)
    timely_by_user = timeliness_by_user(viewer=user, since=since, until=today)
    timely_by_team = timeliness_by_team(viewer=user, since=since, until=today)
    entered = sum(row.total for row in timely_by_user)
    on_time = sum(row.on_time for row in timely_by_user)

    coverage = [(year, calendar_coverage(year)) for year in (today.year, today.year + 1)]
    context = {
        "target": COMPLETENESS_TARGET,
        "timeliness_target": TIMELINESS_TARGET,
        "by_user": by_user,
        "by_team": by_team,
        "checked": checked,
        "complete": complete,
        "overdue": overdue,
        "pending": checked - complete - overdue,
        "complete_rate": complete / checked if checked else None,
        "page": page,
        "timely_by_user": timely_by_user,
        "timely_by_team": timely_by_team,
        "since": since,
        "until": today,
        "entered": entered,
        "timely_rate": on_time / entered if entered else None,
        "coverage": coverage,
        "is_administrator": is_administrator(user),
        "can_review": can_review_data(user),
        "can_import": can_import(user),
        "duplicates_by_user": duplicate_counts_by_user(viewer=user),
        "duplicates_by_team": duplicate_counts_by_team(viewer=user),
        "completeness_chart": _chart(by_user, _("Complete %"), COMPLETENESS_TARGET),
        "timeliness_chart": _chart(timely_by_user, _("On time %"), TIMELINESS_TARGET),
    }
    return render(request, "dataquality/overview.html", context)


@login_required
@require_POST
def duplicate_check(request: HttpRequest) -> HttpResponse:
    """HTMX: the duplicate warning, refreshed while the new-customer form is filled in."""
    if not can_create_customer(request.user):
        raise PermissionDenied
    entered = duplicate_check_input(request.POST)
    duplicates = (
        probable_duplicates(viewer=request.user, **entered)
        if entered["name"] or entered["credit_code"] or entered["mobile"]
        else []
    )
    return render(request, "dataquality/_probable_duplicates.html", {"duplicates": duplicates})


@login_required
@require_POST
def duplicate_ask(request: HttpRequest) -> HttpResponse:
    """HTMX: notify the owner of a probable duplicate the user may not see."""
    if not can_create_customer(request.user):
        raise PermissionDenied
    entered = duplicate_check_input(request.POST)
    asked = duplicate_ask_owner(by=request.user, code=request.POST.get("code", ""), entered=entered)
    if asked is None:
        raise Http404
    return HttpResponse(
        '<span class="text-success small"><i class="bi bi-check2" aria-hidden="true"></i> '
        + escape(_("The owner was notified."))
        + "</span>"
    )


# --- monthly review and freshness --------------------------------------------------------------
REVIEW_PAGE_SIZE = 25


@login_required
@require_http_methods(["GET", "POST"])
def review(request: HttpRequest) -> HttpResponse:
    """月度审核: this month's unreviewed customers; confirm a page at once or send one back."""
    user = request.user
    if not can_review_data(user):
        raise PermissionDenied
    month = month_start()
    if request.method == "POST":
        if request.POST.get("action") == "send_back":
            customer = access_customer(user, request.POST.get("customer", ""))
            try:
                review_send_back(customer=customer, by=user, note=request.POST.get("note", ""))
            except ValidationError as exc:
                for message in exc.messages:
                    messages.error(request, f"{customer.code}: {message}")
            else:
                messages.success(
                    request,
                    _("%(code)s was sent back to %(owner)s with a task.")
                    % {"code": customer.code, "owner": customer.owner.display_name},
                )
        else:
            ids = [int(pk) for pk in request.POST.getlist("customer") if pk.isdigit()]
            count = review_confirm(customer_ids=ids, by=user, month=month)
            messages.success(
                request,
                ngettext(
                    "%(count)d customer confirmed for this month.",
                    "%(count)d customers confirmed for this month.",
                    count,
                )
                % {"count": count},
            )
        return redirect(request.get_full_path())
    page = Paginator(review_pending(viewer=user, month=month), REVIEW_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "page_obj": page,
        "month": month,
        "progress": review_progress(viewer=user, month=month),
    }
    return render(request, "dataquality/review.html", context)


@login_required
@require_GET
def stale(request: HttpRequest) -> HttpResponse:
    """Customers with no edit and no interaction for N days, within the viewer's data scope."""
    page = Paginator(stale_customers(viewer=request.user), REVIEW_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "dataquality/stale.html",
        {"page_obj": page, "days": settings.KEHU_STALE_AFTER_DAYS},
    )
