"""Merging any number of records: every related row moves, choices apply, rights and versions
are checked, old codes lead to the kept customer."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from kehu.customers.models import Contact, Customer, CustomerShare, StatusChange
from kehu.customers.selectors import customer_history
from kehu.customers.services import contact_create, customer_share_set, customer_update
from kehu.dataquality.duplicates.models import CustomerCodeAlias, CustomerMerge
from kehu.dataquality.duplicates.services import customer_merge
from kehu.interactions.models import Interaction, Task
from kehu.interactions.services import interaction_create, task_create
from kehu.tags.models import CustomerTag, Tag
from kehu.tags.services import customer_tag_add


def _activity(customer, by):
    interaction_create(
        customer=customer,
        by=by,
        occurred_at=timezone.now() - dt.timedelta(hours=1),
        method="phone",
        topic="回访",
        summary="电话回访",
        feedback="interested",
    )
    task_create(
        customer=customer,
        by=by,
        title="发送报价",
        assignee=by,
        due_at=timezone.now() + dt.timedelta(days=2),
    )


def _plain_tags(count):
    return list(Tag.objects.filter(status="approved", exclusive_group="").order_by("pk")[:count])


@pytest.fixture
def busy_triplet(triplet, owner, teammate):
    """The triplet, each with contacts, an interaction, a task, tags and a team member."""
    tags = _plain_tags(3)
    for index, customer in enumerate(triplet):
        contact_create(customer=customer, by=owner, data={"name": f"联系人{index}", "mobile": ""})
        _activity(customer, owner)
        customer_tag_add(customer=customer, tag=tags[0], by=owner)  # the same tag on all three
        customer_tag_add(customer=customer, tag=tags[index], by=owner) if index else None
    customer_share_set(customer=triplet[1], user=teammate, access="read", by=owner)
    return triplet


def _related_ids(customers):
    ids = [c.pk for c in customers]
    return {
        "contacts": set(Contact.objects.filter(customer_id__in=ids).values_list("pk", flat=True)),
        "interactions": set(
            Interaction.objects.filter(customer_id__in=ids).values_list("pk", flat=True)
        ),
        "tasks": set(Task.objects.filter(customer_id__in=ids).values_list("pk", flat=True)),
    }


def test_merging_three_records_moves_every_related_row_and_keeps_one_decision_maker(
    busy_triplet, owner, teammate
):
    keep, *drop = busy_triplet
    before = _related_ids(busy_triplet)
    chosen_dm = drop[1].contacts.get(is_decision_maker=True)

    merge = customer_merge(keep=keep, drop=drop, choices={"decision_maker": chosen_dm.pk}, by=owner)

    assert not Customer.objects.filter(pk__in=[d.pk for d in drop]).exists()
    after = _related_ids([keep])
    assert after == before
    assert list(keep.contacts.filter(is_decision_maker=True)) == [chosen_dm]
    assert CustomerTag.objects.filter(customer=keep).count() == 3  # shared tag once + 2 others
    assert CustomerShare.objects.filter(customer=keep, user=teammate).exists()
    assert merge.dropped_codes == [d.code for d in drop]
    assert set(CustomerCodeAlias.objects.values_list("code", flat=True)) == {d.code for d in drop}


def test_per_field_choices_are_applied_and_defaults_take_the_newest_value(triplet, owner):
    keep, *drop = triplet
    customer_update(customer=drop[0], by=owner, data={"remarks": "最新备注"}, expected_version=1)

    customer_merge(
        keep=keep,
        drop=drop,
        choices={"name": drop[1].pk, "district": drop[0].pk},
        by=owner,
        expected_versions={keep.pk: 1, drop[0].pk: 2, drop[1].pk: 1},
    )

    keep.refresh_from_db()
    assert keep.name == "北京星辰軟件技術有限公司"
    assert keep.remarks == "最新备注"  # default: the most recently updated non-empty value
    assert keep.version == 2


def test_merge_is_recorded_in_the_kept_customers_history(triplet, owner):
    keep, *drop = triplet
    customer_merge(keep=keep, drop=drop, choices={}, by=owner)

    entries = customer_history(customer=keep)

    merged = [e for e in entries if any(c.new == keep.code for c in e.changes)]
    assert merged
    assert merged[0].user == owner
    assert all(d.code in merged[0].changes[0].old for d in drop)


def test_credit_code_of_a_dropped_record_can_be_kept(owner):
    from .conftest import make_twin

    a = make_twin(owner=owner, name="星辰科技有限公司", mobile="13800000001")
    b = make_twin(
        owner=owner,
        name="星辰科技（北京）有限公司",
        mobile="13800000001",
        credit_code="91350100M000100Y43",
    )
    customer_merge(keep=a, drop=[b], choices={"credit_code": b.pk}, by=owner)
    a.refresh_from_db()
    assert a.credit_code == "91350100M000100Y43"


def test_merge_refused_without_edit_rights_on_one_record(triplet, owner, teammate):
    from .conftest import make_twin

    other = make_twin(owner=teammate, name="星辰软件技术有限公司", mobile="13800000002")
    customer_share_set(customer=other, user=owner, access="read", by=teammate)

    with pytest.raises(PermissionDenied):
        customer_merge(keep=triplet[0], drop=[other], choices={}, by=owner)
    assert Customer.objects.filter(pk=other.pk).exists()


def test_stale_version_is_refused(triplet, owner):
    keep, *drop = triplet
    customer_update(customer=drop[0], by=owner, data={"remarks": "改过"}, expected_version=1)

    with pytest.raises(ValidationError) as caught:
        customer_merge(
            keep=keep,
            drop=drop,
            choices={},
            by=owner,
            expected_versions={keep.pk: 1, drop[0].pk: 1, drop[1].pk: 1},
        )
    assert "version" in caught.value.message_dict
    assert Customer.objects.filter(pk=drop[0].pk).exists()
    assert not CustomerMerge.objects.exists()


def test_unknown_field_choice_is_refused_naming_the_field(triplet, owner):
    keep, *drop = triplet
    with pytest.raises(ValidationError, match="status"):
        customer_merge(keep=keep, drop=drop, choices={"status": drop[0].pk}, by=owner)


def test_two_pending_status_changes_block_the_merge(triplet, owner, manager):
    keep, *drop = triplet
    for customer in (keep, drop[0]):
        StatusChange.objects.create(
            customer=customer,
            from_status="interested",
            to_status="customer",
            reason="签约",
            requested_by=owner,
            approver=manager,
            state="pending",
        )
    with translation.override("en"), pytest.raises(ValidationError, match="Status change"):
        customer_merge(keep=keep, drop=drop, choices={}, by=owner)
    assert Customer.objects.count() == 3
