"""Data-quality pages: the export of the filtered customer list."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from kehu.core.permissions import can_export
from kehu.dataquality.export import CONTENT_TYPES, customers_export
from kehu.dataquality.models import ExportFormat


def _client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is whatever the client says unless a proxy sets it.
    return request.META.get("REMOTE_ADDR") or None


def download_response(content: bytes, filename: str, file_format: str) -> HttpResponse:
    response = HttpResponse(content, content_type=CONTENT_TYPES[file_format])
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def export_customers(request: HttpRequest, fmt: str) -> HttpResponse:
    """The customer list as a file: the list's query string chooses the rows."""
    if fmt not in ExportFormat.values:
        raise Http404
    if not can_export(request.user):
        raise PermissionDenied
    content, filename, _count = customers_export(
        user=request.user, params=request.GET, file_format=fmt, ip_address=_client_ip(request)
    )
    return download_response(content, filename, fmt)
