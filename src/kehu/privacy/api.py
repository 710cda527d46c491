"""Consent API: ``/api/v1/consents/`` (list, filter by contact, record) and
``/api/v1/consents/{id}/withdraw/``. Consents of contacts outside the caller's data scope do not
exist for the caller (404); recording or withdrawing needs edit rights on the customer (403)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from kehu.core.access import visible_contacts
from kehu.core.api import parse_input
from kehu.core.api_schema import ID, READ_ERRORS, WRITE_ERRORS, NamedChoiceField
from kehu.privacy import selectors, services
from kehu.privacy.models import Consent, ConsentChannel, Purpose


def _channel(**kwargs) -> NamedChoiceField:
    return NamedChoiceField(
        enum_name="ConsentChannelEnum", choices=ConsentChannel.choices, **kwargs
    )


class ConsentSerializer(serializers.ModelSerializer):
    purpose = NamedChoiceField(enum_name="ConsentPurposeEnum", choices=Purpose.choices)
    channel = _channel()
    withdrawal_channel = serializers.CharField()
    notice_version = serializers.IntegerField(source="notice.version")
    is_live = serializers.BooleanField()

    class Meta:
        model = Consent
        fields = [
            "id", "contact", "purpose", "notice_version", "channel", "given_at", "evidence",
            "recorded_at", "is_live", "withdrawn_at", "withdrawal_channel",
        ]  # fmt: skip
        read_only_fields = fields


@extend_schema_field(serializers.IntegerField)
class VisibleContactField(serializers.PrimaryKeyRelatedField):
    default_error_messages = {
        "does_not_exist": _("No contact with id {pk_value} (or it is outside your data scope)."),
    }

    def get_queryset(self):
        return visible_contacts(self.context["request"].user).select_related("customer")


class ConsentInputSerializer(serializers.Serializer):
    contact = VisibleContactField()
    purpose = serializers.ChoiceField(choices=Purpose.choices)
    channel = serializers.ChoiceField(choices=ConsentChannel.choices)
    given_at = serializers.DateTimeField(required=False)
    evidence = serializers.CharField(max_length=300, required=False, allow_blank=True)


class WithdrawInputSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=ConsentChannel.choices)


class ConsentFilter(filters.FilterSet):
    contact = filters.NumberFilter(field_name="contact_id")
    purpose = filters.ChoiceFilter(choices=Purpose.choices)
    live = filters.BooleanFilter(field_name="withdrawn_at", lookup_expr="isnull")


@extend_schema(tags=["privacy"])
@extend_schema_view(
    list=extend_schema(summary="Consents of contacts you may see"),
    retrieve=extend_schema(
        summary="One consent", parameters=[ID], responses={200: ConsentSerializer, **READ_ERRORS}
    ),
    create=extend_schema(
        summary="Record a consent",
        request=ConsentInputSerializer,
        responses={201: ConsentSerializer, **WRITE_ERRORS},
    ),
)
class ConsentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ConsentSerializer
    filter_backends = [filters.DjangoFilterBackend]
    filterset_class = ConsentFilter

    def get_queryset(self):
        return selectors.visible_consents(user=self.request.user)

    def get_object(self) -> Consent:
        return selectors.visible_consent(user=self.request.user, pk=self.kwargs["pk"])

    def create(self, request):
        data = parse_input(ConsentInputSerializer, request)
        consent = services.consent_record(by=request.user, **data)
        return Response(ConsentSerializer(consent).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Record that the person withdrew the consent",
        parameters=[ID],
        request=WithdrawInputSerializer,
        responses={200: ConsentSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        consent = self.get_object()
        data = parse_input(WithdrawInputSerializer, request)
        consent = services.consent_withdraw(
            consent=consent, channel=data["channel"], by=request.user
        )
        return Response(ConsentSerializer(consent).data)


def register(router) -> None:
    router.register("consents", ConsentViewSet, basename="consent")
