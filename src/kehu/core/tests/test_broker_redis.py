"""The production broker integration test: PostgreSQL + Redis + a real Celery worker process.

An import is created and started through the import services exactly as the web page does;
the job travels through Redis to a separate `celery worker` process, which reads the file
from the shared media folder, writes the customers to PostgreSQL and marks the job done.
Skipped (with the reason) when the database is not PostgreSQL or Redis is not listening on
127.0.0.1:6379.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid

import pytest
from celery import Celery
from django.conf import settings
from django.db import connection

from kehu.core.tests.processes import stop
from kehu.customers.models import Customer
from kehu.dataquality.imports import tasks as import_tasks
from kehu.dataquality.imports.models import ImportJob, ImportStatus
from kehu.dataquality.imports.services import import_job_create, import_job_start
from kehu.dataquality.imports.tests.files import csv_bytes, row

pytestmark = [pytest.mark.broker, pytest.mark.postgres]

REDIS = ("127.0.0.1", 6379)
# A database number of its own, so the test never reads another process's queues.
BROKER_URL = "redis://127.0.0.1:6379/14"
TIMEOUT = 90


def _redis_listening() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=1):
            return True
    except OSError:
        return False


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        f"/{db['NAME']}"
    )


def _worker_env(tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("KEHU_CELERY_EAGER",)}
    env.update(
        DJANGO_SETTINGS_MODULE="kehu.settings",
        DATABASE_URL=_database_url(),  # the test database, where the job was written
        KEHU_BROKER_URL=BROKER_URL,
        KEHU_DATA_DIR=str(tmp_path / "worker-var"),
        KEHU_MEDIA_ROOT=str(settings.MEDIA_ROOT),  # shared storage for the uploaded file
        KEHU_KEY_FILE=str(settings.KEHU_KEY_FILE),  # the same encryption keys as this process
        KEHU_LANGUAGE="en",
        PYTHONUNBUFFERED="1",
    )
    for name in ("KEHU_ENCRYPTION_KEYS", "KEHU_BLIND_INDEX_SECRET"):
        if getattr(settings, name, ""):
            env[name] = getattr(settings, name)
    return env


@pytest.fixture
def redis_worker(tmp_path, settings):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://…): the worker is another process")
    if not _redis_listening():
        pytest.skip("needs Redis on 127.0.0.1:6379")
    settings.MEDIA_ROOT = tmp_path / "media"
    queue = f"kehu-test-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        worker = subprocess.Popen(  # noqa: S603 (our interpreter and module)
            [sys.executable, "-m", "celery", "-A", "kehu", "worker", "--pool=solo"]
            + ["--without-gossip", "--without-mingle", "--loglevel=INFO", "-Q", queue],
            env=_worker_env(tmp_path),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    sender = Celery("kehu-test-sender", broker=BROKER_URL, set_as_current=False)
    try:
        yield sender, queue, worker, log
    finally:
        stop(worker)
        sender.close()


# The worker is another process, so the rows must be committed; serialized_rollback puts the
# presets back afterwards, and redis_worker comes first so a skip happens before the database
# is touched (a flush without it breaks the browser tests that run later).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_import_started_on_the_web_completes_on_a_worker_through_redis(
    redis_worker, owner, monkeypatch
):
    sender, queue, worker, log = redis_worker
    # The service enqueues with .delay(); here that goes to Redis instead of the eager
    # in-process run the unit tests use.
    monkeypatch.setattr(
        import_tasks.run_import_job,
        "delay",
        lambda job_id: sender.send_task(
            import_tasks.run_import_job.name, args=[job_id], queue=queue
        ),
    )
    data = csv_bytes([row(), row(name="杭州西溪数据服务有限公司", 手机="13900139001")])
    job = import_job_create(by=owner, file=data_file(data), filename="customers.csv")

    import_job_start(job=job, by=owner, dry_run=False)

    deadline = time.monotonic() + TIMEOUT
    while ImportJob.objects.get(pk=job.pk).status not in (ImportStatus.DONE, ImportStatus.FAILED):
        if worker.poll() is not None:
            pytest.fail(f"worker exited with {worker.returncode}:\n{log.read_text()}")
        if time.monotonic() > deadline:
            pytest.fail(f"import not done within {TIMEOUT} s:\n{log.read_text()}")
        time.sleep(0.3)
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE, log.read_text()
    assert sorted(Customer.objects.values_list("name", flat=True)) == sorted(
        ["杭州云栖数据科技有限公司", "杭州西溪数据服务有限公司"]
    )
    assert set(Customer.objects.values_list("owner", flat=True)) == {owner.pk}
    assert "kehu.dataquality.imports.tasks.run_import_job" in log.read_text()


def data_file(data: bytes):
    from django.core.files.base import ContentFile

    return ContentFile(data, name="customers.csv")
