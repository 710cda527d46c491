"""CI smoke test of the scale work (issue 7): `kehu generate` on the test database at 10,000
customers, then every benchmark scenario of bench/list_bench.py once, as each role. It checks
that the generator and the benchmarks run, not how fast (no timed assertions in CI)."""

import json
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from kehu.core import generate
from kehu.customers.models import Contact, Customer
from kehu.interactions.models import Interaction

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
