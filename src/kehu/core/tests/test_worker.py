"""The broker integration test: a real Celery worker process on the file-system broker.

Unit tests run tasks eagerly (conftest.py); this is the one test where a task travels through
the broker to a worker process, as it does under `kehu run`.
"""

import subprocess
import sys

import pytest
from celery import Celery

from kehu.core.tests.processes import isolated_env, query, stop, wait_until

pytestmark = pytest.mark.broker

TIMEOUT = 60


def sender(data_dir) -> Celery:
    """A client of the worker's broker. Not the project's app: conftest makes that one eager,
    and a task sent here must go through the queue folder."""
    queue = str(data_dir / "broker" / "queue")
    app = Celery("kehu-test-sender", broker="filesystem://localhost//", set_as_current=False)
    app.conf.broker_transport_options = {
        "data_folder_in": queue,
        "data_folder_out": queue,
        # Same exchange table as the worker's; the default is ./control in the working dir.
        "control_folder": str(data_dir / "broker" / "control"),
    }
    return app


def heartbeats(data_dir) -> list[tuple]:
    return query(data_dir, "SELECT name FROM core_heartbeat")


def test_worker_process_runs_a_task_sent_through_the_file_system_broker(tmp_path):
    env = isolated_env(tmp_path)
    subprocess.run(  # noqa: S603
        [sys.executable, "-m", "kehu", "migrate", "--verbosity", "0"],
        env=env,
        check=True,
        timeout=180,
    )
    assert heartbeats(tmp_path) == []
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        worker = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "celery", "-A", "kehu", "worker", "--pool=solo"]
            + ["--without-gossip", "--without-mingle", "--loglevel=INFO"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        result = sender(tmp_path).send_task("kehu.core.tasks.heartbeat")

        wait_until(lambda: heartbeats(tmp_path) != [], timeout=TIMEOUT, process=worker, log=log)

        assert heartbeats(tmp_path) == [("worker",)]
        assert f"Task kehu.core.tasks.heartbeat[{result.id}] received" in log.read_text()
    finally:
        stop(worker)
