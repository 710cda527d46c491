"""Action rights, in one place; deny by default. Data scope (which rows) lives in access.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kehu.accounts.models import UnmaskScope
from kehu.accounts.selectors import user_rights
from kehu.core.access import can_edit_customer

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
