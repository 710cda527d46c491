"""Field rules of spec §2, shared by the form, the API and the importer (via the services)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

if TYPE_CHECKING:
    from kehu.customers.models import CustomFieldDefinition

# --- mobile numbers ---------------------------------------------------------------------------
_SEPARATORS = re.compile(r"[\s\-()（）]")


def normalize_mobile(raw: str | None) -> str:
    """Drop spaces, dashes and a +86 / 0086 prefix; keep anything else for the validator."""
    value = _SEPARATORS.sub("", (raw or "").strip())
    for prefix in ("+86", "0086"):
        if value.startswith(prefix):
            value = value[len(prefix) :]
    return value


def validate_mobile(value: str) -> None:
    if not value:
        return
    if not re.fullmatch(r"\d{11}", value):
        raise ValidationError(
            gettext_lazy("Enter an 11-digit mainland mobile number, e.g. 13812345678."),
            code="mobile_format",
        )
    try:
        number = phonenumbers.parse(value, "CN")
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(
            gettext_lazy("Enter an 11-digit mainland mobile number, e.g. 13812345678."),
            code="mobile_format",
        ) from exc
    kind = phonenumbers.number_type(number)
    if not phonenumbers.is_valid_number(number) or kind not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise ValidationError(
            gettext_lazy("%(value)s is not a valid mainland mobile number (unknown prefix)."),
            code="mobile_prefix",
            params={"value": value},
        )


def mask_mobile(value: str) -> str:
    """138****5678: enough to recognise a number, not enough to call it."""
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return f"{value[:3]}****{value[-4:]}"


def validate_landline(value: str) -> None:
    if value and not re.fullmatch(r"\+?[\d\-\s()（）]{5,32}(转\d{1,6})?", value):
        raise ValidationError(
            gettext_lazy("Enter a telephone number such as 010-12345678."), code="landline"
        )


# --- unified social credit code (统一社会信用代码, GB 32100-2015) --------------------------------
CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_char(first17: str) -> str:
    total = sum(
        CREDIT_CODE_CHARS.index(ch) * w for ch, w in zip(first17, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_CHARS[(31 - total % 31) % 31]


def validate_credit_code(value: str | None) -> None:
    if not value:
        return
    if len(value) != 18:
        raise ValidationError(
            gettext_lazy(
                "A unified social credit code has exactly 18 characters (this one has %(n)d)."
            ),
            code="credit_code_length",
            params={"n": len(value)},
        )
    bad = [ch for ch in value if ch not in CREDIT_CODE_CHARS]
    if bad:
        raise ValidationError(
            gettext_lazy(
                "A unified social credit code uses digits and capital letters except "
                "I, O, S, V and Z; %(chars)s is not allowed."
            ),
            code="credit_code_chars",
            params={"chars": "".join(dict.fromkeys(bad))},
        )
    if not value[2:8].isdigit():
        raise ValidationError(
            gettext_lazy("Characters 3–8 of a unified social credit code are the area code."),
            code="credit_code_area",
        )
    expected = credit_code_check_char(value[:17])
    if value[17] != expected:
        raise ValidationError(
            gettext_lazy(
                "The check character of this unified social credit code is wrong "
                "(GB 32100-2015); check for a typing error."
            ),
            code="credit_code_check",
        )


# --- simple value rules -------------------------------------------------------------------------
def validate_not_future(value: dt.date) -> None:
    if value and value > timezone.localdate():
        raise ValidationError(gettext_lazy("This date is in the future."), code="future_date")


def validate_non_negative(value: Decimal) -> None:
    if value is not None and value < 0:
        raise ValidationError(gettext_lazy("This amount cannot be negative."), code="negative")


# --- customer name --------------------------------------------------------------------------------
# Organisation forms that end a legal name on a Chinese business licence (or a foreign one).
LEGAL_FORM_SUFFIXES = (
    "有限责任公司",
    "股份有限公司",
    "有限公司",
    "股份公司",
    "集团公司",
    "公司",
    "集团",
    "（有限合伙）",
    "(有限合伙)",
    "（普通合伙）",
    "(普通合伙)",
    "合伙企业",
    "个人独资企业",
    "事务所",
    "工作室",
    "研究院",
    "研究所",
    "设计院",
    "医院",
    "诊所",
    "学校",
    "大学",
    "学院",
    "幼儿园",
    "中心",
    "协会",
    "学会",
    "商会",
    "基金会",
    "银行",
    "分行",
    "支行",
    "合作社",
    "委员会",
    "厂",
    "店",
    "商行",
    "经营部",
    "分公司",
    "门市部",
    "局",
    "馆",
    "社",
    "站",
    "所",
)
_SUFFIXES_LONGEST_FIRST = sorted(LEGAL_FORM_SUFFIXES, key=len, reverse=True)
FOREIGN_LEGAL_FORMS = re.compile(
    r"\b(co\.?,?\s*ltd|ltd|limited|inc|corp|corporation|llc|gmbh|plc|company|ag|s\.a|b\.v|k\.k)\b",
    re.IGNORECASE,
)
_PERSON_NAME = re.compile(
    r"[\u4e00-\u9fff]{2,6}|[\u4e00-\u9fff]{1,10}[·•][\u4e00-\u9fff]{1,10}|"
    r"[A-Za-z][A-Za-z .'\-]{1,62}"
)


def check_customer_name(name: str, customer_type: str) -> None:
    from kehu.customers.models import CustomerType

    name = (name or "").strip()
    if not name:
        return  # "required" is reported by the field itself
    if customer_type == CustomerType.INDIVIDUAL:
        if not _PERSON_NAME.fullmatch(name) or name.endswith(LEGAL_FORM_SUFFIXES):
            raise ValidationError(
                {
                    "name": _(
                        "For an individual customer enter the person's name (for example "
                        "张伟 or 阿依古丽·买买提), without digits or a company suffix."
                    )
                },
                code="person_name",
            )
        return
    # The longest legal form that ends the name must leave a real name before it.
    suffix = next((s for s in _SUFFIXES_LONGEST_FIRST if name.endswith(s)), None)
    stem_ok = suffix is not None and len(name) - len(suffix) >= 2
    if not stem_ok and FOREIGN_LEGAL_FORMS.search(name) and len(name) > 8:
        stem_ok = True
    if not stem_ok:
        raise ValidationError(
            {
                "name": _(
                    "Enter the full legal name exactly as on the business licence, ending in its "
                    "legal form such as 有限公司 or 股份有限公司: for example "
                    "深圳市腾讯计算机系统有限公司, not the short name 腾讯科技. Short names make "
                    "duplicates impossible to detect. For a person, set the customer type to "
                    "Individual."
                )
            },
            code="legal_name",
        )


# --- custom fields ---------------------------------------------------------------------
def check_custom_field_definition(definition: CustomFieldDefinition) -> None:
    from kehu.customers.models import CustomFieldType

    errors: dict[str, str] = {}
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", definition.key or ""):
        errors["key"] = _("Use lower-case letters, digits and underscores, starting with a letter.")
    if definition.field_type == CustomFieldType.CHOICE:
        options = definition.choices
        if (
            not isinstance(options, list)
            or not options
            or not all(isinstance(o, str) and o.strip() for o in options)
        ):
            errors["choices"] = _("A choice field needs a list of at least one non-empty option.")
        elif len(set(options)) != len(options):
            errors["choices"] = _("Options must be different from each other.")
    elif definition.choices:
        errors["choices"] = _("Only choice fields have options.")
    if (
        definition.min_value is not None
        and definition.max_value is not None
        and definition.min_value > definition.max_value
    ):
        errors["max_value"] = _("The maximum must not be smaller than the minimum.")
    if errors:
        raise ValidationError(errors)


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def clean_custom_value(definition: CustomFieldDefinition, value: Any) -> Any:
    """One custom value, cleaned to its JSON form, or ValidationError naming the rule."""
    from kehu.customers.models import CustomFieldType

    kind = definition.field_type
    if kind == CustomFieldType.TEXT:
        text = str(value).strip()
        limit = definition.max_length or 500
        if len(text) > limit:
            raise ValidationError(
                _("At most %(limit)d characters (this has %(n)d).")
                % {"limit": limit, "n": len(text)}
            )
        return text
    if kind == CustomFieldType.NUMBER:
        if isinstance(value, bool):
            raise ValidationError(_("Enter a number."))
        try:
            number = Decimal(str(value).strip().replace(",", ""))
        except InvalidOperation as exc:
            raise ValidationError(_("Enter a number.")) from exc
        if not number.is_finite():
            raise ValidationError(_("Enter a number."))
        if definition.min_value is not None and number < definition.min_value:
            raise ValidationError(
                _("Must be at least %(min)s.") % {"min": f"{definition.min_value.normalize():f}"}
            )
        if definition.max_value is not None and number > definition.max_value:
            raise ValidationError(
                _("Must be at most %(max)s.") % {"max": f"{definition.max_value.normalize():f}"}
            )
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == CustomFieldType.DATE:
        if isinstance(value, dt.date):
            return value.isoformat()
        try:
            return dt.date.fromisoformat(str(value).strip()).isoformat()
        except ValueError as exc:
            raise ValidationError(_("Enter a date as YYYY-MM-DD.")) from exc
    if kind == CustomFieldType.CHOICE:
        text = str(value).strip()
        if text not in definition.choices:
            raise ValidationError(
                _("Choose one of: %(options)s.") % {"options": "、".join(definition.choices)}
            )
        return text
    raise ValidationError(_("Unknown field type."))


def check_custom_values(
    definitions: list[CustomFieldDefinition], values: dict[str, Any] | None
) -> dict[str, Any]:
    """Validate every custom value at once; errors are keyed ``custom_fields.<key>``."""
    values = dict(values or {})
    by_key = {d.key: d for d in definitions}
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for key in values:
        if key not in by_key:
            errors[f"custom_fields.{key}"] = [_("There is no custom field %(key)s.") % {"key": key}]
    for definition in definitions:
        raw = values.get(definition.key)
        if _is_blank(raw):
            if definition.required:
                errors[f"custom_fields.{definition.key}"] = [
                    _("%(label)s is required.") % {"label": definition.label}
                ]
            continue
        try:
            cleaned[definition.key] = clean_custom_value(definition, raw)
        except ValidationError as exc:
            errors[f"custom_fields.{definition.key}"] = [
                f"{definition.label}: {message}" for message in exc.messages
            ]
    if errors:
        raise ValidationError(errors)
    return cleaned
