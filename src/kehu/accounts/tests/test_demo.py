"""The demo company: complete organisation, valid customers, same result as the services."""

import datetime as dt
import re
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from kehu.accounts import demo
from kehu.accounts.models import Department, RoleCode, User
from kehu.accounts.selectors import department_ancestor_ids
from kehu.core.text import pinyin_search_fields
from kehu.customers.models import Contact, Customer, CustomerType, CustomFieldDefinition
from kehu.customers.sensitive import mobile_last4_index
from kehu.customers.services import customer_create
from kehu.customers.validators import (
    check_custom_values,
    validate_credit_code,
    validate_mobile,
)

SEED = 7


@pytest.fixture
def demo_company(db):
    return demo.load_demo(customers=100, seed=SEED)


def test_demo_has_users_in_every_role(demo_company):
    held = Counter(code for code in User.objects.values_list("roles__code", flat=True) if code)

    assert set(held) == set(RoleCode.values)
    assert User.objects.count() >= 8
    assert any(user.roles.count() > 1 for user in User.objects.all())


def test_demo_departments_form_a_tree_with_heads(demo_company):
    root = Department.objects.get(parent=None)
    sales = Department.objects.get(parent=root, name="销售部")

    assert root.name == "总公司"
    assert {d.name for d in sales.children.all()} == {"华东销售组", "华北销售组", "华南销售组"}
    assert {"客服部", "市场部", "数据管理部"} <= {d.name for d in root.children.all()}
    assert not Department.objects.filter(head=None).exists()


def test_demo_superiors_follow_the_department_tree(demo_company):
    for user in User.objects.exclude(superior=None).select_related("superior"):
        # The superior works in the user's department or one above it.
        assert user.superior.department_id in department_ancestor_ids(user.department_id)


def test_demo_users_sign_in_with_the_demo_password(demo_company):
    user = User.objects.get(username="zhangwei")

    assert user.full_name == "张伟"
    assert user.check_password(demo.DEFAULT_PASSWORD)
    assert demo_company.password == demo.DEFAULT_PASSWORD


def test_demo_customers_are_owned_by_every_sales_group(demo_company):
    departments = set(Customer.objects.values_list("department__name", flat=True))

    assert {"华东销售组", "华北销售组", "华南销售组"} <= departments
    for customer in Customer.objects.select_related("owner"):
        assert customer.department_id == customer.owner.department_id
        assert customer.owner.roles.filter(code=RoleCode.SALES).exists()


def test_every_demo_customer_has_exactly_one_decision_maker_with_a_mobile(demo_company):
    assert Customer.objects.count() == 100
    for customer in Customer.objects.prefetch_related("contacts"):
        contacts = list(customer.contacts.all())
        makers = [c for c in contacts if c.is_decision_maker]
        assert 1 <= len(contacts) <= 4
        assert len(makers) == 1
        assert makers[0].mobile


def test_demo_codes_are_unique_and_continue_with_the_services(demo_company):
    prefix = f"CX{timezone.localdate():%Y%m}"
    codes = list(Customer.objects.values_list("code", flat=True))

    assert len(set(codes)) == len(codes)
    assert all(re.fullmatch(rf"{prefix}\d{{5}}", code) for code in codes)
    assert sorted(codes) == [f"{prefix}{n:05d}" for n in range(1, 101)]

    owner = User.objects.get(username="zhangwei")
    created = customer_create(
        by=owner,
        data={
            "name": "杭州西溪数据科技有限公司",
            "scale": "small",
            "source": "website",
            "first_contact_date": dt.date(2026, 1, 5),
        },
        decision_maker={"name": "林一", "mobile": "13700001111"},
    )
    assert created.code == f"{prefix}00101"


def test_demo_sample_passes_model_and_service_validation(demo_company):
    definitions = list(CustomFieldDefinition.objects.filter(is_active=True))
    assert {d.key for d in definitions} >= {"annual_revenue", "product_interest"}
    customers = Customer.objects.select_related("industry", "region", "owner").order_by("id")
    for customer in customers[::4]:
        customer.full_clean()
        syllables, initials = pinyin_search_fields(customer.name)
        assert (customer.name_pinyin, customer.name_initials) == (syllables, initials)
        # The services' extra rules: a specific industry, a province-level region.
        assert customer.industry is None or not customer.industry.children.exists()
        assert customer.region.parent_id is not None
        assert check_custom_values(definitions, customer.custom_fields) == customer.custom_fields
        for contact in customer.contacts.all():
            contact.full_clean()
            assert contact.mobile_last4_hash == mobile_last4_index(contact.mobile[-4:])


def test_demo_enterprise_names_are_full_legal_names(demo_company):
    names = list(Customer.objects.values_list("name", "customer_type"))

    assert len({name for name, _ in names}) == len(names)
    enterprises = [name for name, kind in names if kind == CustomerType.ENTERPRISE]
    assert all(name.endswith("公司") and len(name) >= 8 for name in enterprises)
    assert Customer.objects.exclude(credit_code=None).count() >= 0.8 * len(enterprises)


def test_demo_records_creation_history_for_customers_and_contacts(demo_company):
    assert Customer.history.filter(history_type="+").count() == Customer.objects.count()
    assert Contact.history.filter(history_type="+").count() == Contact.objects.count()
    record = Customer.history.select_related("history_user").first()
    assert record.history_user_id == Customer.objects.get(pk=record.id).owner_id


def test_demo_customers_have_interactions_by_their_owners_up_to_now(demo_company):
    from kehu.core.codes import next_serial
    from kehu.interactions.models import Interaction

    interactions = Interaction.objects.select_related("customer")

    assert (
        interactions.count()
        == demo_company.activity["interactions"]
        == 100 * (demo.INTERACTIONS_PER_CUSTOMER)
    )
    now = timezone.now()
    for item in interactions:
        assert item.follower_id == item.customer.owner_id
        first = dt.datetime.combine(item.customer.first_contact_date, dt.time(9), tzinfo=dt.UTC)
        assert first <= item.occurred_at <= now
    for customer in Customer.objects.all():
        times = list(customer.interactions.values_list("occurred_at", flat=True))
        assert customer.last_interaction_at == (max(times) if times else None)
        # Logging the next interaction continues the customer's numbering.
        assert next_serial(f"HD{customer.code}") == len(times) + 1


def test_demo_deals_follow_the_customers_statuses(demo_company):
    from kehu.sales.models import Contract, Opportunity

    won = Customer.objects.filter(status="customer")
    assert won.exists()
    assert set(Contract.objects.values_list("customer", flat=True)) == set(
        won.values_list("pk", flat=True)
    )
    assert Opportunity.objects.filter(customer__status="lost", stage__is_lost=True).exists()
    for opportunity in Opportunity.objects.select_related("customer"):
        assert opportunity.owner_id == opportunity.customer.owner_id
    assert demo_company.activity["contracts"] == Contract.objects.count()


def test_a_demo_reps_dashboard_has_sales_figures(demo_company):
    from kehu.analytics.selectors import dashboard_figures

    figures = dashboard_figures(user=User.objects.get(username="wangqiang"))

    assert figures["pipeline"]["count"] > 0
    assert sum(month["won"] for month in figures["won_lost"]["months"]) > 0


def test_loading_the_demo_twice_is_refused(demo_company):
    with pytest.raises(demo.DemoAlreadyLoaded):
        demo.load_demo(customers=10, seed=SEED)

    assert Customer.objects.count() == 100


def test_demo_is_the_same_for_the_same_seed(demo_company):
    today = timezone.localdate()
    plan = demo.plan_customers(count=100, seed=SEED, today=today)

    assert plan == demo.plan_customers(count=100, seed=SEED, today=today)
    assert plan != demo.plan_customers(count=100, seed=SEED + 1, today=today)
    loaded = list(Customer.objects.order_by("code").values_list("name", "owner__username"))
    assert loaded == [(c.name, c.owner) for c in plan]


def test_full_size_plan_has_valid_unique_codes_and_mobiles():
    plan = demo.plan_customers(count=2000, seed=demo.DEFAULT_SEED, today=dt.date(2026, 11, 1))
    credit_codes = [c.credit_code for c in plan if c.credit_code]
    decision_mobiles = [c.contacts[0].mobile for c in plan]

    assert len(plan) == 2000
    assert len({c.name for c in plan}) == 2000
    assert len(set(credit_codes)) == len(credit_codes) > 1500
    for code in credit_codes:
        validate_credit_code(code)
    for customer in plan:
        for contact in customer.contacts:
            validate_mobile(contact.mobile)
    # Deliberate near-duplicates (same decision maker and mobile) for the duplicate scan.
    assert len(decision_mobiles) - len(set(decision_mobiles)) == demo.DELIBERATE_DUPLICATES
    assert {c.owner for c in plan} >= {"zhangwei", "wangfang", "zhoujie", "wangqiang"}


def test_loaddemo_command_prints_the_users_and_their_password(db):
    out = StringIO()

    call_command("loaddemo", "--customers", "5", "--seed", "3", stdout=out, stderr=StringIO())

    text = out.getvalue()
    assert demo.DEFAULT_PASSWORD in text
    assert "zhangwei" in text
    assert Customer.objects.count() == 5
