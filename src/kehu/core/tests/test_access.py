"""Data scope from the outside: who sees and who edits a customer."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from kehu.accounts.tests.factories import make_user
from kehu.core.access import access_customer, visible_customers
from kehu.customers.models import ShareAccess
from kehu.customers.services import customer_share_set
from kehu.customers.tests.factories import make_customer


def test_sales_rep_sees_only_own_customers(org, customer):
    theirs = make_customer(owner=org.outsider, name="天津海河物流有限公司")

    assert set(visible_customers(org.owner)) == {customer}
    assert set(visible_customers(org.outsider)) == {theirs}


def test_sales_rep_cannot_open_other_departments_customer(org, customer):
    with pytest.raises(Http404):
        access_customer(org.outsider, customer.pk)


def test_teammate_in_same_department_does_not_see_colleagues_customer(org, customer):
    assert not visible_customers(org.teammate).filter(pk=customer.pk).exists()


def test_department_head_sees_whole_department_tree(org, customer):
    north = make_customer(owner=org.outsider, name="天津海河物流有限公司")
    service_customer = make_customer(owner=org.service, name="广州南方餐饮管理有限公司")

    visible = set(visible_customers(org.manager))

    assert {customer, north} <= visible
    assert service_customer not in visible


def test_administrator_and_steward_see_everything(org, customer):
    other = make_customer(owner=org.outsider, name="天津海河物流有限公司")
    for user in (org.administrator, org.steward):
        assert set(visible_customers(user)) == {customer, other}


def test_service_sees_company_but_cannot_edit(org, customer):
    assert access_customer(org.service, customer.pk) == customer
    with pytest.raises(PermissionDenied):
        access_customer(org.service, customer.pk, write=True)


def test_related_team_read_share_sees_but_cannot_edit(org, customer):
    customer_share_set(customer=customer, user=org.outsider, access=ShareAccess.READ, by=org.owner)

    assert access_customer(org.outsider, customer.pk) == customer
    with pytest.raises(PermissionDenied):
        access_customer(org.outsider, customer.pk, write=True)


def test_related_team_write_share_may_edit(org, customer):
    customer_share_set(customer=customer, user=org.outsider, access=ShareAccess.WRITE, by=org.owner)

    assert access_customer(org.outsider, customer.pk, write=True) == customer


def test_superior_sees_subordinates_records_along_reporting_line(org):
    boss = make_user("boss", department=org.hq, roles=["sales"])
    middle = make_user("middle", department=org.north, roles=["sales"], superior=boss)
    junior = make_user("junior", department=org.east, roles=["sales"], superior=middle)
    record = make_customer(owner=junior, by=junior, name="杭州西湖茶业有限公司")

    assert visible_customers(boss).filter(pk=record.pk).exists()
    assert visible_customers(middle).filter(pk=record.pk).exists()
    with pytest.raises(PermissionDenied):
        access_customer(boss, record.pk, write=True)


def test_inactive_user_sees_nothing(org, customer):
    org.owner.is_active = False
    org.owner.save()

    assert not visible_customers(org.owner).exists()


def test_user_with_several_roles_gets_the_widest_scope(org, customer):
    both = make_user("both", department=org.north, roles=["sales", "data_steward"])

    assert visible_customers(both).filter(pk=customer.pk).exists()


def test_missing_and_hidden_records_raise_the_same_404(org, customer):
    with pytest.raises(Http404):
        access_customer(org.outsider, customer.pk)
    with pytest.raises(Http404):
        access_customer(org.outsider, 999_999)
    with pytest.raises(Http404):
        access_customer(org.outsider, "not-a-number")


def test_users_who_can_see_agrees_with_the_scope_for_every_user(org, customer):
    """users_who_can_see reads the rules the other way round; it must never drift from them."""
    from kehu.accounts.models import User
    from kehu.core.access import users_who_can_see

    make_user("boss", department=org.hq, roles=["sales"])
    User.objects.filter(username="manager").update(superior=User.objects.get(username="boss"))
    shared = make_customer(owner=org.outsider, name="天津海河物流有限公司")
    customer_share_set(customer=shared, user=org.owner, access=ShareAccess.READ, by=org.outsider)
    service_owned = make_customer(owner=org.service, name="广州南方餐饮管理有限公司")

    for record in (customer, shared, service_owned):
        expected = {
            user
            for user in User.objects.filter(is_active=True)
            if visible_customers(User.objects.get(pk=user.pk)).filter(pk=record.pk).exists()
        }
        assert set(users_who_can_see(record)) == expected, record.name


def test_scope_parts_are_disjoint_and_together_the_whole_scope(org, customer):
    from kehu.core.access import customer_scope_parts
    from kehu.customers.models import Customer

    boss = make_user("boss", department=org.hq, roles=["sales"])
    junior = make_user("junior", department=org.east, roles=["sales"], superior=boss)
    own = make_customer(owner=boss, by=boss, name="杭州西湖茶业有限公司")
    reported = make_customer(owner=junior, by=junior, name="天津海河物流有限公司")
    shared = make_customer(owner=org.outsider, name="广州南方餐饮管理有限公司")
    # Shared with the boss; the second one is the boss's through the reporting line too.
    for record in (shared, reported):
        customer_share_set(customer=record, user=boss, access=ShareAccess.READ, by=record.owner)

    # The manager heads 销售部 and is the owner's superior: with split_tree, his scope is the
    # tree, his reports' customers outside it, and what is shared with him outside both.
    moved = make_customer(owner=org.owner, name="杭州钱塘科技有限公司")
    Customer.objects.filter(pk=moved.pk).update(department=org.service_dept)
    customer_share_set(
        customer=make_customer(owner=org.service, name="苏州工业园区精工有限公司"),
        user=org.manager,
        access=ShareAccess.READ,
        by=org.service,
    )
    for user in (boss, org.owner, org.manager, org.administrator, org.outsider):
        for split_tree in (False, True):
            parts = [
                set(Customer.objects.filter(part))
                for part in customer_scope_parts(user, split_tree=split_tree)
            ]
            union = set().union(*parts)
            assert union == set(visible_customers(user)), (user, split_tree)
            assert sum(len(part) for part in parts) == len(union), user  # no customer twice
    tree, reports, shared_only = (
        set(Customer.objects.filter(part))
        for part in customer_scope_parts(org.manager, split_tree=True)
    )
    assert moved in reports
    assert moved not in tree
    assert {c.name for c in shared_only} == {"苏州工业园区精工有限公司"}
    assert {own, reported, shared} <= set(visible_customers(boss))
