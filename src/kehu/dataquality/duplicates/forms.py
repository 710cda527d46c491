"""Forms of the duplicate pages: the score filter and the merge choices."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.dataquality.duplicates.merge_fields import DECISION_MAKER
from kehu.dataquality.duplicates.selectors import MergeTable


class GroupFilterForm(forms.Form):
    min_score = forms.FloatField(label=_("Minimum score"), required=False, min_value=0, max_value=1)


def field_input(name: str) -> str:
    return f"field-{name.replace(':', '-')}"


class MergeForm(forms.Form):
    """The kept record, one source record per field, the decision maker, and the versions the
    user saw (a record changed since is refused by the service)."""

    def __init__(self, *args: Any, table: MergeTable, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.table = table
        record_choices = [(str(c.pk), c.code) for c in table.records]
        self.fields["keep"] = forms.TypedChoiceField(
            label=_("Record to keep"),
            choices=record_choices,
            coerce=int,
            initial=str(table.keep.pk),
            widget=forms.RadioSelect,
        )
        for row in table.rows:
            self.fields[field_input(row.name)] = forms.TypedChoiceField(
                label=row.label,
                choices=record_choices,
                coerce=int,
                initial=str(row.default),
                widget=forms.RadioSelect,
            )
        contacts = [(str(c.pk), c.name) for _pk, c in table.decision_makers if c is not None]
        if contacts:
            self.fields[DECISION_MAKER] = forms.TypedChoiceField(
                label=_("Key decision maker"),
                choices=contacts,
                coerce=int,
                initial=str(table.default_decision_maker or ""),
                widget=forms.RadioSelect,
            )
        for record in table.records:
            self.fields[f"version-{record.pk}"] = forms.IntegerField(
                initial=record.version, widget=forms.HiddenInput
            )

    def choices(self) -> dict[str, int]:
        data = self.cleaned_data
        chosen = {row.name: data[field_input(row.name)] for row in self.table.rows}
        if DECISION_MAKER in data:
            chosen[DECISION_MAKER] = data[DECISION_MAKER]
        return chosen

    def versions(self) -> dict[int, int]:
        return {c.pk: self.cleaned_data[f"version-{c.pk}"] for c in self.table.records}
