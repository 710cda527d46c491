"""The sales dashboard: every figure equals a direct count over the rows each role may see
(owner, teammate, manager, outsider, administrator, data steward), links to the list behind
it, and is computed in a few queries; the page, the drill-down and the API alike."""

import datetime as dt
import sys
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from kehu.analytics.selectors import customers_by_industry, dashboard_figures, status_funnel
from kehu.customers.models import CustomerShare, Industry
from kehu.customers.tests.factories import make_customer
from kehu.sales.models import Contract, Opportunity, Payment
from kehu.sales.tests.factories import make_opportunity, stage

CALENDAR = ("TODAY", "THIS_MONTH", "LAST_MONTH", "TWO_MONTHS_AGO")


def _calendar(today: dt.date) -> tuple[dt.date, dt.date, dt.date, dt.date]:
    """Today and the first days of this month and the two before it (the names in CALENDAR)."""
    this_month = today.replace(day=1)
    last_month = (this_month - dt.timedelta(days=1)).replace(day=1)
    two_months_ago = (last_month - dt.timedelta(days=1)).replace(day=1)
    return today, this_month, last_month, two_months_ago


TODAY, THIS_MONTH, LAST_MONTH, TWO_MONTHS_AGO = _calendar(timezone.localdate())

# What each customer of the fixture is: (owner, industry category, status).
CUSTOMERS = {
    "C1": ("owner", "manufacturing", "interested"),
    "C2": ("owner", "software_it", "customer"),
    "C3": ("owner", None, "prospect"),
    "C4": ("teammate", "manufacturing", "prospect"),
    "C5": ("outsider", "software_it", "lost"),
    "C6": ("service", "manufacturing", "customer"),
}
# Open opportunities (customer, stage, amount) and closed ones (customer, won, month, amount).
OPEN = [("C1", "proposal", 100000), ("C4", "negotiation", 200000), ("C6", "initial_contact", 30000)]


def _closed() -> list:
    return [
        ("C1", True, THIS_MONTH, 50000),
        ("C2", False, LAST_MONTH, 70000),
        ("C5", True, TWO_MONTHS_AGO, 90000),
    ]


CLOSED = _closed()


@pytest.fixture(autouse=True)
def _calendar_of_this_test(monkeypatch):
    """The dates are read when each test starts, not when the module is collected: a long run
    crosses midnight (16:00 UTC in Asia/Shanghai), and at a month's end the "won this month"
    row would land in last month."""
    module = sys.modules[__name__]
    for name, value in zip(CALENDAR, _calendar(timezone.localdate()), strict=True):
        monkeypatch.setattr(module, name, value)
    monkeypatch.setattr(module, "CLOSED", _closed())


# Contracts (customer, days until the end, status, amount) and one instalment each (days
# since it was planned, planned, received).
CONTRACTS = [
    ("C1", 10, "active", 80000, 10, 30000, 10000),
    ("C5", 20, "active", 60000, 1, 5000, 0),
    ("C6", 60, "active", 40000, 5, 8000, 8000),
    ("C2", 5, "terminated", 20000, 3, 1000, 0),
]
# Who sees which customers: written out here, not derived from core.access.
VISIBLE = {
    "owner": {"C1", "C2", "C3", "C4"},  # own, and C4 through the related team
    "teammate": {"C4"},
    "manager": {"C1", "C2", "C3", "C4", "C5"},  # 销售部 and every group below it
    "outsider": {"C5"},
    "administrator": set(CUSTOMERS),
    "steward": set(CUSTOMERS),
}


def _sub(industry_code: str | None):
    children = {"manufacturing": "auto_parts", "software_it": None}
    if industry_code is None:
        return None
    child = children[industry_code]
    return Industry.objects.get(code=child or industry_code)


@pytest.fixture
def world(org):
    users = {name: getattr(org, name) for name in ("owner", "teammate", "outsider", "service")}
    customers = {}
    for key, (owner, industry, status) in CUSTOMERS.items():
        customer = make_customer(
            owner=users[owner], name=f"{key}测试有限公司", industry=_sub(industry), status=status
        )
        customers[key] = customer
    CustomerShare.objects.create(customer=customers["C4"], user=org.owner)
    for key, code, amount in OPEN:
        make_opportunity(customer=customers[key], stage_code=code, amount=amount)
    for key, won, month, amount in CLOSED:
        opportunity = make_opportunity(customer=customers[key], amount=amount)
        closed_at = timezone.make_aware(dt.datetime.combine(month, dt.time(10, 0)))
        Opportunity.objects.filter(pk=opportunity.pk).update(
            stage=stage("won" if won else "lost"), closed_at=closed_at
        )
    for n, (key, ends_in, status, amount, planned_ago, planned, received) in enumerate(CONTRACTS):
        customer = customers[key]
        contract = Contract.objects.create(
            number=f"HT-TEST-{n}",
            customer=customer,
            owner=customer.owner,
            department=customer.department,
            amount=amount,
            starts_on=TODAY - dt.timedelta(days=200),
            ends_on=TODAY + dt.timedelta(days=ends_in),
            status=status,
        )
        Payment.objects.create(
            contract=contract,
            planned_on=TODAY - dt.timedelta(days=planned_ago),
            planned_amount=planned,
            received_amount=received,
        )
    return customers


def _expected(visible: set[str]) -> dict:
    """The figures counted directly from the tables above, for customers `visible`."""
    by_category: dict[str, int] = {}
    statuses: dict[str, int] = {}
    for key in visible:
        _owner, industry, status = CUSTOMERS[key]
        category = industry or "none"
        by_category[category] = by_category.get(category, 0) + 1
        statuses[status] = statuses.get(status, 0) + 1
    stages: dict[str, tuple[int, int]] = {}
    for key, code, amount in OPEN:
        if key in visible:
            count, total = stages.get(code, (0, 0))
            stages[code] = (count + 1, total + amount)
    months: dict[tuple[str, bool], int] = {}
    for key, won, month, _amount in CLOSED:
        if key in visible:
            months[(month.strftime("%Y-%m"), won)] = (
                months.get((month.strftime("%Y-%m"), won), 0) + 1
            )
    expiring = [c for c in CONTRACTS if c[0] in visible and c[1] <= 30 and c[2] == "active"]
    overdue = [c for c in CONTRACTS if c[0] in visible and c[2] != "terminated" and c[6] < c[5]]
    return {
        "categories": by_category,
        "funnel": [
            statuses.get("prospect", 0)
            + statuses.get("interested", 0)
            + statuses.get("customer", 0),
            statuses.get("interested", 0) + statuses.get("customer", 0),
            statuses.get("customer", 0),
        ],
        "lost": statuses.get("lost", 0),
        "stages": stages,
        "months": months,
        "expiring": (len(expiring), sum(c[3] for c in expiring)),
        "overdue": (len(overdue), sum(c[5] - c[6] for c in overdue)),
    }


def _actual(figures: dict) -> dict:
    codes = {i.pk: i.code for i in Industry.objects.all()}
    stage_codes = {s.pk: s.code for s in stage_model_all()}
    return {
        "categories": {
            (codes[s["id"]] if s["id"] else "none"): s["count"]
            for s in figures["industry"]["slices"]
        },
        "funnel": [s["count"] for s in figures["funnel"]["steps"]],
        "lost": figures["funnel"]["lost"]["count"],
        "stages": {
            stage_codes[s["id"]]: (s["count"], int(s["amount"]))
            for s in figures["pipeline"]["stages"]
            if s["count"]
        },
        "months": {
            (m["month"], won): m["won" if won else "lost"]
            for m in figures["won_lost"]["months"]
            for won in (True, False)
            if m["won" if won else "lost"]
        },
        "expiring": (
            figures["contracts_expiring"]["count"],
            int(sum(a["amount"] for a in figures["contracts_expiring"]["amounts"])),
        ),
        "overdue": (
            figures["payments_overdue"]["count"],
            int(sum(a["amount"] for a in figures["payments_overdue"]["amounts"])),
        ),
    }


def stage_model_all():
    from kehu.sales.models import PipelineStage

    return PipelineStage.objects.all()


@pytest.mark.parametrize("role", list(VISIBLE))
def test_every_figure_equals_a_direct_count_of_what_the_role_may_see(world, org, role):
    figures = dashboard_figures(user=getattr(org, role))

    assert _actual(figures) == _expected(VISIBLE[role])


def test_figures_follow_customers_handed_to_another_department(world, org):
    """The sales figures read the rows' copy of their customer's owner and department
    (sales.scope_copy): a handover must move them with the customers."""
    from kehu.accounts.models import Department
    from kehu.accounts.services import handover_confirm, handover_request
    from kehu.accounts.tests.factories import make_user
    from kehu.customers.models import Customer

    south = Department.objects.create(name="华南大区", parent=org.hq)
    far = make_user("far", department=south, roles=["sales"])
    handover = handover_request(from_user=org.owner, to_user=far, by=org.administrator)
    handover_confirm(handover=handover, by=handover.approver)
    assert set(Customer.objects.filter(owner=far).values_list("name", flat=True)) == {
        "C1测试有限公司",
        "C2测试有限公司",
        "C3测试有限公司",
    }

    # C1–C3 left 销售部 for 华南大区; the owner's related-team place on C4 went along.
    expected = {"owner": set(), "manager": {"C4", "C5"}, "far": {"C1", "C2", "C3", "C4"}}
    users = {"owner": org.owner, "manager": org.manager, "far": far}
    for role, visible in expected.items():
        assert _actual(dashboard_figures(user=users[role])) == _expected(visible), role


def test_outsider_sees_only_their_own_customer(world, outsider):
    figures = dashboard_figures(user=outsider)

    assert figures["industry"]["total"] == 1
    assert figures["pipeline"]["count"] == 0
    assert figures["contracts_expiring"]["count"] == 1
    assert figures["payments_overdue"]["amounts"] == [
        {"currency": "CNY", "amount": Decimal("5000.00")}
    ]


def test_funnel_conversion_rates_are_between_consecutive_steps(world, administrator):
    steps = dashboard_figures(user=administrator)["funnel"]["steps"]

    assert [s["count"] for s in steps] == [5, 3, 2]
    assert [s["conversion"] for s in steps] == [None, 0.6, round(2 / 3, 4)]


def test_pipeline_weights_amounts_by_stage_probability(world, owner):
    pipeline = dashboard_figures(user=owner)["pipeline"]

    # proposal 50 % of 100,000 and negotiation 70 % of 200,000
    assert pipeline["weighted"] == Decimal("190000")
    assert pipeline["amount"] == Decimal("300000")
    assert all(s["label"] not in ("Won", "赢单") for s in pipeline["stages"])


def test_won_lost_covers_twelve_months_ending_this_one(world, administrator):
    months = dashboard_figures(user=administrator)["won_lost"]["months"]

    assert len(months) == 12
    assert months[-1]["month"] == THIS_MONTH.strftime("%Y-%m")
    assert months[-1]["won_amount"] == Decimal("50000")


def test_figures_take_a_few_queries_whatever_the_data(
    world, manager, django_assert_max_num_queries
):
    # 3 for the scope (roles, reporting line, departments: read once for the user, issue 7),
    # 2 for labels (industries with their tree, from the reference cache when warm; stages),
    # 7 grouped counts: the customers once per part of the department scope (tree, reports
    # outside it, shared; industry and funnel share them), then pipeline, won/lost,
    # expiring, overdue.
    with django_assert_max_num_queries(12):
        dashboard_figures(user=manager)
    make_customer(owner=manager, name="再来一家有限公司")
    with django_assert_max_num_queries(12):
        dashboard_figures(user=manager)


def test_industry_and_funnel_figures_read_alone_match_the_dashboard(world, manager):
    figures = dashboard_figures(user=manager)

    assert customers_by_industry(user=manager) == figures["industry"]
    assert status_funnel(user=manager) == figures["funnel"]


# --- links ---------------------------------------------------------------------------------------
def test_each_figure_links_to_the_list_that_shows_its_rows(world, client, owner):
    client.force_login(owner)
    figures = dashboard_figures(user=owner)
    manufacturing = Industry.objects.get(code="manufacturing")

    industry_url = next(
        s["url"] for s in figures["industry"]["slices"] if s["id"] == manufacturing.pk
    )
    listed = client.get(industry_url)
    interested = client.get(figures["funnel"]["steps"][1]["url"])

    assert listed.status_code == 200
    assert listed.context["total"] == 2  # C1 and C4 (shared)
    assert interested.context["total"] == figures["funnel"]["steps"][1]["count"]
    assert (
        figures["contracts_expiring"]["url"]
        == reverse("sales:contract-list") + "?expiring_within=30"
    )
    assert figures["payments_overdue"]["url"] == reverse("sales:contract-list") + "?overdue=on"
    assert figures["pipeline"]["stages"][0]["url"].startswith(
        reverse("sales:opportunity-list") + "?stage="
    )


@pytest.mark.parametrize("role", ["owner", "manager", "administrator"])
def test_overdue_figure_counts_the_contracts_its_link_lists(world, client, org, role):
    # A second overdue instalment on C1's contract: still one contract to chase.
    Payment.objects.create(
        contract=Contract.objects.get(customer=world["C1"]),
        planned_on=TODAY - dt.timedelta(days=2),
        planned_amount=2000,
        received_amount=0,
    )
    user = getattr(org, role)
    client.force_login(user)
    figure = dashboard_figures(user=user)["payments_overdue"]

    listed = client.get(figure["url"])

    shown = {c.number for c in listed.context["page_obj"].object_list}
    assert figure["count"] == listed.context["page_obj"].paginator.count == len(shown)
    assert "HT-TEST-3" not in shown  # the terminated contract is not chased


def test_dashboard_page_shows_the_figures_and_their_links(world, client, owner):
    client.force_login(owner)

    response = client.get(reverse("analytics:dashboard"))

    assert response.status_code == 200
    html = response.content.decode()
    figures = response.context["figures"]
    for slice_ in figures["industry"]["slices"]:
        if slice_["url"]:
            assert f'href="{slice_["url"]}"'.replace("&", "&amp;") in html
    assert 'data-dashboard-chart="won_lost"' in html
    assert 'id="chart-industry" type="application/json"' in html
    assert "<script>" not in html


def test_dashboard_needs_sign_in(client, db):
    response = client.get(reverse("analytics:dashboard"))

    assert response.status_code == 302


def test_won_lost_drill_down_lists_the_bar_and_nothing_outside_the_scope(world, client, org):
    url = reverse("analytics:won-lost") + f"?month={THIS_MONTH:%Y-%m}&result=won"
    client.force_login(org.owner)
    own = client.get(url)
    client.force_login(org.outsider)
    other = client.get(url)

    assert [o.customer.name for o in own.context["opportunities"]] == ["C1测试有限公司"]
    assert list(other.context["opportunities"]) == []
    assert "C1测试有限公司" not in other.content.decode()


def test_won_lost_drill_down_refuses_a_bad_month(client, owner):
    client.force_login(owner)

    assert (
        client.get(reverse("analytics:won-lost") + "?month=13-2026&result=won").status_code == 404
    )
    assert (
        client.get(reverse("analytics:won-lost") + "?month=2026-01&result=maybe").status_code == 404
    )


# --- API -----------------------------------------------------------------------------------------
def test_api_returns_the_same_figures_as_the_page(world, outsider):
    api = APIClient()
    api.force_authenticate(outsider)

    body = api.get("/api/v1/dashboard/").json()

    assert body["industry"]["total"] == 1
    assert body["funnel"]["lost"]["count"] == 1
    assert body["contracts_expiring"]["count"] == 1
    assert body["payments_overdue"]["count"] == 1
    assert body["pipeline"]["count"] == 0
    assert len(body["won_lost"]["months"]) == 12


def test_api_needs_authentication(db):
    assert APIClient().get("/api/v1/dashboard/").status_code in (401, 403)


def test_api_is_in_the_openapi_schema(db, administrator):
    api = APIClient()
    api.force_authenticate(administrator)

    schema = api.get("/api/schema/?format=json").json()

    assert "/api/v1/dashboard/" in schema["paths"]
    assert "/api/v1/segments/{id}/customers/" in schema["paths"]
