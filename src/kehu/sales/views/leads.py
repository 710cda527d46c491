"""Lead pages: list, capture, detail, edit, status, conversion. Records come from core.access
(404 when hidden or missing, 403 when read-only); every write is a service call."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kehu.core.access import access_lead, visible_customers
from kehu.core.api import client_ip
from kehu.core.htmx import is_partial, vary_on_htmx
from kehu.core.permissions import can_change_lead, can_create_lead, can_unmask_lead
from kehu.customers.forms import save_through
from kehu.sales import selectors
from kehu.sales.forms import ConvertLeadForm, LeadFilterForm, LeadForm, LeadStatusForm
from kehu.sales.services import leads as services


@login_required
@require_GET
def lead_list(request: HttpRequest) -> HttpResponse:
    filter_form = LeadFilterForm(request.GET or None)
    leads = filter_form.filter(selectors.lead_list(user=request.user))
    page = Paginator(leads, settings.KEHU_LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"filter_form": filter_form, "page_obj": page, "leads": page.object_list}
    return render(request, "sales/lead_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def lead_create(request: HttpRequest) -> HttpResponse:
    if not can_create_lead(request.user):
        raise PermissionDenied
    form = LeadForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            lead = services.lead_create(
                by=request.user, data=form.lead_data(), owner=form.cleaned_data["owner"]
            )
        except ValidationError as exc:
            form.map_service_errors(exc)
        else:
            if lead.owner_id != request.user.pk:
                messages.success(
                    request,
                    _("Lead %(name)s was created and assigned to %(owner)s.")
                    % {"name": lead.name, "owner": lead.owner.display_name},
                )
            else:
                messages.success(request, _("Lead %(name)s was created.") % {"name": lead.name})
            if not selectors.lead_list(user=request.user).filter(pk=lead.pk).exists():
                # Assigned by the rules to someone outside the creator's data scope.
                return redirect("sales:lead-list")
            return redirect("sales:lead-detail", lead.pk)
    return render(request, "sales/lead_form.html", {"form": form})


@login_required
@require_GET
def lead_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, access_lead(request.user, pk))


def _render_detail(request: HttpRequest, lead, *, revealed: str | None = None) -> HttpResponse:
    context = {
        "lead": lead,
        "can_change": can_change_lead(request.user, lead),
        "can_unmask": can_unmask_lead(request.user, lead),
        "revealed_mobile": revealed,
        "status_form": LeadStatusForm(initial={"status": lead.status}),
        "history": selectors.lead_history(lead=lead),
    }
    return render(request, "sales/lead_detail.html", context)


@login_required
@require_POST
def lead_unmask(request: HttpRequest, pk: int) -> HttpResponse:
    """Reveal the lead's mobile number (masked on every page); the service checks and logs."""
    lead = access_lead(request.user, pk)
    mobile = services.lead_unmask(lead=lead, by=request.user, ip_address=client_ip(request))
    if is_partial(request):
        context = {"lead": lead, "mobile": mobile}
        return vary_on_htmx(render(request, "sales/_lead_mobile_revealed.html", context))
    return vary_on_htmx(_render_detail(request, lead, revealed=mobile))


@login_required
@require_http_methods(["GET", "POST"])
def lead_edit(request: HttpRequest, pk: int) -> HttpResponse:
    lead = access_lead(request.user, pk, write=True)
    form = LeadForm(request.POST or None, user=request.user, instance=lead)
    stale = False
    if request.method == "POST" and form.is_valid():
        saved, stale = save_through(
            form,
            lambda: services.lead_update(
                lead=lead,
                by=request.user,
                data=form.lead_data(),
                expected_version=form.cleaned_data.get("version"),
                owner=form.cleaned_data["owner"],
            ),
        )
        if saved:
            messages.success(request, _("Your changes were saved."))
            return redirect("sales:lead-detail", lead.pk)
    return render(request, "sales/lead_form.html", {"form": form, "lead": lead, "stale": stale})


@login_required
@require_POST
def lead_status(request: HttpRequest, pk: int) -> HttpResponse:
    lead = access_lead(request.user, pk, write=True)
    form = LeadStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(m for errs in form.errors.values() for m in errs))
    else:
        try:
            services.lead_change_status(
                lead=lead,
                by=request.user,
                to=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The lead's status was changed."))
    return redirect("sales:lead-detail", lead.pk)


@login_required
@require_POST
def lead_delete(request: HttpRequest, pk: int) -> HttpResponse:
    lead = access_lead(request.user, pk, write=True)
    try:
        services.lead_delete(lead=lead, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("sales:lead-detail", lead.pk)
    messages.success(request, _("Lead %(name)s was deleted.") % {"name": lead.name})
    return redirect("sales:lead-list")


def _linked_customer(request: HttpRequest, form: ConvertLeadForm):
    code = (form.cleaned_data.get("customer_code") or "").strip().upper()
    customer = visible_customers(request.user).filter(code=code).first()
    if customer is None:
        form.add_error(
            "customer_code", _("No customer you may see has the code %(code)s.") % {"code": code}
        )
    return customer


@login_required
@require_http_methods(["GET", "POST"])
def lead_convert(request: HttpRequest, pk: int) -> HttpResponse:
    lead = access_lead(request.user, pk, write=True)
    if not lead.is_open:
        raise Http404
    form = ConvertLeadForm(request.POST or None, lead=lead)
    context = {"form": form, "lead": lead, "duplicates": []}
    if request.method == "POST" and form.is_valid():
        link = form.cleaned_data["mode"] == ConvertLeadForm.LINK
        customer = _linked_customer(request, form) if link else None
        if not link or customer is not None:
            try:
                result = services.lead_convert(
                    lead=lead,
                    by=request.user,
                    customer=customer,
                    customer_data=None if link else form.customer_data(),
                    confirmed_duplicates=form.confirmed_duplicate_codes(),
                    opportunity=form.opportunity_data(),
                )
            except services.DuplicatesNeedConfirmation as exc:
                form.ask_to_confirm([d.code for d in exc.duplicates])
                context.update(duplicates=exc.duplicates, duplicates_blocking=True)
            except PermissionDenied:
                form.add_error("customer_code", _("You may not add contacts to this customer."))
            except ValidationError as exc:
                form.map_service_errors(exc)
            else:
                messages.success(
                    request,
                    _("The lead was converted into customer %(name)s (%(code)s).")
                    % {"name": result.customer.name, "code": result.customer.code},
                )
                return redirect(reverse("customers:detail", args=[result.customer.pk]))
    return render(request, "sales/lead_convert.html", context)
