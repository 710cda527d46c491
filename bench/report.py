"""Markdown table of recorded import benchmark runs, with ratios against the baseline.

    .venv/bin/python bench/report.py /tmp/kehu-bench/results.jsonl

Reads the JSON lines that import_bench.py and import_export_baseline.py append with --json.
The ratio compares Kehu with django-import-export on the same file, database and phase.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

BASELINE = "django-import-export"


def seconds(record: dict, *phases: str, key: str = "seconds") -> float | None:
    values = [record["phases"].get(p, {}).get(key) for p in phases]
    return None if None in values else sum(values)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", type=Path)
    args = parser.parse_args(argv)
    records = [json.loads(line) for line in args.results.read_text().splitlines() if line]
    baselines = {
        (r["rows"], r["format"], r["database"]): r for r in records if r["tool"] == BASELINE
    }
    print(
        "| tool | rows | format | database | load before | create/read s | dry run s (cpu) "
        "| write s (cpu) | write rows/s | written | error rows | peak RSS MiB "
        "| write ratio wall (cpu) | dry run ratio wall (cpu) |"
    )
    print("|" + "---|" * 14)
    for r in records:
        first = "create" if "create" in r["phases"] else "read"
        write, write_cpu = seconds(r, "write"), seconds(r, "write", key="cpu")
        dry, dry_cpu = seconds(r, "dry run"), seconds(r, "dry run", key="cpu")
        rss = max(p["rss_mib"] for p in r["phases"].values())
        written = r.get("written", r.get("counts", {}).get("customers in database"))
        errors = r.get("invalid", r.get("counts", {}).get("error_count"))
        ratio = dry_ratio = ""
        base = baselines.get((r["rows"], r["format"], r["database"]))
        if r["tool"] == "kehu" and base:
            ratio = ratio_text(base, r, "write")
            dry_ratio = ratio_text(base, r, "dry run")
        print(
            f"| {r['tool']} | {r['rows']:,} | {r['format']} | {r['database']} | {r['load']} "
            f"| {seconds(r, first)} | {dry if dry is not None else '–'} ({dry_cpu or '–'}) "
            f"| {write} ({write_cpu}) | {r['rows'] / write:,.0f} | {written:,} | {errors:,} "
            f"| {rss:,} | {ratio} | {dry_ratio} |"
        )


def ratio_text(base: dict, record: dict, phase: str) -> str:
    wall, base_wall = seconds(record, phase), seconds(base, phase)
    cpu, base_cpu = seconds(record, phase, key="cpu"), seconds(base, phase, key="cpu")
    if not wall or not base_wall:
        return ""
    text = f"{base_wall / wall:.1f}×"
    if cpu and base_cpu:
        text += f" ({base_cpu / cpu:.1f}×)"
    return text


if __name__ == "__main__":
    main()
