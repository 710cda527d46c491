"""Chinese-aware text helpers shared by search, derived fields and duplicate matching."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import opencc
from opencc import OpenCC
from pypinyin import lazy_pinyin

_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


@functools.cache
def _t2s() -> OpenCC:
    return OpenCC("t2s")


@functools.cache
def _convertible() -> frozenset[str]:
    """Every character the traditional → simplified conversion can change (read from the
    OpenCC dictionaries it uses). Text without any of them converts to itself, so most text
    (already simplified) skips the converter, which costs ~30 µs a name."""
    chars: set[str] = set()
    folder = Path(opencc.__file__).parent / "dictionary"
    for name in ("TSPhrases.txt", "TSCharacters.txt"):
        path = folder / name
        if not path.exists():
            return frozenset()
        for line in path.read_text(encoding="utf-8").splitlines():
            key, _tab, values = line.partition("\t")
            for value in values.split(" "):
                if len(value) != len(key):
                    chars.update(key)
                else:
                    chars.update(k for k, v in zip(key, value, strict=True) if k != v)
    return frozenset(chars)


def to_simplified(text: str) -> str:
    """Traditional → simplified (臺灣 → 台湾); other text unchanged."""
    if not text:
        return text
    convertible = _convertible()
    if convertible and convertible.isdisjoint(text):
        return text
    return _t2s().convert(text)


def pinyin_both(text: str) -> tuple[str, str]:
    """(full pinyin, initials) in one pass: 腾讯科技 → ("tengxunkeji", "txkj").

    Lower case without separators; anything that is not a Chinese character is kept as it is
    (lower-cased) in both. pypinyin segments each run of Chinese characters into phrases, so
    polyphones read as in the phrase (重庆 → chongqing); one call per run serves both forms.
    """
    text = to_simplified(text or "")
    full: list[str] = []
    initials: list[str] = []
    position = 0
    for match in _HAN_RUN.finditer(text):
        other = text[position : match.start()]
        full.append(other)
        initials.append(other)
        syllables = lazy_pinyin(match.group(), errors="default")
        full.extend(syllables)
        initials.extend(s[:1] for s in syllables)
        position = match.end()
    rest = text[position:]
    full.append(rest)
    initials.append(rest)
    return (
        "".join(full).lower().replace(" ", ""),
        "".join(initials).lower().replace(" ", ""),
    )


def pinyin_full(text: str) -> str:
    """腾讯科技 → tengxunkeji (lower case, no separators; non-Chinese kept as lower case)."""
    return pinyin_both(text)[0]


def pinyin_initials(text: str) -> str:
    """腾讯科技 → txkj."""
    return pinyin_both(text)[1]
