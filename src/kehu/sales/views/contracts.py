"""Contract pages: list with filters, detail with the payment plan (planned vs received,
overdue flagged) and attachments, create, edit, renew, terminate, and the customer 360 card.
Rows come from core.access; the rules are the services' (sales.services.contracts)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kehu.core.access import access_contract, access_customer, access_payment, visible_customers
from kehu.core.htmx import vary_on_htmx
from kehu.core.permissions import can_change_contract, can_create_contract, can_edit_customer
from kehu.customers.forms import save_through
from kehu.sales import selectors
from kehu.sales.contract_forms import (
    AttachmentForm,
    ContractFilterForm,
    ContractForm,
    PaymentPlanForm,
    PaymentRecordForm,
    RenewForm,
    TerminateForm,
)
from kehu.sales.services import contracts as services


def _filtered(request: HttpRequest, form: ContractFilterForm):
    contracts = selectors.contract_list(user=request.user)
    if not form.is_valid():
        return contracts
    data = form.cleaned_data
    today = timezone.localdate()
    if data.get("q"):
        term = data["q"].strip()
        contracts = contracts.filter(
            Q(number__icontains=term) | Q(title__icontains=term) | Q(customer__name__icontains=term)
        )
    if data.get("status"):
        contracts = contracts.filter(status=data["status"])
    if data.get("owner"):
        contracts = contracts.filter(owner=data["owner"])
    if data.get("expiring_within") is not None:
        expiring = selectors.contracts_expiring(
            user=request.user, within_days=data["expiring_within"], today=today
        )
        contracts = contracts.filter(pk__in=expiring.values("pk"))
    if data.get("overdue"):
        contracts = selectors.with_overdue_payments(contracts, today=today)
    if data.get("customer"):
        contracts = contracts.filter(customer_id=data["customer"])
    return contracts


@login_required
@require_GET
def contract_list(request: HttpRequest) -> HttpResponse:
    filter_form = ContractFilterForm(request.GET or None)
    contracts = _filtered(request, filter_form)
    page = Paginator(contracts.order_by("ends_on", "id"), settings.KEHU_LIST_PAGE_SIZE)
    page_obj = page.get_page(request.GET.get("page"))
    context = {
        "filter_form": filter_form,
        "page_obj": page_obj,
        "contracts": page_obj.object_list,
        "today": timezone.localdate(),
        "notice_days": settings.KEHU_CONTRACT_EXPIRY_NOTICE_DAYS,
    }
    return render(request, "sales/contract_list.html", context)


def _customer_by_code(request: HttpRequest, form):
    code = (form.cleaned_data.get("customer_code") or "").strip().upper()
    customer = visible_customers(request.user).filter(code=code).first()
    if customer is None:
        form.add_error(
            "customer_code", _("No customer you may see has the code %(code)s.") % {"code": code}
        )
    elif not can_create_contract(request.user, customer):
        form.add_error(
            "customer_code",
            _("Only someone who may edit %(name)s can enter its contracts and orders.")
            % {"name": customer.name},
        )
        customer = None
    return customer


@login_required
@require_http_methods(["GET", "POST"])
def contract_create(request: HttpRequest) -> HttpResponse:
    initial = {"owner": request.user.pk, "currency": "CNY", "status": "active"}
    if request.GET.get("customer"):
        initial["customer_code"] = access_customer(request.user, request.GET["customer"]).code
    form = ContractForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        customer = _customer_by_code(request, form)
        if customer is not None:
            try:
                contract = services.contract_create(
                    by=request.user,
                    customer=customer,
                    data=form.contract_data(),
                    owner=form.cleaned_data["owner"],
                )
            except ValidationError as exc:
                form.map_service_errors(exc)
            else:
                messages.success(
                    request, _("Contract %(number)s was created.") % {"number": contract.number}
                )
                return redirect("sales:contract-detail", contract.pk)
    return render(request, "sales/contract_form.html", {"form": form})


@login_required
@require_GET
def contract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contract = access_contract(request.user, pk)
    today = timezone.localdate()
    payments = selectors.contract_payments(contract=contract)
    can_change = can_change_contract(request.user, contract)
    context = {
        "contract": contract,
        "today": today,
        "days_left": contract.days_left(today),
        "notice_days": settings.KEHU_CONTRACT_EXPIRY_NOTICE_DAYS,
        "payments": [
            (
                p,
                p.is_overdue(today),
                PaymentRecordForm(
                    initial={
                        "received_amount": p.received_amount or p.planned_amount,
                        "received_on": p.received_on or today,
                        "version": p.version,
                    },
                    auto_id=f"id_p{p.pk}_%s",
                ),
            )
            for p in payments
        ],
        "planned_total": sum((p.planned_amount for p in payments), 0),
        "received_total": sum((p.received_amount for p in payments), 0),
        "attachments": list(contract.attachments.select_related("uploaded_by")),
        "renewals": list(contract.renewals.order_by("id")),
        "can_change": can_change,
        "can_delete": can_edit_customer(request.user, contract.customer),
        "is_closed": contract.status in services.CLOSED_STATUSES,
        "plan_form": PaymentPlanForm(),
        "attachment_form": AttachmentForm(),
        "terminate_form": TerminateForm(initial={"version": contract.version}),
        "history": selectors.contract_history(contract=contract),
    }
    return render(request, "sales/contract_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def contract_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contract = access_contract(request.user, pk, write=True)
    form = ContractForm(request.POST or None, user=request.user, instance=contract)
    stale = False
    if request.method == "POST" and form.is_valid():
        saved, stale = save_through(
            form,
            lambda: services.contract_update(
                contract=contract,
                by=request.user,
                data=form.contract_data(),
                expected_version=form.cleaned_data.get("version"),
                owner=form.cleaned_data["owner"],
            ),
        )
        if saved:
            messages.success(request, _("Your changes were saved."))
            return redirect("sales:contract-detail", contract.pk)
    context = {"form": form, "contract": contract, "stale": stale}
    return render(request, "sales/contract_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def contract_renew(request: HttpRequest, pk: int) -> HttpResponse:
    contract = access_contract(request.user, pk, write=True)
    length = contract.ends_on - contract.starts_on
    starts = contract.ends_on + dt.timedelta(days=1)
    form = RenewForm(
        request.POST or None,
        initial={
            "title": contract.title,
            "amount": contract.amount,
            "currency": contract.currency,
            "starts_on": starts,
            "ends_on": starts + length,
            "version": contract.version,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            renewal = services.contract_renew(
                contract=contract,
                by=request.user,
                data=form.renewal_data(),
                expected_version=form.cleaned_data["version"],
            )
        except ValidationError as exc:
            form.map_service_errors(exc)
        else:
            messages.success(
                request,
                _("Contract %(old)s was renewed as %(new)s.")
                % {"old": contract.number, "new": renewal.number},
            )
            return redirect("sales:contract-detail", renewal.pk)
    return render(request, "sales/contract_renew.html", {"form": form, "contract": contract})


def _refusal(request: HttpRequest, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


@login_required
@require_POST
def contract_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Move the contract, its payment plan and attachments to the recycle bin."""
    contract = access_contract(request.user, pk, write=True)
    try:
        services.contract_delete(contract=contract, by=request.user)
    except ValidationError as exc:
        _refusal(request, exc)
        return redirect("sales:contract-detail", contract.pk)
    messages.success(
        request,
        _("Contract %(number)s was moved to the recycle bin.") % {"number": contract.number},
    )
    return redirect("sales:contract-list")


@login_required
@require_POST
def contract_terminate(request: HttpRequest, pk: int) -> HttpResponse:
    contract = access_contract(request.user, pk, write=True)
    form = TerminateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason for terminating the contract."))
        return redirect("sales:contract-detail", contract.pk)
    try:
        services.contract_terminate(
            contract=contract,
            by=request.user,
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
        )
    except ValidationError as exc:
        _refusal(request, exc)
    else:
        messages.success(request, _("The contract was terminated."))
    return redirect("sales:contract-detail", contract.pk)


@login_required
@require_POST
def payment_add(request: HttpRequest, pk: int) -> HttpResponse:
    contract = access_contract(request.user, pk, write=True)
    form = PaymentPlanForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(m for errs in form.errors.values() for m in errs))
        return redirect("sales:contract-detail", contract.pk)
    try:
        services.payment_plan_add(contract=contract, by=request.user, **form.cleaned_data)
    except ValidationError as exc:
        _refusal(request, exc)
    else:
        messages.success(request, _("The instalment was added to the payment plan."))
    return redirect("sales:contract-detail", contract.pk)


@login_required
@require_POST
def payment_record(request: HttpRequest, pk: int) -> HttpResponse:
    payment = access_payment(request.user, pk, write=True)
    form = PaymentRecordForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(m for errs in form.errors.values() for m in errs))
        return redirect("sales:contract-detail", payment.contract_id)
    try:
        services.payment_record(
            payment=payment,
            by=request.user,
            received_amount=form.cleaned_data["received_amount"],
            received_on=form.cleaned_data["received_on"],
            expected_version=form.cleaned_data["version"],
        )
    except ValidationError as exc:  # StaleEditError included
        _refusal(request, exc)
    else:
        messages.success(request, _("The payment received was recorded."))
    return redirect("sales:contract-detail", payment.contract_id)


@login_required
@require_POST
def payment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    payment = access_payment(request.user, pk, write=True)
    try:
        services.payment_delete(payment=payment, by=request.user)
    except ValidationError as exc:
        _refusal(request, exc)
    else:
        messages.success(request, _("The instalment was removed."))
    return redirect("sales:contract-detail", payment.contract_id)


@login_required
@require_POST
def attachment_upload(request: HttpRequest, pk: int) -> HttpResponse:
    contract = access_contract(request.user, pk, write=True)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a file to attach."))
        return redirect("sales:contract-detail", contract.pk)
    try:
        attachment = services.contract_attachment_add(
            contract=contract, by=request.user, upload=form.cleaned_data["file"]
        )
    except ValidationError as exc:
        _refusal(request, exc)
    else:
        messages.success(request, _("%(name)s was attached.") % {"name": attachment.original_name})
    return redirect("sales:contract-detail", contract.pk)


def _attachment(request: HttpRequest, pk: int, attachment_pk: int, *, write: bool = False):
    contract = access_contract(request.user, pk, write=write)
    attachment = contract.attachments.filter(pk=attachment_pk).first()
    if attachment is None:
        raise Http404
    return attachment


@login_required
@require_GET
def attachment_download(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponse:
    """The only way to an attachment: through the contract's data scope. Sent as a download
    (never shown inline), so an uploaded HTML or SVG cannot run in Kehu's origin."""
    attachment = _attachment(request, pk, attachment_pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def attachment_delete(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponse:
    attachment = _attachment(request, pk, attachment_pk, write=True)
    try:
        services.contract_attachment_delete(attachment=attachment, by=request.user)
    except ValidationError as exc:
        _refusal(request, exc)
    else:
        messages.success(request, _("%(name)s was removed.") % {"name": attachment.original_name})
    return redirect("sales:contract-detail", pk)


CUSTOMER_CARD_SIZE = 5


@login_required
@require_GET
def customer_contracts(request: HttpRequest, pk: int) -> HttpResponse:
    """The contracts and orders card of the customer 360 page (HTMX partial, also a page)."""
    customer = access_customer(request.user, pk)
    contracts = selectors.contract_list(user=request.user).filter(customer=customer)
    orders = selectors.orders_of_customer(user=request.user, customer=customer)
    shown = list(contracts.order_by("-ends_on", "-id")[:CUSTOMER_CARD_SIZE])
    recent_orders = list(orders[:CUSTOMER_CARD_SIZE])
    context = {
        "customer": customer,
        "contracts": shown,
        "more_contracts": max(contracts.count() - len(shown), 0)
        if len(shown) == CUSTOMER_CARD_SIZE
        else 0,
        "orders": recent_orders,
        "more_orders": max(orders.count() - len(recent_orders), 0)
        if len(recent_orders) == CUSTOMER_CARD_SIZE
        else 0,
        "can_create": can_create_contract(request.user, customer),
        "today": timezone.localdate(),
    }
    return vary_on_htmx(render(request, "sales/_customer_contract_items.html", context))
