"""Shared plumbing of the import benchmarks: a throwaway database, Django set-up, measurements.

Every benchmark runs against its own database created fresh with the real migrations, never
against the developer's data: an SQLite file under /tmp/kehu-bench/ or a PostgreSQL database on
127.0.0.1 that is dropped and re-created on each run.
"""

from __future__ import annotations

import os
import platform
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

# Throwaway files only (generated inputs, SQLite databases, profiles); nothing secret.
WORK_DIR = Path(os.environ.get("KEHU_BENCH_DIR", "/tmp/kehu-bench"))  # noqa: S108
FILES_DIR = WORK_DIR / "files"
PG_SERVER = os.environ.get("KEHU_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
REPO = Path(__file__).resolve().parent.parent


def database_url(kind: str, name: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{WORK_DIR / (name + '.sqlite3')}"
    if kind == "postgres":
        return f"{PG_SERVER}/{name}"
    raise ValueError(f"unknown database kind {kind!r}")


def recreate_database(kind: str, name: str) -> str:
    """Drop and create the database (before Django connects to it); returns its URL."""
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    if kind == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            (WORK_DIR / f"{name}.sqlite3{suffix}").unlink(missing_ok=True)
    else:
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    return database_url(kind, name)


def setup_django(url: str, settings_module: str = "kehu.settings") -> None:
    """Point Kehu at `url` and start Django in this process."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("KEHU_DATA_DIR", str(WORK_DIR / "data"))
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    # Benchmarks hold one connection for the whole run; no idle reconnects in the timings.
    os.environ.setdefault("KEHU_DB_CONN_MAX_AGE", "600")
    # A million-row CSV is ~270 MB, above the default upload limit (200 MB) that guards the web
    # form; the benchmark measures the importer itself, so it lifts the limit.
    os.environ.setdefault("KEHU_IMPORT_MAX_BYTES", str(2 * 1024**3))
    if str(REPO / "bench") not in sys.path:
        sys.path.insert(0, str(REPO / "bench"))
    import django

    django.setup()


def migrate() -> float:
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    return time.perf_counter() - started


def importing_user(username: str = "linfeng"):
    """The demo organisation (departments, users, roles, custom fields) without customers; the
    importer runs as one of its users and the file's owners are the demo sales people."""
    from kehu.accounts.demo import load_demo
    from kehu.accounts.models import User

    if not User.objects.filter(username=username).exists():
        load_demo(customers=0)
    return User.objects.get(username=username)


class PeakRss:
    """Peak resident memory during a phase: sampled from /proc, since getrusage only knows the
    peak of the whole process (which the earlier phases and the set-up already set)."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def current() -> int:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * resource.getpagesize()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.current())
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakRss:
        self.peak = self.current()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.current())


@dataclass
class Timing:
    """Wall time, and this process's CPU time: on a shared machine the CPU time is the steadier
    figure (it leaves out waiting for other processes, and PostgreSQL's own work)."""

    phase: str
    rows: int
    seconds: float
    peak_rss: int
    cpu: float = 0.0

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0

    def figures(self) -> dict[str, float]:
        return {
            "seconds": round(self.seconds, 2),
            "cpu": round(self.cpu, 2),
            "rss_mib": self.peak_rss >> 20,
        }

    def line(self) -> str:
        return (
            f"{self.phase:<10} {self.rows:>9,} rows  {self.seconds:8.2f} s  "
            f"{self.rows_per_second:>9,.0f} rows/s  cpu {self.cpu:8.2f} s  "
            f"peak RSS {self.peak_rss / 2**20:7.0f} MiB"
        )


@contextmanager
def timed(phase: str, rows: int) -> Iterator[Timing]:
    timing = Timing(phase, rows, 0.0, 0)
    with PeakRss() as rss:
        started, cpu = time.perf_counter(), time.process_time()
        yield timing
        timing.seconds = time.perf_counter() - started
        timing.cpu = time.process_time() - cpu
    timing.peak_rss = rss.peak


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def machine() -> str:
    """One line naming what the figures were measured on."""
    cpu = ""
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(
                (line.split(":", 1)[1].strip() for line in info if line.startswith("model name")),
                "",
            )
    except OSError:
        pass
    try:
        with open("/proc/meminfo") as info:
            kib = int(next(line for line in info if line.startswith("MemTotal")).split()[1])
        memory = f"{kib / 2**20:.0f} GiB"
    except (OSError, StopIteration):
        memory = "?"
    import django

    return (
        f"{os.cpu_count()} cores ({cpu}), {memory} RAM, Python {platform.python_version()}, "
        f"Django {django.get_version()}"
    )


def database_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0]}"
        cursor.execute("select sqlite_version()")
        return f"SQLite {cursor.fetchone()[0]}"


def generated_file(rows: int, fmt: str, seed: int, bad: float, duplicates: float) -> Path:
    """The generated file for these parameters, generated in a subprocess if it is missing (the
    generator needs Django on its own presets database, not on the benchmark's)."""
    from generate_import_file import file_path

    path = file_path(rows=rows, fmt=fmt, seed=seed, bad=bad, duplicates=duplicates)
    if not path.exists():
        command = [
            sys.executable,
            str(REPO / "bench" / "generate_import_file.py"),
            f"--rows={rows}",
            f"--format={fmt}",
            f"--seed={seed}",
            f"--bad={bad}",
            f"--duplicates={duplicates}",
        ]
        print("generating:", " ".join(command), flush=True)
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
        subprocess.run(command, check=True, env=env)  # noqa: S603 (our own script)
    return path
