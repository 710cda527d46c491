"""Duplicate matching: normalise, block, score, explain (spec §5, seed §2.3).

Records that share a *blocking key* become candidate pairs; only those are scored, so a scan
stays near-linear instead of comparing every pair. Keys: the unified social credit code, each
mobile number, the normalised name, and the pinyin initials of the normalised name (catches
homophone typos such as 星辰/星晨). Scores combine the signals the seed names — customer name,
contact and phone — with the credit code and address; every verdict carries its reasons.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from pypinyin import Style, lazy_pinyin
from rapidfuzz import fuzz

from kehu.customers.validators import mask_mobile
from kehu.dataquality.normalize import fold, normalize_company_name, normalize_person_name

# Blocks larger than this are too common to mean anything (e.g. a shared switchboard number).
MAX_BLOCK = 50
WEIGHTS = {"name": 0.5, "mobile": 0.3, "contact": 0.15, "address": 0.05}


@dataclass(frozen=True)
class Candidate:
    """What the matcher needs of a customer, already loaded (no queries here)."""

    id: int
    name: str
    credit_code: str = ""
    contacts: tuple[str, ...] = ()
    mobiles: tuple[str, ...] = ()
    address: str = ""


@dataclass
class Prepared:
    candidate: Candidate
    core_name: str
    initials: str
    contacts: frozenset[str]
    mobiles: frozenset[str]
    address: str


@dataclass
class Verdict:
    a: int
    b: int
    score: float
    reasons: list[str] = field(default_factory=list)


def prepare(candidate: Candidate) -> Prepared:
    core = normalize_company_name(candidate.name)
    return Prepared(
        candidate=candidate,
        core_name=core,
        initials="".join(lazy_pinyin(core, style=Style.FIRST_LETTER)),
        contacts=frozenset(filter(None, map(normalize_person_name, candidate.contacts))),
        mobiles=frozenset(m for m in candidate.mobiles if m),
        address=fold(candidate.address).replace(" ", ""),
    )


def blocking_keys(p: Prepared) -> Iterator[str]:
    if p.candidate.credit_code:
        yield f"c:{p.candidate.credit_code.upper()}"
    for mobile in p.mobiles:
        yield f"m:{mobile}"
    if p.core_name:
        yield f"n:{p.core_name}"
    if len(p.initials) >= 3:
        yield f"i:{p.initials}"


def score(a: Prepared, b: Prepared) -> Verdict:
    """Score in [0, 1] with the reasons, in the order a person would check them."""
    reasons: list[str] = []
    if (
        a.candidate.credit_code
        and a.candidate.credit_code.upper() == (b.candidate.credit_code or "").upper()
    ):
        return Verdict(a.candidate.id, b.candidate.id, 1.0, ["same unified social credit code"])
    if a.core_name and a.core_name == b.core_name:
        name = 1.0
        if fold(a.candidate.name) != fold(b.candidate.name):
            reasons.append(f"names equal after normalisation ({a.core_name})")
        else:
            reasons.append("same name")
    else:
        name = fuzz.ratio(a.core_name, b.core_name) / 100 if a.core_name and b.core_name else 0.0
        if name >= 0.75:
            reasons.append(f"similar names ({name:.0%})")
    shared_mobiles = a.mobiles & b.mobiles
    mobile = 1.0 if shared_mobiles else 0.0
    if shared_mobiles:
        reasons.append(f"same mobile {mask_mobile(min(shared_mobiles))}")
    shared_contacts = a.contacts & b.contacts
    contact = 1.0 if shared_contacts else 0.0
    if shared_contacts:
        reasons.append(f"same contact {min(shared_contacts)}")
    address = fuzz.token_set_ratio(a.address, b.address) / 100 if a.address and b.address else 0.0
    if address >= 0.9:
        reasons.append("same address")
    total = (
        WEIGHTS["name"] * name
        + WEIGHTS["mobile"] * mobile
        + WEIGHTS["contact"] * contact
        + WEIGHTS["address"] * address
    )
    return Verdict(a.candidate.id, b.candidate.id, round(total, 4), reasons)


def candidate_pairs(prepared: list[Prepared]) -> Iterator[tuple[int, int]]:
    """Index pairs sharing at least one blocking key; each pair once."""
    blocks: dict[str, list[int]] = defaultdict(list)
    for index, p in enumerate(prepared):
        for key in blocking_keys(p):
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
    verdicts = [score(prepared[i], prepared[j]) for i, j in candidate_pairs(prepared)]
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
