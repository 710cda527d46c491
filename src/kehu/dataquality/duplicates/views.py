"""Duplicate pages: groups found by the scan, "not duplicates", merge side by side, the merge
history with undo, and old codes that lead to the customer they were merged into."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kehu.core.access import access_customer
from kehu.core.permissions import can_review_data
from kehu.dataquality.duplicates import selectors, services
from kehu.dataquality.duplicates.forms import GroupFilterForm, MergeForm, field_input

PAGE_SIZE = 20
MAX_MERGE = 50  # records on one merge page (a group is at most one blocking block)


@login_required
@require_GET
def duplicate_list(request: HttpRequest) -> HttpResponse:
    """Groups whose members the viewer may all see, best first, filtered by score."""
    user = request.user
    form = GroupFilterForm(request.GET or None)
    min_score = form.cleaned_data.get("min_score") if form.is_valid() else None
    page = Paginator(
        selectors.duplicate_group_list(viewer=user, min_score=min_score), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    codes = {m.customer_id: m.customer.code for g in page for m in g.members.all()}
    groups = [(g, selectors.rendered_pairs(group=g, codes=codes)) for g in page]
    context = {
        "form": form,
        "page_obj": page,
        "groups": groups,
        "scan": selectors.latest_scan(),
        "can_scan": can_review_data(user),
        "by_user": selectors.duplicate_counts_by_user(viewer=user),
    }
    return render(request, "dataquality/duplicates/group_list.html", context)


@login_required
@require_POST
def duplicate_scan(request: HttpRequest) -> HttpResponse:
    """Start a whole-table scan (data steward or administrator): it runs in the background."""
    if not can_review_data(request.user):
        raise PermissionDenied
    services.duplicate_scan_request(by=request.user)
    messages.success(request, _("The duplicate scan was started; refresh in a minute."))
    return redirect("dataquality:duplicate-list")


def _editable_group_records(request: HttpRequest, pk: int):
    group = selectors.access_duplicate_group(request.user, pk)
    records = [
        access_customer(request.user, c.pk, write=True)
        for c in selectors.group_records(group=group)
    ]
    return group, records


@login_required
@require_POST
def duplicate_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Not duplicates": needs edit rights on every member (it changes what others are told)."""
    group, _records = _editable_group_records(request, pk)
    services.duplicate_group_dismiss(group=group, by=request.user)
    messages.success(request, _("Marked as not duplicates; they will not be suggested again."))
    return redirect("dataquality:duplicate-list")


def _merge_records(request: HttpRequest) -> list:
    raw = request.GET.get("ids") or request.POST.get("ids") or ""
    ids = sorted({int(p) for p in raw.split(",") if p.strip().isdigit()})
    if len(ids) < 2 or len(ids) > MAX_MERGE:
        raise Http404
    # Hidden → 404, visible but read-only → 403: the merge needs edit rights on every record.
    return [access_customer(request.user, pk, write=True) for pk in ids]


@login_required
@require_http_methods(["GET", "POST"])
def duplicate_merge(request: HttpRequest) -> HttpResponse:
    """Side by side: one column per record, one row per field, a radio button per cell."""
    records = _merge_records(request)
    table = selectors.merge_table(records=records)
    form = MergeForm(request.POST or None, table=table)
    if request.method == "POST" and form.is_valid():
        keep_id = form.cleaned_data["keep"]
        keep = next(c for c in records if c.pk == keep_id)
        try:
            merge = services.customer_merge(
                keep=keep,
                drop=[c for c in records if c.pk != keep_id],
                choices=form.choices(),
                by=request.user,
                expected_versions=form.versions(),
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(
                request,
                _("Merged %(codes)s into %(code)s. You can undo this from the merge history.")
                % {"codes": ", ".join(merge.dropped_codes), "code": merge.keep_code},
            )
            return redirect("customers:detail", merge.keep_id)
    cells = [
        (row, [(pk, value, field_input(row.name)) for pk, value in row.values])
        for row in table.rows
    ]
    context = {
        "form": form,
        "table": table,
        "cells": cells,
        "ids": ",".join(str(c.pk) for c in records),
        "chosen": {
            name: str(form[name].value()) for name in form.fields if not name.startswith("version")
        },
    }
    return render(request, "dataquality/duplicates/merge.html", context)


@login_required
@require_GET
def merge_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.merge_history(viewer=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "dataquality/duplicates/merge_list.html", {"page_obj": page})


@login_required
@require_GET
def merge_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A merge with the history of the records it merged away (they no longer exist)."""
    merge = selectors.access_merge(request.user, pk)
    context = {"merge": merge, "records": selectors.dropped_history(merge=merge)}
    return render(request, "dataquality/duplicates/merge_detail.html", context)


@login_required
@require_POST
def merge_undo(request: HttpRequest, pk: int) -> HttpResponse:
    merge = selectors.access_merge(request.user, pk)
    access_customer(request.user, merge.keep_id, write=True)
    try:
        services.customer_merge_undo(merge=merge, by=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("dataquality:duplicate-merge-detail", merge.pk)
    messages.success(
        request,
        _("Merge undone: %(codes)s are separate customers again.")
        % {"codes": ", ".join(merge.dropped_codes)},
    )
    return redirect("dataquality:duplicate-merges")


@login_required
@require_GET
def code_redirect(request: HttpRequest, code: str) -> HttpResponse:
    """A customer code, current or merged away, leads to the customer page (within scope)."""
    customer = selectors.customer_by_code(viewer=request.user, code=code)
    return redirect(reverse("customers:detail", args=[customer.pk]))
