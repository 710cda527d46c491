"""Status changes (a reason every time; 成交客户 and 流失客户 wait for the department head) and
the approvals inbox.

Customers come from core.access (404 when hidden, 403 when visible but read-only), requests
from ``access_status_change``; every write is a customers.approvals service call.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kehu.core.access import access_customer, access_status_change, can_edit_customer
from kehu.core.htmx import htmx_redirect, is_partial, vary_on_htmx
from kehu.customers import approvals
from kehu.customers.forms import DecisionForm, StatusChangeForm
from kehu.customers.models import Customer, Status, StatusChangeState

DECIDED_DAYS = 30


def _detail_url(customer: Customer) -> str:
    return reverse("customers:detail", args=[customer.pk])


# --- on the 360 page ------------------------------------------------------------------------
@login_required
@require_GET
def status_action(request: HttpRequest, pk: int) -> HttpResponse:
    """The header's "Change status" button with its form, or who the pending request waits for."""
    customer = access_customer(request.user, pk)
    can_edit = can_edit_customer(request.user, customer)
    context = {
        "customer": customer,
        "loaded": True,
        "can_edit": can_edit,
        "pending": approvals.status_change_pending(customer=customer),
        "form": StatusChangeForm(customer=customer) if can_edit else None,
    }
    return vary_on_htmx(render(request, "customers/_status_action.html", context))


@login_required
@require_http_methods(["GET", "POST"])
def status_change(request: HttpRequest, pk: int) -> HttpResponse:
    customer = access_customer(request.user, pk, write=True)
    form = StatusChangeForm(request.POST or None, customer=customer)
    if request.method == "POST" and form.is_valid():
        try:
            change = approvals.customer_change_status(
                customer=customer,
                to=form.cleaned_data["to_status"],
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except ValidationError as exc:
            form.map_service_errors(exc)
        else:
            status = Status(change.to_status).label
            if change.state == StatusChangeState.PENDING:
                messages.info(
                    request,
                    _("The change to “%(status)s” is waiting for %(approver)s's approval.")
                    % {"status": status, "approver": change.approver.display_name},
                )
            else:
                messages.success(request, _("The status is now “%(status)s”.") % {"status": status})
            url = _detail_url(customer)
            return htmx_redirect(url) if is_partial(request) else redirect(url)
    context = {"customer": customer, "form": form}
    template = (
        "customers/status_change_form.html"
        if is_partial(request)
        else "customers/status_change.html"
    )
    return vary_on_htmx(render(request, template, context))


@login_required
@require_GET
def status_changes(request: HttpRequest, pk: int) -> HttpResponse:
    """Every status change of the customer: state, reason, who asked, approver, decision."""
    customer = access_customer(request.user, pk)
    context = {"customer": customer, "changes": approvals.status_changes_of(customer=customer)}
    template = (
        "customers/status_changes_list.html"
        if is_partial(request)
        else "customers/status_changes.html"
    )
    return vary_on_htmx(render(request, template, context))


# --- the approvals inbox --------------------------------------------------------------------
def _render_approvals(
    request: HttpRequest, *, tab: str, decision_error: dict | None = None
) -> HttpResponse:
    inbox = list(approvals.approvals_inbox(user=request.user).order_by("created_at", "id"))
    mine = list(approvals.status_changes_requested(user=request.user, days=DECIDED_DAYS))
    context = {
        "tab": tab,
        "inbox": inbox,
        "mine": mine,
        "my_pending_count": sum(1 for c in mine if c.state == StatusChangeState.PENDING),
        "decided": (
            approvals.approvals_decided(user=request.user, days=DECIDED_DAYS)
            if tab == "inbox"
            else []
        ),
        "decided_days": DECIDED_DAYS,
        "decision_error": decision_error,
        "error_in_row": bool(decision_error)
        and any(c.pk == decision_error["pk"] for c in (inbox if tab == "inbox" else mine)),
    }
    template = (
        "customers/approvals_panel.html" if is_partial(request) else "customers/approvals.html"
    )
    return vary_on_htmx(render(request, template, context))


def _tab(request: HttpRequest) -> str:
    return "mine" if (request.GET.get("tab") or request.POST.get("tab")) == "mine" else "inbox"


@login_required
@require_GET
def approvals_inbox(request: HttpRequest) -> HttpResponse:
    return _render_approvals(request, tab=_tab(request))


def _decide(request: HttpRequest, change_pk: int, *, approve: bool) -> HttpResponse:
    change = access_status_change(request.user, change_pk)
    form = DecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        if approve:
            decided = approvals.status_change_approve(change=change, by=request.user, note=note)
        else:
            decided = approvals.status_change_reject(change=change, by=request.user, note=note)
    except ValidationError as exc:
        if not is_partial(request):
            messages.error(request, " ".join(exc.messages))
            return redirect(reverse("customers:approvals"))
        error = {"pk": change.pk, "messages": exc.messages, "note": note}
        return _render_approvals(request, tab=_tab(request), decision_error=error)
    values = {"customer": decided.customer.name, "status": Status(decided.to_status).label}
    if approve:
        messages.success(request, _("Approved: %(customer)s is now “%(status)s”.") % values)
    else:
        messages.success(request, _("Rejected: %(customer)s keeps its status.") % values)
    if not is_partial(request):
        return redirect(reverse("customers:approvals"))
    return _render_approvals(request, tab=_tab(request))


@login_required
@require_POST
def approval_approve(request: HttpRequest, change_pk: int) -> HttpResponse:
    return _decide(request, change_pk, approve=True)


@login_required
@require_POST
def approval_reject(request: HttpRequest, change_pk: int) -> HttpResponse:
    return _decide(request, change_pk, approve=False)
