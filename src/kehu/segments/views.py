"""Segment pages: the list, the condition builder (HTMX rows and a live count), the target
list with export and bulk assignment. Segments come from core.access; every write is a
segments.services call; customers always come from the viewer's own scope."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kehu.core.access import access_segment
from kehu.core.api import client_ip
from kehu.core.htmx import is_partial, vary_on_htmx
from kehu.core.permissions import can_assign_customers, can_change_segment, can_export
from kehu.customers.filters import CustomerFilter
from kehu.customers.forms import save_through
from kehu.dataquality.export import customers_export
from kehu.dataquality.models import ExportFormat
from kehu.dataquality.views import download_response
from kehu.segments import selectors, services
from kehu.segments.conditions import check_definition, describe_definition
from kehu.segments.fields import field_catalogue
from kehu.segments.forms import (
    AssignForm,
    BuilderRow,
    SegmentForm,
    definition_from_rows,
    new_token,
    row_context,
    rows_from_data,
    rows_from_definition,
    rows_from_list_filters,
)
from kehu.segments.models import Segment


@login_required
@require_GET
def segment_list(request: HttpRequest) -> HttpResponse:
    segments = list(selectors.segment_list(user=request.user))
    context = {
        "own": [s for s in segments if s.owner_id == request.user.pk],
        "shared": [s for s in segments if s.owner_id != request.user.pk],
    }
    return render(request, "segments/segment_list.html", context)


# --- builder --------------------------------------------------------------------------------
def _groups(rows: list[BuilderRow], catalogue) -> list[dict]:
    """Rows grouped for the template, each with its widget context."""
    groups: dict[str, list[dict]] = {}
    for row in rows:
        groups.setdefault(row.group, []).append(row_context(row, catalogue))
    return [{"token": token, "rows": items} for token, items in groups.items()]


def _builder(
    request: HttpRequest,
    *,
    form: SegmentForm,
    rows: list[BuilderRow],
    catalogue,
    segment: Segment | None = None,
    stale: bool = False,
    note: str = "",
) -> HttpResponse:
    if not rows:
        rows = [BuilderRow(token=new_token(), group=new_token())]
    context = {
        "form": form,
        "segment": segment,
        "groups": _groups(rows, catalogue),
        "stale": stale,
        "note": note,
    }
    return render(request, "segments/segment_form.html", context)


def _definition(request: HttpRequest, catalogue) -> tuple[list[BuilderRow], dict]:
    rows = rows_from_data(request.POST)
    return rows, definition_from_rows(rows, catalogue)


@login_required
@require_http_methods(["GET", "POST"])
def segment_create(request: HttpRequest) -> HttpResponse:
    catalogue = field_catalogue()
    form = SegmentForm(request.POST or None, user=request.user)
    if request.method == "POST":
        rows, definition = _definition(request, catalogue)
        if form.is_valid():
            try:
                segment = services.segment_create(
                    by=request.user,
                    name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"],
                    definition=definition,
                    shared_departments=list(form.cleaned_data["shared_departments"]),
                    shared_users=list(form.cleaned_data["shared_users"]),
                )
            except ValidationError as exc:
                form.map_service_errors(exc)
            else:
                messages.success(request, _("Segment %(name)s was saved.") % {"name": segment.name})
                return redirect("segments:detail", segment.pk)
        return _builder(request, form=form, rows=rows, catalogue=catalogue)
    # "Save as segment" from the customer list: its filters become the first conditions.
    rows, searched = rows_from_list_filters(request.GET)
    note = (
        _("The search term of the customer list is not a condition and was left out.")
        if searched
        else ""
    )
    return _builder(request, form=form, rows=rows, catalogue=catalogue, note=note)


@login_required
@require_http_methods(["GET", "POST"])
def segment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    segment = access_segment(request.user, pk, write=True)
    catalogue = field_catalogue()
    form = SegmentForm(request.POST or None, user=request.user, instance=segment)
    if request.method == "GET":
        rows = rows_from_definition(segment.definition)
        return _builder(request, form=form, rows=rows, catalogue=catalogue, segment=segment)
    rows, definition = _definition(request, catalogue)
    stale = False
    if form.is_valid():
        saved, stale = save_through(
            form,
            lambda: services.segment_update(
                segment=segment,
                by=request.user,
                data={
                    "name": form.cleaned_data["name"],
                    "description": form.cleaned_data["description"],
                    "definition": definition,
                },
                expected_version=form.cleaned_data.get("version"),
                shared_departments=list(form.cleaned_data["shared_departments"]),
                shared_users=list(form.cleaned_data["shared_users"]),
            ),
        )
        if saved:
            messages.success(request, _("Your changes were saved."))
            return redirect("segments:detail", segment.pk)
    return _builder(
        request, form=form, rows=rows, catalogue=catalogue, segment=segment, stale=stale
    )


@login_required
@require_GET
def builder_row(request: HttpRequest) -> HttpResponse:
    """One condition row (a new one, or the same row redrawn for the field just chosen); with
    ``block=group`` a new OR group holding one row."""
    catalogue = field_catalogue()
    rows = rows_from_data(request.GET)
    if rows:
        row = rows[0]
        if request.GET.get(f"c-{row.token}-was", row.field) != row.field:
            row.op, row.values = "", []  # another field: its operators and values start afresh
    else:
        group = request.GET.get("group", "")
        row = BuilderRow(token=new_token(), group=group if group.isalnum() else new_token())
    context = row_context(row, catalogue)
    if request.GET.get("block") == "group":
        context = {"group": {"token": row.group, "rows": [context]}, "removable": True}
        return render(request, "segments/_condition_group.html", context)
    return render(request, "segments/_condition_row.html", context)


@login_required
@require_POST
def builder_count(request: HttpRequest) -> HttpResponse:
    """The live count under the builder: customers matching in the viewer's scope, or what is
    wrong with the conditions so far."""
    catalogue = field_catalogue()
    _rows, definition = _definition(request, catalogue)
    context: dict = {}
    try:
        cleaned = check_definition(definition, catalogue=catalogue)
    except ValidationError as exc:
        context["errors"] = exc.messages
    else:
        context["count"] = selectors.segment_count(user=request.user, definition=cleaned)
    return render(request, "segments/_count.html", context)


# --- target list ----------------------------------------------------------------------------
@login_required
@require_GET
def segment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The target list: the segment's customers in the viewer's scope, with the customer
    list's columns, sorting and paging."""
    segment = access_segment(request.user, pk)
    catalogue = field_catalogue()
    customers = CustomerFilter(
        data=request.GET,
        queryset=selectors.segment_customers(
            user=request.user, definition=segment.definition, catalogue=catalogue
        ),
        user=request.user,
    ).qs
    paginator = Paginator(customers, settings.KEHU_LIST_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "segment": segment,
        "page_obj": page,
        "customers": page.object_list,
        "total": paginator.count,
        "filtered": True,
    }
    if is_partial(request):
        return vary_on_htmx(render(request, "customers/_customer_results.html", context))
    context.update(
        conditions=describe_definition(segment.definition, catalogue=catalogue),
        can_change=can_change_segment(request.user, segment),
        can_assign=can_assign_customers(request.user),
        can_export=can_export(request.user),
        shared_departments=list(segment.shared_departments.all()),
        shared_users=list(segment.shared_users.all()),
    )
    return vary_on_htmx(render(request, "segments/segment_detail.html", context))


@login_required
@require_GET
def segment_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The target list as a file, through the customer export (masking, formula
    neutralising and the export log are the same as for the customer list)."""
    segment = access_segment(request.user, pk)
    if fmt not in ExportFormat.values:
        raise Http404
    if not can_export(request.user):
        raise PermissionDenied
    params = QueryDict(mutable=True)
    params["segment"] = str(segment.pk)
    if request.GET.get("unmasked"):
        params["unmasked"] = request.GET["unmasked"]
    content, filename, _count = customers_export(
        user=request.user,
        params=params,
        file_format=fmt,
        ip_address=client_ip(request),
        customers=selectors.segment_customers(user=request.user, definition=segment.definition),
    )
    return download_response(content, filename, fmt)


@login_required
@require_http_methods(["GET", "POST"])
def segment_assign(request: HttpRequest, pk: int) -> HttpResponse:
    """Bulk assignment of the target list: a summary and a confirmation first, then the
    result (moved, already owned, left alone because read-only)."""
    segment = access_segment(request.user, pk)
    if not can_assign_customers(request.user):
        raise PermissionDenied
    form = AssignForm(request.POST or None, by=request.user)
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            result = services.segment_assign(
                segment=segment, to_user=form.cleaned_data["to_user"], by=request.user
            )
        except ValidationError as exc:
            for key, errors in exc.message_dict.items():
                form.add_error(key if key in form.fields else None, errors)
        else:
            messages.success(
                request,
                _("%(n)d customers now belong to %(user)s.")
                % {"n": result.to_move, "user": form.cleaned_data["to_user"].display_name},
            )
    to_user = form.cleaned_data.get("to_user") if form.is_bound and form.is_valid() else None
    plan = result or services.segment_assign_plan(segment=segment, by=request.user, to_user=to_user)
    context = {"segment": segment, "form": form, "plan": plan, "done": result is not None}
    return render(request, "segments/segment_assign.html", context)


@login_required
@require_POST
def segment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    segment = access_segment(request.user, pk, write=True)
    name = segment.name
    services.segment_delete(segment=segment, by=request.user)
    messages.success(request, _("Segment %(name)s was deleted.") % {"name": name})
    return redirect("segments:list")
