"""Writes of the duplicate finder: request a scan, dismiss a group, merge, undo a merge.

A merge keeps one customer and deletes the others after moving every row that belongs to them
(found generically, see relations.py). Everything needed to undo it is stored on the
CustomerMerge row: the dropped customers as they were, the kept customer's values before, the
ids of the moved rows per relation, and the rows the merge deleted.
"""

from __future__ import annotations

import itertools
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.customers.models import Contact, Customer
from kehu.customers.services import StaleEditError, customer_derive_fields
from kehu.dataquality.duplicates import relations
from kehu.dataquality.duplicates.merge_fields import (
    CUSTOM_PREFIX,
    DECISION_MAKER,
    choosable_fields,
    default_choices,
)
from kehu.dataquality.duplicates.models import (
    CustomerCodeAlias,
    CustomerMerge,
    DismissedPair,
    DuplicateGroup,
    DuplicateGroupStatus,
    DuplicateScan,
    DuplicateScanStatus,
)


def duplicate_scan_request(*, by: User | None) -> DuplicateScan:
    """Queue a whole-table scan; a scan already queued or running is returned instead."""
    from kehu.dataquality.duplicates.tasks import scan_duplicates

    pending = DuplicateScan.objects.filter(
        status__in=[DuplicateScanStatus.QUEUED, DuplicateScanStatus.RUNNING],
        created_at__gte=timezone.now() - timezone.timedelta(hours=2),
    ).first()
    if pending is not None:
        return pending
    scan = DuplicateScan.objects.create(requested_by=by)
    transaction.on_commit(lambda: scan_duplicates.delay(scan.pk))
    return scan


def duplicate_group_dismiss(*, group: DuplicateGroup, by: User) -> DuplicateGroup:
    """ "Not duplicates": the group closes and none of its pairs is ever suggested again.

    The caller has checked that `by` sees every member (selectors.access_duplicate_group).
    """
    with transaction.atomic():
        ids = sorted(group.members.values_list("customer_id", flat=True))
        existing = set(
            DismissedPair.objects.filter(low_id__in=ids, high_id__in=ids).values_list(
                "low_id", "high_id"
            )
        )
        DismissedPair.objects.bulk_create(
            DismissedPair(low_id=a, high_id=b, dismissed_by=by)
            for a, b in itertools.combinations(ids, 2)
            if (a, b) not in existing
        )
        group.status = DuplicateGroupStatus.DISMISSED
        group.dismissed_by = by
        group.dismissed_at = timezone.now()
        group.save(update_fields=["status", "dismissed_by", "dismissed_at"])
    return group


# --- merge ------------------------------------------------------------------------------------
def _check_choices(
    choices: dict[str, Any], records: dict[int, Customer], contacts: dict[int, Contact]
) -> dict[str, int]:
    errors: dict[str, list[str]] = {}
    allowed = set(choosable_fields())
    checked: dict[str, int] = {}
    for name, source in choices.items():
        try:
            source_id = int(source)
        except (TypeError, ValueError):
            source_id = 0
        if name == DECISION_MAKER:
            if source_id not in contacts:
                errors.setdefault(name, []).append(
                    _("Choose the key decision maker among the contacts of these records.")
                )
        elif name not in allowed:
            errors.setdefault("__all__", []).append(
                _("%(field)s cannot be chosen in a merge.") % {"field": name}
            )
        elif source_id not in records:
            errors.setdefault(name, []).append(_("Choose one of the records being merged."))
        checked[name] = source_id
    if errors:
        raise ValidationError(errors)
    return checked


def _lock(ids: list[int], expected: dict[int, int]) -> dict[int, Customer]:
    locked = {
        c.pk: c for c in Customer.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    }
    if len(locked) != len(ids):
        raise ValidationError(_("One of the records no longer exists; reload the page."))
    for pk, version in expected.items():
        if locked[pk].version != version:
            raise StaleEditError(locked[pk], since=version)
    return locked


def _move_related(*, keep: Customer, drop_ids: list[int]) -> dict[str, dict[str, list[int]]]:
    """Point every row of the dropped customers at `keep`; returns moved ids per relation and
    dropped customer. Rows that would break a unique constraint stay (and go with their
    customer; the cascade snapshot keeps them for undo)."""
    moved: dict[str, dict[str, list[int]]] = {}
    for relation in relations.customer_relations():
        if relation.one_to_one:
            continue
        fk = relation.fk.attname
        for constraint in relations.conditional_constraints(relation):
            if relation.model is Contact:
                continue  # the decision maker is chosen; see _settle_decision_maker
            holders = set(
                relation.rows.filter(constraint.condition)
                .filter(**{f"{fk}__in": [keep.pk, *drop_ids]})
                .values_list(fk, flat=True)
            )
            if len(holders) > 1:
                raise ValidationError(
                    _(
                        "%(what)s: more than one of these records has one that a customer may "
                        "have only once (e.g. awaiting approval). Settle them before merging."
                    )
                    % {"what": capfirst(relation.model._meta.verbose_name)}
                )
        keys = relations.unique_keys(relation)
        taken: list[set[tuple]] = [
            set(relation.rows.filter(**{fk: keep.pk}).values_list(*key)) for key in keys
        ]
        exclusive = _taken_exclusive_groups(relation, keep)
        per_drop: dict[str, list[int]] = {}
        for row in relation.rows.filter(**{f"{fk}__in": drop_ids}).order_by("pk").values():
            values = [
                tuple(row[relation.model._meta.get_field(f).attname] for f in k) for k in keys
            ]
            if any(v in seen for v, seen in zip(values, taken, strict=True)):
                continue
            if exclusive is not None and _conflicts(row, exclusive):
                continue
            for v, seen in zip(values, taken, strict=True):
                seen.add(v)
            per_drop.setdefault(str(row[fk]), []).append(row["id"])
        ids = [pk for rows in per_drop.values() for pk in rows]
        if ids:
            relation.rows.filter(pk__in=ids).update(**{fk: keep.pk})
            moved[relation.label] = per_drop
    return moved


def _taken_exclusive_groups(relation: relations.Relation, keep: Customer) -> dict | None:
    """Tags of one exclusive group (value tiers …) conflict: the kept customer's tag wins."""
    from kehu.tags.models import CustomerTag, Tag

    if relation.model is not CustomerTag:
        return None
    groups = set(
        CustomerTag.objects.filter(customer=keep)
        .exclude(tag__exclusive_group="")
        .values_list("tag__exclusive_group", flat=True)
    )
    return {"groups": groups, "of_tag": dict(Tag.objects.values_list("pk", "exclusive_group"))}


def _conflicts(row: dict, exclusive: dict) -> bool:
    group = exclusive["of_tag"].get(row["tag_id"], "")
    if not group:
        return False
    if group in exclusive["groups"]:
        return True
    exclusive["groups"].add(group)
    return False


def _settle_decision_maker(ids: list[int], chosen: int | None) -> list[int]:
    """Exactly one key decision maker remains: the chosen one. Returns who was one before."""
    before = list(
        Contact.objects.filter(customer_id__in=ids, is_decision_maker=True).values_list(
            "pk", flat=True
        )
    )
    Contact.objects.filter(customer_id__in=ids, is_decision_maker=True).exclude(
        pk=chosen or 0
    ).update(is_decision_maker=False)
    return sorted(before)


def _apply_choices(keep: Customer, locked: dict[int, Customer], choices: dict[str, int]) -> None:
    custom = dict(keep.custom_fields)
    for name, source_id in choices.items():
        if name == DECISION_MAKER or source_id == keep.pk:
            continue
        source = locked[source_id]
        if name.startswith(CUSTOM_PREFIX):
            key = name.removeprefix(CUSTOM_PREFIX)
            if key in source.custom_fields:
                custom[key] = source.custom_fields[key]
            else:
                custom.pop(key, None)
        else:
            attname = Customer._meta.get_field(name).attname
            setattr(keep, attname, getattr(source, attname))
    keep.custom_fields = custom


def customer_merge(
    *,
    keep: Customer,
    drop: list[Customer],
    choices: dict[str, Any],
    by: User,
    expected_versions: dict[int, int] | None = None,
) -> CustomerMerge:
    """Merge `drop` into `keep` (any number of records), taking each chosen field's value from
    the chosen record. Needs edit rights on every record; refused when any record changed
    since the user opened the merge page (`expected_versions`, default: the given instances')."""
    ids = [keep.pk, *(d.pk for d in drop)]
    if not drop or len(set(ids)) != len(ids):
        raise ValidationError(_("Choose at least two different records to merge."))
    if Customer.objects.editable_by(by).filter(pk__in=ids).count() != len(ids):
        raise PermissionDenied
    expected = expected_versions or {c.pk: c.version for c in (keep, *drop)}
    drop_ids = ids[1:]
    try:
        with transaction.atomic():
            locked = _lock(sorted(ids), expected)
            current = locked[keep.pk]
            contacts = {
                c.pk: c for c in Contact.objects.filter(customer_id__in=ids, is_decision_maker=True)
            }
            defaults = default_choices(
                list(locked.values()),
                {
                    pk: next((c for c in contacts.values() if c.customer_id == pk), None)
                    for pk in ids
                },
            )
            if choices.get(DECISION_MAKER):
                contacts.update({c.pk: c for c in Contact.objects.filter(customer_id__in=ids)})
            checked = _check_choices({**defaults, **choices}, locked, contacts)
            dropped = [locked[pk] for pk in drop_ids]
            snapshot: dict[str, Any] = {
                "keep_before": relations.serialize([current]),
                "dropped": relations.serialize(dropped),
                "keep_one_to_one": relations.serialize(_one_to_one_rows(current)),
            }
            stale_groups = list(
                DuplicateGroup.objects.filter(
                    status=DuplicateGroupStatus.OPEN, members__customer_id__in=ids
                ).values_list("pk", flat=True)
            )
            snapshot["decision_makers"] = _settle_decision_maker(ids, checked.get(DECISION_MAKER))
            snapshot["moved"] = _move_related(keep=current, drop_ids=drop_ids)
            # What is left on the dropped customers goes with them: kept for undo.
            snapshot["removed"] = relations.cascade_snapshot(dropped)
            last = Customer.objects.filter(pk__in=ids).aggregate(at=Max("last_interaction_at"))
            for customer in dropped:
                customer._history_user = by
                customer._change_reason = _("merged into %(code)s") % {"code": current.code}
                customer.delete()
            _apply_choices(current, locked, checked)
            current.last_interaction_at = last["at"]
            current.full_clean(exclude=["owner", "code"])
            customer_derive_fields(current)
            current.version = F("version") + 1
            current._history_user = by
            current._change_reason = _("merged with %(codes)s") % {
                "codes": ", ".join(c.code for c in dropped)
            }
            current.save()
            current.refresh_from_db()
            merge = CustomerMerge.objects.create(
                keep=current,
                keep_code=current.code,
                dropped_ids=drop_ids,
                dropped_codes=[c.code for c in dropped],
                merged_by=by,
                keep_version_after=current.version,
                snapshot=snapshot,
            )
            CustomerCodeAlias.objects.bulk_create(
                CustomerCodeAlias(code=c.code, customer=current, merge=merge) for c in dropped
            )
            DuplicateGroup.objects.filter(pk__in=stale_groups).delete()
            _recompute(current.pk)
    except IntegrityError as exc:
        raise ValidationError(
            _("The merge conflicts with other data and was not saved: %(error)s") % {"error": exc}
        ) from exc
    return merge


def _one_to_one_rows(customer: Customer) -> list:
    rows = []
    for relation in relations.customer_relations():
        if relation.one_to_one:
            rows.extend(relation.rows.filter(**{relation.fk.attname: customer.pk}))
    return rows


def _recompute(customer_id: int) -> None:
    """One-to-one rows (completeness, classification) describe the merged record afresh."""
    from kehu.dataquality.completeness import completeness_check
    from kehu.tags.classification import classification_compute

    completeness_check(customer_ids=[customer_id])
    classification_compute(customer_ids=[customer_id])


# --- undo -------------------------------------------------------------------------------------
def _check_undo(merge: CustomerMerge, keep: Customer | None) -> None:
    if merge.undone_at is not None:
        raise ValidationError(_("This merge has already been undone."))
    if keep is None:
        raise ValidationError(_("The kept customer was deleted; the merge cannot be undone."))
    if keep.version != merge.keep_version_after:
        raise ValidationError(
            _(
                "%(code)s was edited after the merge; undoing would lose those changes. "
                "The merge cannot be undone."
            )
            % {"code": keep.code}
        )
    for label, per_drop in merge.snapshot.get("moved", {}).items():
        relation = relations.relation_by_label(label)
        ids = [pk for rows in per_drop.values() for pk in rows]
        still = (
            relation.rows.filter(pk__in=ids, **{relation.fk.attname: keep.pk}).count()
            if relation
            else 0
        )
        if still != len(ids):
            raise ValidationError(
                _(
                    "Some %(what)s moved by the merge were deleted or moved since; the merge "
                    "cannot be undone."
                )
                % {"what": relation.model._meta.verbose_name_plural if relation else label}
            )


def customer_merge_undo(*, merge: CustomerMerge, by: User) -> Customer:
    """Recreate the merged-away customers with their ids and codes, move their rows back and
    restore the kept customer's values; all or nothing."""
    if merge.keep_id is None:
        _check_undo(merge, None)
    if Customer.objects.editable_by(by).filter(pk=merge.keep_id).count() != 1:
        raise PermissionDenied
    snapshot = merge.snapshot
    try:
        with transaction.atomic():
            keep = Customer.objects.select_for_update().filter(pk=merge.keep_id).first()
            _check_undo(merge, keep)
            merge.aliases.all().delete()
            [before] = list(relations.deserialize(snapshot["keep_before"]))
            before.version = keep.version + 1
            before._history_user = by
            before._change_reason = _("merge undone")
            before.save()
            relations.restore(snapshot["dropped"])
            Customer.history.bulk_history_create(
                list(Customer.objects.filter(pk__in=merge.dropped_ids)),
                default_user=by,
                default_change_reason=_("merge undone"),
            )
            for relation in relations.customer_relations():
                if relation.one_to_one:
                    relation.rows.filter(**{relation.fk.attname: keep.pk}).delete()
            relations.restore(snapshot["keep_one_to_one"])
            relations.restore(snapshot["removed"])
            ids = [keep.pk, *merge.dropped_ids]
            Contact.objects.filter(customer_id__in=ids, is_decision_maker=True).update(
                is_decision_maker=False
            )
            for label, per_drop in snapshot["moved"].items():
                relation = relations.relation_by_label(label)
                for drop_id, rows in per_drop.items():
                    relation.rows.filter(pk__in=rows).update(**{relation.fk.attname: int(drop_id)})
            Contact.objects.filter(pk__in=snapshot["decision_makers"]).update(
                is_decision_maker=True
            )
            merge.undone_at = timezone.now()
            merge.undone_by = by
            merge.save(update_fields=["undone_at", "undone_by"])
    except IntegrityError as exc:
        raise ValidationError(
            _("Undoing the merge conflicts with data entered since: %(error)s") % {"error": exc}
        ) from exc
    keep.refresh_from_db()
    return keep
