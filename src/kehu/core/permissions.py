"""Action rights, in one place; deny by default. Data scope (which rows) lives in access.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kehu.accounts.models import RoleCode, UnmaskScope
from kehu.accounts.selectors import user_rights
from kehu.core.access import (
    can_edit_contract,
    can_edit_customer,
    can_edit_lead,
    can_edit_opportunity,
    can_edit_order,
)

if TYPE_CHECKING:
    from kehu.accounts.models import User
    from kehu.customers.models import Customer


def is_administrator(user: User) -> bool:
    return bool(user and user.is_authenticated and user_rights(user).is_admin)


def can_create_customer(user: User) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def can_unmask(user: User, customer: Customer, field: str = "contact.mobile") -> bool:
    """Assumes `customer` was fetched through access.py (so it is visible to `user`).
    A customer in the public pool stays masked until someone claims it. Field security
    (customers.FieldSecurity) must make `field` visible to one of the user's roles; the
    role's unmask scope then says on which records."""
    from kehu.customers.sensitive import field_level

    if field_level(user, field) != "visible":
        return False
    scope = user_rights(user).unmask_scope
    if scope != UnmaskScope.NONE and in_pool_customer_ids([customer.pk]):
        return False
    if scope == UnmaskScope.VISIBLE:
        return True
    if scope == UnmaskScope.EDITABLE:
        return can_edit_customer(user, customer)
    return False


def can_manage_team(user: User, customer: Customer) -> bool:
    """Owner, and whoever may edit the customer through their write scope, manage its team."""
    return customer.owner_id == user.pk or can_edit_customer(user, customer)


def can_manage_configuration(user: User) -> bool:
    return is_administrator(user)


# --- audit and privacy ----------------------------------------------------------------------
def can_open_audit(user: User) -> bool:
    """The audit log (every change, unmask, export and sign-in) is for administrators."""
    return is_administrator(user)


def can_handle_data_requests(user: User) -> bool:
    """Data-subject requests (export, correct, erase a person's data): the data steward or an
    administrator; they see every person the request names, whoever owns the customer."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    rights = user_rights(user)
    return rights.is_admin or RoleCode.DATA_STEWARD in rights.role_codes


def can_record_consent(user: User, customer: Customer) -> bool:
    """Consents are recorded and withdrawn by whoever may edit the customer."""
    return can_edit_customer(user, customer)


def can_review_tags(user: User) -> bool:
    """The data administrator (data steward) or an administrator approves new tags."""
    rights = user_rights(user)
    return rights.is_admin or RoleCode.DATA_STEWARD in rights.role_codes


def can_review_data(user: User) -> bool:
    """The monthly data review (月度审核) is the data steward's job; administrators may too."""
    return can_review_tags(user)


def can_tag_customer(user: User, customer: Customer) -> bool:
    return can_edit_customer(user, customer)


def can_change_task(user: User, task) -> bool:
    """Complete, reopen or reassign: the assignee, the creator, or whoever may edit the
    customer. Assumes `task` was fetched through access.py."""
    if user.pk in (task.assignee_id, task.created_by_id):
        return True
    return can_edit_customer(user, task.customer)


def can_decide_status_change(user: User, change) -> bool:
    """The assigned approver, or an administrator; never the person who asked."""
    if change.requested_by_id == user.pk:
        return False
    return change.approver_id == user.pk or is_administrator(user)


def can_request_handover(user: User, from_user: User) -> bool:
    """An administrator, or a department head over the departing user's department."""
    if is_administrator(user):
        return True
    from kehu.accounts.selectors import department_ancestor_ids

    headed = set(user.headed_departments.values_list("id", flat=True))
    return bool(headed & set(department_ancestor_ids(from_user.department_id)))


def can_confirm_handover(user: User, handover) -> bool:
    return handover.approver_id == user.pk


def can_open_handovers(user: User) -> bool:
    """The handover pages are for administrators and department heads (who ask and confirm)."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    return is_administrator(user) or user.headed_departments.exists()


def can_import(user: User) -> bool:
    """Importing creates customers, so whoever may create customers may import them (the
    rows still land only in the importer's own write scope)."""
    return can_create_customer(user)


def can_export(user: User) -> bool:
    """Any active user may export the customers they can see (the rows stay in their scope)."""
    return bool(user and user.is_authenticated and user.is_active)


# --- segments -------------------------------------------------------------------------------
def can_change_segment(user: User, segment) -> bool:
    """Edit, share or delete a segment: its owner. Assumes it was fetched through access.py."""
    from kehu.core.access import can_edit_segment

    return can_edit_segment(user, segment)


def can_assign_customers(user: User) -> bool:
    """Hand many customers to another owner at once (a segment's target list): whoever may
    assign owners beyond themselves, i.e. holds a department or company write scope."""
    from kehu.accounts.models import DataScope

    if not (user and user.is_authenticated and user.is_active):
        return False
    return user_rights(user).write_scope in (DataScope.DEPARTMENT, DataScope.COMPANY)


def unmaskable_customer_ids(user: User, customer_ids, field: str = "contact.mobile") -> set[int]:
    """`can_unmask` for many customers in one query (exports): the ids among `customer_ids`
    whose mobile numbers `user` may see. Assumes the ids are of customers visible to `user`."""
    from kehu.core.access import visible_customers
    from kehu.customers.sensitive import field_level

    if field_level(user, field) != "visible":
        return set()
    ids = set(customer_ids)
    scope = user_rights(user).unmask_scope
    if scope != UnmaskScope.NONE:
        ids -= in_pool_customer_ids(ids)
    if scope == UnmaskScope.VISIBLE:
        return ids
    if scope == UnmaskScope.EDITABLE and ids:
        editable = visible_customers(user).editable_by(user).filter(pk__in=ids)
        return set(editable.values_list("pk", flat=True))
    return set()


# --- sales ----------------------------------------------------------------------------------
def can_create_lead(user: User) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def can_change_lead(user: User, lead) -> bool:
    """Edit, disqualify, convert or delete: whoever may edit it in their write scope.
    Assumes `lead` was fetched through access.py."""
    return can_edit_lead(user, lead)


def can_unmask_lead(user: User, lead) -> bool:
    """Reveal a lead's mobile number: field security must make ``lead.mobile`` visible to one
    of the user's roles, then the role's unmask scope decides (every visible lead, or those
    the user may edit). Assumes `lead` was fetched through access.py."""
    from kehu.customers.sensitive import LEAD_MOBILE, field_level

    if field_level(user, LEAD_MOBILE) != "visible":
        return False
    scope = user_rights(user).unmask_scope
    if scope == UnmaskScope.VISIBLE:
        return True
    if scope == UnmaskScope.EDITABLE:
        return can_edit_lead(user, lead)
    return False


def can_create_opportunity(user: User, customer: Customer) -> bool:
    """Opportunities are opened by whoever may edit the customer."""
    return can_edit_customer(user, customer)


def can_change_opportunity(user: User, opportunity) -> bool:
    """Edit it or move it between stages: the customer's editors and the opportunity's owner."""
    return can_edit_opportunity(user, opportunity)


def can_reopen_opportunity(user: User, opportunity) -> bool:
    """A won or lost opportunity is reopened only by someone who may edit the customer (not
    merely its owner): closing is a fact the pipeline figures rely on."""
    return can_edit_customer(user, opportunity.customer)


def can_create_contract(user: User, customer: Customer) -> bool:
    """Contracts and orders are entered by whoever may edit the customer."""
    return can_edit_customer(user, customer)


def can_change_contract(user: User, contract) -> bool:
    """Edit, renew, terminate, plan and record payments, attach files: the customer's editors
    and the contract's owner. Assumes `contract` was fetched through access.py."""
    return can_edit_contract(user, contract)


def can_create_order(user: User, customer: Customer) -> bool:
    return can_edit_customer(user, customer)


def can_change_order(user: User, order) -> bool:
    return can_edit_order(user, order)


# --- recycle bin ----------------------------------------------------------------------------
def can_delete_customer(user: User, customer: Customer) -> bool:
    """Deleting a customer takes its contacts and history of work with it (into the recycle
    bin): its owner, when they may still edit it, or an administrator."""
    if is_administrator(user):
        return True
    return customer.owner_id == user.pk and can_edit_customer(user, customer)


def can_restore_deleted(user: User, item) -> bool:
    """An administrator, whoever deleted it, or whoever may edit the record's scope record
    (its customer or owner) with their write scope. Assumes `item` came through access.py."""
    if is_administrator(user) or item.deleted_by_id == user.pk:
        return True
    from kehu.core.access import recycle_bin_scope_q
    from kehu.recyclebin.models import DeletedRecord

    return DeletedRecord.objects.filter(recycle_bin_scope_q(user, write=True), pk=item.pk).exists()


def restorable_deleted_ids(user: User, items) -> set[int]:
    """`can_restore_deleted` for a page of bin items in one query."""
    ids = {item.pk for item in items}
    if is_administrator(user):
        return ids
    from django.db.models import Q

    from kehu.core.access import recycle_bin_scope_q
    from kehu.recyclebin.models import DeletedRecord

    rows = DeletedRecord.objects.filter(
        recycle_bin_scope_q(user, write=True) | Q(deleted_by_id=user.pk), pk__in=ids
    )
    return set(rows.values_list("pk", flat=True))


def can_purge_deleted(user: User) -> bool:
    """Deleting for good before the retention period ends is for administrators only."""
    return is_administrator(user)


# --- public pool (公海) -----------------------------------------------------------------------
def is_pool_member(user: User, pool) -> bool:
    from kehu.core.access import pool_scope_q
    from kehu.pool.models import Pool

    return Pool.objects.filter(pool_scope_q(user, role="member"), pk=pool.pk).exists()


def can_claim(user: User, pool) -> bool:
    """Members claim from an open pool; a closed pool is handed out by its administrators.
    The limits (per rule, 保有量, cooldown) are the service's checks, each with its message."""
    return bool(pool.is_open and pool.is_active and is_pool_member(user, pool))


def can_assign_from_pool(user: User, pool) -> bool:
    """Pool administrators, heads of its member departments, and system administrators."""
    from kehu.core.access import pool_scope_q
    from kehu.pool.models import Pool

    return Pool.objects.filter(pool_scope_q(user, role="assigner"), pk=pool.pk).exists()


def can_manage_pool(user: User, pool=None) -> bool:
    """Settings and rules of a pool: its administrators; creating pools and assignment rules
    (pool=None): system administrators."""
    if is_administrator(user):
        return True
    return pool is not None and pool.administrators.filter(pk=user.pk).exists()


def can_return_to_pool(user: User, customer: Customer) -> bool:
    """The owner gives a customer up; so may whoever may edit it with their write scope."""
    return customer.owner_id == user.pk or can_edit_customer(user, customer)


def in_pool_customer_ids(customer_ids) -> set[int]:
    """Customers now in a pool: their mobile numbers stay masked for everyone until claimed."""
    from django.db.models import F

    from kehu.pool.models import PoolEntry, PoolEntryState

    ids = set(customer_ids)
    if not ids:
        return set()
    entries = PoolEntry.objects.filter(
        state=PoolEntryState.IN_POOL, customer_id__in=ids, customer__owner_id=F("pool__keeper_id")
    )
    return set(entries.values_list("customer_id", flat=True))
