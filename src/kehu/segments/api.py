"""Segments REST API: ``/api/v1/segments/`` (CRUD, run, count, assign) and
``/api/v1/segments/fields/`` (what a condition may use). Segments come from core.access (404
when not yours and not shared with you); the customers a segment yields are always cut to the
caller's own data scope; writes go through segments.services."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from kehu.accounts.api import DepartmentRefSerializer, UserRefSerializer
from kehu.accounts.models import Department, User
from kehu.core.access import access_segment
from kehu.core.api import conflict_response, parse_input
from kehu.core.api_schema import BAD_REQUEST, CONFLICT, ID, READ_ERRORS, WRITE_ERRORS
from kehu.customers.services import StaleEditError
from kehu.segments import selectors, services
from kehu.segments.conditions import check_definition
from kehu.segments.fields import field_catalogue

DEFINITION_HELP = gettext_lazy(
    '{"groups": [[{"field": "industry", "op": "eq", "value": 12}, …], …]}: all conditions of '
    'a group must hold, any group may match; {"conditions": […]} is one group. Fields and '
    "operators: GET /api/v1/segments/fields/."
)


class SegmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    owner = UserRefSerializer()
    definition = serializers.JSONField(help_text=DEFINITION_HELP)
    shared_departments = DepartmentRefSerializer(many=True)
    shared_users = UserRefSerializer(many=True)
    version = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class SegmentInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=300, required=False, allow_blank=True)
    definition = serializers.JSONField(help_text=DEFINITION_HELP)
    shared_departments = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.all(), many=True, required=False
    )
    shared_users = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), many=True, required=False
    )


class SegmentUpdateSerializer(SegmentInputSerializer):
    version = serializers.IntegerField(help_text=gettext_lazy("The version you read."))


class SegmentDefinitionSerializer(serializers.Serializer):
    definition = serializers.JSONField(help_text=DEFINITION_HELP)


class SegmentCountSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Matching customers in your data scope.")


class SegmentCustomerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class SegmentAssignInputSerializer(serializers.Serializer):
    to_user = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))


class SegmentAssignResultSerializer(serializers.Serializer):
    to_move = serializers.IntegerField(help_text="Customers whose owner changed.")
    already_owned = serializers.IntegerField()
    read_only = serializers.IntegerField(help_text="Visible to you but not editable: unchanged.")


class SegmentFieldChoiceSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()


class SegmentFieldSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    kind = serializers.CharField()
    group = serializers.CharField()
    operators = serializers.ListField(child=serializers.CharField())
    choices = SegmentFieldChoiceSerializer(many=True)
    preset = serializers.CharField(
        help_text="For id values: industry, region, user, department or tag.", allow_blank=True
    )


def _out(segment) -> dict:
    return SegmentSerializer(
        {
            "id": segment.pk,
            "name": segment.name,
            "description": segment.description,
            "owner": segment.owner,
            "definition": segment.definition,
            "shared_departments": list(segment.shared_departments.all()),
            "shared_users": list(segment.shared_users.all()),
            "version": segment.version,
            "created_at": segment.created_at,
            "updated_at": segment.updated_at,
        }
    ).data


@extend_schema(tags=["segments"])
@extend_schema_view(
    list=extend_schema(
        summary="Your segments and those shared with you",
        responses={200: SegmentSerializer(many=True)},
    ),
    retrieve=extend_schema(
        summary="One segment", parameters=[ID], responses={200: SegmentSerializer, **READ_ERRORS}
    ),
)
class SegmentViewSet(viewsets.GenericViewSet):
    serializer_class = SegmentSerializer
    filter_backends: list = []

    def get_queryset(self):
        return selectors.segment_list(user=self.request.user).prefetch_related(
            "shared_departments", "shared_users"
        )

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([_out(s) for s in page])

    def retrieve(self, request, pk=None):
        return Response(_out(access_segment(request.user, pk)))

    @extend_schema(
        summary="Save a segment",
        request=SegmentInputSerializer,
        responses={201: SegmentSerializer, 400: BAD_REQUEST},
    )
    def create(self, request):
        data = parse_input(SegmentInputSerializer, request)
        segment = services.segment_create(
            by=request.user,
            name=data["name"],
            description=data.get("description", ""),
            definition=data["definition"],
            shared_departments=data.get("shared_departments"),
            shared_users=data.get("shared_users"),
        )
        return Response(_out(segment), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a segment (owner only)",
        parameters=[ID],
        request=SegmentUpdateSerializer,
        responses={200: SegmentSerializer, 409: CONFLICT, **WRITE_ERRORS},
    )
    def update(self, request, pk=None, partial: bool = False):
        segment = access_segment(request.user, pk, write=True)
        data = parse_input(SegmentUpdateSerializer, request, partial=partial)
        if data.get("version") is None:
            return Response({"version": [_("This field is required.")]}, status=400)
        try:
            segment = services.segment_update(
                segment=segment,
                by=request.user,
                data={k: data[k] for k in ("name", "description", "definition") if k in data},
                expected_version=data["version"],
                shared_departments=data.get("shared_departments"),
                shared_users=data.get("shared_users"),
            )
        except StaleEditError as exc:
            current = access_segment(request.user, pk)
            return conflict_response(
                message=exc.message_dict["version"][0],
                current_version=current.version,
                current=_out(current),
            )
        return Response(_out(segment))

    @extend_schema(
        summary="Change some of a segment's fields (owner only)",
        parameters=[ID],
        request=SegmentUpdateSerializer,
        responses={200: SegmentSerializer, 409: CONFLICT, **WRITE_ERRORS},
    )
    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)

    @extend_schema(
        summary="Delete a segment (owner only; customers are untouched)",
        parameters=[ID],
        responses={204: None, **WRITE_ERRORS},
    )
    def destroy(self, request, pk=None):
        segment = access_segment(request.user, pk, write=True)
        services.segment_delete(segment=segment, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Run a segment: its customers in your data scope (paginated)",
        parameters=[ID],
        responses={200: SegmentCustomerSerializer(many=True), **READ_ERRORS},
    )
    @action(detail=True, methods=["get"])
    def customers(self, request, pk=None):
        segment = access_segment(request.user, pk)
        rows = (
            selectors.segment_customers(user=request.user, definition=segment.definition)
            .order_by("code", "id")
            .values("id", "code", "name")
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(SegmentCustomerSerializer(page, many=True).data)

    @extend_schema(
        summary="How many customers of your data scope a segment holds",
        parameters=[ID],
        responses={200: SegmentCountSerializer, **READ_ERRORS},
    )
    @action(detail=True, methods=["get"], url_path="count", pagination_class=None)
    def count(self, request, pk=None):
        segment = access_segment(request.user, pk)
        count = selectors.segment_count(user=request.user, definition=segment.definition)
        return Response({"count": count})

    @extend_schema(
        summary="Count an unsaved definition (the builder's live preview)",
        request=SegmentDefinitionSerializer,
        responses={200: SegmentCountSerializer, 400: BAD_REQUEST},
    )
    @action(detail=False, methods=["post"], url_path="preview", pagination_class=None)
    def preview(self, request):
        data = parse_input(SegmentDefinitionSerializer, request)
        definition = check_definition(data["definition"])
        return Response(
            {"count": selectors.segment_count(user=request.user, definition=definition)}
        )

    @extend_schema(
        summary="Give the segment's customers to another owner",
        description=(
            "Customers of the target list you may edit get the new owner (recorded in their "
            "history); those you may only read stay as they are. Needs a department or company "
            "write scope; the new owner must be inside it."
        ),
        parameters=[ID],
        request=SegmentAssignInputSerializer,
        responses={200: SegmentAssignResultSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def assign(self, request, pk=None):
        segment = access_segment(request.user, pk)
        data = parse_input(SegmentAssignInputSerializer, request)
        result = services.segment_assign(segment=segment, to_user=data["to_user"], by=request.user)
        return Response(SegmentAssignResultSerializer(result).data)

    @extend_schema(
        summary="The fields, operators and preset values a condition may use",
        responses={200: SegmentFieldSerializer(many=True)},
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def fields(self, request):
        return Response(
            [
                {
                    "key": spec.key,
                    "label": spec.label,
                    "kind": spec.kind,
                    "group": spec.group,
                    "operators": list(spec.operators),
                    "choices": [{"value": v, "label": label} for v, label in spec.choices],
                    "preset": "tag" if spec.kind == "tag" else spec.model,
                }
                for spec in field_catalogue().values()
            ]
        )


def register(router) -> None:
    router.register("segments", SegmentViewSet, basename="segment")
