"""House rules that keep the data scope in one place (house style, "Where things go").

Views, API modules and tasks must not query scoped models through their default manager:
they start from core.access or a selector, so no screen or endpoint can forget the scope.
"""

import re
from pathlib import Path

import kehu

SCOPED_MODELS = (
    "Customer",
    "Contact",
    "CustomerShare",
    "UnmaskLog",
    "Interaction",
    "Task",
    "CustomerTag",
    "StatusChange",
    "Notification",
    "Lead",
    "Opportunity",
    "Contract",
    "ContractAttachment",
    "Payment",
    "Order",
    "OrderLine",
    "PoolEntry",
    "PoolEvent",
)
CHECKED_FILES = ("views.py", "api.py", "tasks.py")
PACKAGE = Path(kehu.__file__).parent
DIRECT_QUERY = re.compile(rf"\b({'|'.join(SCOPED_MODELS)})\.(objects|history)\b")


def _checked_modules():
    for path in PACKAGE.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        if path.name in CHECKED_FILES or path.parent.name in ("views", "api"):
            yield path


def test_views_api_and_tasks_never_query_scoped_models_directly():
    offenders = [
        f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}"
        for path in _checked_modules()
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if DIRECT_QUERY.search(line)
    ]
    assert offenders == []


def test_the_rule_catches_a_direct_query():
    assert DIRECT_QUERY.search("qs = Customer.objects.filter(owner=request.user)")
    assert not DIRECT_QUERY.search("qs = visible_customers(request.user)")


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=\s*[\"']", re.IGNORECASE)


def test_templates_have_no_inline_scripts_or_event_handlers():
    """A strict Content-Security-Policy (no 'unsafe-inline') must not break any page; data for
    scripts travels in json_script (type="application/json") or data-* attributes."""
    offenders = [
        f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}"
        for path in PACKAGE.rglob("templates/**/*.html")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if INLINE_SCRIPT.search(line) and "application/json" not in line
    ]
    assert offenders == []


def test_the_inline_script_rule_catches_both_forms():
    assert INLINE_SCRIPT.search("<script>alert(1)</script>")
    assert INLINE_SCRIPT.search('<button onclick="go()">')
    assert not INLINE_SCRIPT.search('<script src="/static/kehu/app.js" defer></script>')
