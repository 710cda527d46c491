"""Forms of the tag pages: they collect input; tags.services makes the authoritative checks."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from operator import attrgetter

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.customers.forms import ServiceForm
from kehu.tags import selectors
from kehu.tags.models import TagType


def tags_by_type(items: Iterable, *, type_of: Callable = attrgetter("tag_type")) -> list[tuple]:
    """(type, type label, items) in the order of TagType, skipping empty types. Items are tags,
    or anything `type_of` gives a tag type for (a customer's tags)."""
    groups: dict[str, list] = {value: [] for value in TagType.values}
    for item in items:
        groups[type_of(item)].append(item)
    return [
        (value, TagType(value).label, groups[value]) for value in TagType.values if groups[value]
    ]


class TagRequestForm(ServiceForm):
    tag_type = forms.ChoiceField(label=_("tag type"), choices=TagType.choices)
    name_zh = forms.CharField(label=_("name (Chinese)"), max_length=32)
    name_en = forms.CharField(label=_("name (English)"), max_length=64, required=False)
    description = forms.CharField(label=_("description"), max_length=200, required=False)
    # Not required here: the service says what a good reason is.
    reason = forms.CharField(
        label=_("reason for the request"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 300}),
        help_text=_("What customers would carry this tag, and why the library needs it."),
    )


class TagDecisionForm(forms.Form):
    note = forms.CharField(label=_("note"), max_length=300, required=False)


class CustomerTagForm(ServiceForm):
    # Any library tag passes the form, so an unapproved one gets the service's message.
    tag = forms.ModelChoiceField(
        label=_("tag"),
        queryset=selectors.tag_library(include_pending=True),
        empty_label=_("Choose a tag…"),
    )
    note = forms.CharField(
        label=_("tag note"),
        max_length=300,
        required=False,
        help_text=_("Facts behind the tag, e.g. what the customer said."),
    )

    def __init__(self, *args, present: set[int] = frozenset(), **kwargs):
        super().__init__(*args, **kwargs)
        # Offered: approved tags the customer does not carry yet, grouped by type.
        choices: list = [("", self.fields["tag"].empty_label)]
        approved = selectors.tag_library().exclude(pk__in=present)
        for _value, label, tags in tags_by_type(approved):
            choices.append((label, [(tag.pk, tag.label) for tag in tags]))
        self.fields["tag"].widget.choices = choices
        self.fields["tag"].widget.attrs["class"] = "form-select form-select-sm"
        self.fields["note"].widget.attrs.update(
            {"class": "form-control form-control-sm", "placeholder": _("Note (optional)")}
        )
