"""HTTP load test: gunicorn on 127.0.0.1 against a generated database, locust headless.

    .venv/bin/python bench/load_test.py \
        --database-url postgres://postgres@127.0.0.1:5432/kehu_bench --users 50 --duration 5m

Starts gunicorn (deploy/gunicorn.conf.py, bound to 127.0.0.1 only), waits for /health/ready,
runs locust for the given time (bench/locustfile.py: mixed reads and writes as the generated
reps and heads), stops both and prints throughput, latency percentiles and errors per request
type. Every process it starts is stopped at the end, whatever happens.
"""

from __future__ import annotations

import argparse
import csv
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def wait_ready(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (127.0.0.1)
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"{url} not ready within {timeout} s")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--duration", default="5m", help="locust --run-time, e.g. 60s, 5m")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--web-workers", default="3")
    parser.add_argument("--out", type=Path, default=Path("/tmp/kehu-bench/load"))  # noqa: S108
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    host = f"http://127.0.0.1:{args.port}"
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "kehu.settings"),
        "KEHU_BIND": f"127.0.0.1:{args.port}",
        "KEHU_WEB_WORKERS": args.web_workers,
        "KEHU_API_RATE": "100000/min",
        "KEHU_CELERY_EAGER": "1",  # no worker in the loop: nothing here enqueues jobs
        "KEHU_LOGIN_MAX_FAILURES_PER_ADDRESS": "100000",
    }
    with psycopg.connect(args.database_url) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT username FROM accounts_user WHERE username LIKE 'bench_rep_%' "
            "OR username LIKE 'bench_head_%' ORDER BY username"
        )
        env["KEHU_LOAD_USERS"] = ",".join(row[0] for row in cursor.fetchall())
    web_log = (args.out / "gunicorn.log").open("w")
    web = subprocess.Popen(  # noqa: S603 (our venv's gunicorn)
        [str(BIN / "gunicorn"), "-c", str(REPO / "deploy" / "gunicorn.conf.py"), "kehu.wsgi"],
        env={**env, "KEHU_LOG_FORMAT": "text"},
        stdout=web_log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_ready(f"{host}/health/live")
        load_before = os.getloadavg()
        started = time.monotonic()
        subprocess.run(  # noqa: S603 (our venv's locust)
            [
                str(BIN / "locust"),
                "-f",
                str(REPO / "bench" / "locustfile.py"),
                "--headless",
                "--host",
                host,
                "-u",
                str(args.users),
                "-r",
                str(args.spawn_rate),
                "--run-time",
                args.duration,
                "--csv",
                str(args.out / "locust"),
                "--only-summary",
                "--stop-timeout",
                "10",
            ],
            env=env,
            check=False,
            timeout=3600,
        )
        seconds = time.monotonic() - started
    finally:
        os.killpg(web.pid, signal.SIGTERM)
        web.wait(timeout=60)
        web_log.close()
    print(f"\nload average before {load_before}, after {os.getloadavg()}, ran {seconds:.0f} s")
    report(args.out / "locust_stats.csv")


def report(path: Path) -> None:
    print(
        f"{'request':<30} {'count':>7} {'fail':>5} {'req/s':>7} {'p50':>6} {'p95':>6} "
        f"{'p99':>6} {'max':>7}"
    )
    with path.open() as stats:
        for row in csv.DictReader(stats):
            print(
                f"{(row['Name'] or row['Type'])[:30]:<30} {row['Request Count']:>7} "
                f"{row['Failure Count']:>5} {float(row['Requests/s']):>7.1f} {row['50%']:>6} "
                f"{row['95%']:>6} {row['99%']:>6} {float(row['Max Response Time']):>7.0f}"
            )


if __name__ == "__main__":
    main()
