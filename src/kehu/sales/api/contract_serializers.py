"""Serializers of the contract, payment and order API: input ones parse and resolve ids within
the caller's data scope, output ones present; sales.services make every business check."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from kehu.accounts.api import UserRefSerializer
from kehu.accounts.models import User
from kehu.core.access import visible_contracts
from kehu.core.api_schema import NamedChoiceField
from kehu.customers.api.serializers import CustomerRefSerializer, VisibleCustomerField
from kehu.sales import selectors
from kehu.sales.models import (
    Contract,
    ContractAttachment,
    ContractStatus,
    Currency,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
)
from kehu.sales.services.contracts import ENTRY_STATUSES

MONEY = {"max_digits": 14, "decimal_places": 2}
VERSION_HELP = _("The version you read (optimistic locking).")


def _contract_status(**kwargs) -> NamedChoiceField:
    return NamedChoiceField(
        enum_name="ContractStatusEnum", choices=ContractStatus.choices, **kwargs
    )


def _currency(**kwargs) -> NamedChoiceField:
    return NamedChoiceField(enum_name="CurrencyEnum", choices=Currency.choices, **kwargs)


def _order_status(**kwargs) -> NamedChoiceField:
    return NamedChoiceField(enum_name="OrderStatusEnum", choices=OrderStatus.choices, **kwargs)


@extend_schema_field(serializers.IntegerField)
class VisibleContractField(serializers.PrimaryKeyRelatedField):
    """A contract id in a request body; one outside your data scope answers like a missing
    one."""

    default_error_messages = {
        "does_not_exist": _("No contract with id {pk_value} (or it is outside your data scope)."),
    }

    def get_queryset(self):
        return visible_contracts(self.context["request"].user)


@extend_schema_field(serializers.IntegerField)
class VisibleOpportunityField(serializers.PrimaryKeyRelatedField):
    default_error_messages = {
        "does_not_exist": _(
            "No opportunity with id {pk_value} (or it is outside your data scope)."
        ),
    }

    def get_queryset(self):
        return selectors.opportunity_list(user=self.context["request"].user)


class ContractRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contract
        fields = ["id", "number", "title"]
        read_only_fields = fields


class AttachmentSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ContractAttachment
        fields = ["id", "original_name", "content_type", "size", "uploaded_at", "download_url"]
        read_only_fields = fields

    def get_download_url(self, attachment) -> str:
        return reverse("sales:contract-attachment", args=[attachment.contract_id, attachment.pk])


class PaymentSerializer(serializers.ModelSerializer):
    contract = ContractRefSerializer()
    is_overdue = serializers.SerializerMethodField(
        help_text=_("Planned before today and less received than planned.")
    )
    outstanding = serializers.DecimalField(**MONEY, read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id", "contract", "planned_on", "planned_amount", "received_on", "received_amount",
            "outstanding", "is_overdue", "notes", "version", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_is_overdue(self, payment) -> bool:
        return payment.is_overdue(timezone.localdate())


class PaymentInlineSerializer(PaymentSerializer):
    class Meta(PaymentSerializer.Meta):
        fields = [f for f in PaymentSerializer.Meta.fields if f != "contract"]
        read_only_fields = fields


class ContractSerializer(serializers.ModelSerializer):
    customer = CustomerRefSerializer()
    owner = UserRefSerializer()
    status = _contract_status(read_only=True)
    currency = _currency(read_only=True)
    renewal_of = ContractRefSerializer(allow_null=True)
    payments = PaymentInlineSerializer(many=True)
    attachments = AttachmentSerializer(many=True)
    planned_total = serializers.SerializerMethodField()
    received_total = serializers.SerializerMethodField()

    class Meta:
        model = Contract
        fields = [
            "id", "number", "title", "customer", "opportunity", "owner", "department", "amount",
            "currency", "signed_on", "starts_on", "ends_on", "status", "renewal_of",
            "termination_reason", "notes", "planned_total", "received_total", "payments",
            "attachments", "version", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(serializers.DecimalField(**MONEY))
    def get_planned_total(self, contract) -> str:
        return str(sum((p.planned_amount for p in contract.payments.all()), 0))

    @extend_schema_field(serializers.DecimalField(**MONEY))
    def get_received_total(self, contract) -> str:
        return str(sum((p.received_amount for p in contract.payments.all()), 0))


class ContractInputSerializer(serializers.Serializer):
    number = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        help_text=_("Left empty, a number like HT20261100001 is given."),
    )
    title = serializers.CharField(max_length=128, required=False, allow_blank=True)
    amount = serializers.DecimalField(**MONEY)
    currency = _currency(required=False)
    signed_on = serializers.DateField(required=False, allow_null=True)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    status = NamedChoiceField(
        enum_name="ContractEntryStatusEnum",
        choices=[(s.value, s.label) for s in ENTRY_STATUSES],
        required=False,
    )
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True),
        required=False,
        help_text=_("Defaults to you; must be able to see the customer."),
    )
    opportunity = VisibleOpportunityField(required=False, allow_null=True)


class ContractCreateSerializer(ContractInputSerializer):
    customer = VisibleCustomerField()


class ContractUpdateSerializer(ContractInputSerializer):
    version = serializers.IntegerField(help_text=VERSION_HELP)


class RenewSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=32, required=False, allow_blank=True)
    title = serializers.CharField(max_length=128, required=False, allow_blank=True)
    amount = serializers.DecimalField(
        **MONEY, required=False, help_text=_("Defaults to the old contract's.")
    )
    currency = _currency(required=False)
    signed_on = serializers.DateField(required=False, allow_null=True)
    starts_on = serializers.DateField(
        required=False, help_text=_("Defaults to the day after the old contract ends.")
    )
    ends_on = serializers.DateField()
    version = serializers.IntegerField(help_text=VERSION_HELP)


class TerminateSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)
    version = serializers.IntegerField(help_text=VERSION_HELP)


class PaymentCreateSerializer(serializers.Serializer):
    contract = VisibleContractField()
    planned_on = serializers.DateField()
    planned_amount = serializers.DecimalField(**MONEY)
    received_on = serializers.DateField(required=False, allow_null=True)
    received_amount = serializers.DecimalField(**MONEY, required=False, allow_null=True)
    notes = serializers.CharField(max_length=500, required=False, allow_blank=True)


class PaymentUpdateSerializer(serializers.Serializer):
    planned_on = serializers.DateField()
    planned_amount = serializers.DecimalField(**MONEY)
    received_on = serializers.DateField(required=False, allow_null=True)
    received_amount = serializers.DecimalField(**MONEY, required=False, allow_null=True)
    notes = serializers.CharField(max_length=500, required=False, allow_blank=True)
    version = serializers.IntegerField(help_text=VERSION_HELP)


class OrderLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderLine
        fields = ["id", "product_name", "sku", "quantity", "unit_price", "amount"]
        read_only_fields = fields


class OrderSerializer(serializers.ModelSerializer):
    customer = CustomerRefSerializer()
    owner = UserRefSerializer()
    contract = ContractRefSerializer(allow_null=True)
    status = _order_status(read_only=True)
    currency = _currency(read_only=True)
    lines = OrderLineSerializer(many=True)

    class Meta:
        model = Order
        fields = [
            "id", "number", "customer", "contract", "owner", "department", "ordered_on",
            "amount", "currency", "status", "notes", "lines", "version", "created_at",
            "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class OrderLineInputSerializer(serializers.Serializer):
    product_name = serializers.CharField(max_length=128)
    sku = serializers.CharField(max_length=64, required=False, allow_blank=True)
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3)
    unit_price = serializers.DecimalField(**MONEY)


class OrderInputSerializer(serializers.Serializer):
    number = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        help_text=_("Left empty, a number like DD20261100001 is given."),
    )
    ordered_on = serializers.DateField()
    currency = _currency(required=False)
    status = _order_status(required=False)
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False
    )
    contract = VisibleContractField(required=False, allow_null=True)
    lines = OrderLineInputSerializer(
        many=True, help_text=_("The amount of the order is the sum of its lines.")
    )


class OrderCreateSerializer(OrderInputSerializer):
    customer = VisibleCustomerField()


class OrderUpdateSerializer(OrderInputSerializer):
    version = serializers.IntegerField(help_text=VERSION_HELP)
