"""Sensitive fields: finding them without decrypting (blind indexes), and showing them per role
(field security: hidden, masked or visible).

The mobile number's indexes use the purpose names "mobile" and "mobile_last4" wherever a
mobile is stored (contacts, leads), so a lead's number finds a contact's and the other way.
"""

from __future__ import annotations

from kehu.core.crypto import blind_index
from kehu.customers.validators import mask_mobile, normalize_mobile


def mobile_index(mobile: str | None) -> str:
    """The exact-match index of a mobile number (normalised first, as stored)."""
    return blind_index(normalize_mobile(mobile), purpose="mobile")


def mobile_last4_index(digits: str) -> str:
    """The index of the last 4 digits, for the "mobile last 4" search."""
    return blind_index(digits, purpose="mobile_last4") if len(digits) == 4 else ""


# --- field security --------------------------------------------------------------------------
CONTACT_MOBILE = "contact.mobile"
LEAD_MOBILE = "lead.mobile"
CUSTOM_PREFIX = "custom."
LEVEL_RANK = {"hidden": 0, "masked": 1, "visible": 2}


def field_levels(user) -> dict[str, str]:
    """The user's level per sensitive field (widest of their roles), cached on the user for
    the request or task like accounts.selectors.user_rights."""
    cached = getattr(user, "_kehu_field_levels", None)
    if cached is not None:
        return cached
    from kehu.customers.models import FieldSecurity

    levels: dict[str, str] = {}
    if user is not None and user.is_authenticated and user.is_active:
        rows = FieldSecurity.objects.filter(role__users=user).values_list("field", "level")
        for field, level in rows:
            if field not in levels or LEVEL_RANK[level] > LEVEL_RANK[levels[field]]:
                levels[field] = level
        if user.is_superuser:
            levels["*"] = "visible"  # for fields none of their roles has a row for
    user._kehu_field_levels = levels
    return levels


def field_level(user, field: str) -> str:
    """hidden, masked or visible; a field without a row for any of the user's roles is masked
    (superusers: visible)."""
    levels = field_levels(user)
    return levels.get(field) or levels.get("*") or "masked"


def is_hidden(user, field: str) -> bool:
    return field_level(user, field) == "hidden"


def shown_mobile(user, mobile: str | None, *, field: str = CONTACT_MOBILE) -> str | None:
    """What a list, page, API answer or export shows of a mobile: None when hidden (leave the
    field out), else masked; the full number only ever comes from the logged unmask."""
    if is_hidden(user, field):
        return None
    return mask_mobile(mobile or "")


def sensitive_field_choices() -> list[tuple[str, str]]:
    """The fields field security applies to: mobiles, and custom fields marked sensitive."""
    from django.utils.translation import gettext as _

    from kehu.customers.models import CustomFieldDefinition

    choices = [(CONTACT_MOBILE, _("Contact: mobile")), (LEAD_MOBILE, _("Lead: mobile"))]
    for definition in CustomFieldDefinition.objects.filter(sensitive=True):
        choices.append(
            (
                CUSTOM_PREFIX + definition.key,
                _("Custom field: %(label)s") % {"label": definition.label},
            )
        )
    return choices


# --- custom fields marked sensitive ------------------------------------------------------------
def sensitive_custom_keys() -> frozenset[str]:
    """Keys of the custom fields marked sensitive, whose values Customer.custom_fields stores
    encrypted. Kept in the reference cache (core.refcache: CustomFieldDefinition is watched),
    so a field marked sensitive in one process is encrypted by every other within a second
    with a shared cache, and within its age limit without one."""
    from kehu.core import refcache

    def build() -> frozenset[str]:
        from kehu.customers.models import CustomFieldDefinition

        keys = CustomFieldDefinition.objects.filter(sensitive=True).values_list("key", flat=True)
        return frozenset(keys)

    return refcache.cached(("customers.sensitive_custom_keys",), build)


def mask_text(value) -> str:
    """110***********123X → 1****X: the first and last character, never the length."""
    text = "" if value is None else str(value)
    if not text:
        return ""
    return "****" if len(text) < 3 else f"{text[0]}****{text[-1]}"


def shown_custom_values(user, customer, pairs, *, revealed: dict | None = None) -> list[dict]:
    """The detail page's custom fields as `user` may see them: a sensitive one left out when
    hidden, else masked with `revealable` when the logged unmask may show it."""
    from kehu.core.permissions import can_unmask

    shown = []
    for definition, value in pairs:
        item = {
            "definition": definition,
            "key": definition.key,
            "value": value,
            "revealed": (revealed or {}).get(definition.key),
        }
        if definition.sensitive:
            field = CUSTOM_PREFIX + definition.key
            if is_hidden(user, field):
                continue
            item["value"] = mask_text(value)
            item["sensitive"] = True
            item["revealable"] = value not in (None, "") and can_unmask(user, customer, field)
        shown.append(item)
    return shown


def shown_custom_fields(user, values: dict | None) -> dict:
    """Customer.custom_fields as `user` may see them in the API and exports: sensitive ones
    masked, or left out when hidden."""
    keys = sensitive_custom_keys()
    shown = {}
    for key, value in (values or {}).items():
        if key in keys:
            if is_hidden(user, CUSTOM_PREFIX + key):
                continue
            value = mask_text(value) if value not in (None, "") else value
        shown[key] = value
    return shown


def keep_masked_custom_values(submitted: dict | None, current: dict) -> dict | None:
    """A sensitive value sent back exactly as it was shown (masked) keeps the stored value."""
    if submitted is None:
        return None
    keys = sensitive_custom_keys()
    return {
        key: value
        for key, value in submitted.items()
        if not (key in keys and value not in (None, "") and value == mask_text(current.get(key)))
    }
