"""Privacy pages: the consent panel of a contact (whoever sees the customer reads it, whoever
may edit it records and withdraws) and the data-subject request desk (request handlers only;
for everyone else the pages do not exist: 404)."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kehu.core.access import access_contact, access_customer
from kehu.core.htmx import is_partial, vary_on_htmx
from kehu.core.permissions import can_handle_data_requests, can_record_consent
from kehu.privacy import selectors, services
from kehu.privacy.forms import (
    ConsentForm,
    CorrectForm,
    DataRequestForm,
    RejectForm,
    WithdrawForm,
)
from kehu.privacy.models import RequestKind, RequestStatus


def _errors_text(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return " ".join(m for messages_ in exc.message_dict.values() for m in messages_)
    return " ".join(exc.messages)


# --- consents -------------------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def contact_consents(request: HttpRequest, pk: int) -> HttpResponse:
    contact = access_contact(request.user, pk)
    can_edit = can_record_consent(request.user, contact.customer)
    form = ConsentForm(request.POST or None)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.consent_record(
                    contact=contact,
                    purpose=form.cleaned_data["purpose"],
                    channel=form.cleaned_data["channel"],
                    given_at=form.cleaned_data.get("given_at"),
                    evidence=form.cleaned_data.get("evidence") or "",
                    by=request.user,
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("The consent was recorded."))
                return redirect("privacy:contact-consents", contact.pk)
    context = {
        "contact": contact,
        "customer": contact.customer,
        "consents": selectors.contact_consents(contact=contact),
        "can_edit": can_edit,
        "form": form,
        "withdraw_form": WithdrawForm(),
        "erased": selectors.contact_is_erased(contact),
    }
    return render(request, "privacy/contact_consents.html", context)


@login_required
@require_POST
def consent_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    consent = selectors.visible_consent(user=request.user, pk=pk)
    form = WithdrawForm(request.POST)
    if not can_record_consent(request.user, consent.contact.customer):
        raise PermissionDenied
    if not form.is_valid():
        messages.error(request, _("Choose how the consent was withdrawn."))
    else:
        try:
            services.consent_withdraw(
                consent=consent, channel=form.cleaned_data["channel"], by=request.user
            )
        except ValidationError as exc:
            messages.error(request, _errors_text(exc))
        else:
            messages.success(request, _("The consent was withdrawn."))
    return redirect("privacy:contact-consents", consent.contact_id)


@login_required
@require_GET
def customer_consents(request: HttpRequest, pk: int) -> HttpResponse:
    """The consent summary on the customer 360 page (loaded by HTMX)."""
    customer = access_customer(request.user, pk)
    contacts = list(customer.contacts.all())
    live = selectors.live_purposes(contact_ids=[c.pk for c in contacts])
    rows = [(c, live.get(c.pk, [])) for c in contacts]
    context = {"customer": customer, "rows": rows}
    template = (
        "privacy/_customer_consents.html"
        if is_partial(request)
        else "privacy/customer_consents.html"
    )
    return vary_on_htmx(render(request, template, context))


# --- data-subject requests ------------------------------------------------------------------
def _require_handler(request: HttpRequest) -> None:
    if not can_handle_data_requests(request.user):
        raise Http404


@login_required
@require_GET
def request_list(request: HttpRequest) -> HttpResponse:
    _require_handler(request)
    status = request.GET.get("status", "")
    if status not in RequestStatus.values:
        status = ""
    page = Paginator(selectors.data_requests(status=status), 25).get_page(request.GET.get("page"))
    context = {
        "page_obj": page,
        "requests": page.object_list,
        "status": status,
        "statuses": RequestStatus.choices,
    }
    return render(request, "privacy/request_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def request_create(request: HttpRequest) -> HttpResponse:
    _require_handler(request)
    form = DataRequestForm(request.POST or None, initial={"contact": request.GET.get("contact")})
    if request.method == "POST" and form.is_valid():
        try:
            created = services.data_request_create(
                contact=form.cleaned_data["found"],
                kind=form.cleaned_data["kind"],
                note=form.cleaned_data.get("note") or "",
                by=request.user,
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("The request was recorded."))
            return redirect("privacy:request-detail", created.pk)
    return render(request, "privacy/request_form.html", {"form": form})


def _get_request(request: HttpRequest, pk: int):
    _require_handler(request)
    return get_object_or_404(selectors.data_requests(), pk=pk)


@login_required
@require_GET
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    data_request = _get_request(request, pk)
    context = {
        "data_request": data_request,
        "is_open": data_request.status == RequestStatus.OPEN and data_request.contact_id,
        "reject_form": RejectForm(),
    }
    return render(request, "privacy/request_detail.html", context)


@login_required
@require_POST
def request_export(request: HttpRequest, pk: int) -> HttpResponse:
    data_request = _get_request(request, pk)
    try:
        data = services.data_request_export(request=data_request, by=request.user)
    except ValidationError as exc:
        messages.error(request, _errors_text(exc))
        return redirect("privacy:request-detail", pk)
    content = json.dumps(data, ensure_ascii=False, indent=2)
    response = HttpResponse(content, content_type="application/json; charset=utf-8")
    name = f"person-data-{data_request.pk}-{timezone.localdate():%Y%m%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def request_correct(request: HttpRequest, pk: int) -> HttpResponse:
    data_request = _get_request(request, pk)
    if data_request.kind != RequestKind.CORRECT or data_request.contact is None:
        raise Http404
    contact = data_request.contact
    initial = {
        f: getattr(contact, f) for f in ("name", "title", "mobile", "email", "phone", "remarks")
    }
    form = CorrectForm(request.POST or None, initial={**initial, "version": contact.version})
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            services.data_request_correct(
                request=data_request,
                by=request.user,
                data=data,
                expected_version=form.cleaned_data["version"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("The contact was corrected."))
            return redirect("privacy:request-detail", pk)
    return render(
        request, "privacy/request_correct.html", {"form": form, "data_request": data_request}
    )


@login_required
@require_POST
def request_erase(request: HttpRequest, pk: int) -> HttpResponse:
    data_request = _get_request(request, pk)
    try:
        services.data_request_erase(request=data_request, by=request.user)
    except ValidationError as exc:
        messages.error(request, _errors_text(exc))
    else:
        messages.success(request, _("The person's data was erased."))
    return redirect("privacy:request-detail", pk)


@login_required
@require_POST
def request_reject(request: HttpRequest, pk: int) -> HttpResponse:
    data_request = _get_request(request, pk)
    form = RejectForm(request.POST)
    try:
        services.data_request_reject(
            request=data_request,
            by=request.user,
            reason=form.data.get("reason", ""),
        )
    except ValidationError as exc:
        messages.error(request, _errors_text(exc))
    else:
        messages.success(request, _("The request was rejected."))
    return redirect("privacy:request-detail", pk)
