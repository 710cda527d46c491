import datetime as dt
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import override

from kehu.audit.models import AuditEvent
from kehu.customers.models import Contact, Customer, CustomerShare, ShareAccess, UnmaskLog
from kehu.customers.services import (
    contact_create,
    contact_delete,
    customer_delete,
    customer_update,
)
from kehu.customers.tests.factories import make_customer, next_mobile
from kehu.interactions.models import Interaction
from kehu.interactions.services import interaction_create
from kehu.recyclebin.models import DeletedRecord
from kehu.recyclebin.services import (
    recyclebin_erase_person,
    recyclebin_purge,
    recyclebin_purge_expired,
    recyclebin_restore,
    snapshot_document,
)
from kehu.recyclebin.tasks import purge_recycle_bin
from kehu.sales.models import Lead
from kehu.sales.services.leads import lead_delete
from kehu.sales.tests.factories import make_lead, make_opportunity

pytestmark = pytest.mark.django_db


def _interaction(customer, by):
    return interaction_create(
        customer=customer,
        by=by,
        occurred_at=timezone.now() - dt.timedelta(hours=1),
        method="phone",
        topic="报价",
        summary="客户想了解二期报价",
        feedback="interested",
    )


def _second_contact(customer, by, name="李娜"):
    return contact_create(
        customer=customer, by=by, data={"name": name, "title": "经理", "mobile": next_mobile()}
    )


def test_deleting_a_customer_moves_it_and_everything_it_cascades_to_into_the_bin(owner, customer):
    contact = _second_contact(customer, owner)
    interaction = _interaction(customer, owner)
    customer_id = customer.pk

    customer_delete(customer=customer, by=owner)

    assert not Customer.objects.filter(pk=customer_id).exists()
    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert not Interaction.objects.filter(pk=interaction.pk).exists()
    item = DeletedRecord.objects.get()
    assert (item.model, item.object_id, item.customer_id) == (
        "customers.customer",
        str(customer_id),
        customer_id,
    )
    assert item.owner_id == owner.pk
    assert item.deleted_by_id == owner.pk
    assert customer.code in item.label
    assert contact.pk in item.contact_ids
    # Sealed: the customer's name is not readable in the stored bytes.
    assert customer.name.encode() not in bytes(item.payload)
    models = {row["model"] for row in snapshot_document(item)["rows"]}
    assert {"customers.customer", "customers.contact", "interactions.interaction"} <= models


def test_retention_period_comes_from_the_setting(owner, customer, settings):
    settings.KEHU_RECYCLE_BIN_DAYS = 7

    customer_delete(customer=customer, by=owner)

    item = DeletedRecord.objects.get()
    assert item.purge_after - item.deleted_at == dt.timedelta(days=7)


def test_restoring_a_customer_brings_back_every_row_with_its_ids_and_records_history(
    owner, customer
):
    contact = _second_contact(customer, owner)
    interaction = _interaction(customer, owner)
    before = Customer.objects.get(pk=customer.pk)
    customer_delete(customer=customer, by=owner)

    restored = recyclebin_restore(item=DeletedRecord.objects.get(), by=owner)

    assert restored.pk == before.pk
    assert (restored.code, restored.name, restored.version) == (
        before.code,
        before.name,
        before.version,
    )
    assert restored.updated_at == before.updated_at
    assert Contact.objects.filter(pk=contact.pk, customer=restored).exists()
    assert Interaction.objects.filter(pk=interaction.pk, customer=restored).exists()
    assert not DeletedRecord.objects.exists()
    last = restored.history.first()
    assert last.history_user_id == owner.pk
    assert last.history_change_reason


def test_restoring_a_contact_relinks_the_unmask_log_the_delete_had_cleared(owner, customer):
    contact = _second_contact(customer, owner)
    contact_id = contact.pk
    log = UnmaskLog.objects.create(user=owner, customer=customer, contact=contact, field="mobile")
    contact_delete(contact=contact, by=owner)
    log.refresh_from_db()
    assert log.contact_id is None

    recyclebin_restore(item=DeletedRecord.objects.get(), by=owner)

    log.refresh_from_db()
    assert log.contact_id == contact_id


def test_a_contact_cannot_be_restored_while_its_customer_is_in_the_bin(owner, customer):
    contact = _second_contact(customer, owner)
    contact_delete(contact=contact, by=owner)
    customer_delete(customer=customer, by=owner)
    item = DeletedRecord.objects.get(model="customers.contact")

    with override("en"), pytest.raises(ValidationError) as error:
        recyclebin_restore(item=item, by=owner)

    assert "restore the customer first" in error.value.messages[0]
    assert DeletedRecord.objects.filter(pk=item.pk).exists()


def test_restore_is_refused_naming_the_value_taken_since(owner):
    customer = make_customer(owner=owner, credit_code="91350100M000100Y43")
    customer_delete(customer=customer, by=owner)
    make_customer(owner=owner, name="福州闽江贸易有限公司", credit_code="91350100M000100Y43")

    with override("en"), pytest.raises(ValidationError) as error:
        recyclebin_restore(item=DeletedRecord.objects.get(), by=owner)

    assert "credit code" in error.value.messages[0].lower()
    assert Customer.objects.count() == 1
    assert DeletedRecord.objects.count() == 1


def test_a_customer_with_opportunities_cannot_be_deleted(owner, customer):
    make_opportunity(customer=customer)

    with override("en"), pytest.raises(ValidationError) as error:
        customer_delete(customer=customer, by=owner)

    assert "cannot be deleted" in error.value.messages[0]
    assert Customer.objects.filter(pk=customer.pk).exists()
    assert not DeletedRecord.objects.exists()


def test_only_the_owner_or_an_administrator_may_delete_a_customer(
    owner, teammate, manager, administrator
):
    customer = make_customer(owner=owner)
    CustomerShare.objects.create(customer=customer, user=teammate, access=ShareAccess.WRITE)
    for user in (teammate, manager):
        with pytest.raises(PermissionDenied):
            customer_delete(customer=customer, by=user)

    customer_delete(customer=customer, by=administrator)

    assert DeletedRecord.objects.get().deleted_by == administrator


def test_a_deleted_lead_is_restorable(owner):
    lead = make_lead(owner=owner)
    lead_id = lead.pk
    lead_delete(lead=lead, by=owner)
    assert not Lead.objects.filter(pk=lead_id).exists()

    restored = recyclebin_restore(item=DeletedRecord.objects.get(), by=owner)

    assert restored.pk == lead_id
    assert restored.name == lead.name


def test_outsider_cannot_restore_and_only_administrators_purge(
    owner, outsider, administrator, customer
):
    customer_delete(customer=customer, by=owner)
    item = DeletedRecord.objects.get()

    with pytest.raises(PermissionDenied):
        recyclebin_restore(item=item, by=outsider)
    with pytest.raises(PermissionDenied):
        recyclebin_purge(item=item, by=owner)

    recyclebin_purge(item=item, by=administrator)
    assert not DeletedRecord.objects.exists()
    event = AuditEvent.objects.get(target_model="customers.customer")
    assert event.actor == administrator
    assert event.target_id == item.object_id


def test_the_scheduler_purges_items_past_the_retention_period(owner, customer, settings):
    settings.KEHU_RECYCLE_BIN_DAYS = 60
    deleted_at = timezone.now()
    customer_delete(customer=customer, by=owner)
    lead = make_lead(owner=owner)
    lead_delete(lead=lead, by=owner)
    DeletedRecord.objects.filter(model="sales.lead").update(
        purge_after=deleted_at + dt.timedelta(days=70)
    )

    with mock.patch("django.utils.timezone.now", return_value=deleted_at + dt.timedelta(days=59)):
        assert purge_recycle_bin() == 0
    assert DeletedRecord.objects.count() == 2

    with mock.patch("django.utils.timezone.now", return_value=deleted_at + dt.timedelta(days=61)):
        assert purge_recycle_bin() == 1
    assert list(DeletedRecord.objects.values_list("model", flat=True)) == ["sales.lead"]
    assert recyclebin_purge_expired(now=deleted_at + dt.timedelta(days=71)) == 1


def test_erasing_a_person_removes_them_and_what_refers_to_them_from_the_bin(owner, customer):
    kept = _second_contact(customer, owner, name="李娜")
    erased = _second_contact(customer, owner, name="周杰")
    UnmaskLog.objects.create(user=owner, customer=customer, contact=erased, field="mobile")
    lone = _second_contact(customer, owner, name="吴磊")
    lone_id = lone.pk
    contact_delete(contact=lone, by=owner)
    customer_delete(customer=customer, by=owner)

    changed = recyclebin_erase_person(contact_ids=[erased.pk, lone_id])

    assert changed == 2
    item = DeletedRecord.objects.get()  # the lone contact's own snapshot is gone
    rows = snapshot_document(item)["rows"]
    contact_ids = {r["pk"] for r in rows if r["model"] == "customers.contact"}
    assert erased.pk not in contact_ids
    assert kept.pk in contact_ids
    assert not any(
        r["model"] == "customers.unmasklog" and r["fields"]["contact"] == erased.pk for r in rows
    )
    assert erased.pk not in item.contact_ids
    recyclebin_restore(item=item, by=owner)
    assert Contact.objects.filter(pk=kept.pk).exists()
    assert not Contact.objects.filter(pk=erased.pk).exists()


def test_a_restored_record_can_be_edited_with_its_old_version(owner, customer):
    customer_delete(customer=customer, by=owner)
    restored = recyclebin_restore(item=DeletedRecord.objects.get(), by=owner)

    updated = customer_update(
        customer=restored,
        by=owner,
        data={"remarks": "恢复后修改"},
        expected_version=restored.version,
    )

    assert updated.version == restored.version + 1


def test_restore_is_refused_naming_a_referenced_record_removed_since(owner, customer):
    from kehu.customers.models import Industry

    industry = Industry.objects.create(code="test_gone", name_zh="测试行业", name_en="Gone")
    Customer.objects.filter(pk=customer.pk).update(industry=industry)
    customer_delete(customer=customer, by=owner)
    industry.delete()

    with override("en"), pytest.raises(ValidationError) as error:
        recyclebin_restore(item=DeletedRecord.objects.get(), by=owner)

    assert "its industry no longer exists" in error.value.messages[0]
    assert DeletedRecord.objects.exists()
