"""Action rights, in one place; deny by default. Data scope (which rows) lives in access.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kehu.accounts.models import RoleCode, UnmaskScope
from kehu.accounts.selectors import user_rights
from kehu.core.access import can_edit_customer, can_edit_lead, can_edit_opportunity

if TYPE_CHECKING:
    from kehu.accounts.models import User
    from kehu.customers.models import Customer


def is_administrator(user: User) -> bool:
    return bool(user and user.is_authenticated and user_rights(user).is_admin)


def can_create_customer(user: User) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def can_unmask(user: User, customer: Customer) -> bool:
    """Assumes `customer` was fetched through access.py (so it is visible to `user`)."""
    scope = user_rights(user).unmask_scope
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


def unmaskable_customer_ids(user: User, customer_ids) -> set[int]:
    """`can_unmask` for many customers in one query (exports): the ids among `customer_ids`
    whose mobile numbers `user` may see. Assumes the ids are of customers visible to `user`."""
    from kehu.core.access import visible_customers

    ids = set(customer_ids)
    scope = user_rights(user).unmask_scope
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
