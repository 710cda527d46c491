"""Rows that belong to a customer, found generically (so a model added later is merged too).

Every reverse foreign key to Customer is a relation, hidden ones (``related_name="+"``)
included; history tables (django-simple-history) and the duplicate finder's own bookkeeping
are not: history records what was, and duplicate groups are stale once their records merge.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models, router
from django.db.models.deletion import Collector
from simple_history.models import HistoricalChanges

from kehu.core.snapshots import deserialize_rows, serialize_rows
from kehu.customers.models import Customer

# Rows of these models are not moved on merge (see module docstring).
_NOT_MOVED = {"dataquality.duplicategroupmember"}


@dataclass(frozen=True)
class Relation:
    model: type[models.Model]
    fk: models.ForeignKey
    one_to_one: bool

    @property
    def label(self) -> str:
        return f"{self.model._meta.label_lower}.{self.fk.name}"

    @property
    def rows(self) -> models.QuerySet:
        return self.model._base_manager.order_by()


def customer_relations() -> list[Relation]:
    relations = []
    for rel in Customer._meta.get_fields(include_hidden=True):
        if not (rel.auto_created and not rel.concrete and (rel.one_to_many or rel.one_to_one)):
            continue
        model = rel.related_model
        if issubclass(model, HistoricalChanges) or model._meta.label_lower in _NOT_MOVED:
            continue
        relations.append(Relation(model=model, fk=rel.field, one_to_one=rel.one_to_one))
    return sorted(relations, key=lambda r: r.label)


def relation_by_label(label: str) -> Relation | None:
    return next((r for r in customer_relations() if r.label == label), None)


def unique_keys(relation: Relation) -> list[tuple[str, ...]]:
    """The other fields of each unconditional unique constraint that includes the customer
    foreign key: two rows with equal values there cannot both belong to the kept customer."""
    meta = relation.model._meta
    groups: list[tuple[str, ...]] = [tuple(t) for t in meta.unique_together]
    groups += [
        tuple(c.fields)
        for c in meta.constraints
        if isinstance(c, models.UniqueConstraint) and c.condition is None and c.fields
    ]
    fk_name = relation.fk.name
    return [tuple(f for f in g if f != fk_name) for g in groups if fk_name in g and len(g) > 1]


def conditional_constraints(relation: Relation) -> list[models.UniqueConstraint]:
    """Partial unique constraints on the customer alone (e.g. one pending status change)."""
    return [
        c
        for c in relation.model._meta.constraints
        if isinstance(c, models.UniqueConstraint)
        and c.condition is not None
        and tuple(c.fields) == (relation.fk.name,)
    ]


def serialize(objects: Iterable[models.Model]) -> list[dict]:
    return serialize_rows(objects)


def deserialize(rows: list[dict]) -> list[models.Model]:
    return [obj.object for obj in deserialize_rows(rows)]


def restore(rows: list[dict]) -> None:
    """Insert serialized rows again with their original ids and values (raw save: no signals
    acting on them, timestamps kept)."""
    if rows:
        for obj in deserialize_rows(rows):
            obj.save()


def cascade_snapshot(customers: list[Customer]) -> list[dict]:
    """Every row deleting `customers` would delete with them, serialized, parents first."""
    collector = Collector(using=router.db_for_write(Customer))
    collector.collect(customers)
    collected: list[models.Model] = []
    for queryset in collector.fast_deletes:
        collected.extend(queryset)
    for model, instances in collector.data.items():
        if model is not Customer:
            collected.extend(instances)
    kept = [o for o in collected if o._meta.label_lower not in _NOT_MOVED]
    return serialize(kept)
