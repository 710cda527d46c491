"""Chart of latency against table size from list_bench.py results (docs/benchmarks.md).

    .venv/bin/python bench/chart.py /tmp/kehu-bench/scale.jsonl docs/img/latency-by-size.png

One line per scenario (the administrator's view: the widest data scope), p95 server time
against the number of customers on a log scale, and the plain-SQL floor of the same requests
dashed, so the chart shows how each cost grows and how much of it is the database's.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

SHOWN = [
    ("page", "first page"),
    ("page", "filters: industry+status+budget"),
    ("page", "tags (2, all of)"),
    ("page", "search: name 2 chars"),
    ("page", "search: pinyin"),
    ("page", "sort: budget desc"),
    ("page", "page 80 (deepest numbered)"),
    ("api", "first page"),
    ("360", "360 page (5,000 interactions)"),
]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", type=Path)
    parser.add_argument("output", type=Path)
    parser.add_argument("--role", default="administrator")
    args = parser.parse_args(argv)
    lines: dict[tuple[str, str], list[tuple[int, float, float]]] = defaultdict(list)
    for line in args.results.read_text().splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        key = (record["kind"], record["scenario"])
        if record["role"] == args.role and key in SHOWN:
            lines[key].append((record["customers"], record["p95"], record.get("sql_p50") or 0))
    figure, axis = plt.subplots(figsize=(9, 5.5), dpi=120)
    colours = plt.get_cmap("tab10")
    for index, key in enumerate(k for k in SHOWN if k in lines):
        points = sorted(lines[key])
        sizes = [p[0] for p in points]
        colour = colours(index % 10)
        axis.plot(sizes, [p[1] for p in points], marker="o", color=colour, label=" / ".join(key))
        axis.plot(sizes, [p[2] for p in points], linestyle="--", color=colour, alpha=0.5)
    axis.set_xscale("log")
    axis.set_yscale("log")
    axis.set_xlabel("customers in the database (10 interactions per customer)")
    axis.set_ylabel("server time, ms (solid: Kehu p95, dashed: plain SQL p50)")
    axis.set_title(f"Kehu on PostgreSQL, 2 cores: latency by table size ({args.role})")
    axis.grid(True, which="both", alpha=0.3)
    axis.legend(fontsize=7, loc="upper left")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(args.output)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
