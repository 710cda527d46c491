"""Order pages: the transaction history list with filters, detail with its lines, create and
edit (lines as a formset; blank rows are ignored). Rows come from core.access; the rules are
the service's (sales.services.orders)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kehu.core.access import access_customer, access_order
from kehu.core.permissions import can_change_order, can_edit_customer
from kehu.customers.services import StaleEditError
from kehu.sales import selectors
from kehu.sales.contract_forms import OrderFilterForm, OrderForm, OrderLineFormSet
from kehu.sales.services import orders as services
from kehu.sales.views.contracts import _customer_by_code


def _filtered(request: HttpRequest, form: OrderFilterForm):
    orders = selectors.order_list(user=request.user)
    if not form.is_valid():
        return orders
    data = form.cleaned_data
    if data.get("q"):
        term = data["q"].strip()
        orders = orders.filter(
            Q(number__icontains=term)
            | Q(customer__name__icontains=term)
            | Q(lines__product_name__icontains=term)
        ).distinct()
    if data.get("status"):
        orders = orders.filter(status=data["status"])
    if data.get("owner"):
        orders = orders.filter(owner=data["owner"])
    if data.get("date_from"):
        orders = orders.filter(ordered_on__gte=data["date_from"])
    if data.get("date_to"):
        orders = orders.filter(ordered_on__lte=data["date_to"])
    if data.get("customer"):
        orders = orders.filter(customer_id=data["customer"])
    return orders


@login_required
@require_GET
def order_list(request: HttpRequest) -> HttpResponse:
    filter_form = OrderFilterForm(request.GET or None)
    orders = _filtered(request, filter_form)
    page = Paginator(orders.order_by("-ordered_on", "-id"), settings.KEHU_LIST_PAGE_SIZE)
    page_obj = page.get_page(request.GET.get("page"))
    context = {"filter_form": filter_form, "page_obj": page_obj, "orders": page_obj.object_list}
    return render(request, "sales/order_list.html", context)


@login_required
@require_GET
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = access_order(request.user, pk)
    context = {
        "order": order,
        "lines": list(order.lines.all()),
        "can_change": can_change_order(request.user, order),
        "can_delete": can_edit_customer(request.user, order.customer),
    }
    return render(request, "sales/order_detail.html", context)


def _lines(formset) -> list[dict]:
    return [form.cleaned_data for form in formset.forms if not form.is_blank()]


def _map_line_errors(formset, form: OrderForm, exc: ValidationError) -> None:
    """Service errors keyed ``lines.<n>.<field>`` go next to that row's field; `n` counts the
    non-blank rows sent to the service."""
    if not hasattr(exc, "error_dict"):
        form.map_service_errors(exc)
        return
    filled = [f for f in formset.forms if not f.is_blank()]
    rest = {}
    for key, messages_ in exc.message_dict.items():
        parts = key.split(".")
        if parts[0] == "lines" and len(parts) == 3 and parts[1].isdigit():
            row = filled[int(parts[1])] if int(parts[1]) < len(filled) else None
            if row is not None and parts[2] in row.fields:
                row.add_error(parts[2], messages_)
                continue
        rest[key] = messages_
    if rest:
        form.map_service_errors(ValidationError(rest))


@login_required
@require_http_methods(["GET", "POST"])
def order_create(request: HttpRequest) -> HttpResponse:
    initial = {"owner": request.user.pk, "currency": "CNY", "status": "placed"}
    if request.GET.get("customer"):
        initial["customer_code"] = access_customer(request.user, request.GET["customer"]).code
    form = OrderForm(request.POST or None, user=request.user, initial=initial)
    formset = OrderLineFormSet(request.POST or None, prefix="lines")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        customer = _customer_by_code(request, form)
        if customer is not None:
            try:
                order = services.order_create(
                    by=request.user,
                    customer=customer,
                    data=form.order_data(),
                    lines=_lines(formset),
                    owner=form.cleaned_data["owner"],
                )
            except ValidationError as exc:
                _map_line_errors(formset, form, exc)
            else:
                messages.success(
                    request, _("Order %(number)s was recorded.") % {"number": order.number}
                )
                return redirect("sales:order-detail", order.pk)
    return render(request, "sales/order_form.html", {"form": form, "formset": formset})


@login_required
@require_http_methods(["GET", "POST"])
def order_edit(request: HttpRequest, pk: int) -> HttpResponse:
    order = access_order(request.user, pk, write=True)
    form = OrderForm(request.POST or None, user=request.user, instance=order)
    formset = OrderLineFormSet(
        request.POST or None,
        prefix="lines",
        initial=[
            {
                "product_name": line.product_name,
                "sku": line.sku,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
            }
            for line in order.lines.all()
        ],
    )
    stale = False
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        saved = False
        try:
            services.order_update(
                order=order,
                by=request.user,
                data=form.order_data(),
                lines=_lines(formset),
                expected_version=form.cleaned_data.get("version"),
                owner=form.cleaned_data["owner"],
            )
            saved = True
        except StaleEditError as exc:
            stale = True
            form.map_service_errors(exc)
            form.stale_changes = exc.changes
        except ValidationError as exc:
            _map_line_errors(formset, form, exc)
        if saved:
            messages.success(request, _("Your changes were saved."))
            return redirect("sales:order-detail", order.pk)
    context = {"form": form, "formset": formset, "order": order, "stale": stale}
    return render(request, "sales/order_form.html", context)


@login_required
@require_POST
def order_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Move the order and its lines to the recycle bin."""
    order = access_order(request.user, pk, write=True)
    try:
        services.order_delete(order=order, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("sales:order-detail", order.pk)
    messages.success(
        request, _("Order %(number)s was moved to the recycle bin.") % {"number": order.number}
    )
    return redirect("sales:order-list")
