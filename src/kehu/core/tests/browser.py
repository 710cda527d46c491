"""Shared set-up of the browser tests (Playwright driving Debian's chromium)."""

import os
from pathlib import Path

import pytest

import kehu

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--lang=zh-CN",  # date pickers in the same language as the page
]
SCREENSHOTS = Path(kehu.__file__).resolve().parents[2] / "docs" / "screenshots"

BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason=f"{CHROMIUM} is not installed (apt-get install chromium)",
    ),
    # Each test empties the tables; serialized_rollback restores the presets (roles,
    # industries, regions, tags) that migrations loaded, for the tests that run after.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def want_screenshots() -> bool:
    """README screenshots are written only when asked for (KEHU_SCREENSHOTS=1)."""
    return os.environ.get("KEHU_SCREENSHOTS") == "1"
