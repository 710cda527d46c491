"""Two list_bench.py runs side by side: a named baseline and a candidate, scenario by scenario.

    .venv/bin/python bench/compare.py BASE.jsonl NEW.jsonl [--customers 1000000]

Both runs should be on the same machine and database (an A/B: check out the baseline in a
git worktree and put its ``src`` first on PYTHONPATH, see docs/benchmarks.md). Prints a
Markdown table of p95, CPU per request and the plain-SQL floor for each, the candidate's
p95 as a ratio of the baseline's, and how many scenarios meet the p95 goal in each run.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

from scale_report import GOALS


def _load(path: Path, customers: int | None) -> dict[tuple, dict]:
    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    if customers:
        records = [r for r in records if r["customers"] == customers]
    return {(r["kind"], r["role"], r["scenario"]): r for r in records}


def _goal_met(record: dict) -> bool:
    return record["p95"] <= GOALS[record["kind"]]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("baseline", type=Path)
    parser.add_argument("candidate", type=Path)
    parser.add_argument("--customers", type=int, help="only the runs on this many customers")
    parser.add_argument("--base-name", default="before")
    parser.add_argument("--new-name", default="after")
    args = parser.parse_args(argv)
    base = _load(args.baseline, args.customers)
    new = _load(args.candidate, args.customers)
    keys = [key for key in new if key in base]
    b, n = args.base_name, args.new_name
    print(
        f"| what | role | scenario | p95 {b} | p95 {n} | {n} ÷ {b} | CPU ms {b} | CPU ms {n} "
        f"| SQL p50 {b} | SQL p50 {n} |"
    )
    print("|" + "---|" * 10)
    ratios = []
    for key in keys:
        old, cur = base[key], new[key]
        ratio = cur["p95"] / old["p95"] if old["p95"] else float("nan")
        ratios.append(ratio)
        print(
            f"| {key[0]} | {key[1]} | {key[2]} | {old['p95']} | {cur['p95']} | {ratio:.2f} "
            f"| {old.get('cpu_ms', '–')} | {cur.get('cpu_ms', '–')} "
            f"| {old.get('sql_p50', '–')} | {cur.get('sql_p50', '–')} |"
        )
    print()
    for kind in ("page", "partial", "api", "360", "dashbd"):
        kind_keys = [key for key in keys if key[0] == kind]
        if not kind_keys:
            continue
        met_old = sum(_goal_met(base[key]) for key in kind_keys)
        met_new = sum(_goal_met(new[key]) for key in kind_keys)
        p95_old = statistics.median(base[key]["p95"] for key in kind_keys)
        p95_new = statistics.median(new[key]["p95"] for key in kind_keys)
        cpu = [key for key in kind_keys if "cpu_ms" in base[key] and "cpu_ms" in new[key]]
        cpu_text = ""
        if cpu:
            cpu_old = statistics.median(base[key]["cpu_ms"] for key in cpu)
            cpu_new = statistics.median(new[key]["cpu_ms"] for key in cpu)
            cpu_text = f"; median CPU ms/request {cpu_old:.1f} → {cpu_new:.1f}"
        print(
            f"- **{kind}**: p95 ≤ {GOALS[kind]:.0f} ms in {met_old} → {met_new} of "
            f"{len(kind_keys)} scenarios; median p95 {p95_old:.1f} → {p95_new:.1f} ms{cpu_text}"
        )
    if ratios:
        print(
            f"- median p95 ratio ({n} ÷ {b}) over {len(ratios)} scenarios: "
            f"{statistics.median(ratios):.2f}"
        )


if __name__ == "__main__":
    main()
