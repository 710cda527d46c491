"""Import pages: upload, column mapping, the job page (live progress), history, template and
error-file downloads, rollback. Jobs come only through selectors.access_import_job (404 for
another user's job)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kehu.core.htmx import is_partial
from kehu.core.permissions import can_import
from kehu.dataquality.imports.forms import MappingForm, UploadForm
from kehu.dataquality.imports.mapping import targets
from kehu.dataquality.imports.models import ImportStatus
from kehu.dataquality.imports.reading import ImportFileError
from kehu.dataquality.imports.selectors import (
    access_import_job,
    import_job_error_file,
    import_job_errors,
    import_jobs_visible_to,
)
from kehu.dataquality.imports.services import (
    import_job_create,
    import_job_rollback,
    import_job_set_mapping,
    import_job_start,
)
from kehu.dataquality.imports.template import template_workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ERRORS_SHOWN = 200
HISTORY_PAGE_SIZE = 25


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "no-store"
    return response


def _require_import(request: HttpRequest) -> None:
    if not can_import(request.user):
        raise PermissionDenied


@login_required
@require_http_methods(["GET", "POST"])
def import_start(request: HttpRequest) -> HttpResponse:
    """Step 1: choose the file and the mode."""
    _require_import(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = import_job_create(
                by=request.user, file=upload, filename=upload.name, mode=form.cleaned_data["mode"]
            )
        except ImportFileError as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("dataquality:import-mapping", job.pk)
    return render(request, "dataquality/imports/start.html", {"form": form})


@login_required
@require_GET
def import_template(request: HttpRequest) -> HttpResponse:
    _require_import(request)
    return _xlsx(template_workbook(), _("customer-import-template.xlsx"))


@login_required
@require_http_methods(["GET", "POST"])
def import_mapping(request: HttpRequest, pk: int) -> HttpResponse:
    """Step 2: which field each column fills (pre-filled), then the dry run."""
    job = access_import_job(request.user, pk)
    if not job.can_remap:
        return redirect("dataquality:import-detail", job.pk)
    form = MappingForm(
        request.POST or None,
        headers=job.headers,
        targets=targets(),
        initial=MappingForm.initial_for(job.headers, job.mapping, job.mode),
    )
    if request.method == "POST" and form.is_valid():
        try:
            import_job_set_mapping(
                job=job, by=request.user, mapping=form.mapping(), mode=form.cleaned_data["mode"]
            )
            import_job_start(job=job, by=request.user, dry_run=True)
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            return redirect("dataquality:import-detail", job.pk)
    return render(request, "dataquality/imports/mapping.html", {"job": job, "form": form})


def _job_context(job) -> dict:
    return {
        "job": job,
        "errors": import_job_errors(job, limit=ERRORS_SHOWN) if job.error_count else [],
        "errors_shown": ERRORS_SHOWN,
        "status": ImportStatus,
    }


@login_required
@require_GET
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The job page; its status panel re-polls itself while the job is busy (HTMX)."""
    job = access_import_job(request.user, pk)
    if is_partial(request):
        return render(request, "dataquality/imports/_job_panel.html", _job_context(job))
    return render(request, "dataquality/imports/detail.html", _job_context(job))


@login_required
@require_POST
def import_run(request: HttpRequest, pk: int) -> HttpResponse:
    job = access_import_job(request.user, pk)
    try:
        import_job_start(job=job, by=request.user, dry_run=False)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The import has started; you may leave this page."))
    return redirect("dataquality:import-detail", job.pk)


@login_required
@require_POST
def import_rollback(request: HttpRequest, pk: int) -> HttpResponse:
    job = access_import_job(request.user, pk)
    try:
        import_job_rollback(job=job, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The import was rolled back."))
    return redirect("dataquality:import-detail", job.pk)


@login_required
@require_GET
def import_errors(request: HttpRequest, pk: int) -> HttpResponse:
    job = access_import_job(request.user, pk)
    return _xlsx(import_job_error_file(job), _("import-%(id)d-errors.xlsx") % {"id": job.pk})


@login_required
@require_GET
def import_history(request: HttpRequest) -> HttpResponse:
    jobs = import_jobs_visible_to(request.user)
    page = Paginator(jobs, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "dataquality/imports/history.html",
        {"page_obj": page, "can_import": can_import(request.user)},
    )
