"""Customer pages: the list, forms and the 360 page (customers.py); status changes and the
approvals inbox (status.py)."""

from kehu.customers.views.customers import (
    contact_create,
    contact_delete,
    contact_edit,
    contact_make_decision_maker,
    customer_create,
    customer_delete,
    customer_detail,
    customer_edit,
    customer_history,
    customer_list,
    customer_unmask,
    team_add,
    team_remove,
)
from kehu.customers.views.status import (
    approval_approve,
    approval_reject,
    approvals_inbox,
    status_action,
    status_change,
    status_changes,
)

__all__ = [
    "approval_approve",
    "approval_reject",
    "approvals_inbox",
    "contact_create",
    "contact_delete",
    "contact_edit",
    "contact_make_decision_maker",
    "customer_create",
    "customer_delete",
    "customer_detail",
    "customer_edit",
    "customer_history",
    "customer_list",
    "customer_unmask",
    "status_action",
    "status_change",
    "status_changes",
    "team_add",
    "team_remove",
]
