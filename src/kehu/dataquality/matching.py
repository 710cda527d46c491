"""Duplicate matching: normalise, block, score, explain (spec §5, seed §2.3).

Records that share a *blocking key* become candidate pairs; only those are scored, so a scan
stays near-linear instead of comparing every pair. Keys: the unified social credit code, each
mobile number, and either the normalised name and its pinyin initials, or — when a pair must
share a mobile or a contact to reach the threshold, as at the default thresholds — each contact
with the name's initials (catches homophone typos such as 星辰/星晨 with far fewer pairs).
Scores combine the signals the seed names — customer name, contact and phone — with the credit
code and address; every verdict carries its reasons, as codes rendered in the reader's language.
"""

from __future__ import annotations

import difflib
import functools
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _
from pypinyin import Style, lazy_pinyin
from rapidfuzz import fuzz

from kehu.customers.validators import mask_mobile
from kehu.dataquality.normalize import fold, normalize_company_name, normalize_person_name

# Blocks larger than this are too common to mean anything (e.g. a shared switchboard number).
MAX_BLOCK = 50
# Tuned on bench/duplicates_f1.py (seed 1) and reported on held-out seeds (docs/benchmarks.md).
WEIGHTS = {"name": 0.45, "mobile": 0.3, "contact": 0.2, "address": 0.05}
# A name that only sounds the same (星辰/星晨) is a little less than the same name.
SOUND_DISCOUNT = 0.95


# Why two records look alike, as a code and parameters: stored with a duplicate group and
# rendered in the reader's language.
REASON_MESSAGES = {
    "credit_code": _("same unified social credit code"),
    "same_name": _("same name"),
    "name_folded": _("names equal apart from spaces, full-width and traditional characters"),
    "name_removed": _("names equal after removing %(parts)s"),
    "similar_name": _("similar names (%(percent)d%%)"),
    "similar_sound": _("names sound alike (%(percent)d%%)"),
    "same_mobile": _("same mobile %(mobile)s"),
    "same_contact": _("same contact %(name)s"),
    "same_address": _("same address"),
}


@dataclass(frozen=True)
class Reason:
    """One reason of a verdict; ``str()`` renders it in the active language."""

    code: str
    params: tuple[tuple[str, Any], ...] = ()

    def __str__(self) -> str:
        return str(REASON_MESSAGES[self.code]) % dict(self.params)

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "params": dict(self.params)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reason:
        return cls(data["code"], tuple(sorted(data.get("params", {}).items())))


@dataclass(frozen=True)
class Candidate:
    """What the matcher needs of a customer, already loaded (no queries here).

    `name_key` is the stored normalised name (Customer.name_key) when known, so a scan of the
    whole table does not normalise a million names again.
    """

    id: int
    name: str
    credit_code: str = ""
    contacts: tuple[str, ...] = ()
    mobiles: tuple[str, ...] = ()
    address: str = ""
    name_key: str = ""


@dataclass
class Prepared:
    candidate: Candidate
    core_name: str
    initials: str
    folded_name: str
    sound: str
    contacts: frozenset[str]
    mobiles: frozenset[str]
    address: str


@dataclass
class Verdict:
    a: int
    b: int
    score: float
    reasons: list[Reason] = field(default_factory=list)


@functools.lru_cache(maxsize=65536)
def _initial(char: str) -> str:
    return lazy_pinyin(char, style=Style.FIRST_LETTER)[0][:1]


@functools.lru_cache(maxsize=65536)
def _syllable(char: str) -> str:
    return lazy_pinyin(char)[0]


def name_sound(core_name: str) -> str:
    """Toneless pinyin, syllables separated, character by character (cached like initials)."""
    return " ".join(_syllable(ch) for ch in core_name)


def name_initials(core_name: str) -> str:
    """Pinyin initials of a normalised name, character by character (cached per character:
    a scan computes this for every customer, and phrase-level pinyin costs ~50x more)."""
    return "".join(_initial(ch) for ch in core_name)


def _removed_parts(a: str, b: str) -> str:
    """What differs between two folded names that normalise equal, e.g. ``(北京)``; spaces
    aside."""
    a, b = a.replace(" ", ""), b.replace(" ", "")
    parts: set[str] = set()
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            parts.update(p.strip() for p in (a[i1:i2], b[j1:j2]) if p.strip())
    return "、".join(sorted(parts))[:60]


@functools.lru_cache(maxsize=65536)
def person_key(name: str) -> str:
    # Contact names repeat a lot (张伟, 王芳 …): folding each once saves most of a scan's cost.
    return normalize_person_name(name)


def prepare(candidate: Candidate) -> Prepared:
    core = candidate.name_key or normalize_company_name(candidate.name)
    return Prepared(
        candidate=candidate,
        core_name=core,
        initials=name_initials(core),
        folded_name=fold(candidate.name),
        sound=name_sound(core),
        contacts=frozenset(filter(None, map(person_key, candidate.contacts))),
        mobiles=frozenset(m for m in candidate.mobiles if m),
        address=fold(candidate.address).replace(" ", ""),
    )


def keys_for(
    *,
    credit_code: str,
    mobiles: Iterable[str],
    people: Iterable[str],
    core_name: str,
    initials: str,
    sparse: bool,
) -> Iterator[str]:
    """Blocking keys from a record's parts (the scan computes them from stored columns).

    `sparse`: only pairs sharing a credit code, a mobile, or a contact with a name of the same
    pinyin initials are wanted — enough whenever a pair sharing neither mobile nor contact
    cannot reach the threshold (see needs_shared_contact), and far fewer pairs than blocking
    on names alone (many companies share a name's initials).
    """
    if credit_code:
        yield "c:" + credit_code.upper()
    for mobile in mobiles:
        yield "m:" + mobile
    if sparse:
        if initials:
            for person in people:
                yield "p:" + person + "|" + initials
        return
    if core_name:
        yield "n:" + core_name
    if len(initials) >= 3:
        yield "i:" + initials


def blocking_keys(p: Prepared, *, sparse: bool = False) -> Iterator[str]:
    return keys_for(
        credit_code=p.candidate.credit_code,
        mobiles=p.mobiles,
        people=p.contacts,
        core_name=p.core_name,
        initials=p.initials,
        sparse=sparse,
    )


def _name_similarity(a: Prepared, b: Prepared) -> tuple[float, Reason | None]:
    if a.core_name and a.core_name == b.core_name:
        if a.folded_name.replace(" ", "") != b.folded_name.replace(" ", ""):
            parts = _removed_parts(a.folded_name, b.folded_name)
            return 1.0, Reason("name_removed", (("parts", parts),))
        if a.candidate.name != b.candidate.name:
            return 1.0, Reason("name_folded")
        return 1.0, Reason("same_name")
    if not (a.core_name and b.core_name):
        return 0.0, None
    written = fuzz.ratio(a.core_name, b.core_name) / 100
    spoken = fuzz.ratio(a.sound, b.sound) / 100 * SOUND_DISCOUNT
    if spoken > written and spoken >= 0.75:
        return spoken, Reason("similar_sound", (("percent", round(spoken * 100)),))
    if written >= 0.75:
        return written, Reason("similar_name", (("percent", round(written * 100)),))
    return max(written, spoken), None


def score(a: Prepared, b: Prepared) -> Verdict:
    """Score in [0, 1] with the reasons, in the order a person would check them. Symmetric:
    score(a, b) and score(b, a) agree."""
    reasons: list[Reason] = []
    if (
        a.candidate.credit_code
        and a.candidate.credit_code.upper() == (b.candidate.credit_code or "").upper()
    ):
        return Verdict(a.candidate.id, b.candidate.id, 1.0, [Reason("credit_code")])
    name, name_reason = _name_similarity(a, b)
    if name_reason is not None:
        reasons.append(name_reason)
    shared_mobiles = a.mobiles & b.mobiles
    mobile = 1.0 if shared_mobiles else 0.0
    if shared_mobiles:
        reasons.append(Reason("same_mobile", (("mobile", mask_mobile(min(shared_mobiles))),)))
    shared_contacts = a.contacts & b.contacts
    contact = 1.0 if shared_contacts else 0.0
    if shared_contacts:
        reasons.append(Reason("same_contact", (("name", min(shared_contacts)),)))
    address = fuzz.token_set_ratio(a.address, b.address) / 100 if a.address and b.address else 0.0
    if address >= 0.9:
        reasons.append(Reason("same_address"))
    total = (
        WEIGHTS["name"] * name
        + WEIGHTS["mobile"] * mobile
        + WEIGHTS["contact"] * contact
        + WEIGHTS["address"] * address
    )
    return Verdict(a.candidate.id, b.candidate.id, round(total, 4), reasons)


def score_ceiling(*, shared_mobile: bool, shared_contact: bool) -> float:
    """The highest score a pair without the same credit code can reach, whatever its names and
    addresses: a scan skips scoring pairs whose ceiling is under the threshold."""
    return (
        WEIGHTS["name"]
        + WEIGHTS["address"]
        + WEIGHTS["mobile"] * shared_mobile
        + WEIGHTS["contact"] * shared_contact
    )


def needs_shared_contact(threshold: float) -> bool:
    """Whether a pair must share a mobile or a contact to reach `threshold`."""
    return score_ceiling(shared_mobile=False, shared_contact=False) < threshold


def candidate_pairs(prepared: list[Prepared], *, sparse: bool = False) -> Iterator[tuple[int, int]]:
    """Index pairs sharing at least one blocking key; each pair once."""
    blocks: dict[str, list[int]] = defaultdict(list)
    for index, p in enumerate(prepared):
        for key in blocking_keys(p, sparse=sparse):
            blocks[key].append(index)
    seen: set[tuple[int, int]] = set()
    for members in blocks.values():
        if len(members) < 2 or len(members) > MAX_BLOCK:
            continue
        for i, left in enumerate(members):
            for right in members[i + 1 :]:
                pair = (left, right) if left < right else (right, left)
                if pair not in seen:
                    seen.add(pair)
                    yield pair


def find_duplicates(candidates: Iterable[Candidate], *, threshold: float) -> list[Verdict]:
    """Every pair scoring at or above `threshold`, best first."""
    prepared = [prepare(c) for c in candidates]
    pairs = candidate_pairs(prepared, sparse=needs_shared_contact(threshold))
    verdicts = [score(prepared[i], prepared[j]) for i, j in pairs]
    return sorted((v for v in verdicts if v.score >= threshold), key=lambda v: -v.score)


def group(verdicts: Iterable[Verdict]) -> list[set[int]]:
    """Duplicate groups (connected components of the matched pairs), largest first."""
    parent: dict[int, int] = {}

    def root(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for v in verdicts:
        parent[root(v.a)] = root(v.b)
    groups: dict[int, set[int]] = defaultdict(set)
    for x in list(parent):
        groups[root(x)].add(x)
    return sorted(groups.values(), key=len, reverse=True)
