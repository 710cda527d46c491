"""Time the whole-table duplicate scan on 10k / 100k / 1M customers.

    .venv/bin/python bench/duplicate_scan.py --db postgres --count 100000,1000000
    .venv/bin/python bench/duplicate_scan.py --db sqlite --count 100000

Each run recreates a throwaway database (PostgreSQL ``kehu_bench_dups`` or the SQLite file
/tmp/kehu-bench/kehu_bench_dups.sqlite3), migrates it, loads the demo organisation (owners,
regions) and inserts synthetic customers and contacts from bench/duplicates_data.py directly
(COPY on PostgreSQL, executemany on SQLite; the stored name key is computed as the app does).
Then it runs the scan exactly as the nightly task does and prints the seconds per phase (load,
prepare, block, score, group, store), the pairs scored and the groups found. Pinyin search
columns are left empty: the scan does not read them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from multiprocessing import Pool
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    PeakRss,
    database_version,
    machine,
    migrate,
    recreate_database,
    setup_django,
)

DB_NAME = "kehu_bench_dups"
BATCH = 20_000


def _name_key(name: str) -> str:
    from kehu.dataquality.normalize import normalize_company_name

    return normalize_company_name(name)[:128]


def _init_worker(url: str) -> None:
    setup_django(url)


def _rows(records, first_id: int, keys: list[str], owners, regions, now: str):
    from kehu.core.crypto import blind_index, encrypt_text

    customers, contacts = [], []
    for offset, (record, key) in enumerate(zip(records, keys, strict=True)):
        pk = first_id + offset
        owner_id, department_id = owners[pk % len(owners)]
        customers.append(
            (
                pk,
                now,
                now,
                1,
                f"CXB{pk:09d}",
                "enterprise",
                record.name[:128],
                "",
                "",
                key,
                None,
                None,
                "medium",
                "",
                regions.get(record.region),
                record.city,
                record.district,
                record.street,
                "exhibition",
                "2026-01-15",
                "prospect",
                None,
                "",
                owner_id,
                department_id,
                None,
                "{}",
                None,
            )
        )
        for contact in record.contacts:
            mobile = contact.mobile
            # Stored as the app stores it: encrypted, with its blind indexes.
            contacts.append(
                (
                    pk,
                    now,
                    now,
                    1,
                    pk,
                    contact.name,
                    "",
                    encrypt_text(mobile, context="customers.contact.mobile") if mobile else "",
                    blind_index(mobile, purpose="mobile"),
                    blind_index(mobile[-4:], purpose="mobile_last4"),
                    "",
                    "",
                    contact.is_decision_maker,
                    "",
                )
            )
    return customers, contacts


def _insert(customers: list[tuple], contacts: list[tuple], next_contact: int) -> int:
    from django.db import connection

    contacts = [(next_contact + i, *row[1:]) for i, row in enumerate(contacts)]
    customer_columns = (
        "id, created_at, updated_at, version, code, customer_type, name, name_pinyin, "
        "name_initials, name_key, credit_code, industry_id, scale, enterprise_type, region_id, "
        "city, district, street, source, first_contact_date, status, annual_budget, remarks, "
        "owner_id, department_id, created_by_id, custom_fields, last_interaction_at"
    )
    contact_columns = (
        "id, created_at, updated_at, version, customer_id, name, title, mobile, mobile_hash, "
        "mobile_last4_hash, "
        "email, phone, is_decision_maker, remarks"
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor
            for table, columns, rows in (
                ("customers_customer", customer_columns, customers),
                ("customers_contact", contact_columns, contacts),
            ):
                with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
        else:
            for table, columns, rows in (
                ("customers_customer", customer_columns, customers),
                ("customers_contact", contact_columns, contacts),
            ):
                marks = ", ".join(["%s"] * len(rows[0]))
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)  # noqa: S608
    return next_contact + len(contacts)


def load(count: int, seed: int, url: str) -> tuple[int, float]:
    """Insert `count` synthetic customers with their contacts; returns contacts, seconds."""
    from django.db import connection, transaction
    from duplicates_data import generate
    from tqdm import tqdm

    from kehu.accounts.demo import load_demo
    from kehu.accounts.models import User
    from kehu.customers.models import Region

    load_demo(customers=0)
    owners = list(User.objects.filter(is_active=True).values_list("id", "department_id"))
    regions = dict(Region.objects.values_list("code", "id"))
    now = dt.datetime.now(dt.UTC).isoformat()
    started = time.perf_counter()
    records = generate(count, seed=seed)
    next_contact = 1
    with (
        Pool(2, initializer=_init_worker, initargs=(url,)) as pool,
        tqdm(total=count, desc="insert", unit="cust") as bar,
    ):
        for start in range(0, count, BATCH):
            chunk = records[start : start + BATCH]
            keys = pool.map(_name_key, [r.name for r in chunk], chunksize=500)
            customers, contacts = _rows(chunk, start + 1, keys, owners, regions, now)
            with transaction.atomic():
                next_contact = _insert(customers, contacts, next_contact)
            bar.update(len(chunk))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in ("customers_customer", "customers_contact"):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"(SELECT MAX(id) FROM {table}))"
                )
            cursor.execute("ANALYZE")
    return next_contact - 1, time.perf_counter() - started


def run(kind: str, count: int, seed: int, scans: int = 1) -> list[dict]:
    from tqdm import tqdm

    url = recreate_database(kind, DB_NAME)
    setup_django(url)
    migrate()
    contacts, load_seconds = load(count, seed, url)
    from kehu.dataquality.duplicates.scan import PHASES, duplicate_scan_run

    results = []
    for number in range(1, scans + 1):
        # A second scan replaces the first one's open groups, as the next night's run does.
        bar = tqdm(total=len(PHASES), desc=f"scan {number}", unit="phase")

        def on_phase(name: str, seconds: float, bar=bar) -> None:
            bar.set_postfix_str(f"{name} {seconds:.1f} s")
            bar.update(1)

        with PeakRss() as rss:
            started = time.perf_counter()
            scan = duplicate_scan_run(on_phase=on_phase)
            total = time.perf_counter() - started
        bar.close()
        results.append(
            {
                "db": database_version(),
                "scan": number,
                "customers": count,
                "contacts": contacts,
                "insert_seconds": round(load_seconds, 1),
                "scan_seconds": round(total, 2),
                "phases": {name: scan.phase_seconds[name] for name in PHASES},
                "pairs_scored": scan.pairs_scored,
                "groups": scan.groups_found,
                "threshold": scan.threshold,
                "peak_rss_mib": rss.peak >> 20,
            }
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--count", default="10000")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--scans", type=int, default=1, help="scans in a row on the same data")
    args = parser.parse_args()
    counts = [int(c) for c in args.count.split(",")]
    if len(counts) > 1:
        # One process per size: Django is set up once per process, on its own database.
        import subprocess

        for count in counts:
            subprocess.run(  # noqa: S603
                [
                    sys.executable,
                    __file__,
                    f"--db={args.db}",
                    f"--count={count}",
                    f"--seed={args.seed}",
                    f"--scans={args.scans}",
                ],
                check=True,
            )
        return
    print(f"machine: {machine()}")
    for result in run(args.db, counts[0], args.seed, args.scans):
        print(
            f"{result['db']}: {result['customers']:,} customers, {result['contacts']:,} "
            f"contacts (inserted in {result['insert_seconds']} s)"
        )
        phases = "  ".join(f"{k} {v:.2f}" for k, v in result["phases"].items())
        print(f"scan {result['scan']}: {result['scan_seconds']:.2f} s  [{phases}]")
        print(
            f"pairs scored {result['pairs_scored']:,}, groups {result['groups']:,} "
            f"(threshold {result['threshold']}), peak RSS {result['peak_rss_mib']} MiB"
        )
        print(json.dumps(result))


if __name__ == "__main__":
    os.environ.setdefault("KEHU_BENCH_DIR", "/tmp/kehu-bench")  # noqa: S108 (throwaway)
    main()
