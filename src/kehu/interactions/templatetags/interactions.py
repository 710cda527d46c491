"""Icons and badge colours of interaction methods and feedback. ``{% load interactions %}``."""

from django import template

register = template.Library()

METHOD_ICONS = {
    "phone": "bi-telephone",
    "visit": "bi-geo-alt",
    "email": "bi-envelope",
    "meeting": "bi-people",
    "live": "bi-broadcast",
}

# Bootstrap tones: interested is good news, refused bad, an objection needs attention.
FEEDBACK_TONES = {
    "interested": "success",
    "needs_info": "info",
    "not_now": "secondary",
    "refused": "danger",
    "objection": "warning",
}


@register.filter
def method_icon(method: str) -> str:
    return METHOD_ICONS.get(method, "bi-chat-left-text")


@register.filter
def feedback_tone(feedback: str) -> str:
    return FEEDBACK_TONES.get(feedback, "light")


@register.filter
def percent(rate) -> str:
    """0.9567 → "95.7 %"; no data → "—"."""
    if rate is None:
        return "—"
    return f"{rate * 100:.1f} %"
