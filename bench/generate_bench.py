"""`kehu generate` into a fresh PostgreSQL database: wall time split into the load and the
index build, and the CPU of each process that does the work.

    .venv/bin/python bench/generate_bench.py --customers 100000 --interactions 1000000
    # the same against a named baseline (a worktree of an earlier commit):
    PYTHONPATH=/tmp/wt-base/src .venv/bin/python bench/generate_bench.py --customers 100000 \\
        --interactions 1000000 --database kehu_gen_base

The database (default kehu_gen) is dropped and created again, then migrated (not timed).
CPU: this process (the generator), its children (the worker that draws interactions, where
the code has one) and the PostgreSQL backend serving it, read from /proc: the server must
run on this machine. Prints one JSON line (also appended to --json).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    database_version,
    load_average,
    machine,
    migrate,
    recreate_database,
    setup_django,
)


def backend_cpu(pid: int) -> float:
    """User + system seconds of a process on this machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--interactions", type=int, default=None)
    parser.add_argument("--database", default="kehu_gen")
    parser.add_argument("--label", default="")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    interactions = args.customers * 10 if args.interactions is None else args.interactions

    url = recreate_database("postgres", args.database)
    setup_django(url)
    migrate()

    from django.db import connection

    from kehu.core import generate

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    marks: dict[str, float] = {}

    def indexes(built: int, total: int) -> None:
        marks.setdefault("indexes", time.monotonic())

    load_before = load_average()
    backend_before = backend_cpu(pid)
    own_before = time.process_time()
    started = time.monotonic()
    summary = generate.generate(
        customers=args.customers, interactions=interactions, index_progress=indexes
    )
    wall = time.monotonic() - started
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    index_start = marks.get("indexes", started + wall)
    result = {
        "label": args.label,
        "machine": machine(),
        "database": database_version(),
        "python_path": os.environ.get("PYTHONPATH", ""),
        "customers": summary.customers,
        "interactions": summary.interactions,
        "contacts": summary.contacts,
        "sales_rows": sum(summary.extra.values()),
        "wall_s": round(wall, 1),
        "load_s": round(index_start - started, 1),
        "indexes_and_analyze_s": round(started + wall - index_start, 1),
        "generator_cpu_s": round(time.process_time() - own_before, 1),
        "worker_cpu_s": round(children.ru_utime + children.ru_stime, 1),
        "backend_cpu_s": round(backend_cpu(pid) - backend_before, 1),
        "load_before": load_before,
        "load_after": load_average(),
    }
    line = json.dumps(result, ensure_ascii=False)
    print(line)
    if args.json:
        with args.json.open("a") as out:
            out.write(line + "\n")


if __name__ == "__main__":
    main()
