"""Recycle bin writes: move a record (and what its delete cascades to) into the bin, restore it,
purge it, purge expired items on schedule, erase a person from every snapshot.

A snapshot is the rows Django's delete Collector finds for the record, serialised with their
raw values (Django's "python" serialisation; datetimes kept to the microsecond, which the "json"
serialiser would cut to milliseconds), plus the foreign keys the delete set to NULL, sealed
with core.crypto. Restore re-inserts the rows
with their original ids in dependency order, all or nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, router, transaction
from django.db.models.deletion import Collector, ProtectedError, RestrictedError
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.audit.models import AuditAction
from kehu.audit.services import audit_event_record
from kehu.core.crypto import DecryptionError, decrypt_bytes, encrypt_bytes
from kehu.core.permissions import can_purge_deleted, can_restore_deleted
from kehu.core.snapshots import deserialize_rows, json_default
from kehu.recyclebin.models import DeletedRecord, model_of

if TYPE_CHECKING:
    from kehu.accounts.models import User

logger = logging.getLogger(__name__)

CONTACT_LABEL = "customers.contact"
CUSTOMER_LABEL = "customers.customer"


def retention_days() -> int:
    return int(getattr(settings, "KEHU_RECYCLE_BIN_DAYS", 60))


# --- sealing ----------------------------------------------------------------------------------
def sealed_context(model: str, object_id: str) -> bytes:
    # Binds a payload to its record: a sealed snapshot copied onto another row does not open.
    return f"recyclebin:{model}:{object_id}".encode()


def _context(item: DeletedRecord) -> bytes:
    return sealed_context(item.model, item.object_id)


def _serialize(rows: list[models.Model]) -> list[dict]:
    return serializers.serialize("python", rows)


def _seal(item: DeletedRecord, document: dict[str, Any]) -> None:
    text = json.dumps(document, default=json_default)
    item.payload = encrypt_bytes(text.encode(), context=_context(item))


def snapshot_document(item: DeletedRecord) -> dict[str, Any]:
    """The opened snapshot: ``{"rows": [...], "set_null": [[model, pk, attname, value], …]}``."""
    return json.loads(decrypt_bytes(bytes(item.payload), context=_context(item)))


# --- describing a record ---------------------------------------------------------------------
def _label(obj: models.Model) -> str:
    code = getattr(obj, "code", "")
    name = str(obj)
    text = name if not code or code in name else f"{code} {name}"
    return text[:300]


def _scope(obj: models.Model) -> tuple[int | None, int | None, int | None]:
    """(owner id, department id, customer id) of the record whose data scope covers `obj`: the
    customer for a customer's rows, the record itself for records with an owner (leads)."""
    if obj._meta.label_lower == CUSTOMER_LABEL:
        return obj.owner_id, obj.department_id, obj.pk
    customer_id = getattr(obj, "customer_id", None)
    if customer_id is None and getattr(obj, "contract_id", None) is not None:
        # A contract's payments and attachments are seen by whoever sees its customer.
        from kehu.sales.models import Contract

        customer_id = (
            Contract._base_manager.filter(pk=obj.contract_id)
            .values_list("customer_id", flat=True)
            .first()
        )
    if customer_id is not None:
        from kehu.customers.models import Customer

        customer = Customer.objects.filter(pk=customer_id).only("owner", "department").first()
        if customer is not None:
            return customer.owner_id, customer.department_id, customer_id
        return None, None, customer_id
    return getattr(obj, "owner_id", None), getattr(obj, "department_id", None), None


def _protected_message(obj: models.Model, error: ProtectedError | RestrictedError) -> str:
    blockers = list(
        error.protected_objects if isinstance(error, ProtectedError) else error.restricted_objects
    )
    what = sorted({str(b._meta.verbose_name_plural) for b in blockers})
    return _(
        "%(record)s cannot be deleted: %(count)d other records still refer to it (%(what)s)."
    ) % {"record": _label(obj), "count": len(blockers), "what": ", ".join(what)}


# --- delete -----------------------------------------------------------------------------------
def recyclebin_delete(*, obj: models.Model, by: User, reason: str = "") -> DeletedRecord:
    """Delete `obj` and what its delete cascades to, keeping them restorable for
    ``KEHU_RECYCLE_BIN_DAYS``. The caller's service has checked the right to delete."""
    model = type(obj)
    using = router.db_for_write(model)
    with transaction.atomic(using=using):
        # The stored row, locked (not the caller's copy, which may be stale): new rows that
        # would refer to it wait until the delete is done, so the snapshot holds all it deletes.
        current = model._base_manager.select_for_update().filter(pk=obj.pk).first()
        if current is None:
            raise ValidationError(_("%(record)s was already deleted.") % {"record": _label(obj)})
        collector = Collector(using=using, origin=current)
        try:
            collector.collect([current])
        except (ProtectedError, RestrictedError) as exc:
            raise ValidationError(_protected_message(obj, exc)) from exc
        rows: list[models.Model] = [current]
        for instances in collector.data.values():
            rows.extend(i for i in instances if i is not current)
        for queryset in collector.fast_deletes:
            rows.extend(queryset)
        set_null = [
            [
                instance._meta.label_lower,
                instance.pk,
                field.attname,
                getattr(instance, field.attname),
            ]
            for (field, _value), groups in collector.field_updates.items()
            for group in groups
            for instance in group
        ]
        owner_id, department_id, customer_id = _scope(current)
        now = timezone.now()
        item = DeletedRecord(
            model=model._meta.label_lower,
            object_id=str(obj.pk),
            label=_label(current),
            customer_id=customer_id,
            owner_id=owner_id,
            department_id=department_id,
            deleted_by=by,
            deleted_at=now,
            purge_after=now + dt.timedelta(days=retention_days()),
            row_count=len(rows),
            contact_ids=sorted(
                {r.pk for r in rows if r._meta.label_lower == CONTACT_LABEL}
                | {
                    r.contact_id
                    for r in rows
                    if getattr(r, "contact_id", None) and r._meta.label_lower != CONTACT_LABEL
                }
            ),
        )
        _seal(item, {"rows": _serialize(_in_dependency_order(rows)), "set_null": set_null})
        item.save()
        change_reason = reason or _("moved to the recycle bin")
        for instances in collector.data.values():
            for instance in instances:
                instance._history_user = by
                instance._change_reason = change_reason
        collector.delete()
    obj.pk = None  # as Model.delete() leaves it
    return item


def _in_dependency_order(rows: list[models.Model]) -> list[models.Model]:
    """Rows of a model after the rows of the models it refers to (parents first)."""
    by_model: dict[type[models.Model], list[models.Model]] = defaultdict(list)
    for row in rows:
        by_model[type(row)].append(row)
    pending = list(by_model)
    ordered: list[models.Model] = []
    while pending:
        ready = [
            m
            for m in pending
            if not any(
                f.related_model in pending and f.related_model is not m
                for f in m._meta.concrete_fields
                if f.is_relation
            )
        ] or pending[:1]  # a cycle: deferred constraints let any order pass
        for model in ready:
            ordered.extend(by_model[model])
            pending.remove(model)
    return ordered


# --- restore ----------------------------------------------------------------------------------
def _deserialize(rows: list[dict]) -> list[serializers.base.DeserializedObject]:
    return deserialize_rows(rows)


def _check_customer(item: DeletedRecord) -> None:
    from kehu.customers.models import Customer

    if item.customer_id is None or item.model == CUSTOMER_LABEL:
        return
    if Customer.objects.filter(pk=item.customer_id).exists():
        return
    binned = DeletedRecord.objects.filter(
        model=CUSTOMER_LABEL, object_id=str(item.customer_id)
    ).first()
    if binned is not None:
        raise ValidationError(
            _(
                "The customer %(customer)s is in the recycle bin too: restore the customer "
                "first, then this record."
            )
            % {"customer": binned.label}
        )
    raise ValidationError(
        _("The customer this record belonged to no longer exists; it cannot be restored.")
    )


def _check_rows(objects: list[models.Model]) -> None:
    """Refuse, naming the field, when an id, a unique value or a referenced record is gone or
    taken since the delete (references are checked in one query per referenced model)."""
    in_snapshot = {(type(o), o.pk) for o in objects}
    wanted: dict[tuple[type[models.Model], str], dict[Any, tuple[models.Model, Any]]] = defaultdict(
        dict
    )
    for obj in objects:
        model = type(obj)
        if model._base_manager.filter(pk=obj.pk).exists():
            raise ValidationError(
                _("%(record)s exists again; it cannot be restored over.")
                % {"record": _row_name(obj)}
            )
        try:
            obj.validate_unique()
            obj.validate_constraints()
        except ValidationError as exc:
            raise ValidationError(
                _("%(record)s cannot be restored: %(problem)s")
                % {"record": _row_name(obj), "problem": "; ".join(exc.messages)}
            ) from exc
        for field in model._meta.concrete_fields:
            target_id = getattr(obj, field.attname) if field.is_relation else None
            if target_id is not None and (field.related_model, target_id) not in in_snapshot:
                key = (field.related_model, field.target_field.attname)
                wanted[key].setdefault(target_id, (obj, field))
    for (target, attname), needed in wanted.items():
        found = set(
            target._base_manager.filter(**{f"{attname}__in": list(needed)}).values_list(
                attname, flat=True
            )
        )
        for target_id, (obj, field) in needed.items():
            if target_id not in found:
                raise ValidationError(
                    _("%(record)s cannot be restored: its %(field)s no longer exists.")
                    % {"record": _row_name(obj), "field": field.verbose_name}
                )


def _row_name(obj: models.Model) -> str:
    return f"{obj._meta.verbose_name} {_label(obj)}"


def _record_history(objects: list[models.Model], by: User) -> None:
    by_model: dict[type[models.Model], list[models.Model]] = defaultdict(list)
    for obj in objects:
        by_model[type(obj)].append(obj)
    for model, instances in by_model.items():
        manager = getattr(model, "history", None)
        if manager is not None and hasattr(manager, "bulk_history_create"):
            manager.bulk_history_create(
                instances,
                default_user=by,
                default_change_reason=_("restored from the recycle bin"),
            )


def recyclebin_restore(*, item: DeletedRecord, by: User) -> models.Model:
    """Put the record and its rows back with their original ids; all or nothing."""
    if not can_restore_deleted(by, item):
        raise PermissionDenied
    model = item.model_class
    if model is None:
        raise ValidationError(_("Records of this type can no longer be restored."))
    document = snapshot_document(item)
    try:
        with transaction.atomic():
            if not DeletedRecord.objects.select_for_update().filter(pk=item.pk).exists():
                raise ValidationError(_("This record is no longer in the recycle bin."))
            _check_customer(item)
            restored = _deserialize(document["rows"])
            objects = [d.object for d in restored]
            _check_rows(objects)
            for deserialized in restored:
                deserialized.save(save_m2m=False)  # through rows are in the snapshot
            for label, pk, attname, value in document["set_null"]:
                referring = apps.get_model(label)
                referring._base_manager.filter(pk=pk, **{attname: None}).update(**{attname: value})
            _record_history(objects, by)
            DeletedRecord.objects.filter(pk=item.pk).delete()
    except IntegrityError as exc:
        raise ValidationError(
            _("Restoring conflicts with data entered since: %(error)s") % {"error": exc}
        ) from exc
    return model._base_manager.get(pk=objects[0].pk)


# --- purge ------------------------------------------------------------------------------------
def _stored_files(item: DeletedRecord) -> list[tuple[Any, str]]:
    """(storage, name) of every file a snapshot's rows refer to (contract attachments): the
    delete left them in storage so that a restore brings them back; a purge removes them."""
    try:
        document = snapshot_document(item)
    except DecryptionError:
        logger.warning("recycle bin item %s does not open; its files stay in storage", item.pk)
        return []
    files = []
    for row in document["rows"]:
        model = model_of(row["model"])
        if model is None:
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, models.FileField) and row["fields"].get(field.name):
                files.append((field.storage, row["fields"][field.name]))
    return files


def _delete_files_on_commit(files: list[tuple[Any, str]]) -> None:
    def delete() -> None:
        for storage, name in files:
            storage.delete(name)

    if files:
        transaction.on_commit(delete)  # a purge that rolls back keeps its files


def recyclebin_purge(*, item: DeletedRecord, by: User) -> None:
    """Delete for good, before the retention period ends (with the stored files of its rows)."""
    if not can_purge_deleted(by):
        raise PermissionDenied
    with transaction.atomic():
        _delete_files_on_commit(_stored_files(item))
        DeletedRecord.objects.filter(pk=item.pk).delete()
        audit_event_record(
            action=AuditAction.DELETE,
            by=by,
            target_model=item.model,
            target_id=item.object_id,
            summary="purged from the recycle bin",
            detail={"rows": item.row_count, "deleted_at": item.deleted_at.isoformat()},
        )


def recyclebin_purge_expired(*, now: dt.datetime | None = None) -> int:
    """The scheduler's daily sweep: items whose retention period is over are deleted for good."""
    with transaction.atomic():
        expired = DeletedRecord.objects.select_for_update().filter(
            purge_after__lte=now or timezone.now()
        )
        for item in expired.iterator():
            _delete_files_on_commit(_stored_files(item))
        count, _per_model = expired.delete()
        if count:
            audit_event_record(
                action=AuditAction.DELETE,
                target_model=DeletedRecord._meta.label_lower,
                summary="recycle bin: retention period over",
                detail={"items": count, "days": retention_days()},
            )
    return count


# --- erasure (PIPL) ---------------------------------------------------------------------------
def _dependants(rows: list[dict], removed: set[tuple[str, Any]]) -> set[tuple[str, Any]]:
    """`removed` and every row of the snapshot that refers to one of them, transitively."""
    removed = set(removed)
    changed = True
    while changed:
        changed = False
        for row in rows:
            key = (row["model"], row["pk"])
            if key in removed:
                continue
            model = apps.get_model(row["model"])
            for field in model._meta.concrete_fields:
                if field.is_relation and field.name in row["fields"]:
                    target = (field.related_model._meta.label_lower, row["fields"][field.name])
                    if target in removed:
                        removed.add(key)
                        changed = True
                        break
    return removed


def recyclebin_erase_person(*, contact_ids: Iterable[int]) -> int:
    """Erase contacts (个人信息删除) from the bin: a snapshot of the contact itself is deleted;
    in a larger snapshot (a deleted customer) the contact's row and the rows that refer to it
    are removed, so the rest can still be restored. Returns how many snapshots changed."""
    ids = {int(i) for i in contact_ids}
    if not ids:
        return 0
    changed = 0
    with transaction.atomic():
        candidates = DeletedRecord.objects.select_for_update().filter(
            pk__in=[
                item.pk
                for item in DeletedRecord.objects.only("pk", "contact_ids")
                if ids & set(item.contact_ids)
            ]
        )
        for item in candidates:
            changed += 1
            if item.model == CONTACT_LABEL and int(item.object_id) in ids:
                item.delete()
                continue
            document = snapshot_document(item)
            removed = _dependants(document["rows"], {(CONTACT_LABEL, pk) for pk in ids})
            document["rows"] = [r for r in document["rows"] if (r["model"], r["pk"]) not in removed]
            document["set_null"] = [
                entry
                for entry in document["set_null"]
                if (entry[0], entry[1]) not in removed
                and not (entry[2] == "contact_id" and entry[3] in ids)
            ]
            item.contact_ids = sorted(set(item.contact_ids) - ids)
            item.row_count = len(document["rows"])
            _seal(item, document)
            item.save(update_fields=["contact_ids", "row_count", "payload"])
    return changed
