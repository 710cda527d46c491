"""Bulk writes of one checked chunk, and the rollback of a whole import.

Called inside the chunk's transaction by services.import_job_run: codes come from one
reservation per chunk, new rows and their history go in with copying.create_with_history (COPY
on PostgreSQL), updates with simple_history's bulk helpers.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from kehu.accounts.models import User
from kehu.core.codes import reserve_serials
from kehu.core.crypto.fields import refresh_blind_indexes
from kehu.customers.models import Contact, Customer
from kehu.customers.services import (
    CONTACT_FIELDS,
    customer_code_prefix,
    customer_derive_fields,
)
from kehu.dataquality.completeness import completeness_check
from kehu.dataquality.imports.copying import create, create_with_history
from kehu.dataquality.imports.models import ImportAction, ImportJob, ImportRecord
from kehu.dataquality.imports.rows import RESTORED_FIELDS, RowResult

BATCH = 1000
UPDATED_FIELDS = (*RESTORED_FIELDS, "version", "updated_at")
# bulk_update calls no pre_save: the blind indexes are refreshed by hand and written with the
# (encrypted) mobile.
INDEX_FIELDS = ("mobile_hash", "mobile_last4_hash")


def _create(results: list[RowResult], *, job: ImportJob, by: User) -> list[ImportRecord]:
    prefix = customer_code_prefix()
    customers = [r.customer for r in results]
    for customer, serial in zip(customers, reserve_serials(prefix, len(customers)), strict=True):
        customer.code = f"{prefix}{serial:05d}"
        customer.created_by = by
        customer_derive_fields(customer)
    create_with_history(customers, Customer, by=by)
    contacts = []
    for result in results:
        result.contact.customer = result.customer
        contacts.append(result.contact)
    create_with_history(contacts, Contact, by=by)
    return [
        ImportRecord(
            job=job,
            customer_id=c.pk,
            customer_code=c.code,
            action=ImportAction.CREATED,
            version_after=c.version,
        )
        for c in customers
    ]


def _update(results: list[RowResult], *, job: ImportJob, by: User) -> list[ImportRecord]:
    """Rows changed by someone since they were checked (the version moved) become errors."""
    ids = [r.existing.pk for r in results]
    versions = dict(
        Customer.objects.select_for_update().filter(pk__in=ids).values_list("pk", "version")
    )
    now = timezone.now()
    fresh = []
    for result in results:
        customer = result.existing
        if versions.get(customer.pk) != customer.version:
            result.add("", _("Someone changed this customer during the import; import it again."))
            continue
        customer_derive_fields(customer)
        customer.version += 1
        customer.updated_at = now
        fresh.append(result)
    customers = [r.existing for r in fresh]
    bulk_update_with_history(
        customers, Customer, fields=list(UPDATED_FIELDS), batch_size=BATCH, default_user=by
    )
    new_contacts = [r.contact for r in fresh if r.contact.pk is None]
    old_contacts = [r.contact for r in fresh if r.contact.pk is not None]
    for contact in old_contacts:
        contact.version += 1
        refresh_blind_indexes(contact)
        contact.updated_at = now
    create_with_history(new_contacts, Contact, by=by)
    bulk_update_with_history(
        old_contacts,
        Contact,
        fields=[*CONTACT_FIELDS, *INDEX_FIELDS, "version", "updated_at"],
        batch_size=BATCH,
        default_user=by,
    )
    return [
        ImportRecord(
            job=job,
            customer_id=r.existing.pk,
            customer_code=r.existing.code,
            action=ImportAction.UPDATED,
            version_after=r.existing.version,
            before=r.before,
        )
        for r in fresh
    ]


def write_chunk(results: list[RowResult], *, job: ImportJob, by: User) -> tuple[int, int]:
    """Write the good rows of a chunk; must run inside the chunk's transaction. Returns
    (created, updated); rows that fail at write time get an error and stay in `results`."""
    creates = [r for r in results if r.ok and r.existing is None]
    updates = [r for r in results if r.ok and r.existing is not None]
    records = []
    if creates:
        records += _create(creates, job=job, by=by)
    if updates:
        records += _update(updates, job=job, by=by)
    create(records, ImportRecord)
    if records:
        completeness_check(customer_ids=[r.customer_id for r in records])
    created = sum(1 for r in records if r.action == ImportAction.CREATED)
    return created, len(records) - created


def changed_since_import(job: ImportJob) -> list[str]:
    """Codes of customers the job wrote that were changed or deleted after it."""
    records = list(job.records.values_list("customer_id", "customer_code", "version_after"))
    current = dict(
        Customer.objects.filter(pk__in=[r[0] for r in records]).values_list("pk", "version")
    )
    return sorted(code for pk, code, version in records if current.get(pk) != version)


def rollback_records(job: ImportJob, *, by: User) -> None:
    """Delete what the job created, restore what it updated; the caller holds the
    transaction and has checked `changed_since_import`."""
    created_ids = list(
        job.records.filter(action=ImportAction.CREATED).values_list("customer_id", flat=True)
    )
    for start in range(0, len(created_ids), BATCH):
        batch = created_ids[start : start + BATCH]
        for model in (Contact, Customer):
            queryset = model.objects.filter(
                **({"customer_id__in": batch} if model is Contact else {"pk__in": batch})
            )
            _delete_with_history(queryset, model, by=by)
    updated = list(job.records.filter(action=ImportAction.UPDATED))
    now = timezone.now()
    for start in range(0, len(updated), BATCH):
        batch = updated[start : start + BATCH]
        customers = Customer.objects.in_bulk([r.customer_id for r in batch])
        makers = {
            c.customer_id: c
            for c in Contact.objects.filter(
                customer_id__in=[r.customer_id for r in batch], is_decision_maker=True
            )
        }
        restored, contacts, new_contacts = [], [], []
        for record in batch:
            customer = customers[record.customer_id]
            for name in RESTORED_FIELDS:
                setattr(customer, name, record.before[name])
            customer.version += 1
            customer.updated_at = now
            restored.append(customer)
            maker = makers.get(record.customer_id)
            before = record.before.get("decision_maker")
            if maker is not None and before is not None:
                for name in CONTACT_FIELDS:
                    setattr(maker, name, before[name])
                refresh_blind_indexes(maker)
                maker.version += 1
                contacts.append(maker)
            elif maker is not None:
                new_contacts.append(maker.pk)
        bulk_update_with_history(
            restored, Customer, fields=list(UPDATED_FIELDS), batch_size=BATCH, default_user=by
        )
        bulk_update_with_history(
            contacts,
            Contact,
            fields=[*CONTACT_FIELDS, *INDEX_FIELDS, "version"],
            batch_size=BATCH,
            default_user=by,
        )
        _delete_with_history(Contact.objects.filter(pk__in=new_contacts), Contact, by=by)


def _delete_with_history(queryset, model, *, by: User) -> None:
    """A bulk delete that still leaves a "-" history row per record (who removed it)."""
    objects = list(queryset)
    if not objects:
        return
    history = model.history.model
    now = timezone.now()
    rows = []
    for obj in objects:
        row = history(
            history_date=now,
            history_type="-",
            history_user=by,
            **{
                f.attname: getattr(obj, f.attname)
                for f in history._meta.fields
                if not f.name.startswith("history_") and hasattr(obj, f.attname)
            },
        )
        rows.append(row)
    history.objects.bulk_create(rows, batch_size=BATCH)
    queryset.model.objects.filter(pk__in=[o.pk for o in objects]).delete()
