"""Public pool pages: the pool list with claim and assign, the claim and return history, the
owner's "return to pool", and the configuration pages of pools and assignment rules.
Rows come from core.access (404 when hidden or missing), rights from core.permissions, every
write is a service call; a refusal changes nothing and says which limit it hit."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kehu.core.access import (
    access_customer,
    access_pool,
    access_pool_entry,
    visible_pools,
)
from kehu.core.htmx import is_partial, vary_on_htmx
from kehu.core.permissions import (
    can_assign_from_pool,
    can_claim,
    can_manage_pool,
    can_return_to_pool,
)
from kehu.customers.forms import save_through
from kehu.pool import selectors
from kehu.pool.forms import (
    AssignForm,
    AssignmentRuleForm,
    PoolFilterForm,
    PoolForm,
    PoolRuleForm,
    ReturnForm,
)
from kehu.pool.models import Pool, PoolEventAction
from kehu.pool.services import assignment as assignment_services
from kehu.pool.services import pool as services


def _toast(response: HttpResponse, message: str, level: str = "success") -> HttpResponse:
    # json.dumps escapes non-ASCII, so Chinese messages survive an HTTP header.
    response["HX-Trigger"] = json.dumps({"kehu:toast": {"message": message, "level": level}})
    return response


def _refusal(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _row_context(request: HttpRequest, entry) -> dict:
    return {
        "entry": entry,
        "can_claim": can_claim(request.user, entry.pool),
        "can_assign": can_assign_from_pool(request.user, entry.pool),
    }


# --- the pool list --------------------------------------------------------------------------
@login_required
@require_GET
def pool_list(request: HttpRequest) -> HttpResponse:
    pools = visible_pools(request.user).order_by("name", "id")
    filter_form = PoolFilterForm(request.GET or None, pools=pools)
    entries = selectors.pool_entry_list(user=request.user, filters=filter_form.values())
    page = Paginator(entries, settings.KEHU_LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    pool_list_ = list(pools)
    claimable = {p.pk for p in pool_list_ if can_claim(request.user, p)}
    assignable = {p.pk for p in pool_list_ if can_assign_from_pool(request.user, p)}
    rows = [
        {"entry": e, "can_claim": e.pool_id in claimable, "can_assign": e.pool_id in assignable}
        for e in page.object_list
    ]
    context = {
        "filter_form": filter_form,
        "page_obj": page,
        "rows": rows,
        "pools": pool_list_,
        "manageable": [p for p in pool_list_ if can_manage_pool(request.user, p)],
        "can_configure": can_manage_pool(request.user),
    }
    template = "pool/_entry_table.html" if is_partial(request) else "pool/pool_list.html"
    return vary_on_htmx(render(request, template, context))


@login_required
@require_POST
def entry_claim(request: HttpRequest, pk: int) -> HttpResponse:
    entry = access_pool_entry(request.user, pk)
    duplicate = request.POST.get("context") == "duplicate"
    try:
        customer = services.pool_entry_claim(entry=entry, by=request.user)
    except ValidationError as exc:
        message = _refusal(exc)
        if not request.htmx:
            messages.error(request, message)
            return redirect("pool:list")
        if duplicate:
            return _toast(HttpResponse(""), message, "danger")
        response = render(request, "pool/_entry_row.html", _row_context(request, entry))
        return _toast(response, message, "danger")
    message = _("You now own %(name)s (%(code)s).") % {"name": customer.name, "code": customer.code}
    if not request.htmx:
        messages.success(request, message)
        return redirect("customers:detail", customer.pk)
    template = "pool/_claimed_link.html" if duplicate else "pool/_claimed_row.html"
    response = render(request, template, {"customer": customer, "entry": entry})
    return _toast(response, message)


@login_required
@require_http_methods(["GET", "POST"])
def entry_assign(request: HttpRequest, pk: int) -> HttpResponse:
    entry = access_pool_entry(request.user, pk)
    if not can_assign_from_pool(request.user, entry.pool):
        raise PermissionDenied
    form = AssignForm(request.POST or None, members=selectors.pool_members(entry.pool))
    if request.method == "POST" and form.is_valid():
        try:
            customer = services.pool_entry_assign(
                entry=entry,
                to=form.cleaned_data["to"],
                by=request.user,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            form.map_service_errors(exc)
        else:
            messages.success(
                request,
                _("%(name)s was assigned to %(user)s.")
                % {"name": customer.name, "user": customer.owner.display_name},
            )
            return redirect("pool:list")
    return render(request, "pool/entry_assign.html", {"entry": entry, "form": form})


# --- return to the pool ---------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def customer_return(request: HttpRequest, pk: int) -> HttpResponse:
    customer = access_customer(request.user, pk)
    if not can_return_to_pool(request.user, customer):
        raise PermissionDenied
    pool = services.pool_for_customer(customer)
    form = ReturnForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.customer_return_to_pool(
                customer=customer, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            form.map_service_errors(exc)
        else:
            messages.success(
                request, _("%(name)s went back to the public pool.") % {"name": customer.name}
            )
            return redirect("pool:list")
    return render(
        request, "pool/customer_return.html", {"customer": customer, "pool": pool, "form": form}
    )


# --- history --------------------------------------------------------------------------------
@login_required
@require_GET
def history(request: HttpRequest) -> HttpResponse:
    action = request.GET.get("action", "")
    if action not in PoolEventAction.values:
        action = ""
    events = selectors.pool_event_list(user=request.user, action=action)
    page = Paginator(events, settings.KEHU_LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page_obj": page,
        "events": page.object_list,
        "actions": PoolEventAction.choices,
        "action": action,
    }
    return render(request, "pool/history.html", context)


# --- configuration --------------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def pool_create(request: HttpRequest) -> HttpResponse:
    if not can_manage_pool(request.user):
        raise PermissionDenied
    form = PoolForm(request.POST or None, initial={"is_open": True, "is_active": True})
    if request.method == "POST" and form.is_valid():
        try:
            pool = services.pool_create(
                by=request.user,
                data=form.pool_data(),
                departments=form.cleaned_data["departments"],
                members=form.cleaned_data["members"],
                administrators=form.cleaned_data["administrators"],
            )
        except ValidationError as exc:
            form.map_service_errors(exc)
        else:
            messages.success(request, _("Pool %(name)s was created.") % {"name": pool.name})
            return redirect("pool:edit", pool.pk)
    return render(request, "pool/pool_form.html", {"form": form, "pool": None})


def _manageable_pool(request: HttpRequest, pk: int) -> Pool:
    pool = access_pool(request.user, pk)
    if not can_manage_pool(request.user, pool):
        raise PermissionDenied
    return pool


@login_required
@require_http_methods(["GET", "POST"])
def pool_edit(request: HttpRequest, pk: int) -> HttpResponse:
    pool = _manageable_pool(request, pk)
    form = PoolForm(request.POST or None, instance=pool)
    stale = False
    if request.method == "POST" and form.is_valid():
        saved, stale = save_through(
            form,
            lambda: services.pool_update(
                pool=pool,
                by=request.user,
                data=form.pool_data(),
                expected_version=form.cleaned_data.get("version"),
                departments=form.cleaned_data["departments"],
                members=form.cleaned_data["members"],
                administrators=form.cleaned_data["administrators"],
            ),
        )
        if saved:
            messages.success(request, _("Pool %(name)s was saved.") % {"name": pool.name})
            return redirect("pool:edit", pool.pk)
    context = {
        "form": form,
        "pool": pool,
        "stale": stale,
        "rules": selectors.pool_rules(pool),
        "rule_form": PoolRuleForm(),
    }
    return render(request, "pool/pool_form.html", context)


@login_required
@require_POST
def pool_rule_save(request: HttpRequest, pk: int) -> HttpResponse:
    pool = _manageable_pool(request, pk)
    form = PoolRuleForm(request.POST)
    if form.is_valid():
        data = dict(form.cleaned_data)
        status = data.pop("status")
        try:
            services.pool_rule_set(pool=pool, by=request.user, status=status, data=data)
        except ValidationError as exc:
            form.map_service_errors(exc)
        else:
            messages.success(request, _("The rule was saved."))
            return redirect("pool:edit", pool.pk)
    context = {
        "form": PoolForm(instance=pool),
        "pool": pool,
        "rules": selectors.pool_rules(pool),
        "rule_form": form,
    }
    return render(request, "pool/pool_form.html", context, status=400)


@login_required
@require_POST
def pool_rule_delete(request: HttpRequest, pk: int, rule_pk: int) -> HttpResponse:
    pool = _manageable_pool(request, pk)
    rule = selectors.pool_rule_get(pool, rule_pk)
    services.pool_rule_delete(rule=rule, by=request.user)
    messages.success(request, _("The rule was deleted."))
    return redirect("pool:edit", pool.pk)


def _require_configuration(request: HttpRequest) -> None:
    if not can_manage_pool(request.user):
        raise PermissionDenied


@login_required
@require_GET
def assignment_rule_list(request: HttpRequest) -> HttpResponse:
    _require_configuration(request)
    return render(
        request, "pool/assignment_rules.html", {"rules": selectors.assignment_rule_list()}
    )


@login_required
@require_http_methods(["GET", "POST"])
def assignment_rule_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _require_configuration(request)
    rule = selectors.assignment_rule_get(pk) if pk is not None else None
    form = AssignmentRuleForm(request.POST or None, instance=rule)
    stale = False
    if request.method == "POST" and form.is_valid():
        saved, stale = save_through(
            form,
            lambda: assignment_services.assignment_rule_save(
                by=request.user,
                data=form.rule_data(),
                rule=rule,
                members=form.cleaned_data["members"],
                regions=form.cleaned_data["regions"],
                industries=form.cleaned_data["industries"],
                expected_version=form.cleaned_data.get("version"),
            ),
        )
        if saved:
            messages.success(request, _("The assignment rule was saved."))
            return redirect("pool:assignment-rules")
    return render(
        request, "pool/assignment_rule_form.html", {"form": form, "rule": rule, "stale": stale}
    )


@login_required
@require_POST
def assignment_rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require_configuration(request)
    rule = selectors.assignment_rule_get(pk)
    assignment_services.assignment_rule_delete(rule=rule, by=request.user)
    messages.success(request, _("The assignment rule was deleted."))
    return redirect(reverse("pool:assignment-rules"))
