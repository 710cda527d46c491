"""The audit feed: history rows of every audited model, unmasks, exports, sign-ins and audit
events in one list, newest first.

One query per source with keyset pagination rather than a SQL UNION: the history tables have
different columns (a UNION would need per-table column lists kept in step with every model
and casts that differ between SQLite and PostgreSQL), while a keyset query per source reads at
most ``page size + 1`` rows from each table through its date index, so a page costs one
bounded query per source (plus one per source for the rows' previous versions) however long
the history grows. The rows are merged in Python; the cursor is the last row's
(time, source, id), compared per source so no row is skipped or repeated on equal times.
"""

from __future__ import annotations

import datetime as dt
import heapq
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.apps import apps
from django.db.models import Model, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from kehu.audit.models import AuditAction, AuditEvent
from kehu.customers.validators import mask_mobile

# History of these models is a change of who may do what.
PERMISSION_MODELS = frozenset({"accounts.user", "accounts.role", "accounts.department"})
HISTORY_TYPES = {"+": AuditAction.CREATE, "~": AuditAction.UPDATE, "-": AuditAction.DELETE}
ACTION_TYPES = {v: k for k, v in HISTORY_TYPES.items()}
# Personal numbers appear masked in the audit page and its CSV: the audit is not a way around
# unmasking. Derived columns (last four digits, search indexes) are left out altogether.
MASKED_FIELDS = frozenset({"mobile"})
HIDDEN_SUFFIXES = ("_last4", "_index", "_hash", "_digest", "_bidx")


@dataclass(frozen=True)
class Source:
    key: str  # "customers.contact" for history, "log.unmask" … for access logs
    label: Any
    model: type[Model]
    date_field: str
    id_field: str
    actor_field: str
    history_of: type[Model] | None = None

    @property
    def is_history(self) -> bool:
        return self.history_of is not None


@dataclass
class Change:
    field: str
    label: str
    old: str
    new: str
    revertible: bool = False


@dataclass
class FeedRow:
    at: dt.datetime
    source: Source
    pk: int
    actor: Any
    action: str
    record_type: str
    record_id: str
    record_label: str
    detail: str = ""
    changes: list[Change] = field(default_factory=list)
    obj: Any = None

    @property
    def cursor(self) -> str:
        return f"{self.at.isoformat()}|{self.source.key}|{self.pk}"

    @property
    def action_label(self) -> str:
        return str(AuditAction(self.action).label)


@cache
def sources() -> tuple[Source, ...]:
    """Every model under history in the project's apps, then the access logs."""
    found: list[Source] = []
    for model in apps.get_models():
        manager = getattr(model._meta, "simple_history_manager_attribute", None)
        if not manager or not model.__module__.startswith("kehu."):
            continue
        historical = getattr(model, manager).model
        found.append(
            Source(
                key=model._meta.label_lower,
                label=model._meta.verbose_name,
                model=historical,
                date_field="history_date",
                id_field="history_id",
                actor_field="history_user",
                history_of=model,
            )
        )
    found.sort(key=lambda s: s.key)
    from kehu.accounts.models import AccessEvent
    from kehu.customers.models import UnmaskLog
    from kehu.dataquality.models import ExportLog

    found += [
        Source("log.event", _("Audit event"), AuditEvent, "at", "id", "actor"),
        Source("log.export", _("Export"), ExportLog, "created_at", "id", "user"),
        Source("log.login", _("Sign-in"), AccessEvent, "at", "id", "user"),
        Source("log.unmask", _("Unmask"), UnmaskLog, "at", "id", "user"),
    ]
    return tuple(found)


def source_by_key(key: str) -> Source | None:
    return next((s for s in sources() if s.key == key), None)


def model_choices() -> list[tuple[str, str]]:
    return [(s.key, str(s.label)) for s in sources() if s.is_history]


@dataclass
class FeedFilter:
    model: str = ""
    record: str = ""
    actor_id: int | None = None
    action: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def _source_action(source: Source) -> str | None:
    """The one action a log source stands for; None for history (per row)."""
    return {
        "log.export": AuditAction.EXPORT,
        "log.login": AuditAction.LOGIN,
        "log.unmask": AuditAction.UNMASK,
    }.get(source.key)


def _source_queryset(source: Source, flt: FeedFilter) -> QuerySet | None:
    """The source's rows matching the filter, or None when the filter excludes the source."""
    qs = source.model.objects.all()
    fixed = _source_action(source)
    if flt.action:
        if fixed is not None and flt.action != fixed:
            return None
        if source.is_history:
            if flt.action == AuditAction.PERMISSION:
                if source.key not in PERMISSION_MODELS:
                    return None
            elif flt.action in ACTION_TYPES:
                qs = qs.filter(history_type=ACTION_TYPES[flt.action])
            else:
                return None
        elif source.key == "log.event":
            qs = qs.filter(action=flt.action)
    if flt.model:
        if source.is_history and source.key != flt.model:
            return None
        if source.key == "log.event":
            qs = qs.filter(target_model=flt.model)
        elif source.key == "log.unmask" and flt.model in (
            "customers.customer",
            "customers.contact",
            "sales.lead",
        ):
            if flt.model == "sales.lead":
                qs = qs.filter(lead__isnull=False)
        elif not source.is_history:
            return None
    if flt.record:
        if source.is_history:
            qs = qs.filter(**{source.history_of._meta.pk.attname: flt.record})
        elif source.key == "log.event":
            qs = qs.filter(target_id=flt.record)
        elif source.key == "log.unmask":
            column = {"customers.contact": "contact_id", "sales.lead": "lead_id"}.get(
                flt.model, "customer_id"
            )
            qs = qs.filter(**{column: flt.record})
        else:
            return None
    if flt.actor_id:
        qs = qs.filter(**{f"{source.actor_field}_id": flt.actor_id})
    if flt.date_from:
        start = timezone.make_aware(dt.datetime.combine(flt.date_from, dt.time.min))
        qs = qs.filter(**{f"{source.date_field}__gte": start})
    if flt.date_to:
        end = timezone.make_aware(
            dt.datetime.combine(flt.date_to + dt.timedelta(days=1), dt.time.min)
        )
        qs = qs.filter(**{f"{source.date_field}__lt": end})
    return qs


def parse_cursor(value: str | None) -> tuple[dt.datetime, str, int] | None:
    if not value:
        return None
    try:
        at_text, key, pk = value.rsplit("|", 2)
        at = parse_datetime(at_text)
        return (at, key, int(pk)) if at is not None else None
    except ValueError:
        return None


def _after(source: Source, cursor: tuple[dt.datetime, str, int]) -> Q:
    """Rows strictly after the cursor in (time desc, source desc, id desc) order."""
    at, key, pk = cursor
    date, ident = source.date_field, source.id_field
    if source.key < key:
        return Q(**{f"{date}__lte": at})
    if source.key == key:
        return Q(**{f"{date}__lt": at}) | Q(**{date: at, f"{ident}__lt": pk})
    return Q(**{f"{date}__lt": at})


def _history_row(source: Source, record) -> FeedRow:
    model = source.history_of
    object_id = getattr(record, model._meta.pk.attname)
    action = HISTORY_TYPES[record.history_type]
    if source.key in PERMISSION_MODELS and record.history_type == "~":
        action = AuditAction.PERMISSION
    label = next(
        (
            str(getattr(record, n))
            for n in ("name", "title", "username", "code")
            if getattr(record, n, "")
        ),
        "",
    )
    return FeedRow(
        at=record.history_date,
        source=source,
        pk=record.history_id,
        actor=record.history_user,
        action=action,
        record_type=str(model._meta.verbose_name),
        record_id=str(object_id),
        record_label=label,
        detail=record.history_change_reason or "",
        obj=record,
    )


def _log_row(source: Source, record) -> FeedRow:
    if source.key == "log.event":
        return FeedRow(
            at=record.at,
            source=source,
            pk=record.pk,
            actor=record.actor,
            action=record.action,
            record_type=record.target_model,
            record_id=record.target_id,
            record_label="",
            detail=record.summary,
            obj=record,
        )
    if source.key == "log.export":
        detail = _("%(rows)s rows, %(format)s%(unmasked)s") % {
            "rows": record.row_count,
            "format": record.file_format,
            "unmasked": _(", unmasked") if record.unmasked else "",
        }
        return FeedRow(
            record.created_at,
            source,
            record.pk,
            record.user,
            AuditAction.EXPORT,
            "",
            "",
            "",
            str(detail),
            obj=record,
        )
    if source.key == "log.login":
        return FeedRow(
            record.at,
            source,
            record.pk,
            record.user,
            AuditAction.LOGIN,
            "",
            "",
            record.username,
            f"{record.get_outcome_display()} · {record.ip or ''}",
            obj=record,
        )
    if record.lead_id:  # a lead's mobile, revealed before any customer exists
        record_type, record_id = str(_("lead")), str(record.lead_id)
    else:
        record_type, record_id = str(_("contact")), str(record.contact_id or "")
    return FeedRow(
        record.at,
        source,
        record.pk,
        record.user,
        AuditAction.UNMASK,
        record_type,
        record_id,
        "",
        f"{record.field} · {record.ip_address or ''}",
        obj=record,
    )


def _fetch(source: Source, qs: QuerySet, limit: int) -> list[FeedRow]:
    qs = qs.select_related(source.actor_field).order_by(
        f"-{source.date_field}", f"-{source.id_field}"
    )
    if source.is_history:
        pk_name = source.history_of._meta.pk.attname
        previous = source.model.objects.filter(
            **{pk_name: OuterRef(pk_name)}, history_date__lt=OuterRef("history_date")
        ).order_by("-history_date", "-history_id")
        qs = qs.annotate(previous_history_id=Subquery(previous.values("history_id")[:1]))
        return [_history_row(source, r) for r in qs[:limit]]
    return [_log_row(source, r) for r in qs[:limit]]


@dataclass
class FeedPage:
    rows: list[FeedRow]
    next_cursor: str | None


def audit_feed(*, flt: FeedFilter, cursor: str | None = None, size: int = 50) -> FeedPage:
    """One page of the feed, newest first; `cursor` is the previous page's ``next_cursor``."""
    position = parse_cursor(cursor)
    streams: list[list[FeedRow]] = []
    for source in sources():
        qs = _source_queryset(source, flt)
        if qs is None:
            continue
        if position is not None:
            qs = qs.filter(_after(source, position))
        streams.append(_fetch(source, qs, size + 1))
    merged = list(heapq.merge(*streams, key=lambda r: (r.at, r.source.key, r.pk), reverse=True))
    rows = merged[:size]
    attach_changes(rows)
    next_cursor = rows[-1].cursor if len(merged) > size else None
    return FeedPage(rows=rows, next_cursor=next_cursor)


# --- before / after ---------------------------------------------------------------------------
def _visible_fields(record) -> list:
    return [
        f
        for f in record.instance_type._meta.concrete_fields
        if f.name in {h.name for h in record._meta.fields}
        and not f.name.endswith(HIDDEN_SUFFIXES)
        and f.name not in ("id", "version", "created_at", "updated_at")
    ]


class _Labels:
    """Related records' labels, fetched in bulk per related model (no query per row)."""

    def __init__(self) -> None:
        self.cache: dict[tuple[type[Model], Any], str] = {}

    def prime(self, model: type[Model], pks) -> None:
        wanted = {pk for pk in pks if pk is not None and (model, pk) not in self.cache}
        if not wanted:
            return
        found = model._default_manager.in_bulk(wanted)
        for pk in wanted:
            obj = found.get(pk)
            self.cache[(model, pk)] = str(obj) if obj is not None else f"#{pk}"

    def label(self, model: type[Model], pk: Any) -> str:
        if (model, pk) not in self.cache:
            self.prime(model, [pk])
        return self.cache[(model, pk)]


def display_value(model: type[Model], name: str, value: Any, labels: _Labels | None = None) -> str:
    if value in (None, ""):
        return ""
    if name in MASKED_FIELDS:
        return mask_mobile(str(value))
    try:
        model_field = model._meta.get_field(name)
    except Exception:  # noqa: BLE001 - a field since removed: show the raw value
        return str(value)
    if getattr(model_field, "choices", None):
        return str(dict(model_field.choices).get(value, value))
    if model_field.is_relation and not model_field.many_to_many:
        return (labels or _Labels()).label(model_field.related_model, value)
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _m2m_values(records) -> dict[str, dict[int, list]]:
    """{field: {history_id: sorted related ids}} for the m2m fields under history (a user's
    roles), one query per field for all `records`."""
    records = [r for r in records if r is not None]
    if not records:
        return {}
    historical = type(records[0])
    ids = [r.history_id for r in records]
    found: dict[str, dict[int, list]] = {}
    for model_field in getattr(historical, "_history_m2m_fields", []):
        through = next(
            r.related_model
            for r in historical._meta.related_objects
            if r.related_model.__name__ == f"{historical.__name__}_{model_field.name}"
        )
        key = model_field.m2m_reverse_field_name()
        values: dict[int, list] = {pk: [] for pk in ids}
        for history_id, related_id in through.objects.filter(history_id__in=ids).values_list(
            "history_id", f"{key}_id"
        ):
            values[history_id].append(related_id)
        found[model_field.name] = {pk: sorted(v) for pk, v in values.items()}
    return found


def _prime_labels(labels: _Labels, records) -> None:
    records = [r for r in records if r is not None]
    if not records:
        return
    model = records[0].instance_type
    for model_field in model._meta.concrete_fields:
        if model_field.is_relation and not model_field.name.startswith("history_"):
            labels.prime(
                model_field.related_model, {getattr(r, model_field.attname, None) for r in records}
            )
    for name, by_record in _m2m_values(records).items():
        related = model._meta.get_field(name).related_model
        labels.prime(related, {pk for ids in by_record.values() for pk in ids})


def attach_changes(rows: list[FeedRow]) -> None:
    """Fill each history row's before/after with a fixed number of queries per source: the
    previous versions, the m2m values and the related labels, each in bulk."""
    labels = _Labels()
    by_source: dict[str, list[FeedRow]] = {}
    for row in rows:
        if row.source.is_history:
            by_source.setdefault(row.source.key, []).append(row)
    for source_rows in by_source.values():
        source = source_rows[0].source
        wanted = [r.obj.previous_history_id for r in source_rows if r.obj.previous_history_id]
        previous = source.model.objects.in_bulk(wanted)
        records = [r.obj for r in source_rows] + list(previous.values())
        _prime_labels(labels, records)
        m2m = _m2m_values(records)
        for row in source_rows:
            row.changes = record_changes(
                row.obj, previous.get(row.obj.previous_history_id), labels, m2m
            )


def record_changes(record, previous, labels: _Labels | None = None, m2m=None) -> list[Change]:
    """Before → after of one history row: the changed fields of an update, the set fields of
    a create (after only) or a delete (before only)."""
    labels = labels or _Labels()
    model = record.instance_type
    changes: list[Change] = []
    if record.history_type == "~" and previous is not None:
        m2m = m2m if m2m is not None else _m2m_values([record, previous])
        delta = record.diff_against(previous, excluded_fields=list(m2m))
        for change in delta.changes:
            if change.field.endswith(HIDDEN_SUFFIXES):
                continue
            model_field = model._meta.get_field(change.field)
            changes.append(
                Change(
                    field=change.field,
                    label=str(model_field.verbose_name),
                    old=display_value(model, change.field, change.old, labels),
                    new=display_value(model, change.field, change.new, labels),
                    revertible=True,
                )
            )
        for name, by_record in m2m.items():
            old, new = by_record.get(previous.history_id, []), by_record.get(record.history_id, [])
            if old == new:
                continue
            related = model._meta.get_field(name).related_model
            changes.append(
                Change(
                    field=name,
                    label=str(model._meta.get_field(name).verbose_name),
                    old=", ".join(labels.label(related, pk) for pk in old),
                    new=", ".join(labels.label(related, pk) for pk in new),
                )
            )
        return changes
    for model_field in _visible_fields(record):
        value = getattr(record, model_field.attname)
        text = display_value(model, model_field.name, value, labels)
        if not text:
            continue
        old, new = (text, "") if record.history_type == "-" else ("", text)
        changes.append(Change(model_field.name, str(model_field.verbose_name), old, new))
    return changes


def history_entry(*, source_key: str, pk: int) -> FeedRow | None:
    """One history row with its before/after, for the entry page and the revert."""
    source = source_by_key(source_key)
    if source is None or not source.is_history:
        return None
    rows = _fetch(source, source.model.objects.filter(history_id=pk), 1)
    if not rows:
        return None
    attach_changes(rows)
    return rows[0]
