"""Markdown tables of list_bench.py results, each figure against its goal (issue 7).

    .venv/bin/python bench/scale_report.py /tmp/kehu-bench/scale.jsonl [--customers 1000000]

Goals on the 2-core machine with PostgreSQL at 1M customers: list, filter and search p95
≤ 50 ms server time and ≤ 2× the plain-SQL time; 360 page p95 ≤ 100 ms; dashboard ≤ 1 s.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

GOALS = {"page": 50.0, "partial": 50.0, "api": 50.0, "360": 100.0, "dashbd": 1000.0}


def verdict(record: dict) -> str:
    goal = GOALS[record["kind"]]
    met = record["p95"] <= goal
    if record["kind"] in ("page", "partial", "api") and record.get("ratio"):
        met = met and record["ratio"] <= 2
    return "met" if met else "missed"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", type=Path)
    parser.add_argument("--customers", type=int, help="only the runs on this many customers")
    args = parser.parse_args(argv)
    records = [json.loads(line) for line in args.results.read_text().splitlines() if line]
    if args.customers:
        records = [r for r in records if r["customers"] == args.customers]
    sizes = sorted({r["customers"] for r in records})
    for size in sizes:
        rows = [r for r in records if r["customers"] == size]
        first = rows[0]
        print(
            f"\n**{size:,} customers**: load average before {first['load_before']}, after "
            f"{rows[-1]['load_after']}; {first['iterations']} requests per scenario.\n"
        )
        print(
            "| what | role | scenario | p50 ms | p95 ms | p99 ms | req/s | CPU ms/req | queries "
            "| plain SQL p50 ms | Kehu ÷ SQL | goal (p95) | |"
        )
        print("|" + "---|" * 13)
        for r in rows:
            print(
                f"| {r['kind']} | {r['role']} | {r['scenario']} | {r['p50']} | {r['p95']} "
                f"| {r['p99']} | {r['rps']} | {r.get('cpu_ms', '–')} | {r.get('queries', '–')} "
                f"| {r.get('sql_p50', '–')} | {r.get('ratio') or '–'} "
                f"| ≤ {GOALS[r['kind']]:.0f} ms | {verdict(r)} |"
            )


if __name__ == "__main__":
    main()
