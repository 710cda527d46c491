"""Sales API serializers: input ones parse and resolve ids, output ones present; the services
(sales.services) make every business check."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from kehu.accounts.api import UserRefSerializer
from kehu.accounts.models import User
from kehu.core.api_schema import NamedChoiceField
from kehu.customers.api.serializers import CustomerRefSerializer, VisibleCustomerField
from kehu.customers.models import CustomerType, Industry, Region, Scale, Source
from kehu.customers.sensitive import LEAD_MOBILE, field_level
from kehu.customers.validators import mask_mobile
from kehu.sales.models import Lead, LeadStatus, Opportunity, PipelineStage
from kehu.sales.services.leads import MANUAL_STATUSES


def _lead_status(**kwargs) -> NamedChoiceField:
    return NamedChoiceField(enum_name="LeadStatusEnum", choices=LeadStatus.choices, **kwargs)


class LeadSerializer(serializers.ModelSerializer):
    status = _lead_status(read_only=True)
    owner = UserRefSerializer()
    customer = CustomerRefSerializer(allow_null=True)

    class Meta:
        model = Lead
        fields = [
            "id", "name", "company", "title", "mobile", "email", "source", "region", "industry",
            "notes", "status", "disqualify_reason", "owner", "customer", "converted_at",
            "version", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def to_representation(self, instance):
        """Field security: the mobile left out when hidden, else always masked like a
        contact's (POST …/unmask/ reveals it, logged); the lead pages show it the same way."""
        data = super().to_representation(instance)
        request = self.context.get("request")
        level = field_level(request.user if request else None, LEAD_MOBILE)
        if level == "hidden":
            data.pop("mobile", None)
        else:
            data["mobile"] = mask_mobile(data.get("mobile") or "")
        return data


class LeadUnmaskSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    mobile = serializers.CharField(help_text=_("The full number (empty when the lead has none)."))


class LeadInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=64)
    company = serializers.CharField(max_length=128, required=False, allow_blank=True)
    title = serializers.CharField(max_length=64, required=False, allow_blank=True)
    mobile = serializers.CharField(max_length=20, required=False, allow_blank=True)
    email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    source = serializers.ChoiceField(choices=Source.choices)
    region = serializers.PrimaryKeyRelatedField(
        queryset=Region.objects.all(), required=False, allow_null=True
    )
    industry = serializers.PrimaryKeyRelatedField(
        queryset=Industry.objects.all(), required=False, allow_null=True
    )
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True),
        required=False,
        help_text=_("Defaults to you; someone inside your write scope."),
    )


class LeadUpdateSerializer(LeadInputSerializer):
    version = serializers.IntegerField(help_text=_("The version you read (optimistic locking)."))


class LeadStatusSerializer(serializers.Serializer):
    status = NamedChoiceField(
        enum_name="LeadManualStatusEnum",
        choices=[(s.value, s.label) for s in MANUAL_STATUSES],
    )
    reason = serializers.CharField(
        max_length=500, required=False, allow_blank=True, help_text=_("Required to disqualify.")
    )


class OpportunityInlineSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=128)
    amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, allow_null=True
    )
    expected_close_date = serializers.DateField(required=False, allow_null=True)
    stage = serializers.PrimaryKeyRelatedField(
        queryset=PipelineStage.objects.filter(is_active=True), required=False
    )


class LeadConvertSerializer(serializers.Serializer):
    customer = VisibleCustomerField(
        required=False,
        allow_null=True,
        help_text=_("Link this existing customer (which you may edit) instead of creating one."),
    )
    customer_name = serializers.CharField(
        max_length=128, required=False, help_text=_("Defaults to the lead's company.")
    )
    customer_type = serializers.ChoiceField(choices=CustomerType.choices, required=False)
    scale = serializers.ChoiceField(
        choices=Scale.choices, required=False, help_text=_("Required for a new customer.")
    )
    credit_code = serializers.CharField(max_length=18, required=False, allow_blank=True)
    confirmed_duplicates = serializers.ListField(
        child=serializers.CharField(max_length=24),
        required=False,
        help_text=_("Codes of probable duplicates you checked and want to ignore."),
    )
    opportunity = OpportunityInlineSerializer(required=False)


class StageSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="label")

    class Meta:
        model = PipelineStage
        fields = ["id", "code", "name", "probability", "is_won", "is_lost", "sort_order"]
        read_only_fields = fields


class OpportunitySerializer(serializers.ModelSerializer):
    customer = CustomerRefSerializer()
    stage = StageSerializer()
    owner = UserRefSerializer()
    weighted_amount = serializers.DecimalField(
        max_digits=16, decimal_places=2, read_only=True, allow_null=True
    )

    class Meta:
        model = Opportunity
        fields = [
            "id", "customer", "name", "stage", "amount", "weighted_amount",
            "expected_close_date", "owner", "competitor", "loss_reason", "closed_at", "lead",
            "version", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class ConversionSerializer(serializers.Serializer):
    lead = LeadSerializer()
    customer = CustomerRefSerializer()
    opportunity = OpportunitySerializer(allow_null=True)


class OpportunityInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=128)
    amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, allow_null=True
    )
    expected_close_date = serializers.DateField(required=False, allow_null=True)
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True),
        required=False,
        help_text=_("Defaults to you; must be able to see the customer."),
    )
    competitor = serializers.CharField(max_length=128, required=False, allow_blank=True)
    loss_reason = serializers.CharField(max_length=500, required=False, allow_blank=True)


class OpportunityCreateSerializer(OpportunityInputSerializer):
    customer = VisibleCustomerField()
    stage = serializers.PrimaryKeyRelatedField(
        queryset=PipelineStage.objects.filter(is_active=True),
        required=False,
        help_text=_("Defaults to the first open stage."),
    )


class OpportunityUpdateSerializer(OpportunityInputSerializer):
    version = serializers.IntegerField(help_text=_("The version you read (optimistic locking)."))


class MoveSerializer(serializers.Serializer):
    stage = serializers.PrimaryKeyRelatedField(queryset=PipelineStage.objects.all())
    version = serializers.IntegerField(help_text=_("The version you read (optimistic locking)."))
    loss_reason = serializers.CharField(
        max_length=500, required=False, allow_blank=True, help_text=_("Required for a lost stage.")
    )
    reopen = serializers.BooleanField(
        required=False, default=False, help_text=_("Needed to move a won or lost opportunity.")
    )


class PipelineColumnSerializer(serializers.Serializer):
    stage = StageSerializer()
    count = serializers.IntegerField()
    total = serializers.DecimalField(max_digits=16, decimal_places=2)
    weighted = serializers.DecimalField(max_digits=16, decimal_places=2)


class PipelineSerializer(serializers.Serializer):
    columns = PipelineColumnSerializer(many=True)
    total = serializers.DecimalField(max_digits=16, decimal_places=2)
    weighted = serializers.DecimalField(
        max_digits=16, decimal_places=2, help_text=_("Σ amount × stage probability.")
    )
