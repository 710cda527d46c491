"""Chinese-aware text helpers shared by search and (later) duplicate matching."""

from __future__ import annotations

import functools

from opencc import OpenCC
from pypinyin import Style, lazy_pinyin


@functools.cache
def _t2s() -> OpenCC:
    return OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional → simplified (臺灣 → 台湾); other text unchanged."""
    return _t2s().convert(text) if text else text


def pinyin_full(text: str) -> str:
    """腾讯科技 → tengxunkeji (lower case, no separators; non-Chinese kept as lower case)."""
    return "".join(lazy_pinyin(to_simplified(text), errors="default")).lower().replace(" ", "")


def pinyin_initials(text: str) -> str:
    """腾讯科技 → txkj."""
    return (
        "".join(lazy_pinyin(to_simplified(text), style=Style.FIRST_LETTER, errors="default"))
        .lower()
        .replace(" ", "")
    )
