"""Customer pages: the list (filters, search, sort, pages; HTMX partial), create and edit,
the 360 page with contacts, related team, unmasking and history.

Records come from core.access (404 when hidden or missing, 403 when visible but read-only)
or a selector; every write is a service call.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kehu.accounts.selectors import user_rights
from kehu.core import refcache
from kehu.core.access import (
    access_contact,
    access_customer,
    can_edit_customer,
    customer_scope_arms,
)
from kehu.core.api import client_ip
from kehu.core.htmx import is_partial as _is_partial
from kehu.core.htmx import vary_on_htmx as _vary_on_htmx
from kehu.core.pagination import PageError, paginate
from kehu.core.permissions import (
    can_create_customer,
    can_delete_customer,
    can_manage_team,
    can_unmask,
)
from kehu.customers import selectors, services
from kehu.customers.filters import CustomerFilter
from kehu.customers.forms import (
    FILTER_MORE_FIELDS,
    ContactForm,
    CustomerForm,
    TeamMemberForm,
    prepare_filter_form,
    save_through,
)
from kehu.customers.models import Contact, Customer
from kehu.customers.sensitive import CUSTOM_PREFIX
from kehu.dataquality.entry_check import needs_confirmation, probable_duplicates


def _detail_url(customer: Customer, anchor: str = "") -> str:
    url = reverse("customers:detail", args=[customer.pk])
    return f"{url}#{anchor}" if anchor else url


# --- list ---------------------------------------------------------------------------------
@login_required
@require_GET
def customer_list(request: HttpRequest) -> HttpResponse:
    customer_filter = CustomerFilter(
        data=request.GET,
        queryset=selectors.customer_list(user=request.user, join_presets=False),
        user=request.user,
    )
    # Counts bounded and deep pages by keyset (core.pagination): the same cost at any depth.
    page_error = None
    try:
        page = paginate(
            customer_filter.qs,
            per_page=settings.KEHU_LIST_PAGE_SIZE,
            page=request.GET.get("page"),
            cursor=request.GET.get("cursor"),
            deferred_join=CustomerFilter.reads_ids_first(request.GET),
            read_all_ids=CustomerFilter.reads_all_ids(request.GET),
            arms=customer_scope_arms(request.user),
        )
    except PageError as exc:
        page_error = exc.message
        page = paginate(customer_filter.qs, per_page=settings.KEHU_LIST_PAGE_SIZE)
    selectors.attach_presets(page.object_list)
    if customer_filter.errors:
        # An invalid filter (a 10,000-character search, an unknown choice) is left out of
        # the query; say which one, so the list is not taken for a filtered one.
        page_error = " ".join(
            f"{customer_filter.form.fields[name].label}: {message}"
            for name, messages in customer_filter.errors.items()
            for message in messages
        )
    filtered = any(
        value
        for name in request.GET
        if name not in ("page", "sort", "cursor")
        for value in request.GET.getlist(name)
    )
    context = {
        "page_obj": page,
        "customers": page.object_list,
        "total": page.count.value,
        "total_exact": page.count.exact,
        "page_error": page_error,
        "filtered": filtered,
    }
    if _is_partial(request):
        return _vary_on_htmx(render(request, "customers/_customer_results.html", context))
    context["filter_panel"] = _filter_panel(request, customer_filter)
    return _vary_on_htmx(render(request, "customers/customer_list.html", context))


def _filter_panel(request: HttpRequest, customer_filter: CustomerFilter) -> str:
    """The filter panel's HTML. It holds the reference lists (industries, regions, departments,
    tags) and the owners this user may filter by, about 16 KB and 10 ms of CPU to build, and
    changes only with those (core.refcache) or with the filters chosen: cached per user,
    scope, language and query string. Filtering from the panel asks for the results alone."""
    user = request.user
    params = request.GET.copy()
    for name in ("page", "cursor"):
        params.pop(name, None)
    digest = hashlib.sha256(params.urlencode().encode()).hexdigest()
    rights = user_rights(user)
    key = ("customer-filter-panel", user.pk, rights.read_scope, user.department_id, digest)

    def build() -> str:
        form = prepare_filter_form(customer_filter.form, viewer=user)
        context = {
            "filter_form": form,
            "more_filter_fields": [form[name] for name in FILTER_MORE_FIELDS],
            "selected_statuses": request.GET.getlist("status"),
            "more_filters_open": any(request.GET.get(name) for name in FILTER_MORE_FIELDS),
        }
        return render_to_string("customers/_filter_panel.html", context, request=request)

    return mark_safe(refcache.cached(key, build, per_language=True))  # noqa: S308 (rendered here)


# --- create / edit ------------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def customer_create(request: HttpRequest) -> HttpResponse:
    if not can_create_customer(request.user):
        raise PermissionDenied
    form = CustomerForm(request.POST or None, user=request.user)
    duplicates = []
    if request.method == "POST" and form.is_valid():
        duplicates = probable_duplicates(viewer=request.user, **form.duplicate_check_input())
        if needs_confirmation(duplicates, form.confirmed_duplicate_codes()):
            # 撞单: warn before saving; the user may still save with one more click.
            form.ask_to_confirm([d.code for d in duplicates])
            return render(
                request,
                "customers/customer_form.html",
                {"form": form, "duplicates": duplicates, "duplicates_blocking": True},
            )
        try:
            customer = services.customer_create(
                by=request.user,
                data=form.customer_data(),
                decision_maker=form.decision_maker_data(),
                owner=form.cleaned_data["owner"],
                custom_fields=form.custom_field_data(),
            )
        except ValidationError as exc:
            form.map_service_errors(exc)
        else:
            messages.success(
                request,
                _("Customer %(name)s was created with code %(code)s.")
                % {"name": customer.name, "code": customer.code},
            )
            return redirect(_detail_url(customer))
    return render(request, "customers/customer_form.html", {"form": form, "duplicates": duplicates})


@login_required
@require_http_methods(["GET", "POST"])
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    customer = access_customer(request.user, pk, write=True)
    form = CustomerForm(request.POST or None, user=request.user, instance=customer)
    stale = False
    if request.method == "POST" and form.is_valid():
        saved, stale = save_through(
            form,
            lambda: services.customer_update(
                customer=customer,
                by=request.user,
                data=form.customer_data(),
                expected_version=form.cleaned_data.get("version"),
                decision_maker=form.decision_maker_data(),
                owner=form.cleaned_data["owner"],
                custom_fields=form.custom_field_data(),
            ),
        )
        if saved:
            messages.success(request, _("Your changes were saved."))
            return redirect(_detail_url(customer))
    return render(
        request,
        "customers/customer_form.html",
        {"form": form, "customer": customer, "stale": stale},
    )


# --- 360 page -----------------------------------------------------------------------------
def _render_detail(
    request: HttpRequest,
    customer: Customer,
    *,
    revealed: dict[int, str] | None = None,
    revealed_custom: dict[str, str] | None = None,
) -> HttpResponse:
    detail = selectors.customer_detail(customer=customer)
    revealed = revealed or {}
    for contact in detail.contacts:
        contact.revealed_mobile = revealed.get(contact.pk, "")
    manage_team = can_manage_team(request.user, customer)
    context = {
        "customer": customer,
        "detail": detail,
        "decision_maker": next((c for c in detail.contacts if c.is_decision_maker), None),
        "can_edit": can_edit_customer(request.user, customer),
        "can_unmask": can_unmask(request.user, customer),
        "can_delete": can_delete_customer(request.user, customer),
        "can_manage_team": manage_team,
        "team_form": TeamMemberForm(customer=customer) if manage_team else None,
        "revealed_custom": revealed_custom or {},
    }
    return render(request, "customers/customer_detail.html", context)


@login_required
@require_GET
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, access_customer(request.user, pk))


@login_required
@require_POST
def customer_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Into the recycle bin (restorable there); refused while opportunities or contracts
    still refer to the customer."""
    customer = access_customer(request.user, pk)
    try:
        services.customer_delete(customer=customer, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("customers:detail", customer.pk)
    messages.success(
        request,
        _("Customer %(name)s was moved to the recycle bin.") % {"name": customer.name},
    )
    return redirect("customers:list")


@login_required
@require_GET
def customer_history(request: HttpRequest, pk: int) -> HttpResponse:
    customer = access_customer(request.user, pk)
    context = {"customer": customer, "entries": selectors.customer_history(customer=customer)}
    template = "customers/_history.html" if _is_partial(request) else "customers/history.html"
    return _vary_on_htmx(render(request, template, context))


@login_required
@require_POST
def customer_unmask(request: HttpRequest, pk: int) -> HttpResponse:
    """Reveal a contact's mobile (or all of the customer's), or a sensitive custom value
    (field=custom.<key>); the service checks and logs."""
    customer = access_customer(request.user, pk)
    field = request.POST.get("field", "")
    if field.startswith(CUSTOM_PREFIX):
        key = field.removeprefix(CUSTOM_PREFIX)
        value = services.customer_unmask_custom(
            customer=customer, key=key, by=request.user, ip_address=client_ip(request)
        )
        if _is_partial(request):
            context = {"key": key, "value": value}
            return _vary_on_htmx(render(request, "customers/_custom_revealed.html", context))
        return _vary_on_htmx(_render_detail(request, customer, revealed_custom={key: value}))
    contact = None
    if request.POST.get("contact"):
        contact = _contact_of(request, customer, request.POST["contact"], write=False)
    revealed = services.customer_unmask(
        customer=customer, by=request.user, ip_address=client_ip(request), contact=contact
    )
    if _is_partial(request) and contact is not None:
        context = {"contact": contact, "mobile": revealed.get(contact.pk, "")}
        return _vary_on_htmx(render(request, "customers/_mobile_revealed.html", context))
    return _vary_on_htmx(_render_detail(request, customer, revealed=revealed))


# --- contacts -----------------------------------------------------------------------------
def _contact_of(request: HttpRequest, customer: Customer, contact_pk, *, write: bool) -> Contact:
    contact = access_contact(request.user, contact_pk, write=write)
    if contact.customer_id != customer.pk:
        raise Http404
    return contact


@login_required
@require_http_methods(["GET", "POST"])
def contact_create(request: HttpRequest, pk: int) -> HttpResponse:
    customer = access_customer(request.user, pk, write=True)
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            contact = services.contact_create(
                customer=customer, by=request.user, data=form.contact_data()
            )
        except ValidationError as exc:
            form.map_service_errors(exc)
        else:
            messages.success(request, _("Contact %(name)s was added.") % {"name": contact.name})
            return redirect(_detail_url(customer, "contacts"))
    return render(request, "customers/contact_form.html", {"form": form, "customer": customer})


@login_required
@require_http_methods(["GET", "POST"])
def contact_edit(request: HttpRequest, pk: int, contact_pk: int) -> HttpResponse:
    customer = access_customer(request.user, pk, write=True)
    contact = _contact_of(request, customer, contact_pk, write=True)
    form = ContactForm(request.POST or None, instance=contact)
    stale = False
    if request.method == "POST" and form.is_valid():
        saved, stale = save_through(
            form,
            lambda: services.contact_update(
                contact=contact,
                by=request.user,
                data=form.contact_data(),
                expected_version=form.cleaned_data.get("version"),
            ),
        )
        if saved:
            messages.success(request, _("Contact %(name)s was saved.") % {"name": contact.name})
            return redirect(_detail_url(customer, "contacts"))
    context = {"form": form, "customer": customer, "contact": contact, "stale": stale}
    return render(request, "customers/contact_form.html", context)


@login_required
@require_POST
def contact_delete(request: HttpRequest, pk: int, contact_pk: int) -> HttpResponse:
    customer = access_customer(request.user, pk, write=True)
    contact = _contact_of(request, customer, contact_pk, write=True)
    try:
        services.contact_delete(contact=contact, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Contact %(name)s was deleted.") % {"name": contact.name})
    return redirect(_detail_url(customer, "contacts"))


@login_required
@require_POST
def contact_make_decision_maker(request: HttpRequest, pk: int, contact_pk: int) -> HttpResponse:
    customer = access_customer(request.user, pk, write=True)
    contact = _contact_of(request, customer, contact_pk, write=True)
    try:
        services.contact_make_decision_maker(contact=contact, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("%(name)s is now the key decision maker.") % {"name": contact.name}
        )
    return redirect(_detail_url(customer, "contacts"))


# --- related team -------------------------------------------------------------------------
def _team_customer(request: HttpRequest, pk: int) -> Customer:
    customer = access_customer(request.user, pk)
    if not can_manage_team(request.user, customer):
        raise PermissionDenied
    return customer


@login_required
@require_POST
def team_add(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _team_customer(request, pk)
    form = TeamMemberForm(request.POST, customer=customer)
    if not form.is_valid():
        messages.error(request, " ".join(m for errs in form.errors.values() for m in errs))
        return redirect(_detail_url(customer, "team"))
    member = form.cleaned_data["user"]
    try:
        services.customer_share_set(
            customer=customer, user=member, access=form.cleaned_data["access"], by=request.user
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("%(name)s was added to the related team.") % {"name": member.display_name}
        )
    return redirect(_detail_url(customer, "team"))


@login_required
@require_POST
def team_remove(request: HttpRequest, pk: int, user_pk: int) -> HttpResponse:
    customer = _team_customer(request, pk)
    share = next(
        (s for s in selectors.customer_detail(customer=customer).team if s.user_id == user_pk),
        None,
    )
    if share is None:
        raise Http404
    services.customer_share_remove(customer=customer, user=share.user, by=request.user)
    messages.success(
        request,
        _("%(name)s was removed from the related team.") % {"name": share.user.display_name},
    )
    return redirect(_detail_url(customer, "team"))
