"""Data scope (数据权限), in one place.

Every read of a scoped record goes through here: pages, API, search, export, counts, reports
and background jobs. A record is visible to a user when any of these holds:

- the user's roles give a company-wide read scope, or the user is a superuser;
- the user owns it;
- the user is in its related team (相关团队, CustomerShare);
- its owner reports to the user, directly or indirectly (reporting line);
- the user's roles give a department scope and the record belongs to the user's department
  or one below it.

Editing follows the same rules with the write scope; related-team members edit only with
read-write access, and superiors only through their write scope.
Records that belong to a customer (interactions, opportunities …) reuse ``customer_scope_q``
with a prefix; records with an owner of their own (leads) use ``owner_scope_q``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db.models import F, Q
from django.http import Http404

from kehu.accounts.models import DataScope
from kehu.accounts.selectors import (
    department_subtree_ids,
    subordinate_ids,
    user_department_subtree_ids,
    user_rights,
)
from kehu.core.queries import InSubqueryArray

if TYPE_CHECKING:
    from kehu.accounts.models import User
    from kehu.customers.models import Contact, Customer

NOTHING = Q(pk__in=[])


def _scope_of(user: User, *, write: bool) -> str | None:
    """The user's read (or write) scope; None for anonymous and deactivated users."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    rights = user_rights(user)
    return rights.write_scope if write else rights.read_scope


def _everything(key: str) -> Q:
    # Always true, but not Q(): an empty Q vanishes when OR-ed (Q() | Q(x) is Q(x)), which
    # would narrow "everything" to the other condition (tasks assigned to me, …).
    return Q(**{f"{key}__isnull": False})


def _owner_rules_q(
    user: User,
    *,
    scope: str,
    write: bool,
    owner: str = "owner_id",
    department: str = "department_id",
) -> Q:
    """Owner, reporting line (read only) and department tree, for a non-company scope, on the
    columns `owner` and `department`."""
    q = Q(**{owner: user.pk})
    if not write:
        subordinates = subordinate_ids(user)
        if subordinates:
            q |= Q(**{f"{owner}__in": sorted(subordinates)})
    if scope == DataScope.DEPARTMENT and user.department_id:
        q |= Q(**{f"{department}__in": sorted(user_department_subtree_ids(user))})
    return q


def owner_scope_q(user: User, *, write: bool = False, prefix: str = "") -> Q:
    """Rows of any model with ``owner`` and ``department`` fields (leads, …) that `user` may
    read (or edit): the customer rules without the related team, which only customers have."""
    scope = _scope_of(user, write=write)
    if scope is None:
        return NOTHING
    if scope == DataScope.COMPANY:
        return _everything(f"{prefix}pk")
    return _owner_rules_q(
        user,
        scope=scope,
        write=write,
        owner=f"{prefix}owner_id",
        department=f"{prefix}department_id",
    )


@dataclass(frozen=True)
class CustomerColumns:
    """Where a query finds a customer's id, owner and department: through the customer itself
    (``through("customer__")``) or, on opportunities, contracts and payments, in the row's copy
    of its customer's owner and department (``copied()``), which the database keeps equal to
    the customer's in the statement that changes either (sales migration 0005)."""

    id: str
    owner: str
    department: str

    @classmethod
    def through(cls, prefix: str = "") -> CustomerColumns:
        return cls(f"{prefix}id", f"{prefix}owner_id", f"{prefix}department_id")

    @classmethod
    def copied(cls, customer: str = "customer_id") -> CustomerColumns:
        return cls(customer, "scope_owner_id", "scope_department_id")


def customer_scope_q(user: User, *, write: bool = False, prefix: str = "") -> Q:
    """Customers `user` may read (or edit), relative to `prefix` (e.g. ``customer__``)."""
    return _customer_rules_q(user, write=write, columns=CustomerColumns.through(prefix))


def copied_customer_scope_q(user: User, *, customer: str = "customer_id") -> Q:
    """Rows of opportunities, contracts or payments whose customer `user` may read, tested on
    the row's copy of the customer's owner and department (`customer`: the row's customer id
    column): the same rows as ``customer_scope_q(user, prefix="customer__")`` without
    joining the customers."""
    return _customer_rules_q(user, write=False, columns=CustomerColumns.copied(customer))


def _customer_rules_q(user: User, *, write: bool, columns: CustomerColumns) -> Q:
    from kehu.customers.models import CustomerShare, ShareAccess

    scope = _scope_of(user, write=write)
    if scope is None:
        return NOTHING
    if scope == DataScope.COMPANY:
        return _everything(columns.id)
    shares = CustomerShare.objects.filter(user_id=user.pk)
    if write:
        shares = shares.filter(access=ShareAccess.WRITE)
    # ANY(ARRAY(…)): the shared ids become an index condition OR-ed with the owner and
    # department indexes, not a test on every customer (core.queries, issue 7).
    return _owner_rules_q(
        user, scope=scope, write=write, owner=columns.owner, department=columns.department
    ) | Q(InSubqueryArray(columns.id, shares.values("customer_id")))


def customer_scope_parts(
    user: User,
    *,
    prefix: str = "",
    columns: CustomerColumns | None = None,
    split_tree: bool = False,
) -> list[Q]:
    """The customers `user` may read, as disjoint parts whose union is
    `customer_scope_q(user)`: the user's and the reporting line's customers, then shared
    customers owned by neither. [Q()] for the whole company. A department scope is one part,
    or with `split_tree` three: the department tree, the reporting line's customers outside
    it, then shared customers in neither. `columns`: where the rows keep their customer
    (CustomerColumns; through `prefix` when not given).

    A sum over the scope is the sum of the sums over the parts. Each part is a condition the
    database drives by an index (owner, department, the shared ids), where the OR of them
    made it read every row the OR selects from the table: the dashboard's sums over
    opportunities, contracts and payments for a rep took 240–340 ms each at 1M customers,
    15–56 ms by parts, and a department head's customer counts 342 ms as one OR, 63 ms in
    three parts read from covering indexes (issue 7). Split a department tree only where
    such indexes exist: without them, the part outside the tree reads every subordinate's
    rows again to find none."""
    from kehu.customers.models import CustomerShare

    columns = columns or CustomerColumns.through(prefix)
    scope = _scope_of(user, write=False)
    if scope is None:
        return [NOTHING]
    if scope == DataScope.COMPANY:
        return [Q()]
    tree = None
    if scope == DataScope.DEPARTMENT and user.department_id:
        if not split_tree:
            return [_customer_rules_q(user, write=False, columns=columns)]
        tree = Q(**{f"{columns.department}__in": sorted(user_department_subtree_ids(user))})
    owners = Q(**{f"{columns.owner}__in": [user.pk, *sorted(subordinate_ids(user))]})
    shares = Q(
        InSubqueryArray(
            columns.id, CustomerShare.objects.filter(user_id=user.pk).values("customer_id")
        )
    )
    if tree is None:
        return [owners, shares & ~owners]
    return [tree, owners & ~tree, shares & ~tree & ~owners]


# A data scope with more arms than this is read as one OR (see customer_scope_arms).
MAX_SCOPE_ARMS = 4


def customer_scope_arms(user: User) -> list[Q] | None:
    """The customers `user` may read, as arms whose union is `customer_scope_q(user)`, each
    readable in list order from an index of its own: "owner is X" (customer_owner_created)
    and "shared with me" (a handful of rows). None when the scope is not that shape: the
    whole company, a department tree (dense: the plain list order finds its rows quickly),
    or more than MAX_SCOPE_ARMS owners.

    An OR of these cannot be walked in the list's order, so a rep's page 80 read 53,600
    entries of the list index at 1M customers to find 2,080 of their own; each arm alone
    reads about 2,080 (core.pagination)."""
    from kehu.customers.models import CustomerShare

    scope = _scope_of(user, write=False)
    if scope is None or scope != DataScope.OWN:
        return None
    owners = [user.pk, *sorted(subordinate_ids(user))]
    if len(owners) + 1 > MAX_SCOPE_ARMS:
        return None
    shared = CustomerShare.objects.filter(user_id=user.pk).values("customer_id")
    return [Q(owner_id=pk) for pk in owners] + [Q(InSubqueryArray("id", shared))]


def visible_customers(user: User):
    from kehu.customers.models import Customer

    return Customer.objects.visible_to(user)


def visible_contacts(user: User):
    from kehu.customers.models import Contact

    return Contact.objects.filter(customer_scope_q(user, prefix="customer__"))


def can_edit_customer(user: User, customer: Customer) -> bool:
    from kehu.customers.models import Customer

    return Customer.objects.editable_by(user).filter(pk=customer.pk).exists()


def _fetch(queryset, pk: int | str):
    """One row of an already scoped queryset, or 404 (bad id, missing and hidden alike)."""
    try:
        return queryset.get(pk=int(pk))
    except (ValueError, TypeError, queryset.model.DoesNotExist) as exc:
        raise Http404 from exc


def access_customer(user: User, pk: int | str, *, write: bool = False) -> Customer:
    """Fetch a customer the user may see: 404 when missing *or* hidden (never reveal that a
    hidden record exists), 403 only when visible but not editable and `write` is asked."""
    customer = _fetch(
        visible_customers(user).select_related(
            "owner", "department", "industry__parent", "region__parent"
        ),
        pk,
    )
    if write and not can_edit_customer(user, customer):
        raise PermissionDenied
    return customer


def access_contact(user: User, pk: int | str, *, write: bool = False) -> Contact:
    contact = _fetch(visible_contacts(user).select_related("customer"), pk)
    if write and not can_edit_customer(user, contact.customer):
        raise PermissionDenied
    return contact


def access_interaction(user: User, pk: int | str):
    """Interactions are never edited (they are the audit trail), so there is no `write`."""
    from kehu.interactions.models import Interaction

    return _fetch(
        Interaction.objects.visible_to(user).select_related(
            "customer", "follower", "created_by", "next_action_owner"
        ),
        pk,
    )


def access_task(user: User, pk: int | str):
    """A task on a visible customer, or assigned to the user. Who may change it is the
    services' check (assignee, creator, or whoever may edit the customer): 403 there."""
    from kehu.interactions.models import Task

    return _fetch(
        Task.objects.visible_to(user).select_related("customer", "assignee", "created_by"), pk
    )


def access_status_change(user: User, pk: int | str):
    """A status change on a visible customer, or one the user is asked to approve."""
    from kehu.customers.models import StatusChange

    return _fetch(
        StatusChange.objects.visible_to(user).select_related(
            "customer", "requested_by", "approver", "decided_by"
        ),
        pk,
    )


def access_lead(user: User, pk: int | str, *, write: bool = False):
    """A lead the user may see (404 when missing or hidden); 403 when `write` is asked and
    the user may only read it."""
    from kehu.sales.models import Lead

    lead = _fetch(
        Lead.objects.visible_to(user).select_related(
            "owner", "department", "industry__parent", "region__parent", "customer"
        ),
        pk,
    )
    if write and not can_edit_lead(user, lead):
        raise PermissionDenied
    return lead


def can_edit_lead(user: User, lead) -> bool:
    from kehu.sales.models import Lead

    return Lead.objects.editable_by(user).filter(pk=lead.pk).exists()


def can_edit_opportunity(user: User, opportunity) -> bool:
    from kehu.sales.models import Opportunity

    return Opportunity.objects.editable_by(user).filter(pk=opportunity.pk).exists()


def access_opportunity(user: User, pk: int | str, *, write: bool = False):
    """An opportunity on a customer the user may see (404 otherwise); 403 when `write` is
    asked and the user neither edits the customer nor owns the opportunity."""
    from kehu.sales.models import Opportunity

    opportunity = _fetch(
        Opportunity.objects.visible_to(user).select_related("customer", "stage", "owner"), pk
    )
    if write and not can_edit_opportunity(user, opportunity):
        raise PermissionDenied
    return opportunity


# Contracts, their payments and orders: read with their customer; edited by the customer's
# editors and by their own owner (as opportunities).
def visible_contracts(user: User):
    from kehu.sales.models import Contract

    return Contract.objects.visible_to(user)


def visible_payments(user: User):
    from kehu.sales.models import Payment

    return Payment.objects.visible_to(user)


def visible_orders(user: User):
    from kehu.sales.models import Order

    return Order.objects.visible_to(user)


def can_edit_contract(user: User, contract) -> bool:
    from kehu.sales.models import Contract

    return Contract.objects.editable_by(user).filter(pk=contract.pk).exists()


def can_edit_order(user: User, order) -> bool:
    from kehu.sales.models import Order

    return Order.objects.editable_by(user).filter(pk=order.pk).exists()


def access_contract(user: User, pk: int | str, *, write: bool = False):
    """A contract on a customer the user may see (404 otherwise); 403 when `write` is asked
    and the user neither edits the customer nor owns the contract."""
    contract = _fetch(
        visible_contracts(user).select_related(
            "customer", "owner", "department", "opportunity", "renewal_of"
        ),
        pk,
    )
    if write and not can_edit_contract(user, contract):
        raise PermissionDenied
    return contract


def access_payment(user: User, pk: int | str, *, write: bool = False):
    """A payment (回款) of a visible contract; writing it is writing its contract."""
    payment = _fetch(visible_payments(user).select_related("contract__customer"), pk)
    if write and not can_edit_contract(user, payment.contract):
        raise PermissionDenied
    return payment


def access_order(user: User, pk: int | str, *, write: bool = False):
    order = _fetch(visible_orders(user).select_related("customer", "owner", "contract"), pk)
    if write and not can_edit_order(user, order):
        raise PermissionDenied
    return order


def visible_segments(user: User):
    """Segments the user owns or that are shared with them or their department; the
    customers a segment yields are still cut to each viewer's scope (segments.selectors)."""
    from kehu.segments.models import Segment

    return Segment.objects.visible_to(user)


def can_edit_segment(user: User, segment) -> bool:
    """Only its owner changes, shares or deletes a segment; colleagues it is shared with run it."""
    return bool(user and user.is_authenticated and user.is_active and segment.owner_id == user.pk)


def access_segment(user: User, pk: int | str, *, write: bool = False):
    segment = _fetch(visible_segments(user).select_related("owner"), pk)
    if write and not can_edit_segment(user, segment):
        raise PermissionDenied
    return segment


def users_who_can_see(customer: Customer):
    """Active users who may read `customer`: ``customer_scope_q`` read the other way round,
    for choosing who acts on it (follower, next action owner, task assignee)."""
    from kehu.accounts.models import User
    from kehu.accounts.selectors import department_ancestor_ids
    from kehu.customers.models import CustomerShare

    role_holders = User.roles.through.objects
    company = role_holders.filter(role__read_scope=DataScope.COMPANY).values("user_id")
    shares = CustomerShare.objects.filter(customer_id=customer.pk).values("user_id")
    # The owner's superiors, directly or indirectly (they read their reports' records).
    superiors = dict(User.objects.filter(superior__isnull=False).values_list("id", "superior_id"))
    above: list[int] = []
    current = superiors.get(customer.owner_id)
    while current is not None and current not in above and current != customer.owner_id:
        above.append(current)
        current = superiors.get(current)
    q = (
        Q(is_superuser=True)
        | Q(pk__in=company)
        | Q(pk=customer.owner_id)
        | Q(pk__in=shares)
        | Q(pk__in=above)
    )
    if customer.department_id:
        department = role_holders.filter(role__read_scope=DataScope.DEPARTMENT).values("user_id")
        q |= Q(pk__in=department, department_id__in=department_ancestor_ids(customer.department_id))
    return User.objects.filter(is_active=True).filter(q)


# --- recycle bin ----------------------------------------------------------------------------
# A deleted record keeps the owner and department of its scope record (its customer, or the
# record itself) and the customer id, so the bin is read with the rules above.
def recycle_bin_scope_q(user: User, *, write: bool = False) -> Q:
    """Bin items `user` could see (or edit) before the delete, and the ones they deleted."""
    from kehu.customers.models import Customer

    if _scope_of(user, write=write) is None:
        return NOTHING
    living = Customer.objects.filter(customer_scope_q(user, write=write)).values("pk")
    q = owner_scope_q(user, write=write) | Q(customer_id__in=living)
    return q if write else q | Q(deleted_by_id=user.pk)


def access_deleted_record(user: User, pk: int | str):
    """A recycle-bin item within the user's scope, or 404."""
    from kehu.recyclebin.models import DeletedRecord

    return _fetch(DeletedRecord.objects.visible_to(user).select_related("deleted_by"), pk)


# --- public pool (公海) -----------------------------------------------------------------------
# Pool customers are owned by the pool's keeper, so they are outside every sales scope; members
# see them only through these pool rules, and only the columns the pool list shows.
def _pool_member_q(user: User) -> Q:
    """Pools the user belongs to: as a named member, or through a member department above or
    at the user's own."""
    from kehu.accounts.selectors import department_ancestor_ids
    from kehu.pool.models import Pool

    ids = Pool.members.through.objects.filter(user_id=user.pk).values("pool_id")
    q = Q(pk__in=ids)
    if user.department_id:
        departments = Pool.departments.through.objects.filter(
            department_id__in=department_ancestor_ids(user.department_id)
        )
        q |= Q(pk__in=departments.values("pool_id"))
    return q


def _pool_assigner_q(user: User) -> Q:
    """Pools the user assigns from: as a pool administrator, or as the head of a member
    department or of one above it."""
    from kehu.accounts.selectors import department_ancestor_ids
    from kehu.pool.models import Pool

    q = Q(pk__in=Pool.administrators.through.objects.filter(user_id=user.pk).values("pool_id"))
    headed = set(user.headed_departments.values_list("id", flat=True))
    if headed:
        under: set[int] = set()
        for department_id in headed:
            under |= department_subtree_ids(department_id)
        departments = Pool.departments.through.objects.filter(department_id__in=sorted(under))
        q |= Q(pk__in=departments.values("pool_id"))
        above = {a for d in headed for a in department_ancestor_ids(d)}
        departments = Pool.departments.through.objects.filter(department_id__in=sorted(above))
        q |= Q(pk__in=departments.values("pool_id"))
    return q


def pool_scope_q(user: User, *, role: str = "any") -> Q:
    """Active pools `user` may see (`role="any"`), claim from as a member (`"member"`) or assign
    from (`"assigner"`). Administrators have every pool in every role."""
    from kehu.core.permissions import is_administrator

    if _scope_of(user, write=False) is None:
        return NOTHING
    active = Q(is_active=True)
    if is_administrator(user):
        return active
    if role == "member":
        return active & _pool_member_q(user)
    if role == "assigner":
        return active & _pool_assigner_q(user)
    return active & (_pool_member_q(user) | _pool_assigner_q(user))


def visible_pools(user: User):
    from kehu.pool.models import Pool

    return Pool.objects.filter(pool_scope_q(user))


def visible_pool_entries(user: User):
    """Customers now in a pool the user may see; nothing about customers already claimed
    (nor about one an administrator gave an owner by editing it: its keeper no longer owns it)."""
    from kehu.pool.models import PoolEntry, PoolEntryState

    return PoolEntry.objects.filter(
        state=PoolEntryState.IN_POOL,
        pool__in=visible_pools(user).values("pk"),
        customer__owner_id=F("pool__keeper_id"),
    )


def access_pool(user: User, pk: int | str):
    return _fetch(visible_pools(user), pk)


def access_pool_entry(user: User, pk: int | str):
    """A customer in a pool the user may see, or 404 (also once someone claimed it)."""
    return _fetch(
        visible_pool_entries(user).select_related(
            "pool", "customer", "customer__industry__parent", "customer__region__parent"
        ),
        pk,
    )


def visible_pool_events(user: User):
    """Claim and return history: all of a pool for whoever assigns from it; otherwise the
    user's own claims, returns and notices (not who took a customer after them)."""
    from kehu.pool.models import Pool, PoolEvent, PoolEventAction

    if _scope_of(user, write=False) is None:
        return PoolEvent.objects.none()
    assigner = Pool.objects.filter(pool_scope_q(user, role="assigner")).values("pk")
    returns = (PoolEventAction.RETURNED, PoolEventAction.RELEASED)
    return PoolEvent.objects.filter(
        Q(pool__in=assigner)
        | Q(actor_id=user.pk)
        | Q(to_user_id=user.pk)
        | Q(from_user_id=user.pk, action__in=returns)
    )
