"""Status changes and the approvals inbox (``/api/v1/approvals/``), through customers.approvals.

A change to 成交客户 or 流失客户 waits for the department head; any other applies at once. A
request is reached through ``access_status_change``: visible when its customer is, or when it
is waiting for you (404 otherwise).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from kehu.accounts.api import UserRefSerializer
from kehu.core.access import access_status_change
from kehu.core.api import parse_input
from kehu.core.api_schema import (
    ID,
    NOT_FOUND,
    WRITE_ERRORS,
    NamedChoiceField,
)
from kehu.customers import approvals
from kehu.customers.api.serializers import CustomerRefSerializer
from kehu.customers.models import Status, StatusChange, StatusChangeState


def _status_field(**kwargs) -> NamedChoiceField:
    """The customer status enum, under the name spectacular gives ``Customer.status``."""
    return NamedChoiceField(enum_name="StatusEnum", choices=Status.choices, **kwargs)


class StatusChangeSerializer(serializers.ModelSerializer):
    customer = CustomerRefSerializer()
    from_status = _status_field()
    to_status = _status_field()
    state = NamedChoiceField(
        enum_name="StatusChangeState",
        choices=StatusChangeState.choices,
        help_text=_("applied: done at once; pending: waiting for approval; approved / rejected."),
    )
    requested_by = UserRefSerializer()
    approver = UserRefSerializer(allow_null=True)
    decided_by = UserRefSerializer(allow_null=True)

    class Meta:
        model = StatusChange
        fields = [
            "id",
            "customer",
            "from_status",
            "to_status",
            "reason",
            "state",
            "requested_by",
            "approver",
            "decided_by",
            "decided_at",
            "decision_note",
            "created_at",
        ]


class StatusChangeRequestSerializer(serializers.Serializer):
    to_status = _status_field()
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Required: it goes into the customer's remarks with the date."),
    )


class DecisionSerializer(serializers.Serializer):
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Optional on approval, required on rejection."),
    )


def _note(request) -> str:
    return parse_input(DecisionSerializer, request)["note"]


@extend_schema(tags=["approvals"])
@extend_schema_view(
    list=extend_schema(
        summary="Status changes waiting for your decision",
        description="Administrators see every pending request but their own.",
        responses={200: StatusChangeSerializer(many=True)},
    )
)
class ApprovalViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = StatusChangeSerializer
    filter_backends: list = []
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return approvals.approvals_inbox(user=self.request.user).select_related("decided_by")

    @extend_schema(
        summary="One status change request",
        parameters=[ID],
        responses={200: StatusChangeSerializer, 404: NOT_FOUND},
    )
    def retrieve(self, request, pk=None):
        return Response(StatusChangeSerializer(access_status_change(request.user, pk)).data)

    @extend_schema(
        summary="Approve: the customer's status changes now",
        description="Nobody decides their own request (400).",
        parameters=[ID],
        request=DecisionSerializer,
        responses={200: StatusChangeSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def approve(self, request, pk=None):
        change = access_status_change(request.user, pk)
        change = approvals.status_change_approve(
            change=change, by=request.user, note=_note(request)
        )
        return Response(StatusChangeSerializer(change).data)

    @extend_schema(
        summary="Reject with a note: the status stays",
        description="The note is required. Nobody decides their own request (400).",
        parameters=[ID],
        request=DecisionSerializer,
        responses={200: StatusChangeSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def reject(self, request, pk=None):
        change = access_status_change(request.user, pk)
        change = approvals.status_change_reject(change=change, by=request.user, note=_note(request))
        return Response(StatusChangeSerializer(change).data)
