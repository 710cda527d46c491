"""Tag pages: the library with requests and their review, a customer's tags (card on the 360
page) and its computed classification.

Customers come from core.access (404 when hidden or missing, 403 when visible but read-only);
every write is a tags.services call, which refuses unapproved and conflicting tags.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kehu.core.access import access_customer
from kehu.core.htmx import is_partial, vary_on_htmx
from kehu.core.permissions import can_review_tags, can_tag_customer
from kehu.customers.models import Customer
from kehu.tags import selectors, services
from kehu.tags.classification import explain
from kehu.tags.forms import CustomerTagForm, TagDecisionForm, TagRequestForm, tags_by_type
from kehu.tags.models import Tag


# --- the library ----------------------------------------------------------------------------
def _render_library(
    request: HttpRequest,
    *,
    request_form: TagRequestForm | None = None,
    review_error: dict | None = None,
) -> HttpResponse:
    reviewer = can_review_tags(request.user)
    queue = list(selectors.tag_requests_pending().order_by("created_at", "id")) if reviewer else []
    if review_error:
        review_error["in_queue"] = any(tag.pk == review_error["pk"] for tag in queue)
    context = {
        "groups": tags_by_type(selectors.tag_library()),
        "request_form": request_form or TagRequestForm(),
        "my_requests": selectors.tag_requests_of(user=request.user).order_by("-created_at", "-id"),
        "is_reviewer": reviewer,
        "queue": queue,
        "review_error": review_error,
    }
    template = "tags/_library_content.html" if is_partial(request) else "tags/library.html"
    return vary_on_htmx(render(request, template, context))


@login_required
@require_GET
def library(request: HttpRequest) -> HttpResponse:
    return _render_library(request)


@login_required
@require_POST
def tag_request_create(request: HttpRequest) -> HttpResponse:
    form = TagRequestForm(request.POST)
    if form.is_valid():
        try:
            tag = services.tag_request(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.map_service_errors(exc)
        else:
            messages.success(
                request,
                _("Your request for the tag “%(tag)s” was sent to the data steward.")
                % {"tag": tag.label},
            )
            if not is_partial(request):
                return redirect(reverse("tags:library") + "#my-requests")
            return _render_library(request)
    return _render_library(request, request_form=form)


def _pending_request(request: HttpRequest, pk: int) -> Tag:
    """A request the user may see: reviewers every one, anyone else only their own."""
    tag = selectors.tag_requests_visible(user=request.user).filter(pk=pk).first()
    if tag is None:
        raise Http404
    return tag


def _review(request: HttpRequest, pk: int, *, approve: bool) -> HttpResponse:
    tag = _pending_request(request, pk)
    form = TagDecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        if approve:
            tag = services.tag_approve(tag=tag, by=request.user, note=note)
        else:
            tag = services.tag_reject(tag=tag, by=request.user, reason=note)
    except ValidationError as exc:
        if not is_partial(request):
            messages.error(request, " ".join(exc.messages))
            return redirect(reverse("tags:library") + "#review")
        error = {"pk": tag.pk, "messages": exc.messages, "note": note}
        return _render_library(request, review_error=error)
    if approve:
        messages.success(request, _("“%(tag)s” is now in the library.") % {"tag": tag.label})
    else:
        messages.success(request, _("The request for “%(tag)s” was rejected.") % {"tag": tag.label})
    if not is_partial(request):
        return redirect(reverse("tags:library") + "#review")
    return _render_library(request)


@login_required
@require_POST
def tag_request_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _review(request, pk, approve=True)


@login_required
@require_POST
def tag_request_reject(request: HttpRequest, pk: int) -> HttpResponse:
    return _review(request, pk, approve=False)


# --- a customer's tags ------------------------------------------------------------------------
def _render_customer_tags(
    request: HttpRequest, customer: Customer, *, form: CustomerTagForm | None = None
) -> HttpResponse:
    customer_tags = list(selectors.customer_tags(user=request.user, customer=customer))
    can_tag = can_tag_customer(request.user, customer)
    if can_tag and form is None:
        form = CustomerTagForm(present={ct.tag_id for ct in customer_tags})
    groups = tags_by_type(customer_tags, type_of=lambda ct: ct.tag.tag_type)
    context = {
        "customer": customer,
        "groups": groups,
        "count": len(customer_tags),
        "can_tag": can_tag,
        "form": form if can_tag else None,
    }
    template = "tags/_customer_tags_card.html" if is_partial(request) else "tags/customer_tags.html"
    return vary_on_htmx(render(request, template, context))


@login_required
@require_http_methods(["GET", "POST"])
def customer_tags(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method == "GET":
        return _render_customer_tags(request, access_customer(request.user, pk))
    customer = access_customer(request.user, pk, write=True)
    present = set(
        selectors.customer_tags(user=request.user, customer=customer).values_list(
            "tag_id", flat=True
        )
    )
    form = CustomerTagForm(request.POST, present=present)
    if form.is_valid():
        try:
            added = services.customer_tag_add(
                customer=customer,
                tag=form.cleaned_data["tag"],
                by=request.user,
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            form.map_service_errors(exc)
        else:
            messages.success(request, _("Tag “%(tag)s” added.") % {"tag": added.tag.label})
            if not is_partial(request):
                return redirect(reverse("customers:detail", args=[customer.pk]) + "#tags")
            return _render_customer_tags(request, customer)
    return _render_customer_tags(request, customer, form=form)


@login_required
@require_POST
def customer_tag_remove(request: HttpRequest, pk: int, tag_pk: int) -> HttpResponse:
    customer = access_customer(request.user, pk, write=True)
    customer_tag = (
        selectors.customer_tags(user=request.user, customer=customer).filter(tag_id=tag_pk).first()
    )
    if customer_tag is None:
        raise Http404
    services.customer_tag_remove(customer_tag=customer_tag, by=request.user)
    messages.success(request, _("Tag “%(tag)s” removed.") % {"tag": customer_tag.tag.label})
    if not is_partial(request):
        return redirect(reverse("customers:detail", args=[customer.pk]) + "#tags")
    return _render_customer_tags(request, customer)


# --- classification ---------------------------------------------------------------------------
@login_required
@require_GET
def customer_classification(request: HttpRequest, pk: int) -> HttpResponse:
    customer = access_customer(request.user, pk)
    classification = selectors.customer_classification(customer=customer)
    context = {
        "customer": customer,
        "classification": classification,
        "reasons": explain(classification) if classification else [],
    }
    template = (
        "tags/_customer_classification_card.html"
        if is_partial(request)
        else "tags/customer_classification.html"
    )
    return vary_on_htmx(render(request, template, context))
