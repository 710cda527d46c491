"""Forms of the segment pages: name and sharing, the condition rows of the builder, the
assignment confirmation; and the customer list's filters read as segment conditions."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import Department, User
from kehu.accounts.selectors import assignable_users
from kehu.segments import fields as c
from kehu.segments.models import Segment

_TOKEN = re.compile(r"^c-([a-z0-9]{1,16})-field$")
_LIST_SPLIT = re.compile(r"[,，、\n]+")


def new_token() -> str:
    return secrets.token_hex(4)


@dataclass
class BuilderRow:
    """One condition row of the builder as the user left it (not yet checked)."""

    token: str
    group: str
    field: str = ""
    op: str = ""
    values: list[str] = dataclass_field(default_factory=list)

    def condition(self, spec: c.FieldSpec | None) -> dict[str, Any]:
        value: Any = self.values
        if spec is not None and self.op not in (c.IN, c.BETWEEN):
            value = self.values[0] if self.values else ""
        elif spec is not None and self.op == c.IN and spec.kind in (c.TEXT, c.NUMBER):
            value = [p.strip() for v in self.values for p in _LIST_SPLIT.split(v) if p.strip()]
        return {"field": self.field, "op": self.op, "value": value}


def rows_from_data(data: Mapping) -> list[BuilderRow]:
    """The builder's rows from a POST, in page order: ``c-<token>-field``, ``-op``, ``-value``
    (repeated for lists and ranges) and ``-group``."""
    rows = []
    for name in data:
        match = _TOKEN.match(name)
        if not match:
            continue
        token = match.group(1)
        getlist = data.getlist if hasattr(data, "getlist") else (lambda k: [data.get(k, "")])
        values = [v for v in getlist(f"c-{token}-value") if str(v).strip() != ""]
        rows.append(
            BuilderRow(
                token=token,
                group=str(data.get(f"c-{token}-group", "")) or "g0",
                field=str(data.get(name, "")),
                op=str(data.get(f"c-{token}-op", "")),
                values=[str(v) for v in values],
            )
        )
    return rows


def rows_from_definition(definition: dict) -> list[BuilderRow]:
    rows = []
    for index, conditions in enumerate((definition or {}).get("groups", [])):
        for condition in conditions:
            value = condition.get("value")
            values = value if isinstance(value, list) else ([] if value is None else [value])
            rows.append(
                BuilderRow(
                    token=new_token(),
                    group=f"g{index}",
                    field=condition.get("field", ""),
                    op=condition.get("op", ""),
                    values=[str(v) for v in values],
                )
            )
    return rows


def definition_from_rows(rows: list[BuilderRow], catalogue: dict[str, c.FieldSpec]) -> dict:
    """The raw definition of the rows (check_definition says what is wrong with it)."""
    groups: dict[str, list[dict]] = {}
    for row in rows:
        groups.setdefault(row.group, []).append(row.condition(catalogue.get(row.field)))
    return {"groups": list(groups.values())}


# The customer list's filter parameters that translate one to one into conditions.
_LIST_FILTERS = {
    "customer_type": ("customer_type", c.EQ),
    "industry": ("industry", c.EQ),
    "scale": ("scale", c.EQ),
    "source": ("source", c.EQ),
    "enterprise_type": ("enterprise_type", c.EQ),
    "region": ("region", c.EQ),
    "owner": ("owner", c.EQ),
    "department": ("department", c.EQ),
    "budget_min": ("annual_budget", c.GTE),
    "budget_max": ("annual_budget", c.LTE),
}


def rows_from_list_filters(params: Mapping) -> tuple[list[BuilderRow], bool]:
    """ "Save as segment" from the customer list: its filters as builder rows, and whether a
    search term was left out (a free-text search is not a segment condition)."""
    getlist = params.getlist if hasattr(params, "getlist") else (lambda k: [params[k]])
    rows: list[BuilderRow] = []

    def add(field_key: str, op: str, values: list[str]) -> None:
        rows.append(BuilderRow(new_token(), "g0", field_key, op, values))

    statuses = [v for v in getlist("status") if v] if "status" in params else []
    if len(statuses) == 1:
        add("status", c.EQ, statuses)
    elif statuses:
        add("status", c.IN, statuses)
    for name, (field_key, op) in _LIST_FILTERS.items():
        value = str(params.get(name, "") or "").strip()
        if value:
            add(field_key, op, [value])
    if "tags" in params:
        for raw in getlist("tags"):
            for tag in str(raw).split(","):
                if tag.strip():
                    add("tag", c.HAS, [tag.strip()])
    return rows, bool(str(params.get("q", "") or "").strip())


def row_context(row: BuilderRow, catalogue: dict[str, c.FieldSpec]) -> dict[str, Any]:
    """What the row template needs: the field list by group, the operators and value widget
    of the chosen field (the first field when none is chosen yet)."""
    spec = catalogue.get(row.field) or next(iter(catalogue.values()))
    op = row.op if row.op in spec.operators else spec.operators[0]
    grouped: dict[str, list[c.FieldSpec]] = {}
    for item in catalogue.values():
        grouped.setdefault(item.group, []).append(item)
    options: list[tuple[str, str]] = []
    if spec.kind == c.CHOICE:
        options = list(spec.choices)
    elif spec.kind in (c.MODEL, c.TAG):
        model = "tag" if spec.kind == c.TAG else spec.model
        options = [(str(pk), label) for pk, label in c.model_options(model)]
    input_type = "date" if spec.kind in (c.DATE, c.DATETIME) else "text"
    return {
        "row": row,
        "spec": spec,
        "op": op,
        "grouped_fields": grouped,
        "operators": [(o, c.OPERATOR_LABELS[o]) for o in spec.operators],
        "options": options,
        "input_type": input_type,
        "numeric": spec.kind == c.NUMBER,
        "needs_value": op not in c.NO_VALUE,
        "first": (
            ", ".join(row.values)
            if op == c.IN and not options
            else (row.values[0] if row.values else "")
        ),
        "second": row.values[1] if len(row.values) > 1 else "",
    }


class SegmentForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Segment
        fields = ["name", "description", "shared_departments", "shared_users"]
        widgets = {
            "shared_departments": forms.SelectMultiple(attrs={"size": 5}),
            "shared_users": forms.SelectMultiple(attrs={"size": 5}),
        }

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["shared_departments"].queryset = Department.objects.all()
        self.fields["shared_users"].queryset = User.objects.filter(is_active=True).exclude(
            pk=user.pk
        )
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
        for bound in self.fields.values():
            if isinstance(bound.widget, forms.HiddenInput):
                continue
            css = "form-select" if isinstance(bound.widget, forms.Select) else "form-control"
            bound.widget.attrs["class"] = f"{css} form-control-sm"
        self.definition_errors: list[str] = []

    def map_service_errors(self, exc) -> None:
        """Condition errors go above the builder; the others next to their field."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc.messages)
            return
        for key, messages in exc.message_dict.items():
            if key == "definition":
                self.definition_errors.extend(messages)
            elif key in self.fields and key != "version":
                self.add_error(key, messages)
            else:
                self.add_error(None, messages)


class AssignForm(forms.Form):
    to_user = forms.ModelChoiceField(label=_("new owner"), queryset=User.objects.none())
    confirm = forms.BooleanField(
        label=_("I have checked the list and want to change these customers' owner."),
        required=True,
    )

    def __init__(self, *args, by: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_user"].queryset = assignable_users(by)
        self.fields["to_user"].label_from_instance = lambda u: u.display_name
        self.fields["to_user"].widget.attrs["class"] = "form-select form-select-sm"
        self.fields["confirm"].widget.attrs["class"] = "form-check-input"
