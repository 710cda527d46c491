"""Chinese-aware text helpers shared by search, derived fields and duplicate matching."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import opencc
from opencc import OpenCC
from pypinyin import Style
from pypinyin.converter import UltimateConverter
from pypinyin.core import Pinyin

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


# What pypinyin.lazy_pinyin(text) builds on every call (its default options).
_PINYIN = Pinyin(UltimateConverter(v_to_u=False, neutral_tone_with_five=False, tone_sandhi=False))


@functools.lru_cache(maxsize=200_000)
def _word_syllables(word: str) -> tuple[str, ...]:
    """The syllables of one segmented word. lazy_pinyin segments its text into words and
    converts word by word with a converter that keeps no state, so a word's syllables are
    the same wherever it occurs: converted once, looked up after (有限公司, 科技, 宁波 ...)."""
    converted = _PINYIN._converter.convert(word, Style.NORMAL, False, "default", strict=True)
    return tuple(syllable for item in converted for syllable in item)


def _syllables(run: str) -> list[str]:
    """lazy_pinyin(run, errors="default"), with each word's conversion cached."""
    syllables: list[str] = []
    for word in _PINYIN.seg(run):
        syllables.extend(_word_syllables(word))
    return syllables


def _pinyin_parts(text: str) -> tuple[list[str], list[str]]:
    """(syllables, initials), each with the text between runs of Chinese characters kept as
    it is, in order. pypinyin segments each run into phrases, so polyphones read as in the
    phrase (重庆 → chong qing); one call per run serves both forms."""
    text = to_simplified(text or "")
    full: list[str] = []
    initials: list[str] = []
    position = 0
    for match in _HAN_RUN.finditer(text):
        other = text[position : match.start()]
        full.append(other)
        initials.append(other)
        syllables = _syllables(match.group())
        full.extend(syllables)
        initials.extend(s[:1] for s in syllables)
        position = match.end()
    rest = text[position:]
    full.append(rest)
    initials.append(rest)
    return full, initials


def pinyin_both(text: str) -> tuple[str, str]:
    """(full pinyin, initials) in one pass: 腾讯科技 → ("tengxunkeji", "txkj").

    Lower case without separators; anything that is not a Chinese character is kept as it is
    (lower-cased) in both.
    """
    full, initials = _pinyin_parts(text)
    return (
        "".join(full).lower().replace(" ", ""),
        "".join(initials).lower().replace(" ", ""),
    )


def pinyin_search_fields(text: str) -> tuple[str, str]:
    """(syllables, initials) as a customer stores them for search, in one pass:
    苏州恒瑞 → (" su zhou heng rui", "szhr").

    Each syllable, and each word of other text, follows a space, so a search reads pinyin
    from the start of a syllable: " heng rui" is in 恒瑞's and not in 正瑞's (" zheng rui").
    """
    full, initials = _pinyin_parts(text)
    words = " ".join(full).lower().split()
    return (
        " " + " ".join(words) if words else "",
        "".join(initials).lower().replace(" ", ""),
    )


@functools.cache
def _syllable_set() -> tuple[frozenset[str], frozenset[str]]:
    """(every pinyin syllable without tone as pypinyin writes it, every prefix of one),
    read from pypinyin's own dictionary (ü as v, as the stored pinyin has it)."""
    from pypinyin.constants import PINYIN_DICT
    from pypinyin.contrib.tone_convert import to_normal

    readings = {reading for value in set(PINYIN_DICT.values()) for reading in value.split(",")}
    syllables = {to_normal(reading) for reading in readings}
    # Interjections without a vowel (嗯 ng, 呣 m) would read "heng" as "he ng".
    syllables = {s for s in syllables if s.isascii() and s.isalpha() and set(s) & set("aeiouv")}
    prefixes = {s[:end] for s in syllables for end in range(1, len(s) + 1)}
    return frozenset(syllables), frozenset(prefixes)


def pinyin_readings(letters: str, limit: int = 8) -> list[str]:
    """The ways `letters` read as a run of whole pinyin syllables, written as the stored
    syllables are: hengrui → [" heng rui"], xian → [" xian", " xi an"]. Letters that read
    only with the last syllable cut short (a search still being typed) read that way:
    hengr → [" heng r"]. Fewer syllables first, at most `limit`; [] when not pinyin."""
    letters = letters.lower()
    syllables, prefixes = _syllable_set()
    longest = max(map(len, syllables))

    def read(cut_short: bool) -> list[list[str]]:
        @functools.cache
        def readable(start: int) -> bool:
            if start == len(letters) or (cut_short and letters[start:] in prefixes):
                return True
            return any(
                letters[start:end] in syllables and readable(end)
                for end in range(start + 1, min(start + longest, len(letters)) + 1)
            )

        found: list[list[str]] = []

        def walk(start: int, words: list[str]) -> None:
            if len(found) >= limit:
                return
            if start == len(letters):
                found.append(words)
                return
            for end in range(min(start + longest, len(letters)), start, -1):
                if letters[start:end] in syllables and readable(end):
                    walk(end, [*words, letters[start:end]])
            if cut_short and letters[start:] in prefixes and letters[start:] not in syllables:
                walk(len(letters), [*words, letters[start:]])

        if letters and readable(0):
            walk(0, [])
        return found

    found = read(cut_short=False) or read(cut_short=True)
    found.sort(key=len)
    return [" " + " ".join(words) for words in found]


def pinyin_full(text: str) -> str:
    """腾讯科技 → tengxunkeji (lower case, no separators; non-Chinese kept as lower case)."""
    return pinyin_both(text)[0]


def pinyin_initials(text: str) -> str:
    """腾讯科技 → txkj."""
    return pinyin_both(text)[1]
