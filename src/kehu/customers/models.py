"""Customer master data (客户基础信息表, spec §2): customers, contacts, presets, custom fields."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from kehu.core.crypto.fields import (
    BlindIndexField,
    EncryptedTextField,
    PartlyEncryptedJSONField,
)
from kehu.core.models import TimeStampedModel, VersionedModel
from kehu.customers import validators


class LocalisedPreset(models.Model):
    """A preset list entry (industry, region) with a Chinese and an English label."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=64)
    name_en = models.CharField(_("name (English)"), max_length=96)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        abstract = True
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        parent = getattr(self, "parent", None)
        return f"{parent.label}-{self.label}" if parent else self.label

    @property
    def label(self) -> str:
        lang = translation.get_language() or settings.LANGUAGE_CODE
        return self.name_en if lang.startswith("en") else self.name_zh


class Industry(LocalisedPreset):
    """Two-level industry list (门类 → 行业), e.g. 制造业-汽车零部件."""

    parent = models.ForeignKey(
        "self",
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    class Meta(LocalisedPreset.Meta):
        verbose_name = _("industry")
        verbose_name_plural = _("industries")


class Region(LocalisedPreset):
    """Two-level region list: area (华北) → province-level division (北京)."""

    parent = models.ForeignKey(
        "self",
        verbose_name=_("area"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    class Meta(LocalisedPreset.Meta):
        verbose_name = _("region")
        verbose_name_plural = _("regions")


class CustomerType(models.TextChoices):
    ENTERPRISE = "enterprise", _("Enterprise")
    INDIVIDUAL = "individual", _("Individual")


class Scale(models.TextChoices):
    SMALL = "small", _("Small (<100 staff)")
    MEDIUM = "medium", _("Medium (100–500 staff)")
    LARGE = "large", _("Large (>500 staff)")


class Source(models.TextChoices):
    WEBSITE = "website", _("Website registration")
    EXHIBITION = "exhibition", _("Trade-show visit")
    PHONE = "phone", _("Phone enquiry")
    REFERRAL = "referral", _("Referral")
    ONLINE_PROMOTION = "online_promotion", _("Online promotion")


class Status(models.TextChoices):
    PROSPECT = "prospect", _("Prospect")
    INTERESTED = "interested", _("Interested")
    CUSTOMER = "customer", _("Customer (deal closed)")
    LOST = "lost", _("Lost")


class EnterpriseType(models.TextChoices):
    STATE_OWNED = "state_owned", _("State-owned")
    PRIVATE = "private", _("Private")
    FOREIGN = "foreign", _("Foreign-invested")


class CustomerQuerySet(models.QuerySet):
    def visible_to(self, user) -> CustomerQuerySet:
        from kehu.core.access import customer_scope_q

        return self.filter(customer_scope_q(user))

    def editable_by(self, user) -> CustomerQuerySet:
        from kehu.core.access import customer_scope_q

        return self.filter(customer_scope_q(user, write=True))


class Customer(VersionedModel):
    code = models.CharField(_("customer code"), max_length=24, unique=True, editable=False)
    customer_type = models.CharField(
        _("customer type"),
        max_length=16,
        choices=CustomerType.choices,
        default=CustomerType.ENTERPRISE,
    )
    name = models.CharField(
        _("customer name"),
        max_length=128,
        help_text=_("Full legal name as on the business licence; a person's name for individuals."),
    )
    name_pinyin = models.CharField(max_length=512, blank=True, editable=False, db_index=True)
    name_initials = models.CharField(max_length=128, blank=True, editable=False, db_index=True)
    # The comparable core of the name (dataquality.normalize): the duplicate check's blocking key.
    name_key = models.CharField(max_length=128, blank=True, editable=False, db_index=True)
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        null=True,
        blank=True,
        unique=True,
        validators=[validators.validate_credit_code],
    )
    industry = models.ForeignKey(
        Industry,
        verbose_name=_("industry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="customers",
    )
    scale = models.CharField(_("scale"), max_length=16, choices=Scale.choices)
    enterprise_type = models.CharField(
        _("enterprise type"), max_length=16, choices=EnterpriseType.choices, blank=True
    )
    region = models.ForeignKey(
        Region,
        verbose_name=_("province / region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="customers",
    )
    city = models.CharField(_("city"), max_length=32, blank=True)
    district = models.CharField(_("district"), max_length=32, blank=True)
    street = models.CharField(_("street address"), max_length=128, blank=True)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    first_contact_date = models.DateField(
        _("first contact date"), validators=[validators.validate_not_future]
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PROSPECT
    )
    annual_budget = models.DecimalField(
        _("annual budget (CNY)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[validators.validate_non_negative],
    )
    remarks = models.TextField(_("remarks"), blank=True, max_length=5000)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="owned_customers",
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="customers",
        help_text=_("The owner's department when the owner was assigned."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Values of custom fields marked sensitive are stored encrypted (kehu.core.crypto).
    custom_fields = PartlyEncryptedJSONField(
        _("custom fields"),
        default=dict,
        blank=True,
        purpose="customers.customer.custom_fields",
        sensitive_keys="kehu.customers.sensitive.sensitive_custom_keys",
    )
    last_interaction_at = models.DateTimeField(
        _("last interaction"), null=True, blank=True, editable=False, db_index=True
    )

    history = HistoricalRecords(
        excluded_fields=[
            "name_pinyin",
            "name_initials",
            "name_key",
            "version",
            "last_interaction_at",
        ],
        user_related_name="+",
    )
    objects = CustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The list's default order with what the data scope and the usual filters test:
            # a filtered page walks this index without reading the table (issue 7; SQLite has
            # no INCLUDE and leaves it out, its created_at index serves the order).
            models.Index(
                fields=["created_at", "id"],
                include=[
                    "owner",
                    "department",
                    "status",
                    "industry",
                    "region",
                    "annual_budget",
                ],
                name="customer_created_cover",
            ),
            models.Index(fields=["owner", "-updated_at"], name="customer_owner_updated"),
            # A rep's deep pages: each "owner is …" arm of the data scope is read in list
            # order from here (core.pagination, scope arms).
            models.Index(fields=["owner", "created_at", "id"], name="customer_owner_created"),
            models.Index(fields=["department", "-updated_at"], name="customer_dept_updated"),
            models.Index(fields=["status", "-updated_at"], name="customer_status_updated"),
            models.Index(fields=["industry", "status"], name="customer_industry_status"),
            # The dashboard's customer counts for a department scope, read from the index
            # alone: the department tree, then the reporting line's customers outside it
            # (analytics.selectors.customer_counts, issue 7).
            models.Index(fields=["department", "industry", "status"], name="customer_dept_counts"),
            models.Index(
                fields=["owner", "department", "industry", "status"], name="customer_owner_counts"
            ),
            models.Index(fields=["region"], name="customer_region"),
            models.Index(fields=["source"], name="customer_source"),
            models.Index(fields=["scale"], name="customer_scale"),
            models.Index(fields=["annual_budget"], name="customer_budget"),
            models.Index(fields=["name"], name="customer_name"),
            # Every filter and sort the list offers has an index (issue 7); name, pinyin and
            # contact-name search use trigram indexes on PostgreSQL (migration 0008).
            models.Index(fields=["customer_type"], name="customer_type"),
            models.Index(fields=["enterprise_type"], name="customer_enterprise_type"),
            models.Index(fields=["first_contact_date"], name="customer_first_contact"),
            # Sorts on a column with many equal values break ties by id: with the id in the
            # index the first page is read straight off it (no sort of 200,000 empty budgets).
            models.Index(fields=["annual_budget", "id"], name="customer_budget_id"),
            models.Index(fields=["status", "id"], name="customer_status_id"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def clean(self) -> None:
        validators.check_customer_name(self.name, self.customer_type)

    @property
    def region_label(self) -> str:
        return str(self.region) if self.region_id else ""

    @property
    def address(self) -> str:
        province = self.region.label if self.region_id else ""
        if province and self.city.startswith(province):
            province = ""  # 北京 + 北京市: a municipality is its own city
        return "".join(p for p in (province, self.city, self.district, self.street) if p)

    @property
    def decision_maker(self) -> Contact | None:
        """The key decision maker; uses prefetched contacts when present."""
        contacts = getattr(self, "_prefetched_objects_cache", {}).get("contacts")
        if contacts is not None:
            return next((c for c in contacts if c.is_decision_maker), None)
        return self.contacts.filter(is_decision_maker=True).first()


class ShareAccess(models.TextChoices):
    READ = "read", _("Read only")
    WRITE = "write", _("Read and write")


class CustomerShare(TimeStampedModel):
    """相关团队: a colleague who works the customer alongside its owner."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="shares"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("team member"),
        on_delete=models.CASCADE,
        related_name="customer_shares",
    )
    access = models.CharField(
        _("access"), max_length=8, choices=ShareAccess.choices, default=ShareAccess.READ
    )

    history = HistoricalRecords(user_related_name="+")

    class Meta:
        verbose_name = _("related team member")
        verbose_name_plural = _("related team")
        constraints = [
            models.UniqueConstraint(fields=["customer", "user"], name="customer_share_unique")
        ]
        indexes = [models.Index(fields=["user", "access"], name="share_user_access")]

    def __str__(self) -> str:
        return f"{self.user} → {self.customer}"


class Contact(VersionedModel):
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=64)
    title = models.CharField(pgettext_lazy("job", "title"), max_length=64, blank=True)
    # Encrypted at rest (kehu.core.crypto); found by its blind indexes, never by value.
    mobile = EncryptedTextField(
        _("mobile"),
        max_length=11,
        blank=True,
        validators=[validators.validate_mobile],
        purpose="customers.contact.mobile",
    )
    mobile_hash = BlindIndexField(source="mobile", purpose="mobile", db_index=True)
    mobile_last4_hash = BlindIndexField(
        source="mobile", purpose="mobile_last4", suffix=4, db_index=True
    )
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(
        _("landline"), max_length=32, blank=True, validators=[validators.validate_landline]
    )
    is_decision_maker = models.BooleanField(_("key decision maker"), default=False)
    remarks = models.TextField(_("remarks"), blank=True, max_length=2000)

    history = HistoricalRecords(
        excluded_fields=["mobile_hash", "mobile_last4_hash", "version"], user_related_name="+"
    )

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-is_decision_maker", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=models.Q(is_decision_maker=True),
                name="contact_one_decision_maker",
            )
        ]
        indexes = [
            models.Index(fields=["name"], name="contact_name"),
        ]

    def __str__(self) -> str:
        return self.name


class CustomFieldType(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")


class CustomFieldDefinition(TimeStampedModel):
    """A customer field an administrator adds; values live in Customer.custom_fields."""

    key = models.SlugField(
        _("key"),
        max_length=40,
        unique=True,
        help_text=_("Letters, digits and underscores; used in the API and imports."),
    )
    label_zh = models.CharField(_("label (Chinese)"), max_length=64)
    label_en = models.CharField(_("label (English)"), max_length=64)
    field_type = models.CharField(_("type"), max_length=8, choices=CustomFieldType.choices)
    required = models.BooleanField(_("required"), default=False)
    choices = models.JSONField(
        _("choices"),
        default=list,
        blank=True,
        help_text=_('For choice fields: a list of options, e.g. ["A", "B"].'),
    )
    max_length = models.PositiveIntegerField(_("maximum length"), null=True, blank=True)
    min_value = models.DecimalField(
        _("minimum"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    max_value = models.DecimalField(
        _("maximum"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    sensitive = models.BooleanField(
        _("sensitive"),
        default=False,
        help_text=_(
            "Personal data such as an ID number: stored encrypted, and shown per role "
            "(hidden, masked or visible) like mobile numbers."
        ),
    )

    history = HistoricalRecords(user_related_name="+")

    class Meta:
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        lang = translation.get_language() or settings.LANGUAGE_CODE
        return self.label_en if lang.startswith("en") else self.label_zh

    def clean(self) -> None:
        validators.check_custom_field_definition(self)


class FieldLevel(models.TextChoices):
    """What a role sees of a sensitive field. Widest wins across a user's roles."""

    HIDDEN = "hidden", _("Hidden")
    MASKED = "masked", _("Masked")
    VISIBLE = "visible", _("Visible (after a logged unmask)")


class FieldSecurity(TimeStampedModel):
    """Per role and sensitive field: hidden (not shown at all: lists, pages, API, exports),
    masked (138****5678), or visible — and visible still only through the explicit unmask,
    which is logged (UnmaskLog) and limited to the records of the role's unmask scope.

    `field` names a sensitive field: ``contact.mobile``, ``lead.mobile`` or
    ``custom.<key>`` for a custom field marked sensitive. A role without a row for a field
    gets "masked" (deny by default: no reveal until an administrator allows it).
    """

    role = models.ForeignKey(
        "accounts.Role",
        verbose_name=_("role"),
        on_delete=models.CASCADE,
        related_name="field_security",
    )
    field = models.CharField(_("field"), max_length=64)
    level = models.CharField(
        _("level"), max_length=8, choices=FieldLevel.choices, default=FieldLevel.MASKED
    )

    class Meta:
        verbose_name = _("field security")
        verbose_name_plural = _("field security")
        ordering = ["role_id", "field"]
        constraints = [
            models.UniqueConstraint(fields=["role", "field"], name="field_security_unique")
        ]

    def __str__(self) -> str:
        return f"{self.role} {self.field}: {self.get_level_display()}"


class UnmaskLog(models.Model):
    """Every time someone reveals a masked mobile number or sensitive custom value (PIPL:
    access to personal data): who, which record, when, from where. Exports that unmask write
    one entry per record too. An entry names a customer (and contact), or a lead for a
    lead's mobile (field ``lead.mobile``)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT
    )
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    lead = models.ForeignKey(
        "sales.Lead",
        verbose_name=_("lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,  # the entry outlives the lead (a delete or a purge)
        related_name="+",
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # "mobile", or "custom.<key>" for a custom field marked sensitive.
    field = models.CharField(_("field"), max_length=64)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("unmask log entry")
        verbose_name_plural = _("unmask log")
        ordering = ["-at"]

    def __str__(self) -> str:
        record = self.customer_id or f"lead {self.lead_id}"
        return f"{self.user} {self.field} {record} {self.at:%Y-%m-%d %H:%M}"


class StatusChangeState(models.TextChoices):
    PENDING = "pending", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    APPLIED = "applied", _("Applied (no approval needed)")


class StatusChangeQuerySet(models.QuerySet):
    def visible_to(self, user) -> StatusChangeQuerySet:
        from kehu.core.access import customer_scope_q

        return self.filter(customer_scope_q(user, prefix="customer__") | models.Q(approver=user))


class StatusChange(TimeStampedModel):
    """A customer status change with its reason; to 成交客户 or 流失客户 it waits for the
    department head's approval (spec §2.5) and only then changes the customer."""

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="status_changes",
    )
    from_status = models.CharField(_("from"), max_length=16, choices=Status.choices)
    to_status = models.CharField(_("to"), max_length=16, choices=Status.choices)
    reason = models.CharField(_("reason"), max_length=500)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="status_requests",
    )
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approver"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="status_approvals",
    )
    state = models.CharField(_("state"), max_length=16, choices=StatusChangeState.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=500, blank=True)

    history = HistoricalRecords(user_related_name="+")
    objects = StatusChangeQuerySet.as_manager()

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=models.Q(state="pending"),
                name="status_change_one_pending",
            )
        ]
        indexes = [models.Index(fields=["approver", "state"], name="status_change_inbox")]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.from_status} → {self.to_status} ({self.state})"
