"""`kehu run`: first start prepares everything once, serves, and stops cleanly."""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from io import StringIO

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.urls import reverse
from django.utils import translation

from kehu.accounts.models import RoleCode, User
from kehu.core.management.commands.run import (
    Command,
    boxed,
    compile_translations,
    ensure_administrator,
)
from kehu.core.tests.processes import alive, isolated_env, query, stop, wait_until
from kehu.customers.models import Customer

START_TIMEOUT = 120
TIMEOUT = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (local test URL)
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


def start_run(tmp_path, **extra: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = isolated_env(tmp_path, KEHU_HOST="127.0.0.1", KEHU_PORT=str(port), **extra)
    log = tmp_path / "run.log"
    with log.open("w") as out:
        process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "kehu", "run"], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    return process, port


def child_pids(log) -> list[int]:
    return [int(pid) for pid in re.findall(r"pid (\d+)", log.read_text())]


def test_first_start_serves_the_demo_and_ctrl_c_stops_everything(tmp_path):
    run, port = start_run(tmp_path, KEHU_DEMO_CUSTOMERS="50")
    log = tmp_path / "run.log"
    login = f"http://127.0.0.1:{port}{reverse('login')}"
    try:
        wait_until(lambda: status(login) == 200, timeout=START_TIMEOUT, process=run, log=log)
        # The worker started by `kehu run` takes the heartbeat it queues on start.
        wait_until(
            lambda: query(tmp_path, "SELECT name FROM core_heartbeat") != [],
            timeout=TIMEOUT,
            process=run,
            log=log,
        )
        output = log.read_text()
        password = re.search(r"password: (\S+)", output).group(1)
        assert output.count(password) == 1
        assert output.count("username: admin") == 1
        stored = query(tmp_path, "SELECT password FROM accounts_user WHERE username = 'admin'")
        # The app hashes with Argon2; the test settings use a fast hasher, so verify directly.
        assert Argon2PasswordHasher().verify(password, stored[0][0])
        assert query(tmp_path, "SELECT count(*) FROM customers_customer") == [(50,)]
        pids = child_pids(log)
        assert len(pids) == 3
        assert all(alive(pid) for pid in pids)

        run.send_signal(signal.SIGINT)

        assert run.wait(timeout=TIMEOUT) == 0
        assert not any(alive(pid) for pid in pids)
        assert "Kehu stopped." in log.read_text()
    finally:
        stop(run)


def test_when_a_child_dies_the_others_are_stopped_and_run_fails(tmp_path):
    run, port = start_run(tmp_path, KEHU_DEMO="0")
    log = tmp_path / "run.log"
    try:
        wait_until(
            lambda: "Kehu is ready" in log.read_text(),
            timeout=START_TIMEOUT,
            process=run,
            log=log,
        )
        web, worker, scheduler = child_pids(log)

        os.kill(worker, signal.SIGKILL)

        assert run.wait(timeout=TIMEOUT) != 0
        assert not alive(web)
        assert not alive(scheduler)
        assert "The worker stopped unexpectedly" in log.read_text()
        assert query(tmp_path, "SELECT count(*) FROM customers_customer") == [(0,)]
    finally:
        stop(run)


@pytest.fixture
def demo_size(monkeypatch):
    monkeypatch.setenv("KEHU_DEMO_CUSTOMERS", "5")
    monkeypatch.delenv("KEHU_DEMO", raising=False)
    monkeypatch.delenv("KEHU_ADMIN_PASSWORD", raising=False)


def test_preparation_prints_credentials_and_loads_the_demo_only_the_first_time(db, demo_size):
    first = Command(stdout=StringIO(), stderr=StringIO())
    second = Command(stdout=StringIO(), stderr=StringIO())
    with translation.override("en"):  # the output is read in English
        first.prepare(host="127.0.0.1", port=8000)
        second.prepare(host="127.0.0.1", port=8000)

    assert "password:" in first.stdout.getvalue()
    assert "password:" not in second.stdout.getvalue()
    assert "Loading the demo company" in first.stdout.getvalue()
    assert "Loading the demo company" not in second.stdout.getvalue()
    assert Customer.objects.count() == 5
    assert User.objects.filter(username="admin").count() == 1


def test_administrator_is_a_superuser_with_the_administrator_role(db, monkeypatch):
    monkeypatch.setenv("KEHU_ADMIN_PASSWORD", "Chosen-Secret-42")

    password = ensure_administrator()

    admin = User.objects.get(username="admin")
    assert password == "Chosen-Secret-42"
    assert admin.check_password("Chosen-Secret-42")
    assert admin.is_superuser
    assert admin.roles.filter(code=RoleCode.ADMIN).exists()
    assert ensure_administrator() is None


def test_random_administrator_passwords_differ(db, monkeypatch):
    monkeypatch.delenv("KEHU_ADMIN_PASSWORD", raising=False)
    first = ensure_administrator()
    User.objects.all().delete()

    assert ensure_administrator() != first
    assert len(first) >= 16


def test_box_lines_line_up_with_chinese_text():
    lines = boxed(["用户名: admin", "password: abc"]).splitlines()

    widths = {sum(2 if "\u4e00" <= ch <= "\u9fff" else 1 for ch in line) for line in lines}
    assert len(widths) == 1


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext's msgfmt is not installed")
def test_missing_compiled_translations_are_compiled(tmp_path, settings):
    po = tmp_path / "fr" / "LC_MESSAGES" / "django.po"
    po.parent.mkdir(parents=True)
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Customer"\nmsgstr "Client"\n',
        encoding="utf-8",
    )
    settings.LOCALE_PATHS = [tmp_path]

    compile_translations(StringIO())

    assert po.with_suffix(".mo").stat().st_size > 0
