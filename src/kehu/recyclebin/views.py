"""The recycle bin page: what the user deleted or could see before it was deleted; restore and
purge are service calls (rights in core.permissions)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kehu.core.access import access_deleted_record
from kehu.core.permissions import can_purge_deleted, restorable_deleted_ids
from kehu.recyclebin import selectors, services
from kehu.recyclebin.models import model_of


@login_required
@require_GET
def deleted_list(request: HttpRequest) -> HttpResponse:
    types = selectors.deleted_record_types(user=request.user)
    model = request.GET.get("model", "")
    if model not in types:
        model = ""
    items = selectors.deleted_record_list(user=request.user, model=model)
    page = Paginator(items, settings.KEHU_LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    restorable = restorable_deleted_ids(request.user, page.object_list)
    rows = [{"item": item, "can_restore": item.pk in restorable} for item in page.object_list]
    choices = [
        (label, model._meta.verbose_name_plural)
        for label in types
        if (model := model_of(label)) is not None
    ]
    context = {
        "page_obj": page,
        "rows": rows,
        "model": model,
        "model_choices": choices,
        "can_purge": can_purge_deleted(request.user),
        "retention_days": services.retention_days(),
    }
    return render(request, "recyclebin/list.html", context)


@login_required
@require_POST
def deleted_restore(request: HttpRequest, pk: int) -> HttpResponse:
    item = access_deleted_record(request.user, pk)
    try:
        services.recyclebin_restore(item=item, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(record)s was restored.") % {"record": item.label})
    return redirect("recyclebin:list")


@login_required
@require_POST
def deleted_purge(request: HttpRequest, pk: int) -> HttpResponse:
    item = access_deleted_record(request.user, pk)
    services.recyclebin_purge(item=item, by=request.user)
    messages.success(request, _("%(record)s was deleted for good.") % {"record": item.label})
    return redirect("recyclebin:list")
