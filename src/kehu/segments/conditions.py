"""What a segment may filter on, how a definition is checked, and how it becomes a Q object.

A definition is ``{"groups": [[condition, …], …]}``: a customer matches when every condition
of at least one group holds (AND inside a group, OR between groups). A condition is
``{"field": "industry", "op": "eq", "value": 12}``. Input never reaches SQL as text: fields
and operators are looked up in the catalogue (segments.fields), values are parsed to Python
values and handed to the ORM as parameters. Custom fields are read with JSON key transforms,
which Django turns into the right SQL for SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet, TextField
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from kehu.accounts.selectors import department_subtree_ids
from kehu.segments.fields import (
    BETWEEN,
    CHOICE,
    CONTAINS,
    DATE,
    DATETIME,
    EMPTY,
    EQ,
    HAS,
    IN,
    MODEL,
    NE,
    NO_VALUE,
    NOT_EMPTY,
    NUMBER,
    OPERATOR_LABELS,
    PRESET_MODELS,
    TAG,
    TEXT,
    FieldSpec,
    field_catalogue,
    model_options,
)
from kehu.tags.models import CustomerTag

MAX_GROUPS = 5
MAX_CONDITIONS = 20
MAX_LIST_VALUES = 200
MAX_TEXT_LENGTH = 200
MAX_NUMBER = Decimal(10) ** 15  # beyond any amount or count; keeps values in 64-bit range
MAX_ID = 2**63


# --- values ----------------------------------------------------------------------------------
_UNITS = {"万": Decimal(10_000), "亿": Decimal(100_000_000)}


def _number(raw: Any) -> Decimal:
    """12.5, "100,000", "10万" (10 × 10,000) or "1.2亿"."""
    if isinstance(raw, bool) or raw is None:
        raise ValidationError(_("Enter a number."))
    text = str(raw).strip().replace(",", "").replace("，", "")
    factor = Decimal(1)
    if text and text[-1] in _UNITS:
        factor, text = _UNITS[text[-1]], text[:-1].strip()
    try:
        number = Decimal(text) * factor
    except InvalidOperation as exc:
        raise ValidationError(_("Enter a number.")) from exc
    if not number.is_finite():
        raise ValidationError(_("Enter a number."))
    if abs(number) >= MAX_NUMBER:
        raise ValidationError(_("The number is too large."))
    return number


def _date(raw: Any) -> dt.date:
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw).strip())
    except ValueError as exc:
        raise ValidationError(_("Enter a date as YYYY-MM-DD.")) from exc


def _single(spec: FieldSpec, raw: Any) -> Any:
    """One value of `spec`'s kind, in its JSON form (numbers as strings, dates ISO, ids int)."""
    if spec.kind == TEXT:
        if not isinstance(raw, str | int) or isinstance(raw, bool) or not str(raw).strip():
            raise ValidationError(_("Enter a value."))
        text = str(raw).strip()
        if len(text) > MAX_TEXT_LENGTH:
            raise ValidationError(
                _("At most %(limit)d characters (this has %(n)d).")
                % {"limit": MAX_TEXT_LENGTH, "n": len(text)}
            )
        return text
    if spec.kind == NUMBER:
        return f"{_number(raw).normalize():f}"  # 100000, never 1E+5
    if spec.kind in (DATE, DATETIME):
        return _date(raw).isoformat()
    if spec.kind == CHOICE:
        allowed = dict(spec.choices)
        if str(raw) not in allowed:
            raise ValidationError(
                _("Choose one of: %(options)s.") % {"options": "、".join(allowed.values())}
            )
        return str(raw)
    # MODEL and TAG: ids
    try:
        pk = int(str(raw).strip())
    except ValueError as exc:
        raise ValidationError(_("Choose an entry from the list.")) from exc
    if not 0 < pk < MAX_ID:
        raise ValidationError(_("Choose an entry from the list."))
    return pk


def _check_ids(spec: FieldSpec, ids: list[int]) -> None:
    model = "tag" if spec.kind == TAG else spec.model
    found = set(PRESET_MODELS[model]().filter(pk__in=ids).values_list("pk", flat=True))
    if set(ids) - found:
        raise ValidationError(_("Choose an entry from the list."))


def _as_list(raw: Any) -> list:
    if isinstance(raw, list | tuple):
        return list(raw)
    if raw in (None, ""):
        return []
    return [part for part in str(raw).split(",") if part.strip()]


def check_value(spec: FieldSpec, op: str, raw: Any) -> Any:
    """The parsed value of one condition, or ValidationError saying what is wrong with it."""
    if op in NO_VALUE:
        return None
    if op == IN:
        values = _as_list(raw)
        if not values:
            raise ValidationError(_("Choose at least one value."))
        if len(values) > MAX_LIST_VALUES:
            raise ValidationError(_("At most %(limit)d values.") % {"limit": MAX_LIST_VALUES})
        value: Any = list(dict.fromkeys(_single(spec, v) for v in values))
    elif op == BETWEEN:
        values = _as_list(raw)
        if len(values) != 2:
            raise ValidationError(_("Enter both ends of the range."))
        low, high = (_single(spec, v) for v in values)
        key = (lambda v: Decimal(v)) if spec.kind == NUMBER else (lambda v: v)
        if key(low) > key(high):
            raise ValidationError(_("The start of the range must not be after its end."))
        value = [low, high]
    else:
        if isinstance(raw, list | tuple):
            if len(raw) != 1:
                raise ValidationError(_("Enter a single value."))
            raw = raw[0]
        value = _single(spec, raw)
    if spec.kind in (MODEL, TAG):
        _check_ids(spec, value if isinstance(value, list) else [value])
    return value


# --- definitions -----------------------------------------------------------------------------
def _groups_of(definition: Any) -> list:
    """Accept ``{"groups": [[…], …]}`` or the shorthand ``{"conditions": […]}`` (one group)."""
    if not isinstance(definition, dict):
        raise ValidationError(_("The conditions must be an object with a list of groups."))
    if "groups" in definition:
        groups = definition["groups"]
    elif "conditions" in definition:
        groups = [definition["conditions"]]
    else:
        raise ValidationError(_("The conditions must be an object with a list of groups."))
    if not isinstance(groups, list) or not all(isinstance(g, list) for g in groups):
        raise ValidationError(_("Each group must be a list of conditions."))
    return groups


def condition_name(group: int, index: int, *, groups: int, label: str = "") -> str:
    """ "Condition 2 (Industry)" or, with several groups, "Group 2, condition 1 (Industry)"."""
    if groups > 1:
        name = _("Group %(group)d, condition %(n)d") % {"group": group, "n": index}
    else:
        name = _("Condition %(n)d") % {"n": index}
    return f"{name} ({label})" if label else name


def check_definition(
    definition: Any, *, catalogue: dict[str, FieldSpec] | None = None
) -> dict[str, list]:
    """The definition cleaned to its stored form; ValidationError listing every bad condition
    by its place and field (under the key ``definition``)."""
    groups = _groups_of(definition)
    catalogue = catalogue if catalogue is not None else field_catalogue()
    groups = [g for g in groups if g]
    count = sum(len(g) for g in groups)
    if not count:
        raise ValidationError({"definition": [_("Add at least one condition.")]})
    if len(groups) > MAX_GROUPS or count > MAX_CONDITIONS:
        raise ValidationError(
            {
                "definition": [
                    _("At most %(groups)d groups and %(conditions)d conditions.")
                    % {"groups": MAX_GROUPS, "conditions": MAX_CONDITIONS}
                ]
            }
        )
    errors: list[str] = []
    cleaned_groups: list[list[dict]] = []
    for g, conditions in enumerate(groups, start=1):
        cleaned: list[dict] = []
        for n, condition in enumerate(conditions, start=1):
            name = condition_name(g, n, groups=len(groups))
            if not isinstance(condition, dict):
                errors.append(
                    f"{name}: {_('Each condition needs a field, an operator and a value.')}"
                )
                continue
            spec = catalogue.get(str(condition.get("field", "")))
            if spec is None:
                errors.append(
                    f"{name}: "
                    + _("Unknown field “%(field)s”.")
                    % {"field": str(condition.get("field", ""))[:40]}
                )
                continue
            name = condition_name(g, n, groups=len(groups), label=spec.label)
            op = str(condition.get("op", ""))
            if op not in spec.operators:
                errors.append(
                    f"{name}: "
                    + _("The operator “%(op)s” does not apply to this field; use one of: %(ops)s.")
                    % {
                        "op": op[:20],
                        "ops": " ".join(str(OPERATOR_LABELS[o]) for o in spec.operators),
                    }
                )
                continue
            try:
                value = check_value(spec, op, condition.get("value"))
            except ValidationError as exc:
                errors.extend(f"{name}: {message}" for message in exc.messages)
                continue
            cleaned.append({"field": spec.key, "op": op, "value": value})
        cleaned_groups.append(cleaned)
    if errors:
        raise ValidationError({"definition": errors})
    return {"groups": cleaned_groups}


# --- compiling -------------------------------------------------------------------------------
def _hierarchy_q(path: str, ids: Iterable[int]) -> Q:
    ids = list(ids)
    return Q(**{f"{path}_id__in": ids}) | Q(**{f"{path}__parent_id__in": ids})


def _model_q(spec: FieldSpec, ids: list[int]) -> Q:
    if spec.model in ("industry", "region"):
        # A category (门类, 华东) stands for every entry under it, as in the customer list.
        return _hierarchy_q(spec.path, ids)
    if spec.model == "department":
        subtree: set[int] = set()
        for pk in ids:
            subtree |= department_subtree_ids(pk)
        return Q(**{f"{spec.path}_id__in": sorted(subtree)})
    return Q(**{f"{spec.path}_id__in": ids})


def _json_number(value: str) -> int | float:
    number = Decimal(value)
    return int(number) if number == number.to_integral_value() else float(number)


def _custom_q(spec: FieldSpec, op: str, value: Any, aliases: dict[str, Any]) -> Q:
    """Conditions on Customer.custom_fields[key], through query aliases (a key is data, never
    part of a lookup string). Numbers are stored as JSON numbers and compared as JSON
    (numerically on both databases); text, choices and ISO dates are compared as text."""
    key = spec.custom_key
    json_alias = f"segment_cf{len(aliases)}"
    aliases[json_alias] = KeyTransform(key, "custom_fields")
    missing = Q(**{f"{json_alias}__isnull": True})
    if op == EMPTY:
        return missing
    if op == NOT_EMPTY:
        return ~missing
    if spec.kind == NUMBER:
        alias = json_alias
        convert: Callable[[Any], Any] = _json_number
    else:
        alias = f"segment_cf{len(aliases)}"
        # Cast: plain text lookups, not the JSON ones KeyTextTransform inherits.
        aliases[alias] = Cast(KeyTextTransform(key, "custom_fields"), TextField())
        convert = str
    if op == NE:
        return missing | ~Q(**{alias: convert(value)})
    if op == IN:
        q = Q(pk__in=[])
        for v in value:
            q |= Q(**{alias: convert(v)})
        return q
    if op == BETWEEN:
        return Q(**{f"{alias}__gte": convert(value[0]), f"{alias}__lte": convert(value[1])})
    name = {EQ: "exact", CONTAINS: "icontains"}.get(op, op)
    return Q(**{f"{alias}__{name}": convert(value)})


def _field_q(spec: FieldSpec, op: str, value: Any) -> Q:
    path = spec.path
    if spec.kind in (TEXT, CHOICE):
        empty = Q(**{path: ""}) | Q(**{f"{path}__isnull": True})
    else:
        empty = Q(**{f"{path}__isnull": True})
    if op == EMPTY:
        return empty
    if op == NOT_EMPTY:
        return ~empty
    if spec.kind == MODEL:
        q = _model_q(spec, value if op == IN else [value])
        return ~q if op == NE else q
    if spec.kind == NUMBER:
        value = [Decimal(v) for v in value] if isinstance(value, list) else Decimal(value)
    elif spec.kind in (DATE, DATETIME):
        value = (
            [dt.date.fromisoformat(v) for v in value]
            if isinstance(value, list)
            else dt.date.fromisoformat(value)
        )
        if spec.kind == DATETIME:
            path = f"{path}__date"  # in the active time zone
    if op == EQ:
        return Q(**{path: value})
    if op == NE:
        return ~Q(**{path: value})
    if op == BETWEEN:
        return Q(**{f"{path}__gte": value[0], f"{path}__lte": value[1]})
    if op == CONTAINS:
        return Q(**{f"{path}__icontains": value})
    return Q(**{f"{path}__{op}": value})  # in, gt, gte, lt, lte


def condition_q(spec: FieldSpec, op: str, value: Any, aliases: dict[str, Any]) -> Q:
    if spec.kind == TAG:
        tagged = Q(id__in=CustomerTag.objects.filter(tag_id=value).values("customer_id"))
        return tagged if op == HAS else ~tagged
    if spec.custom_key:
        return _custom_q(spec, op, value, aliases)
    return _field_q(spec, op, value)


def definition_filter(
    queryset: QuerySet, definition: dict, *, catalogue: dict[str, FieldSpec] | None = None
) -> QuerySet:
    """`queryset` (customers, already scoped) narrowed to those matching a definition checked
    by `check_definition`. Conditions on a field or tag that has gone since match nothing."""
    aliases: dict[str, Any] = {}
    q = definition_q(definition, catalogue=catalogue, aliases=aliases)
    return queryset.alias(**aliases).filter(q) if aliases else queryset.filter(q)


def definition_q(
    definition: dict,
    *,
    catalogue: dict[str, FieldSpec] | None = None,
    aliases: dict[str, Any] | None = None,
) -> Q:
    """The Q of a checked definition; custom-field conditions add the query aliases they
    refer to into `aliases` (use `definition_filter`, which applies both)."""
    catalogue = catalogue if catalogue is not None else field_catalogue()
    aliases = aliases if aliases is not None else {}
    result = Q(pk__in=[])
    for conditions in _groups_of(definition):
        group = Q()
        for condition in conditions:
            spec = catalogue.get(condition.get("field"))
            if spec is None or condition.get("op") not in spec.operators:
                group = Q(pk__in=[])
                break
            group &= condition_q(spec, condition["op"], condition.get("value"), aliases)
        if conditions:
            result |= group
    return result


def describe_definition(
    definition: dict, *, catalogue: dict[str, FieldSpec] | None = None
) -> list[list[str]]:
    """The conditions in words, per group: ["industry = 制造业", "status is one of 意向客户、…"]."""
    catalogue = catalogue if catalogue is not None else field_catalogue()
    labels_cache: dict[str, dict[str, str]] = {}
    described: list[list[str]] = []
    for conditions in _groups_of(definition):
        words = []
        for condition in conditions:
            spec = catalogue.get(condition.get("field"))
            if spec is None:
                words.append(_("(a field that no longer exists)"))
                continue
            op = condition.get("op")
            value = condition.get("value")
            values = value if isinstance(value, list) else ([] if value is None else [value])
            if spec.kind in (MODEL, TAG):
                model = "tag" if spec.kind == TAG else spec.model
                if model not in labels_cache:
                    labels_cache[model] = {str(k): v for k, v in model_options(model)}
                names = [labels_cache[model].get(str(v), "?") for v in values]
            elif spec.kind == CHOICE:
                names = [dict(spec.choices).get(str(v), str(v)) for v in values]
            else:
                names = [str(v) for v in values]
            joiner = " – " if op == BETWEEN else "、"
            text = f"{spec.label} {OPERATOR_LABELS.get(op, op)}"
            words.append(f"{text} {joiner.join(names)}".strip())
        described.append(words)
    return described
