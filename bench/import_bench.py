"""Benchmark of Kehu's customer importer on a generated file, in a fresh database.

    .venv/bin/python bench/import_bench.py --rows 100000 --format csv --database sqlite
    .venv/bin/python bench/import_bench.py --rows 1000000 --format xlsx --database postgres

Each run: a throwaway database (SQLite file under /tmp/kehu-bench/ or the PostgreSQL database
kehu_bench_import on 127.0.0.1, dropped and created fresh, migrated), the demo organisation as
importing user and owners, then the importer's three steps timed one by one: create the job
(store the file), dry run (validate: every row checked, duplicates looked for, nothing written)
and write (run). Prints wall time, rows/s and peak RSS per step, and checks the counts: written
rows plus error rows must equal the rows of the file. The file is generated on first use
(bench/generate_import_file.py), deterministic by seed.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    WORK_DIR,
    database_version,
    generated_file,
    importing_user,
    load_average,
    machine,
    migrate,
    recreate_database,
    setup_django,
    timed,
)

DATABASE_NAME = "kehu_bench_import"


def job_counts(job) -> dict[str, int]:
    """The job's counters (whatever integer fields the importer keeps), for the report."""
    from django.db import models

    job.refresh_from_db()
    return {
        field.name: getattr(job, field.name)
        for field in job._meta.concrete_fields
        if isinstance(field, models.IntegerField)
        and not field.primary_key
        and getattr(job, field.name) is not None
    }


class Progress:
    """Prints the rows done every tenth of the file with the time so far, so a run stopped
    early still tells its throughput."""

    def __init__(self, phase: str) -> None:
        self.phase, self.next = phase, 0.1
        self.started, self.cpu = time.perf_counter(), time.process_time()

    def __call__(self, done: int, total: int) -> None:
        if done >= total * self.next:
            wall = time.perf_counter() - self.started
            cpu = time.process_time() - self.cpu
            print(
                f"           {self.phase}: {done:,}/{total:,} rows after {wall:.1f} s "
                f"(cpu {cpu:.1f} s, {done / wall:,.0f} rows/s)  load {load_average()}",
                flush=True,
            )
            while done >= total * self.next:
                self.next += 0.1


def run_once(path: Path, user, *, profile: Path | None, dry_run: bool) -> tuple[list, dict]:
    from django.core.files import File

    from kehu.customers.models import Contact, Customer
    from kehu.dataquality.imports.services import (
        import_job_create,
        import_job_run,
        import_job_validate,
    )

    manifest = json.loads(path.with_name(path.name + ".json").read_text())
    rows = manifest["rows"]
    timings = []
    with timed("create", rows) as timing, open(path, "rb") as stream:
        job = import_job_create(
            by=user, file=File(stream, name=path.name), filename=path.name, mode="create"
        )
    timings.append(timing)
    print(timing.line(), flush=True)
    steps = [("dry run", import_job_validate)] if dry_run else []
    for phase, step in [*steps, ("write", import_job_run)]:
        profiler = cProfile.Profile() if profile else None
        with timed(phase, rows) as timing:
            if profiler:
                profiler.enable()
            step(job=job, progress=Progress(phase))
            if profiler:
                profiler.disable()
        timings.append(timing)
        print(timing.line(), flush=True)
        if phase == "dry run":
            print(f"           job after dry run: {job_counts(job)}")
        if profiler:
            target = profile.with_name(f"{profile.stem}-{phase.replace(' ', '-')}.prof")
            profiler.dump_stats(str(target))
            print(f"           profile of the {phase}: {target}")
            pstats.Stats(str(target)).sort_stats("cumulative").print_stats(15)
    counts = job_counts(job)
    written = Customer.objects.count()
    counts["customers in database"] = written
    counts["contacts in database"] = Contact.objects.count()
    print(f"           job after write: {counts}")
    errors = counts.get("error_count", 0)
    verdict = (
        "OK" if written + errors == rows and written == counts.get("created_count") else "MISMATCH"
    )
    print(
        f"           counts {verdict}: file rows {rows:,}, written {written:,} + error rows "
        f"{errors:,} = {written + errors:,}; generated as valid {manifest['valid']:,}, bad "
        f"{manifest['bad_rows']:,}, duplicates {manifest['duplicate_rows']:,}"
    )
    return timings, counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--format", choices=("csv", "csv-gbk", "xlsx"), default="csv")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--repeat", type=int, default=1, help="runs, each in a fresh database")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--bad", type=float, default=0.01, help="fraction of bad rows")
    parser.add_argument("--duplicates", type=float, default=0.01, help="fraction of duplicates")
    parser.add_argument("--user", default="linfeng", help="demo user who imports (admin)")
    parser.add_argument("--profile", action="store_true", help="cProfile dry run and write")
    parser.add_argument("--json", type=Path, help="append the figures to this JSON-lines file")
    parser.add_argument(
        "--no-dry-run", action="store_true", help="skip the dry run (the write validates anyway)"
    )
    parser.add_argument("--db-name", default=DATABASE_NAME, help="throwaway database's name")
    args = parser.parse_args(argv)

    path = generated_file(args.rows, args.format, args.seed, args.bad, args.duplicates)
    for run in range(1, args.repeat + 1):
        url = recreate_database(args.database, args.db_name)
        if run == 1:
            setup_django(url)
        else:
            from django.db import connection

            connection.close()
        migrate()
        user = importing_user(args.user)
        if run == 1:
            print(f"machine: {machine()}, {database_version()}")
            print(f"file: {path} ({path.stat().st_size / 2**20:.1f} MiB)")
        load = load_average()
        print(f"run {run}/{args.repeat}  load average before: {load}", flush=True)
        profile = WORK_DIR / f"import-{args.rows}-{args.format}-{args.database}.prof"
        timings, counts = run_once(
            path, user, profile=profile if args.profile else None, dry_run=not args.no_dry_run
        )
        total = sum(t.seconds for t in timings)
        print(f"           total {total:.2f} s ({args.rows / total:,.0f} rows/s end to end)")
        if args.json:
            with open(args.json, "a") as out:
                record = {
                    "tool": "kehu",
                    "rows": args.rows,
                    "format": args.format,
                    "database": args.database,
                    "load": load,
                    "phases": {t.phase: t.figures() for t in timings},
                    "counts": counts,
                }
                out.write(json.dumps(record, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
