"""Helpers for tests that start real Kehu processes on a data directory of their own."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

# Variables that would point the child at another database, broker or behaviour.
_OUTSIDE = (
    "DATABASE_URL",
    "KEHU_BROKER_URL",
    "KEHU_CELERY_EAGER",
    "KEHU_ADMIN_PASSWORD",
    "KEHU_DEMO",
    "KEHU_DEMO_CUSTOMERS",
    "KEHU_HOST",
    "KEHU_PORT",
)


def isolated_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """An environment for a child process with its own SQLite file and file-system broker."""
    env = {k: v for k, v in os.environ.items() if k not in _OUTSIDE}
    env.update(
        DJANGO_SETTINGS_MODULE="kehu.settings",
        KEHU_DATA_DIR=str(data_dir),
        DATABASE_URL=f"sqlite:///{data_dir / 'kehu.sqlite3'}",
        KEHU_LANGUAGE="en",
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def query(data_dir: Path, sql: str, params=()) -> list[tuple]:
    """Read the child's database directly (it is not the test database)."""
    path = data_dir / "kehu.sqlite3"
    if not path.exists():
        return []
    with contextlib.closing(sqlite3.connect(path, timeout=10)) as connection:
        try:
            return connection.execute(sql, params).fetchall()
        except sqlite3.OperationalError:  # table not there yet (migrations running)
            return []


def wait_until(
    condition: Callable[[], bool], *, timeout: float, process: subprocess.Popen, log: Path
) -> None:
    """Poll `condition`; fail with the child's output if it exits or time runs out."""
    deadline = time.monotonic() + timeout
    while not condition():
        if process.poll() is not None:
            raise AssertionError(f"exited with {process.returncode}:\n{log.read_text()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s:\n{log.read_text()}")
        time.sleep(0.3)


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
