"""Customer API serializers: input serializers only parse and shape, output ones present.

The services (customers.services) make every business check; an input serializer resolves ids
and parses types, nothing more. Presets and users are referred to by id (the same ids as the
list filters use): industries and regions from ``/api/v1/industries/`` and ``/api/v1/regions/``,
users from ``/api/v1/users/``.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from kehu.accounts.api import DepartmentRefSerializer, UserRefSerializer
from kehu.accounts.models import User
from kehu.core.access import visible_customers
from kehu.core.api import CompiledRepresentation
from kehu.customers.models import (
    Contact,
    Customer,
    CustomerShare,
    CustomerType,
    CustomFieldDefinition,
    EnterpriseType,
    Industry,
    Region,
    Scale,
    ShareAccess,
    Source,
    Status,
)
from kehu.customers.sensitive import CONTACT_MOBILE, is_hidden, shown_custom_fields
from kehu.customers.validators import mask_mobile

MASKED_HELP = _("Masked (138****5678); POST …/unmask/ reveals it if your role allows.")
MOBILE_INPUT_HELP = _(
    "11-digit mainland mobile; spaces, dashes and +86 are accepted. Sending back the masked "
    "value you received keeps the stored number."
)


# --- presets --------------------------------------------------------------------------------
class PresetSerializer(CompiledRepresentation, serializers.Serializer):
    """An industry or region: its own id and code, the parent's, and the full label."""

    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField(source="label", help_text=_("In the request's language."))
    label = serializers.CharField(
        source="__str__", help_text=_("With the parent, e.g. 华东-上海 or 制造业-汽车零部件.")
    )
    parent_id = serializers.IntegerField(allow_null=True)


class PresetListSerializer(PresetSerializer):
    selectable = serializers.SerializerMethodField(
        help_text=_("Whether a customer may be given this entry (a leaf, not a category).")
    )

    def get_selectable(self, preset: Industry | Region) -> bool:
        return preset.pk not in self.context.get("parent_ids", set())


# --- contacts -------------------------------------------------------------------------------
class MobileFieldSecurity:
    """Field security in the API: a mobile hidden from the caller's roles is left out of the
    answer altogether (not sent empty); otherwise it is masked, as everywhere."""

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if self._mobile_hidden():
            data.pop("mobile", None)
        return data

    def _mobile_hidden(self) -> bool:
        # Once per serializer: a list serializes every row with the same child instance.
        hidden = getattr(self, "_hidden_mobile", None)
        if hidden is None:
            request = self.context.get("request")
            hidden = request is None or is_hidden(request.user, CONTACT_MOBILE)
            self._hidden_mobile = hidden
        return hidden


class DecisionMakerSerializer(MobileFieldSecurity, CompiledRepresentation, serializers.Serializer):
    compiled_model = Contact
    id = serializers.IntegerField()
    name = serializers.CharField()
    title = serializers.CharField()
    mobile = serializers.SerializerMethodField(help_text=MASKED_HELP)

    def get_mobile(self, contact: Contact) -> str:
        return mask_mobile(contact.mobile)


class CustomerRefSerializer(CompiledRepresentation, serializers.Serializer):
    compiled_model = Customer
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


@extend_schema_field(serializers.IntegerField)
class VisibleCustomerField(serializers.PrimaryKeyRelatedField):
    """A customer id in a request body. One outside your data scope gets exactly the answer a
    missing one gets, so a request cannot probe for hidden customers."""

    default_error_messages = {
        "does_not_exist": _("No customer with id {pk_value} (or it is outside your data scope)."),
    }

    def get_queryset(self):
        return visible_customers(self.context["request"].user)


class ContactSerializer(MobileFieldSecurity, CompiledRepresentation, serializers.ModelSerializer):
    customer = CustomerRefSerializer()
    mobile = serializers.SerializerMethodField(help_text=MASKED_HELP)

    class Meta:
        model = Contact
        fields = [
            "id",
            "customer",
            "name",
            "title",
            "mobile",
            "email",
            "phone",
            "is_decision_maker",
            "remarks",
            "created_at",
            "updated_at",
            "version",
        ]

    def get_mobile(self, contact: Contact) -> str:
        return mask_mobile(contact.mobile)


class ContactInputSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, allow_blank=True)
    title = serializers.CharField(required=False, allow_blank=True)
    mobile = serializers.CharField(required=False, allow_blank=True, help_text=MOBILE_INPUT_HELP)
    email = serializers.CharField(required=False, allow_blank=True)
    phone = serializers.CharField(required=False, allow_blank=True, help_text=_("Landline"))
    remarks = serializers.CharField(required=False, allow_blank=True)


class ContactCreateSerializer(ContactInputSerializer):
    name = serializers.CharField()


class ContactUpdateSerializer(ContactInputSerializer):
    version = serializers.IntegerField(
        help_text=_("The version you read; a stale one gets 409 (required on PATCH too).")
    )


class UnmaskSelectionSerializer(serializers.Serializer):
    contact = serializers.IntegerField(
        required=False, help_text=_("Reveal only this contact's number (default: all contacts).")
    )


class UnmaskedContactSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    title = serializers.CharField()
    is_decision_maker = serializers.BooleanField()
    mobile = serializers.CharField(help_text=_("In plain text; this reveal was logged."))


class UnmaskSerializer(serializers.Serializer):
    customer = serializers.IntegerField()
    contacts = UnmaskedContactSerializer(many=True)


# --- customers ------------------------------------------------------------------------------
class CustomerSerializer(CompiledRepresentation, serializers.ModelSerializer):
    """A customer as GET returns it. Mobile numbers are always masked here."""

    industry = PresetSerializer(allow_null=True)
    region = PresetSerializer(allow_null=True)
    address = serializers.CharField(help_text=_("Province, city, district and street in one."))
    owner = UserRefSerializer()
    department = DepartmentRefSerializer(allow_null=True)
    decision_maker = serializers.SerializerMethodField()

    class Meta:
        model = Customer
        fields = [
            "id",
            "code",
            "customer_type",
            "name",
            "credit_code",
            "industry",
            "scale",
            "enterprise_type",
            "region",
            "city",
            "district",
            "street",
            "address",
            "source",
            "first_contact_date",
            "status",
            "annual_budget",
            "remarks",
            "owner",
            "department",
            "decision_maker",
            "custom_fields",
            "created_at",
            "updated_at",
            "version",
        ]

    @extend_schema_field(DecisionMakerSerializer(allow_null=True))
    def get_decision_maker(self, customer: Customer) -> dict | None:
        prefetched = getattr(customer, "key_contacts", None)
        contact = prefetched[0] if prefetched else None
        if prefetched is None:
            contact = customer.decision_maker
        if contact is None:
            return None
        # One nested serializer for every row: building one per row deep-copies its fields
        # each time (a seventh of the API list's CPU at 50 rows).
        nested = getattr(self, "_decision_maker_serializer", None)
        if nested is None:
            nested = self._decision_maker_serializer = DecisionMakerSerializer(context=self.context)
        return nested.to_representation(contact)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if "custom_fields" in data:
            request = self.context.get("request")
            user = request.user if request is not None else None
            data["custom_fields"] = shown_custom_fields(user, data["custom_fields"])
        return data


class DecisionMakerInputSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, allow_blank=True)
    title = serializers.CharField(required=False, allow_blank=True)
    mobile = serializers.CharField(required=False, allow_blank=True, help_text=MOBILE_INPUT_HELP)
    email = serializers.CharField(required=False, allow_blank=True)
    phone = serializers.CharField(required=False, allow_blank=True)
    remarks = serializers.CharField(required=False, allow_blank=True)


class CustomerInputSerializer(serializers.Serializer):
    """Fields shared by create and update. Ids are checked to exist; rules such as "a leaf
    industry", "a province, not an area", "an owner inside your scope" are the services'."""

    customer_type = serializers.ChoiceField(choices=CustomerType.choices, required=False)
    name = serializers.CharField(
        help_text=_("Full legal name as on the business licence; a person's name for individuals.")
    )
    credit_code = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, help_text=_("统一社会信用代码")
    )
    industry = serializers.PrimaryKeyRelatedField(
        queryset=Industry.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text=_("Industry id (a specific industry, not a category); see /api/v1/industries/."),
    )
    scale = serializers.ChoiceField(choices=Scale.choices)
    enterprise_type = serializers.ChoiceField(
        choices=EnterpriseType.choices, required=False, allow_blank=True
    )
    region = serializers.PrimaryKeyRelatedField(
        queryset=Region.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text=_("Province-level region id (not an area); see /api/v1/regions/."),
    )
    city = serializers.CharField(required=False, allow_blank=True)
    district = serializers.CharField(required=False, allow_blank=True)
    street = serializers.CharField(required=False, allow_blank=True)
    source = serializers.ChoiceField(choices=Source.choices)
    first_contact_date = serializers.DateField(input_formats=["%Y-%m-%d"])
    annual_budget = serializers.DecimalField(
        max_digits=None, decimal_places=None, required=False, allow_null=True
    )
    remarks = serializers.CharField(required=False, allow_blank=True)
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(),
        required=False,
        help_text=_("User id (see /api/v1/users/); default on create: yourself."),
    )
    custom_fields = serializers.DictField(
        required=False,
        help_text=_("Values by custom field key (see /api/v1/custom-fields/)."),
    )


class CustomerCreateSerializer(CustomerInputSerializer):
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    decision_maker = DecisionMakerInputSerializer(
        help_text=_("The key decision maker: name and mobile are required.")
    )
    confirmed_duplicates = serializers.ListField(
        child=serializers.CharField(max_length=24),
        required=False,
        max_length=20,
        help_text=_(
            "Codes of probable duplicates you were warned about (409) and checked: the "
            "customer is created anyway."
        ),
    )


# --- duplicate warning on entry (撞单) ---------------------------------------------------------
class DuplicateCheckInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=128, required=False, allow_blank=True, default="")
    credit_code = serializers.CharField(max_length=18, required=False, allow_blank=True)
    contact_name = serializers.CharField(max_length=64, required=False, allow_blank=True)
    mobile = serializers.CharField(max_length=20, required=False, allow_blank=True)
    address = serializers.CharField(max_length=256, required=False, allow_blank=True)


class ProbableDuplicateSerializer(serializers.Serializer):
    code = serializers.CharField()
    owner_name = serializers.CharField()
    visible = serializers.BooleanField(
        help_text=_("False: the record is outside your data scope; only code and owner are given.")
    )
    score = serializers.FloatField()
    name = serializers.CharField(help_text=_("Empty when not visible."))
    url = serializers.CharField(help_text=_("Empty when not visible."))
    reasons = serializers.ListField(child=serializers.CharField())
    pool_entry_id = serializers.IntegerField(
        allow_null=True,
        help_text=_(
            "A hidden record waiting in an open public pool you may claim from: its pool entry, "
            "to claim with POST /api/v1/pool-entries/{id}/claim/. Null otherwise."
        ),
    )


class DuplicateConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()
    duplicates = ProbableDuplicateSerializer(many=True)


class CustomerUpdateSerializer(CustomerInputSerializer):
    """Status is not edited here: a status change has its own flow (reason, approval)."""

    decision_maker = DecisionMakerInputSerializer(
        required=False, help_text=_("Only the fields sent are changed.")
    )
    version = serializers.IntegerField(
        help_text=_("The version you read; a stale one gets 409 (required on PATCH too).")
    )


# --- team and history -----------------------------------------------------------------------
class TeamMemberSerializer(serializers.ModelSerializer):
    user = UserRefSerializer()

    class Meta:
        model = CustomerShare
        fields = ["user", "access", "created_at", "updated_at"]


class TeamMemberInputSerializer(serializers.Serializer):
    user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), help_text=_("User id (see /api/v1/users/).")
    )
    access = serializers.ChoiceField(choices=ShareAccess.choices)


class HistoryChangeSerializer(serializers.Serializer):
    field = serializers.CharField(help_text=_("The field's label in the request's language."))
    old = serializers.CharField()
    new = serializers.CharField()


HISTORY_ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}


class HistoryEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    user = UserRefSerializer(allow_null=True)
    action = serializers.SerializerMethodField()
    subject = serializers.CharField(help_text=_("The customer, or which contact."))
    changes = HistoryChangeSerializer(many=True)

    @extend_schema_field(serializers.ChoiceField(choices=list(HISTORY_ACTIONS.values())))
    def get_action(self, entry) -> str:
        return HISTORY_ACTIONS.get(entry.kind, entry.kind)


# --- custom fields --------------------------------------------------------------------------
class CustomFieldDefinitionSerializer(serializers.ModelSerializer):
    label = serializers.CharField(help_text=_("In the request's language."))

    class Meta:
        model = CustomFieldDefinition
        fields = [
            "key",
            "label",
            "label_zh",
            "label_en",
            "field_type",
            "required",
            "choices",
            "max_length",
            "min_value",
            "max_value",
            "sort_order",
        ]
