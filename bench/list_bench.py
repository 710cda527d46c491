"""Server-side latency of Kehu's main read paths on a generated company, against the database's
own time for the same queries.

    .venv/bin/kehu generate --customers 1000000 --interactions 10000000   # once, see docs
    .venv/bin/python bench/list_bench.py --database-url postgres://postgres@127.0.0.1:5432/kehu_bench

Every scenario is a request made in-process through Django's test client (middleware, data
scope, filters, templates or serializers: everything but the network), as a sales rep
(bench_rep_001), a department head (bench_head_east1) and an administrator (bench_admin).
The SQL the request ran is then replayed on its own through the same connection: "sql p50" is
the database's floor, and the ratio is how much Kehu adds on top.

Prints p50/p95/p99 in milliseconds and serial throughput; --json appends the results to a
JSON-lines file for bench/chart.py and docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import database_version, load_average, machine, setup_django  # noqa: E402

ROLES = {
    "sales rep": "bench_rep_001",
    "department head": "bench_head_east1",
    "administrator": "bench_admin",
}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def prepare_environment() -> None:
    os.environ.setdefault("KEHU_ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    os.environ.setdefault("KEHU_API_RATE", "100000000/min")
    os.environ.setdefault("KEHU_LANGUAGE", "zh-hans")


def client_for(username: str):
    from django.test import Client

    from kehu.accounts.models import User
    from kehu.accounts.security.totp import VERIFIED_SESSION_KEY

    client = Client()
    client.force_login(User.objects.get(username=username))
    session = client.session
    session[VERIFIED_SESSION_KEY] = True  # a finished sign-in, second factor included
    session.save()
    return client


def fixtures() -> dict:
    """Ids the scenarios filter on: a big industry category, popular tags, the 360 customer."""
    from django.db.models import Count

    from kehu.core.generate import SHOWCASE_NAME
    from kehu.customers.models import Customer, Industry
    from kehu.tags.models import CustomerTag

    manufacturing = Industry.objects.filter(children__code="machinery").first()
    tags = list(
        CustomerTag.objects.values("tag")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("tag", flat=True)[:2]
    )
    showcase = Customer.objects.filter(name=SHOWCASE_NAME).first()
    return {
        "industry": manufacturing.pk if manufacturing else "",
        "tags": tags,
        "showcase": showcase.pk if showcase else None,
    }


def list_scenarios(fx: dict) -> list[tuple[str, dict]]:
    from django.conf import settings

    tags = ",".join(str(t) for t in fx["tags"])
    return [
        ("first page", {}),
        (
            "filters: industry+status+budget",
            {
                "industry": fx["industry"],
                "status": "interested",
                "budget_min": "100000",
                "budget_max": "1000000",
            },
        ),
        ("tags (2, all of)", {"tags": tags}),
        ("search: name 2 chars", {"q": "恒瑞"}),
        ("search: name 4 chars", {"q": "恒瑞精密"}),
        ("search: pinyin", {"q": "hengrui"}),
        ("search: initials", {"q": "hrjm"}),
        ("search: mobile last 4", {"q": "8888"}),
        ("sort: name", {"sort": "name"}),
        ("sort: budget desc", {"sort": "-annual_budget"}),
        deepest_numbered(per_page=settings.KEHU_LIST_PAGE_SIZE),
    ]


def deepest_numbered(per_page: int) -> tuple[str, dict]:
    """The last page reached by number (KEHU_MAX_PAGE_OFFSET rows deep); further on, keyset."""
    from django.conf import settings

    page = settings.KEHU_MAX_PAGE_OFFSET // per_page
    return f"page {page} (deepest numbered)", {"page": str(page)}


def deep_cursor(user_client, url: str) -> str | None:
    """A keyset cursor half-way down the administrator's whole list (about row 500,000)."""
    from kehu.core.pagination import encode_cursor
    from kehu.customers.models import Customer

    total = Customer.objects.count()
    row = Customer.objects.order_by("-created_at", "-id").only("created_at")[total // 2]
    return encode_cursor(name="created_at", value=row.created_at, pk=row.pk)


def measure(
    client, url: str, params: dict, iterations: int, warmup: int = 2, headers: dict | None = None
) -> dict:
    from django.conf import settings
    from django.db import OperationalError, connection, transaction
    from django.test.utils import CaptureQueriesContext

    headers = headers or {}
    for _ in range(warmup):
        response = client.get(url, params, headers=headers)
        if response.status_code != 200:
            raise SystemExit(f"{url} {params}: HTTP {response.status_code}")
    times = []
    started = time.perf_counter()
    cpu = time.process_time()
    for _ in range(iterations):
        t0 = time.perf_counter()
        client.get(url, params, headers=headers)
        times.append((time.perf_counter() - t0) * 1000)
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu
    with CaptureQueriesContext(connection) as captured:
        client.get(url, params, headers=headers)
    statements = []
    for query in captured.captured_queries:
        sql = query["sql"]
        if sql.startswith("DECLARE "):  # a server-side cursor (.iterator()): its query
            sql = sql.split(" FOR ", 1)[1]
        # "(SELECT …) UNION (…)": a rep's deep page read by scope arms; EXPLAIN: the planner
        # estimate a narrowed list asks for before counting (database time all the same).
        if sql.lstrip("( ").upper().startswith(("SELECT", "WITH", "EXPLAIN")):
            statements.append(sql)
    # Counts run under the time budget the request gave them (core.pagination.bounded_count):
    # a count cut after KEHU_COUNT_TIME_MS costs the budget, in the request and in the floor.
    budget = settings.KEHU_COUNT_TIME_MS if connection.vendor == "postgresql" else 0
    statements = [sql for sql in statements if "set_config('statement_timeout'" not in sql]
    sql_times = []
    with connection.cursor() as cursor:
        for _ in range(iterations):
            t0 = time.perf_counter()
            for sql in statements:
                if budget and sql.startswith("SELECT COUNT(*)"):
                    try:
                        with transaction.atomic():
                            cursor.execute(f"SET LOCAL statement_timeout = {int(budget)}")
                            cursor.execute(sql)
                            cursor.fetchall()
                    except OperationalError:
                        pass  # cut, as in the request
                    continue
                cursor.execute(sql)
                if cursor.description:
                    cursor.fetchall()
            sql_times.append((time.perf_counter() - t0) * 1000)
    p50 = statistics.median(times)
    sql_p50 = statistics.median(sql_times)
    return {
        "p50": round(p50, 1),
        "p95": round(percentile(times, 95), 1),
        "p99": round(percentile(times, 99), 1),
        "rps": round(iterations / wall, 1),
        "cpu_ms": round(cpu / iterations * 1000, 1),
        "queries": len(statements),
        "sql_p50": round(sql_p50, 1),
        "ratio": round(p50 / sql_p50, 1) if sql_p50 else None,
    }


def dashboard_scenario(username: str, iterations: int) -> dict | None:
    """The analytics dashboard's figures (its selector), when the analytics app is there."""
    try:
        from kehu.analytics.selectors import dashboard_figures
    except ImportError:
        return None
    from kehu.accounts.models import User

    # One untimed call first, as the other scenarios warm up: the process's first dashboard
    # imports and fills the caches of stages and industries once (0.8–1.4 s at 100k), which
    # a running server pays once, not per request.
    dashboard_figures(user=User.objects.get(username=username))
    times = []
    for _ in range(iterations):
        # A fresh user object each time, as each request has: the rights, reporting line and
        # department tree cached on it are read again, as a real page view reads them.
        user = User.objects.get(username=username)
        t0 = time.perf_counter()
        dashboard_figures(user=user)
        times.append((time.perf_counter() - t0) * 1000)
    return {
        "p50": round(statistics.median(times), 1),
        "p95": round(percentile(times, 95), 1),
        "p99": round(percentile(times, 99), 1),
        "rps": round(1000 / statistics.mean(times), 1),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument(
        "--only",
        default="page,partial,api,360,dashboard",
        help="comma-separated: page (customer list page), partial (the results the filter "
        "panel asks for, HTMX), api, 360, dashboard",
    )
    parser.add_argument("--roles", default=",".join(ROLES), help="comma-separated role names")
    parser.add_argument("--json", type=Path, help="append results as JSON lines")
    parser.add_argument("--label", default="", help="e.g. the table size, for the chart")
    parser.add_argument("--settings", default="kehu.settings", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    prepare_environment()
    setup_django(args.database_url, args.settings)

    from kehu.customers.models import Customer

    only = set(args.only.split(","))
    size = Customer.objects.count()
    fx = fixtures()
    header = {
        "machine": machine(),
        "database": database_version(),
        "customers": size,
        "label": args.label or f"{size:,}",
        "load_before": load_average(),
        "iterations": args.iterations,
    }
    print(json.dumps(header, ensure_ascii=False))
    print(
        f"{'what':<8} {'role':<16} {'scenario':<34} {'p50':>7} {'p95':>7} {'p99':>7} "
        f"{'req/s':>6} {'cpu':>6} {'q':>3} {'sql p50':>8} {'ratio':>6}"
    )
    results = []

    def record(kind: str, role: str, scenario: str, figures: dict) -> None:
        results.append({"kind": kind, "role": role, "scenario": scenario, **figures})
        print(
            f"{kind:<8} {role:<16} {scenario:<34} {figures['p50']:>7} {figures['p95']:>7} "
            f"{figures['p99']:>7} {figures['rps']:>6} {figures.get('cpu_ms', ''):>6} "
            f"{figures.get('queries', ''):>3} {figures.get('sql_p50', ''):>8} "
            f"{figures.get('ratio', ''):>6}",
            flush=True,
        )

    from rest_framework.settings import api_settings

    for role in args.roles.split(","):
        username = ROLES[role]
        client = client_for(username)
        if "page" in only:
            for scenario, params in list_scenarios(fx):
                record(
                    "page", role, scenario, measure(client, "/customers/", params, args.iterations)
                )
            if role == "administrator":
                cursor = deep_cursor(client, "/customers/")
                record(
                    "page",
                    role,
                    "keyset page ~row 500k",
                    measure(client, "/customers/", {"cursor": cursor}, args.iterations),
                )
        if "partial" in only:
            # What typing in the search box or changing a filter requests: the results alone.
            for scenario, params in list_scenarios(fx):
                record(
                    "partial",
                    role,
                    scenario,
                    measure(
                        client,
                        "/customers/",
                        params,
                        args.iterations,
                        headers={"HX-Request": "true"},
                    ),
                )
        if "api" in only:
            for scenario, params in list_scenarios(fx):
                if "page" in params:  # the API's pages are longer
                    scenario, params = deepest_numbered(per_page=api_settings.PAGE_SIZE or 50)
                record(
                    "api",
                    role,
                    scenario,
                    measure(client, "/api/v1/customers/", params, args.iterations),
                )
        if "360" in only and fx["showcase"] and role != "department head":
            # The showcase customer belongs to the rep; the head of east1 may not see it.
            pk = fx["showcase"]
            record(
                "360",
                role,
                "360 page (5,000 interactions)",
                measure(client, f"/customers/{pk}/", {}, args.iterations),
            )
            record(
                "360",
                role,
                "360 timeline partial",
                measure(client, f"/interactions/customers/{pk}/timeline/", {}, args.iterations),
            )
        if "dashboard" in only:
            figures = dashboard_scenario(username, max(5, args.iterations // 3))
            if figures is not None:
                record("dashbd", role, "dashboard_figures", figures)
    if args.json:
        with args.json.open("a") as out:
            for result in results:
                out.write(
                    json.dumps(
                        {**header, **result, "load_after": load_average()}, ensure_ascii=False
                    )
                    + "\n"
                )
    print("load average after:", load_average())


if __name__ == "__main__":
    main()
