"""CI smoke test of the scale work (issue 7): `kehu generate` on the test database at 10,000
customers, then every benchmark scenario of bench/list_bench.py once, as each role. It checks
that the generator and the benchmarks run, not how fast (no timed assertions in CI)."""

import json
import re
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import F
from django.utils import timezone

from kehu.analytics.selectors import dashboard_figures
from kehu.core import generate
from kehu.customers.models import Contact, Customer, Status
from kehu.interactions.models import Interaction
from kehu.sales.models import Contract, Opportunity, Order, Payment
from kehu.sales.services.contracts import contract_new_number
from kehu.sales.services.orders import order_new_number

BENCH = Path(__file__).resolve().parents[4] / "bench"


@pytest.fixture
def list_bench():
    sys.path.insert(0, str(BENCH))
    try:
        import list_bench

        yield list_bench
    finally:
        sys.path.remove(str(BENCH))


def test_generator_writes_a_skewed_company_with_a_360_showcase(db):
    summary = generate.generate(customers=300, interactions=12_000, seed=3)

    assert Customer.objects.count() == 300 == summary.customers
    assert Interaction.objects.count() == 12_000 == summary.interactions
    assert Contact.objects.filter(is_decision_maker=True).count() == 300
    showcase = Customer.objects.get(name=generate.SHOWCASE_NAME)
    assert showcase.owner.username == "bench_rep_001"
    assert showcase.interactions.count() == generate.SHOWCASE_INTERACTIONS
    # Skewed ownership: the first rep owns more than the average rep.
    reps = Customer.objects.values("owner").distinct().count()
    assert Customer.objects.filter(owner__username="bench_rep_001").count() > 300 / reps
    # Interaction codes continue from the generated ones (no clash with the next one logged).
    from kehu.core.codes import next_serial

    assert next_serial(f"HD{showcase.code}") == generate.SHOWCASE_INTERACTIONS + 1


def test_generating_twice_adds_to_the_same_organisation(db):
    generate.generate(customers=20, interactions=0)
    users = generate.User.objects.count()

    generate.generate(customers=20, interactions=0, seed=8)

    assert Customer.objects.count() == 40
    assert generate.User.objects.count() == users
    assert Customer.objects.values("code").distinct().count() == 40


def test_generate_command_reports_what_it_wrote(db, capsys):
    call_command("generate", customers=50, interactions=100, verbosity=0)

    out = capsys.readouterr().out
    assert "50 customers" in out
    assert "100 interactions" in out


def test_every_closed_deal_has_a_won_opportunity_a_contract_a_payment_plan_and_orders(db):
    generate.generate(customers=800, interactions=0, seed=5)
    today = timezone.localdate()

    deals = set(Customer.objects.filter(status=Status.CUSTOMER).values_list("pk", flat=True))
    assert deals
    assert set(Contract.objects.values_list("customer", flat=True)) == deals
    assert set(Order.objects.values_list("customer", flat=True)) == deals
    contracts = Contract.objects.select_related("opportunity__stage").prefetch_related("payments")
    for contract in contracts:
        contract.full_clean()
        assert contract.opportunity.stage.is_won
        assert contract.opportunity.customer_id == contract.customer_id
        assert contract.opportunity.amount == contract.amount
        assert sum(p.planned_amount for p in contract.payments.all()) == contract.amount
        assert contract.status == ("active" if contract.ends_on >= today else "expired")
        assert contract.created_at <= contract.updated_at
        assert re.fullmatch(rf"HT{contract.signed_on:%Y%m}\d{{5}}", contract.number)
        assert contract.signed_on <= today  # no deal closes in the future
    for payment in Payment.objects.all():
        payment.full_clean()
        assert payment.received_amount <= payment.planned_amount
        assert payment.received_amount == 0 or payment.received_on <= today
    for order in Order.objects.prefetch_related("lines"):
        order.full_clean()
        assert order.amount == sum(line.amount for line in order.lines.all()) > 0
        assert order.created_at <= order.updated_at
        assert order.contract is None or order.contract.customer_id == order.customer_id
    for opportunity in Opportunity.objects.all():
        assert opportunity.created_at <= opportunity.updated_at
        assert opportunity.closed_at is None or opportunity.closed_at.date() <= today
    # The copies of the customer's owner and department the dashboard scopes by (COPY fires
    # the same triggers as any insert).
    for model, customer in ((Opportunity, "customer__"), (Contract, "customer__")):
        copied = model.objects.filter(
            scope_owner_id=F(f"{customer}owner_id"),
            scope_department_id=F(f"{customer}department_id"),
        )
        assert copied.count() == model.objects.count() > 0
    assert (
        Payment.objects.filter(
            scope_customer_id=F("contract__customer_id"),
            scope_owner_id=F("contract__customer__owner_id"),
            scope_department_id=F("contract__customer__department_id"),
        ).count()
        == Payment.objects.count()
    )
    lost = Opportunity.objects.filter(stage__is_lost=True)
    assert set(lost.values_list("customer__status", flat=True)) == {Status.LOST}
    open_ones = Opportunity.objects.filter(stage__is_won=False, stage__is_lost=False)
    assert set(open_ones.values_list("customer__status", flat=True)) == {Status.INTERESTED}
    # The next number the services give does not clash with a generated one.
    assert not Contract.objects.filter(number=contract_new_number()).exists()
    assert not Order.objects.filter(number=order_new_number()).exists()


def test_the_dashboard_of_a_generated_company_has_data_in_every_figure(db):
    generate.generate(customers=1500, interactions=0, seed=5)

    figures = dashboard_figures(user=generate.User.objects.get(username="bench_admin"))

    assert figures["pipeline"]["count"] > 0
    assert sum(month["won"] for month in figures["won_lost"]["months"]) > 0
    assert sum(month["lost"] for month in figures["won_lost"]["months"]) > 0
    assert figures["contracts_expiring"]["count"] > 0
    assert figures["payments_overdue"]["count"] > 0


def _indexes() -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'")
        return set(cursor.fetchall())


def test_generating_on_postgresql_builds_every_dropped_index_again(db):
    if connection.vendor != "postgresql":
        pytest.skip("indexes are dropped and built again on PostgreSQL only")
    before = _indexes()

    generate.generate(customers=300, interactions=600, seed=4)

    assert _indexes() == before
    assert Customer.objects.count() == 300


def test_an_interrupted_run_leaves_no_rows_and_every_index(db, monkeypatch):
    before = _indexes() if connection.vendor == "postgresql" else None
    written = []

    def fail_in_the_second_chunk(self, rows, ids):
        written.append(len(ids))
        if len(written) == 2:
            raise RuntimeError("stopped")

    monkeypatch.setattr(generate, "CHUNK", 100)
    monkeypatch.setattr(generate._SalesWriters, "write", fail_in_the_second_chunk)
    with pytest.raises(RuntimeError):
        generate.generate(customers=300, interactions=600, seed=4)

    assert written == [100, 100]  # the first chunk was written whole, then the run stopped
    assert not Customer.objects.exists()
    assert not Interaction.objects.exists()
    if before is not None:
        assert _indexes() == before


def test_every_benchmark_scenario_runs_once_on_10k_generated_customers(db, list_bench):
    generate.generate(customers=10_000, interactions=20_000)
    fixtures = list_bench.fixtures()

    for role, username in list_bench.ROLES.items():
        client = list_bench.client_for(username)
        for _scenario, params in list_bench.list_scenarios(fixtures):
            for url in ("/customers/", "/api/v1/customers/"):
                if url.startswith("/api/") and "page" in params:
                    continue  # the API's deepest numbered page is another number
                figures = list_bench.measure(client, url, params, iterations=1, warmup=0)
                assert figures["queries"] > 0
            partial = list_bench.measure(
                client,
                "/customers/",
                params,
                iterations=1,
                warmup=0,
                headers={"HX-Request": "true"},
            )
            assert partial["queries"] > 0
        if role != "department head":
            pk = fixtures["showcase"]
            list_bench.measure(client, f"/customers/{pk}/", {}, iterations=1, warmup=0)
    cursor = list_bench.deep_cursor(None, "/customers/")
    admin = list_bench.client_for("bench_admin")
    list_bench.measure(admin, "/customers/", {"cursor": cursor}, iterations=1, warmup=0)


@pytest.fixture(autouse=True)
def _english_messages():
    """These tests read the English wording of messages; the default language is zh-hans."""
    from django.utils import translation

    with translation.override("en"):
        yield


def test_compare_sets_a_candidate_run_beside_its_baseline(tmp_path, capsys, list_bench):
    import compare

    def run(path, p95_page, p95_api):
        rows = [
            {
                "customers": 10,
                "kind": "page",
                "role": "sales rep",
                "scenario": "first page",
                "p95": p95_page,
                "cpu_ms": 30.0,
                "sql_p50": 5.0,
            },
            {
                "customers": 10,
                "kind": "api",
                "role": "sales rep",
                "scenario": "first page",
                "p95": p95_api,
                "cpu_ms": 40.0,
                "sql_p50": 6.0,
            },
        ]
        path.write_text("".join(json.dumps(row) + "\n" for row in rows))
        return path

    base = run(tmp_path / "base.jsonl", 80.0, 45.0)
    new = run(tmp_path / "new.jsonl", 40.0, 45.0)
    compare.main([str(base), str(new), "--base-name", "3rd", "--new-name", "4th"])
    out = capsys.readouterr().out
    assert "| page | sales rep | first page | 80.0 | 40.0 | 0.50 |" in out
    assert "**page**: p95 ≤ 50 ms in 0 → 1 of 1 scenarios" in out
    assert "**api**: p95 ≤ 50 ms in 1 → 1 of 1 scenarios" in out
    assert "median p95 ratio (4th ÷ 3rd) over 2 scenarios: 0.75" in out
