"""Undoing a merge restores the records, their rows and the kept record's values exactly; it
is refused when the kept record changed since."""

import pytest
from django.core.exceptions import ValidationError

from kehu.customers.models import Contact, Customer, CustomerShare
from kehu.customers.services import customer_update
from kehu.dataquality.duplicates.models import CustomerCodeAlias, CustomerMerge
from kehu.dataquality.duplicates.relations import customer_relations, serialize
from kehu.dataquality.duplicates.services import customer_merge, customer_merge_undo
from kehu.interactions.models import Interaction, Task
from kehu.tags.models import CustomerTag

from .test_merge import busy_triplet  # noqa: F401 (fixture)

MOVING = ("version", "updated_at")


def _state(customers):
    """Every customer and every row that belongs to one, as serialized values."""
    ids = [c.pk for c in customers]
    rows = serialize(Customer.objects.filter(pk__in=ids).order_by("pk"))
    for relation in customer_relations():
        if relation.model is CustomerMerge:
            continue  # the merge record itself
        rows += serialize(
            relation.rows.filter(**{f"{relation.fk.attname}__in": ids}).order_by("pk")
        )
    return rows


def _without(rows, pk, fields):
    for row in rows:
        if row["model"] == "customers.customer" and row["pk"] == pk:
            for name in fields:
                row["fields"].pop(name)
    return rows


def test_undo_restores_everything_exactly(busy_triplet, owner):  # noqa: F811
    keep, *drop = busy_triplet
    before = _state(busy_triplet)
    merge = customer_merge(
        keep=keep,
        drop=drop,
        choices={
            "name": drop[1].pk,
            "decision_maker": drop[0].contacts.get(is_decision_maker=True).pk,
        },
        by=owner,
    )

    customer_merge_undo(merge=merge, by=owner)

    after = _state(busy_triplet)
    assert _without(after, keep.pk, MOVING) == _without(before, keep.pk, MOVING)
    assert Contact.objects.filter(is_decision_maker=True).count() == 3
    assert not CustomerCodeAlias.objects.exists()
    merge.refresh_from_db()
    assert merge.undone_by == owner


def test_undo_brings_back_tags_the_merge_dropped_as_duplicates(busy_triplet, owner):  # noqa: F811
    keep, *drop = busy_triplet
    tags_before = set(CustomerTag.objects.values_list("pk", "customer_id", "tag_id"))
    merge = customer_merge(keep=keep, drop=drop, choices={}, by=owner)
    assert CustomerTag.objects.count() < len(tags_before)

    customer_merge_undo(merge=merge, by=owner)

    assert set(CustomerTag.objects.values_list("pk", "customer_id", "tag_id")) == tags_before


def test_undo_refused_after_the_kept_record_was_edited(triplet, owner):
    keep, *drop = triplet
    merge = customer_merge(keep=keep, drop=drop, choices={}, by=owner)
    keep.refresh_from_db()
    customer_update(
        customer=keep, by=owner, data={"remarks": "合并后修改"}, expected_version=keep.version
    )

    with pytest.raises(ValidationError, match=keep.code):
        customer_merge_undo(merge=merge, by=owner)

    assert not Customer.objects.filter(pk__in=[d.pk for d in drop]).exists()
    assert CustomerCodeAlias.objects.count() == 2


def test_undo_refused_when_a_moved_row_was_deleted(busy_triplet, owner):  # noqa: F811
    keep, *drop = busy_triplet
    moved_task = Task.objects.filter(customer=drop[0]).first()
    merge = customer_merge(keep=keep, drop=drop, choices={}, by=owner)
    moved_task.delete()

    with pytest.raises(ValidationError):
        customer_merge_undo(merge=merge, by=owner)
    assert Interaction.objects.filter(customer=keep).count() == 3


def test_undo_twice_is_refused(triplet, owner):
    keep, *drop = triplet
    merge = customer_merge(keep=keep, drop=drop, choices={}, by=owner)
    customer_merge_undo(merge=merge, by=owner)
    merge.refresh_from_db()
    with pytest.raises(ValidationError):
        customer_merge_undo(merge=merge, by=owner)


def test_merging_again_after_undo_works(busy_triplet, owner, teammate):  # noqa: F811
    keep, *drop = busy_triplet
    merge = customer_merge(keep=keep, drop=drop, choices={}, by=owner)
    customer_merge_undo(merge=merge, by=owner)
    records = list(Customer.objects.filter(pk__in=[c.pk for c in busy_triplet]).order_by("pk"))

    customer_merge(keep=records[0], drop=records[1:], choices={}, by=owner)

    assert CustomerShare.objects.filter(user=teammate).count() == 1


def test_undo_restores_timestamps_to_the_microsecond(triplet, owner):
    # A stamp under one millisecond is where a millisecond-cut snapshot loses the fraction.
    from django.utils import timezone

    keep, *drop = triplet
    stamp = timezone.now().replace(microsecond=456)
    Customer.objects.filter(pk=drop[0].pk).update(created_at=stamp)
    merge = customer_merge(keep=keep, drop=drop, choices={}, by=owner)

    customer_merge_undo(merge=merge, by=owner)

    assert Customer.objects.get(pk=drop[0].pk).created_at == stamp
