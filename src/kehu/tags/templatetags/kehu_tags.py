"""Template helpers of the tag pages. ``{% load kehu_tags %}``."""

from __future__ import annotations

from django import template

from kehu.core import refcache
from kehu.tags import selectors
from kehu.tags.forms import tags_by_type

register = template.Library()


@register.simple_tag
def tag_filter_choices(field) -> list:
    """Approved tags grouped by type for the customer list's tag filter, each marked when the
    bound filter field selects it (the field reads ``?tags=3&tags=7`` and ``?tags=3,7``).
    The library is cached per process until a tag is saved (core.refcache)."""
    chosen = {str(value) for value in (field.value() or [])}
    library = refcache.cached(("tag-library",), lambda: list(selectors.tag_library()))
    return [
        (label, [(tag, str(tag.pk) in chosen) for tag in tags])
        for _value, label, tags in tags_by_type(library)
    ]
