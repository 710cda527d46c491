"""Template side of field security: ``{% field_level "contact.mobile" as level %}`` to leave a
hidden field's column out, ``{% masked_value contact.mobile %}`` for the value as the current
user may see it (masked, or nothing when hidden). The full value never comes from here: only
the logged unmask shows it."""

from django import template

from kehu.customers.sensitive import CONTACT_MOBILE, shown_custom_values, shown_mobile
from kehu.customers.sensitive import field_level as level_of

register = template.Library()


def _user(context):
    request = context.get("request")
    return getattr(request, "user", None) or context.get("user")


@register.simple_tag(takes_context=True)
def field_level(context, field: str = CONTACT_MOBILE) -> str:
    return level_of(_user(context), field)


@register.simple_tag(takes_context=True)
def masked_value(context, value, field: str = CONTACT_MOBILE) -> str:
    return shown_mobile(_user(context), value, field=field) or ""


@register.simple_tag(takes_context=True)
def custom_values_for(context, customer, pairs, revealed=None) -> list[dict]:
    return shown_custom_values(_user(context), customer, pairs, revealed=revealed)
