"""Opportunity pages: list with filters, kanban board, detail with the stage form, create,
edit, and the move endpoint the board posts to. Rows come from core.access; the stage rules
are the service's (sales.services.opportunities)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kehu.core.access import access_customer, access_opportunity, visible_customers
from kehu.core.htmx import vary_on_htmx
from kehu.core.permissions import (
    can_change_opportunity,
    can_create_opportunity,
    can_reopen_opportunity,
)
from kehu.core.templatetags.kehu import money
from kehu.customers.forms import save_through
from kehu.customers.services import StaleEditError
from kehu.sales import selectors
from kehu.sales.forms import MoveForm, OpportunityFilterForm, OpportunityForm
from kehu.sales.services import opportunities as services


@login_required
@require_GET
def opportunity_list(request: HttpRequest) -> HttpResponse:
    filter_form = OpportunityFilterForm(request.GET or None)
    opportunities = filter_form.filter(selectors.opportunity_list(user=request.user))
    page = Paginator(
        opportunities.order_by("expected_close_date", "id"), settings.KEHU_LIST_PAGE_SIZE
    )
    page_obj = page.get_page(request.GET.get("page"))
    context = {
        "filter_form": filter_form,
        "page_obj": page_obj,
        "opportunities": page_obj.object_list,
        "pipeline": selectors.pipeline(opportunities),
    }
    return render(request, "sales/opportunity_list.html", context)


@login_required
@require_GET
def opportunity_board(request: HttpRequest) -> HttpResponse:
    board = selectors.pipeline(selectors.opportunity_list(user=request.user), with_cards=True)
    return render(request, "sales/opportunity_board.html", {"pipeline": board})


def _customer_by_code(request: HttpRequest, form: OpportunityForm):
    code = (form.cleaned_data.get("customer_code") or "").strip().upper()
    customer = visible_customers(request.user).filter(code=code).first()
    if customer is None:
        form.add_error(
            "customer_code", _("No customer you may see has the code %(code)s.") % {"code": code}
        )
    elif not can_create_opportunity(request.user, customer):
        form.add_error(
            "customer_code",
            _("Only someone who may edit %(name)s can open an opportunity on it.")
            % {"name": customer.name},
        )
        customer = None
    return customer


@login_required
@require_http_methods(["GET", "POST"])
def opportunity_create(request: HttpRequest) -> HttpResponse:
    initial = {"owner": request.user.pk}
    if request.GET.get("customer"):
        initial["customer_code"] = access_customer(request.user, request.GET["customer"]).code
    form = OpportunityForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        customer = _customer_by_code(request, form)
        if customer is not None:
            try:
                opportunity = services.opportunity_create(
                    by=request.user,
                    customer=customer,
                    data=form.opportunity_data(),
                    owner=form.cleaned_data["owner"],
                )
            except ValidationError as exc:
                form.map_service_errors(exc)
            else:
                messages.success(
                    request, _("Opportunity %(name)s was created.") % {"name": opportunity.name}
                )
                return redirect("sales:opportunity-detail", opportunity.pk)
    return render(request, "sales/opportunity_form.html", {"form": form})


@login_required
@require_GET
def opportunity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    opportunity = access_opportunity(request.user, pk)
    context = {
        "opportunity": opportunity,
        "can_change": can_change_opportunity(request.user, opportunity),
        "can_reopen": can_reopen_opportunity(request.user, opportunity),
        "move_form": MoveForm(
            initial={"stage": opportunity.stage_id, "version": opportunity.version}
        ),
        "history": selectors.opportunity_history(opportunity=opportunity),
    }
    return render(request, "sales/opportunity_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def opportunity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    opportunity = access_opportunity(request.user, pk, write=True)
    form = OpportunityForm(request.POST or None, user=request.user, instance=opportunity)
    stale = False
    if request.method == "POST" and form.is_valid():
        saved, stale = save_through(
            form,
            lambda: services.opportunity_update(
                opportunity=opportunity,
                by=request.user,
                data=form.opportunity_data(),
                expected_version=form.cleaned_data.get("version"),
                owner=form.cleaned_data["owner"],
            ),
        )
        if saved:
            messages.success(request, _("Your changes were saved."))
            return redirect("sales:opportunity-detail", opportunity.pk)
    context = {"form": form, "opportunity": opportunity, "stale": stale}
    return render(request, "sales/opportunity_form.html", context)


CUSTOMER_CARD_SIZE = 5


@login_required
@require_GET
def customer_opportunities(request: HttpRequest, pk: int) -> HttpResponse:
    """The opportunities card of the customer 360 page (HTMX partial, also a plain page)."""
    customer = access_customer(request.user, pk)
    opportunities = selectors.opportunity_list(user=request.user).filter(customer=customer)
    shown = list(
        opportunities.order_by("stage__sort_order", "expected_close_date", "id")[
            :CUSTOMER_CARD_SIZE
        ]
    )
    context = {
        "customer": customer,
        "opportunities": shown,
        "more": max(opportunities.count() - len(shown), 0)
        if len(shown) == CUSTOMER_CARD_SIZE
        else 0,
        "can_create": can_create_opportunity(request.user, customer),
    }
    return vary_on_htmx(render(request, "sales/_customer_opportunity_items.html", context))


def _board_totals(request: HttpRequest) -> dict:
    board = selectors.pipeline(selectors.opportunity_list(user=request.user))
    return {
        "columns": {
            str(c.stage.pk): {
                "count": c.count,
                "total": money(c.total),
                "weighted": money(c.weighted),
            }
            for c in board.columns
        },
        "weighted_total": money(board.weighted),
    }


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@login_required
@require_POST
def opportunity_move(request: HttpRequest, pk: int) -> HttpResponse:
    """The board posts here with fetch (answered in JSON: 200 moved, 400 refused by a rule,
    403 no right, 409 stale); the detail page's plain form gets a redirect and a toast."""
    opportunity = access_opportunity(request.user, pk)
    form = MoveForm(request.POST)
    status, answer = 200, {}
    if not form.is_valid():
        status = 400
        answer = {"message": " ".join(m for errs in form.errors.values() for m in errs)}
    else:
        data = form.cleaned_data
        try:
            moved = services.opportunity_move(
                opportunity=opportunity,
                by=request.user,
                to=data["stage"],
                expected_version=data["version"],
                loss_reason=data["loss_reason"],
                reopen=data["reopen"],
            )
        except StaleEditError as exc:
            status, answer = 409, {"message": " ".join(exc.messages)}
        except PermissionDenied as exc:
            message = str(exc) or _("You may not move this opportunity.")
            status, answer = 403, {"message": message}
        except ValidationError as exc:
            errors = exc.message_dict
            status = 400
            answer = {
                "message": " ".join(m for msgs in errors.values() for m in msgs),
                "needs_loss_reason": "loss_reason" in errors,
            }
        else:
            answer = {
                "message": _("%(name)s moved to %(stage)s.")
                % {"name": moved.name, "stage": moved.stage.label},
                "version": moved.version,
                **_board_totals(request),
            }
    if _wants_json(request):
        return JsonResponse({"ok": status == 200, **answer}, status=status)
    if status == 200:
        messages.success(request, answer["message"])
    else:
        messages.error(request, answer["message"])
    return redirect("sales:opportunity-detail", opportunity.pk)
