"""Import REST API (``/api/v1/imports/``): upload a file to check or import in the background,
follow its progress, fetch the rows that were not imported. Thin over imports.services; a job
of another user answers 404 like a missing one."""

from __future__ import annotations

import json

from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from kehu.accounts.api import UserRefSerializer
from kehu.core.api import parse_input
from kehu.core.api_schema import BAD_REQUEST, FORBIDDEN, ID, NOT_FOUND, NamedChoiceField
from kehu.core.permissions import can_import
from kehu.dataquality.imports.models import ImportJob, ImportMode, ImportStatus
from kehu.dataquality.imports.reading import ImportFileError
from kehu.dataquality.imports.selectors import (
    access_import_job,
    import_job_error_file,
    import_jobs_visible_to,
)
from kehu.dataquality.imports.services import import_job_create, import_job_start
from kehu.dataquality.imports.views import XLSX


class ImportJobSerializer(serializers.ModelSerializer):
    status = NamedChoiceField(enum_name="ImportStatus", choices=ImportStatus.choices)
    mode = NamedChoiceField(enum_name="ImportMode", choices=ImportMode.choices)
    created_by = UserRefSerializer()
    percent = serializers.IntegerField(help_text=gettext_lazy("Rows processed, in per cent."))

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "filename",
            "mode",
            "status",
            "is_dry_run",
            "headers",
            "mapping",
            "total_rows",
            "processed_rows",
            "percent",
            "created_count",
            "updated_count",
            "error_count",
            "message",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
            "rolled_back_at",
        ]


class ImportCreateSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=gettext_lazy(".xlsx or .csv (UTF-8 or GBK)."))
    mode = serializers.ChoiceField(choices=ImportMode.choices, default=ImportMode.CREATE)
    mapping = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=gettext_lazy(
            'JSON object header → field, e.g. {"公司名称": "name", "手机": "dm_mobile"}; '
            "omitted: your remembered or the automatic matching."
        ),
    )
    dry_run = serializers.BooleanField(
        default=False, help_text=gettext_lazy("Only check every row; write nothing.")
    )

    def validate_mapping(self, value: str) -> dict | None:
        if not value:
            return None
        try:
            mapping = json.loads(value)
        except ValueError as exc:
            raise serializers.ValidationError(_("Send the mapping as a JSON object.")) from exc
        if not isinstance(mapping, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()
        ):
            raise serializers.ValidationError(_("Send the mapping as a JSON object."))
        return mapping


@extend_schema(tags=["imports"])
class ImportJobViewSet(viewsets.GenericViewSet):
    serializer_class = ImportJobSerializer
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self):
        return import_jobs_visible_to(self.request.user)

    @extend_schema(
        summary="Upload customers to check (dry_run) or import in the background",
        request={"multipart/form-data": ImportCreateSerializer},
        responses={202: ImportJobSerializer, 400: BAD_REQUEST, 403: FORBIDDEN},
    )
    def create(self, request):
        if not can_import(request.user):
            raise PermissionDenied
        data = parse_input(ImportCreateSerializer, request)
        upload = data["file"]
        try:
            job = import_job_create(
                by=request.user,
                file=upload,
                filename=upload.name,
                mode=data["mode"],
                mapping=data.get("mapping"),
            )
        except ImportFileError as exc:
            raise ValidationError({"file": [str(exc)]}) from exc
        import_job_start(job=job, by=request.user, dry_run=data["dry_run"])
        job.refresh_from_db()
        return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="An import: status, progress and counts",
        parameters=[ID],
        responses={200: ImportJobSerializer, 404: NOT_FOUND},
    )
    def retrieve(self, request, pk=None):
        return Response(ImportJobSerializer(access_import_job(request.user, pk)).data)

    @extend_schema(
        summary="The rows not imported, as .xlsx with a reason per cell",
        parameters=[ID],
        responses={
            (200, XLSX): OpenApiResponse(OpenApiTypes.BINARY, description="The error file."),
            404: NOT_FOUND,
        },
    )
    @action(detail=True, methods=["get"])
    def errors(self, request, pk=None):
        job = access_import_job(request.user, pk)
        response = HttpResponse(import_job_error_file(job), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.xlsx"'
        return response


def register(router) -> None:
    router.register("imports", ImportJobViewSet, basename="import")
