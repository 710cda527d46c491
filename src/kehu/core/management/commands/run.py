"""`kehu run`: everything on one machine, in one command.

Prepares the data directory (migrations, the administrator on first start, the demo company
while there are no customers), then runs and supervises three processes: the web server,
a Celery worker and Celery beat, all on the broker in settings (the file-system broker in
KEHU_DATA_DIR by default). Ctrl-C or SIGTERM stops them all; if one dies, the others are
stopped and the command fails.
"""

from __future__ import annotations

import ctypes
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from kehu.accounts.models import Role, RoleCode, User
from kehu.customers.models import Customer
from kehu.settings import env_bool

STOP_TIMEOUT = 20  # seconds a child gets to finish (a running task) before it is killed
READY_TIMEOUT = 60
ADMIN_USERNAME = "admin"
# No characters that are easy to misread (0/O, 1/l/I).
READABLE_CHARACTERS = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass
class Child:
    label: str
    args: list[str]
    process: subprocess.Popen | None = None


def compile_translations(stdout) -> None:
    """Compile .po files that have no .mo yet (a fresh checkout), if gettext is installed.

    Not `compilemessages`: it walks the current directory, .venv included.
    """
    msgfmt = shutil.which("msgfmt")
    for locale_dir in settings.LOCALE_PATHS:
        for po in sorted(Path(locale_dir).glob("*/LC_MESSAGES/*.po")):
            mo = po.with_suffix(".mo")
            if mo.exists():
                continue
            if msgfmt is None:
                stdout.write(_("Translations are not compiled and msgfmt is not installed."))
                return
            result = subprocess.run(  # noqa: S603 (fixed program, our own files)
                [msgfmt, "--check-format", "-o", str(mo), str(po)],
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                stdout.write(result.stderr.strip())


def new_password() -> str:
    return "".join(secrets.choice(READABLE_CHARACTERS) for _ in range(16))


def ensure_administrator() -> str | None:
    """Create the administrator when there are no users; return its password, else None."""
    if User.objects.exists():
        return None
    password = os.environ.get("KEHU_ADMIN_PASSWORD") or new_password()
    with transaction.atomic():
        user = User.objects.create_superuser(
            username=ADMIN_USERNAME, email="", password=password, full_name="系统管理员"
        )
        user.roles.add(Role.objects.get(code=RoleCode.ADMIN))
    return password


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def boxed(lines: list[str]) -> str:
    inner = max(_width(line) for line in lines)
    top = "┌" + "─" * (inner + 2) + "┐"
    bottom = "└" + "─" * (inner + 2) + "┘"
    body = [f"│ {line}{' ' * (inner - _width(line))} │" for line in lines]
    return "\n".join([top, *body, bottom])


def port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _die_with_parent() -> None:
    """Linux: the child gets SIGTERM if `kehu run` itself is killed without cleaning up."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class Command(BaseCommand):
    help = _("Run Kehu: web server, background worker and scheduler (Ctrl-C stops all).")

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("KEHU_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("KEHU_PORT", "8000")))

    def handle(self, *args, host: str, port: int, **options):
        if not port_free(host, port):
            raise CommandError(
                _("Port %(port)d on %(host)s is in use. Stop what runs there or set KEHU_PORT.")
                % {"port": port, "host": host}
            )
        try:
            self.prepare(host=host, port=port)
        except KeyboardInterrupt as exc:
            raise CommandError(_("Interrupted before Kehu started.")) from exc
        self.serve(host=host, port=port)

    # --- preparation ------------------------------------------------------------------------
    def prepare(self, *, host: str, port: int) -> None:
        compile_translations(self.stdout)
        self.stdout.write(_("Preparing the database in %(dir)s …") % {"dir": settings.DATA_DIR})
        call_command("migrate", interactive=False, verbosity=0)
        password = ensure_administrator()
        if password is not None:
            url = f"http://{host}:{port}/"
            self.stdout.write(
                boxed(
                    [
                        _("Administrator account (shown only this once):"),
                        _("  username: %(username)s") % {"username": ADMIN_USERNAME},
                        _("  password: %(password)s") % {"password": password},
                        _("Change the password after signing in at %(url)s") % {"url": url},
                        _("or with: kehu changepassword %(username)s")
                        % {"username": ADMIN_USERNAME},
                    ]
                )
            )
        if env_bool("KEHU_DEMO", True) and not Customer.objects.exists():
            self.load_demo()

    def load_demo(self) -> None:
        from kehu.accounts import demo
        from kehu.core.management.commands.loaddemo import demo_customer_count, load_with_progress

        self.stdout.write(_("Loading the demo company (KEHU_DEMO=0 skips this) …"))
        try:
            load_with_progress(
                customers=demo_customer_count(), seed=demo.DEFAULT_SEED, stdout=self.stdout
            )
        except demo.DemoAlreadyLoaded:
            self.stdout.write(_("The demo users exist already; the demo company is not loaded."))

    # --- supervision -----------------------------------------------------------------------
    def children(self, host: str, port: int) -> list[Child]:
        python = sys.executable
        workers = max(1, int(os.environ.get("KEHU_WORKERS", "2")))
        pool = ["--pool=solo"] if workers == 1 else ["--pool=threads", f"--concurrency={workers}"]
        log_level = f"--loglevel={os.environ.get('KEHU_CELERY_LOG_LEVEL', 'WARNING')}"
        # Checks ran in this process already; --quiet drops Celery's start-up banner.
        celery = [python, "-m", "celery", "-A", "kehu", "--quiet", "--skip-checks"]
        web = [python, "-m", "kehu", "runserver", "--noreload", "--skip-checks", f"{host}:{port}"]
        # The file-system broker has no broadcast: no gossip, mingle or worker heartbeats.
        worker = [*celery, "worker", *pool, "--without-gossip", "--without-mingle"]
        worker += ["--without-heartbeat", log_level]
        return [
            Child(_("web server"), web),
            Child(_("worker"), worker),
            Child(_("scheduler"), [*celery, "beat", log_level]),
        ]

    def serve(self, *, host: str, port: int) -> None:
        stop_signal: list[int] = []

        def request_stop(signum, frame):
            stop_signal.append(signum)

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)

        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "kehu.settings",
            "KEHU_DATA_DIR": str(settings.DATA_DIR),
            "PYTHONUNBUFFERED": "1",
        }
        children = self.children(host, port)
        failed: Child | None = None
        try:
            for child in children:
                child.process = subprocess.Popen(  # noqa: S603 (our interpreter and modules)
                    child.args,
                    env=env,
                    # Own session: Ctrl-C reaches only this process, which then stops the
                    # children in order instead of all of them at once.
                    start_new_session=True,
                    preexec_fn=_die_with_parent if sys.platform == "linux" else None,
                )
            self.stdout.write(_("Started:"))
            for child in children:
                self.stdout.write(
                    _("  %(label)-11s pid %(pid)d")
                    % {"label": child.label, "pid": child.process.pid}
                )
            self.send_first_heartbeat()
            failed = self.supervise(children, host=host, port=port, stop_signal=stop_signal)
            if failed is not None:
                self.stderr.write(
                    _("The %(label)s stopped unexpectedly (exit code %(code)s); stopping Kehu.")
                    % {"label": failed.label, "code": failed.process.returncode}
                )
            else:
                self.stdout.write(_("Stopping Kehu …"))
        finally:
            self.stop([c for c in children if c.process is not None])
        if failed is not None:
            raise CommandError(_("Kehu stopped because the %(label)s failed.") % failed.__dict__)
        self.stdout.write(_("Kehu stopped."))

    def supervise(
        self, children: list[Child], *, host: str, port: int, stop_signal: list[int]
    ) -> Child | None:
        """Wait for a stop signal (None) or a child that exits (that child)."""
        url = f"http://{host}:{port}/"
        ready = False
        started = time.monotonic()
        while not stop_signal:
            failed = next((c for c in children if c.process.poll() is not None), None)
            if failed is not None:
                return failed
            if not ready and port_open(host, port):
                ready = True
                self.stdout.write(
                    self.style.SUCCESS(
                        _("Kehu is ready at %(url)s (Ctrl-C stops it).") % {"url": url}
                    )
                )
            elif not ready and time.monotonic() - started > READY_TIMEOUT:
                self.stdout.write(_("The web server is not answering yet; still waiting."))
                started = time.monotonic()
            time.sleep(0.2)
        return None

    def send_first_heartbeat(self) -> None:
        """Beat sends one a minute; this one lets the health page show a live worker at once."""
        from kehu.core.tasks import heartbeat

        try:
            heartbeat.delay()
        except Exception as exc:
            self.stderr.write(_("Could not queue the first heartbeat: %(error)s") % {"error": exc})

    def stop(self, children: list[Child]) -> None:
        running = [c for c in children if c.process.poll() is None]
        for child in running:
            child.process.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT
        for child in running:
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.stderr.write(
                    _("The %(label)s did not stop in time; killing it.") % child.__dict__
                )
                child.process.kill()
                child.process.wait()
