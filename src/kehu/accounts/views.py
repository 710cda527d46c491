"""Sign in and out with Django's auth views (logout is POST only), and the handover pages
(离职交接): administrators and department heads ask, the departing user's head confirms.

Handovers come from accounts.selectors.handovers_for (404 for anyone else); every write is an
accounts.services call, which checks who may ask and who may confirm (403).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kehu.accounts import selectors, services
from kehu.accounts.forms import HandoverForm
from kehu.accounts.models import Handover, HandoverState
from kehu.core.access import visible_customers
from kehu.core.htmx import vary_on_htmx
from kehu.core.permissions import can_confirm_handover, can_open_handovers

LogoutView = auth_views.LogoutView


# --- handovers (离职交接) ---------------------------------------------------------------------
def _require_handover_pages(request: HttpRequest) -> None:
    if not can_open_handovers(request.user):
        raise PermissionDenied


def _handover(request: HttpRequest, pk: int) -> Handover:
    return get_object_or_404(selectors.handovers_for(request.user), pk=pk)


@login_required
@require_GET
def handover_list(request: HttpRequest) -> HttpResponse:
    _require_handover_pages(request)
    handovers = list(selectors.handovers_for(request.user))
    context = {
        "to_confirm": [
            h
            for h in handovers
            if h.state == HandoverState.PENDING and can_confirm_handover(request.user, h)
        ],
        "handovers": handovers,
    }
    return render(request, "accounts/handover_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def handover_create(request: HttpRequest) -> HttpResponse:
    _require_handover_pages(request)
    form = HandoverForm(request.POST or None, by=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            handover = services.handover_request(
                from_user=form.cleaned_data["from_user"],
                to_user=form.cleaned_data["to_user"],
                by=request.user,
                deactivate=form.cleaned_data["deactivate"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            form.map_service_errors(exc)
        else:
            names = {
                "from": handover.from_user.display_name,
                "to": handover.to_user.display_name,
                "approver": handover.approver.display_name,
            }
            if handover.state == HandoverState.DONE:
                messages.success(
                    request, _("Handover done: %(from)s's customers are now %(to)s's.") % names
                )
            else:
                messages.info(
                    request, _("The handover waits for %(approver)s to confirm it.") % names
                )
            return redirect("accounts:handover-detail", pk=handover.pk)
    preview = None
    if form.is_bound and "from_user" in form.cleaned_data:
        preview = selectors.handover_preview(from_user=form.cleaned_data["from_user"])
    return render(request, "accounts/handover_form.html", {"form": form, "preview": preview})


@login_required
@require_GET
def handover_preview(request: HttpRequest) -> HttpResponse:
    """What would move for the chosen departing user (HTMX, on choosing them in the form)."""
    _require_handover_pages(request)
    from_user = None
    if (request.GET.get("from_user") or "").isdigit():
        from_user = get_object_or_404(
            selectors.handover_sources(request.user), pk=request.GET["from_user"]
        )
    context = {
        "departing": from_user,
        "preview": selectors.handover_preview(from_user=from_user) if from_user else None,
    }
    return vary_on_htmx(render(request, "accounts/_handover_preview.html", context))


@login_required
@require_GET
def handover_detail(request: HttpRequest, pk: int) -> HttpResponse:
    handover = _handover(request, pk)
    report = handover.report or {}
    codes = report.get("customer_codes", [])
    # Link the moved customers the reader may open; the others are listed by code only.
    links = dict(visible_customers(request.user).filter(code__in=codes).values_list("code", "pk"))
    context = {
        "handover": handover,
        "report": report,
        "moved": [(code, links.get(code)) for code in codes],
        "can_confirm": handover.state == HandoverState.PENDING
        and can_confirm_handover(request.user, handover),
    }
    return render(request, "accounts/handover_detail.html", context)


def _decide(request: HttpRequest, pk: int, *, confirm: bool) -> HttpResponse:
    handover = _handover(request, pk)
    try:
        if confirm:
            handover = services.handover_confirm(handover=handover, by=request.user)
        else:
            handover = services.handover_reject(
                handover=handover, by=request.user, note=request.POST.get("note", "")
            )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if confirm:
            moved = handover.report.get("customers", 0)
            messages.success(
                request,
                ngettext(
                    "Handover confirmed: %(n)d customer moved to %(user)s.",
                    "Handover confirmed: %(n)d customers moved to %(user)s.",
                    moved,
                )
                % {"n": moved, "user": handover.to_user.display_name},
            )
        else:
            messages.success(request, _("Handover rejected: nothing moved."))
    return redirect("accounts:handover-detail", pk=pk)


@login_required
@require_POST
def handover_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, confirm=True)


@login_required
@require_POST
def handover_reject(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, confirm=False)
