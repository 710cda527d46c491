"""A worker knows every task the code defines.

Unit tests run tasks eagerly, where an unregistered task still runs; a real worker discards it
("Received unregistered task"). So: every @shared_task name in a tasks.py must be registered
after the worker's own discovery.
"""

import ast
import json
import subprocess
import sys
from pathlib import Path

from django.conf import settings

import kehu

PACKAGE = Path(kehu.__file__).resolve().parent


def _declared_task_names() -> set[str]:
    names = set()
    for path in PACKAGE.rglob("tasks.py"):
        if "tests" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            for decorator in getattr(node, "decorator_list", []):
                if isinstance(decorator, ast.Call) and getattr(decorator.func, "id", "") == (
                    "shared_task"
                ):
                    for keyword in decorator.keywords:
                        if keyword.arg == "name":
                            names.add(keyword.value.value)
    return names


def _registered_by_a_starting_worker(tmp_path) -> set[str]:
    """In a fresh process, so that modules the test run happened to import do not count."""
    from kehu.core.tests.processes import isolated_env

    code = (
        "import django, json; django.setup(); from kehu.celery import app; "
        "app.loader.import_default_modules(); print(json.dumps(sorted(app.tasks)))"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        env=isolated_env(tmp_path),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


def test_every_task_in_a_tasks_module_and_every_scheduled_task_is_registered(tmp_path):
    registered = _registered_by_a_starting_worker(tmp_path)

    declared = _declared_task_names()
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert declared, "no tasks found: the scan is broken"
    assert declared - registered == set()
    assert scheduled - registered == set()
