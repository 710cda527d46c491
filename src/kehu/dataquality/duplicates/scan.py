"""The whole-table duplicate scan: load in bulk, block, score, group, store (spec §5).

Built to scan a million customers in about a minute: the table is read with a few
``values_list`` queries (no per-customer query), the stored ``name_key`` saves normalising every
name again, and only records that share a blocking key with another record are prepared and
scored. Timings per phase are stored on the DuplicateScan row.
"""

from __future__ import annotations

import gc
import json
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from kehu.customers.models import Contact, Customer, Region
from kehu.customers.validators import mask_mobile
from kehu.dataquality.duplicates.models import (
    DismissedPair,
    DuplicateGroup,
    DuplicateGroupMember,
    DuplicateGroupStatus,
    DuplicateScan,
    DuplicateScanStatus,
)
from kehu.dataquality.matching import (
    MAX_BLOCK,
    Candidate,
    Reason,
    Verdict,
    group,
    keys_for,
    name_initials,
    needs_shared_contact,
    person_key,
    prepare,
    score_ceiling,
)
from kehu.dataquality.matching import score as score_pair

PHASES = ("load", "prepare", "block", "score", "group", "store")
CHUNK = 20_000


@dataclass
class _Table:
    """The customer table as plain tuples, indexed by position."""

    ids: list[int] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    credit_codes: list[str] = field(default_factory=list)
    initials: list[str] = field(default_factory=list)
    addresses: list[tuple] = field(default_factory=list)
    contacts: dict[int, list[tuple[str, str]]] = field(default_factory=dict)


def _load() -> _Table:
    table = _Table()
    rows = Customer.objects.order_by().values_list(
        "id", "name", "name_key", "credit_code", "region_id", "city", "district", "street"
    )
    for pk, name, key, credit, region, city, district, street in rows.iterator(chunk_size=CHUNK):
        table.ids.append(pk)
        table.names.append(name)
        table.keys.append(key)
        table.credit_codes.append(credit or "")
        table.addresses.append((region, city, district, street))
    # Mobiles by their blind index: equal numbers have equal indexes, so blocking and the
    # shared-mobile test need no decryption (only the few numbers shown in reasons are read).
    contacts: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for customer_id, name, mobile_hash in (
        Contact.objects.order_by().values_list("customer_id", "name", "mobile_hash").iterator(CHUNK)
    ):
        contacts[customer_id].append((name, mobile_hash))
    table.contacts = contacts
    return table


def _block(table: _Table, *, sparse: bool) -> dict[str, list[int]]:
    """Blocking keys → positions; matching.keys_for, fed from the stored columns."""
    blocks: dict[str, list[int]] = defaultdict(list)
    contacts = table.contacts
    for index, pk in enumerate(table.ids):
        people = contacts.get(pk, ())
        keys = keys_for(
            credit_code=table.credit_codes[index],
            mobiles={m for _n, m in people if m},
            people={p for p in (person_key(n) for n, _m in people) if p} if sparse else (),
            core_name=table.keys[index],
            initials=table.initials[index],
            sparse=sparse,
        )
        for key in keys:
            blocks[key].append(index)
    return blocks


def _pairs(blocks: dict[str, list[int]], dismissed: set[tuple[int, int]], ids: list[int]):
    seen: set[tuple[int, int]] = set()
    for members in blocks.values():
        if len(members) < 2 or len(members) > MAX_BLOCK:
            continue
        for i, left in enumerate(members):
            for right in members[i + 1 :]:
                pair = (left, right) if left < right else (right, left)
                if pair in seen:
                    continue
                seen.add(pair)
                a, b = ids[pair[0]], ids[pair[1]]
                if (min(a, b), max(a, b)) not in dismissed:
                    yield pair


def _region_labels() -> dict[int, str]:
    return dict(Region.objects.values_list("id", "name_zh"))


def _candidate(table: _Table, index: int, regions: dict[int, str]) -> Candidate:
    pk = table.ids[index]
    region, city, district, street = table.addresses[index]
    province = regions.get(region, "") if region else ""
    if province and city.startswith(province):
        province = ""
    contacts = table.contacts.get(pk, ())
    return Candidate(
        id=pk,
        name=table.names[index],
        name_key=table.keys[index],
        credit_code=table.credit_codes[index],
        contacts=tuple(n for n, _m in contacts),
        mobiles=tuple(m for _n, m in contacts if m),
        address="".join(p for p in (province, city, district, street) if p),
    )


def _show_shared_mobiles(shown: list[tuple[Verdict, str]]) -> None:
    """The matcher compared blind indexes, so its "same mobile" reasons hold a masked index:
    put the masked number there instead, decrypting one contact's mobile per shared index."""
    wanted = sorted({index for _verdict, index in shown})
    numbers: dict[str, str] = {}
    for start in range(0, len(wanted), 1000):
        rows = Contact.objects.filter(mobile_hash__in=wanted[start : start + 1000])
        for index, mobile in rows.values_list("mobile_hash", "mobile"):
            numbers.setdefault(index, mobile)
    for verdict, index in shown:
        masked = mask_mobile(numbers.get(index, ""))
        verdict.reasons = [
            Reason("same_mobile", (("mobile", masked),)) if r.code == "same_mobile" else r
            for r in verdict.reasons
        ]


@dataclass
class ScanResult:
    customers: int
    pairs_scored: int
    groups: list[tuple[set[int], list[Verdict]]]
    seconds: dict[str, float]


def duplicates_find(
    *, threshold: float, on_phase: Callable[[str, float], None] | None = None
) -> ScanResult:
    """Score every candidate pair of the table; the groups at or above `threshold`.

    The cyclic garbage collector is paused meanwhile: millions of new tuples and lists (none
    of them in a cycle) would otherwise trigger it over and over (loading 1M customers took
    about twice as long with it running).
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _find(threshold=threshold, on_phase=on_phase)
    finally:
        if collecting:
            gc.enable()


def _find(*, threshold: float, on_phase: Callable[[str, float], None] | None) -> ScanResult:
    seconds: dict[str, float] = {}

    def phase(name: str, started: float) -> float:
        now = time.perf_counter()
        seconds[name] = round(now - started, 3)
        if on_phase:
            on_phase(name, seconds[name])
        return now

    started = time.perf_counter()
    table = _load()
    dismissed = set(DismissedPair.objects.values_list("low_id", "high_id"))
    regions = _region_labels()
    started = phase("load", started)
    # Only the blocking keys are computed for every record; the full preparation (contacts,
    # address) is lazy, for records that share a useful block (in the score phase).
    table.initials = [name_initials(key) for key in table.keys]
    started = phase("prepare", started)
    blocks = _block(table, sparse=needs_shared_contact(threshold))
    started = phase("block", started)
    prepared: dict[int, object] = {}
    light: dict[int, tuple[frozenset, frozenset]] = {}

    def prepared_at(index: int):
        found = prepared.get(index)
        if found is None:
            found = prepared[index] = prepare(_candidate(table, index, regions))
        return found

    def light_at(index: int) -> tuple[frozenset, frozenset]:
        """Mobiles and folded contact names: enough to tell whether a pair can reach the
        threshold before paying for the full preparation and score."""
        found = light.get(index)
        if found is None:
            contacts = table.contacts.get(table.ids[index], ())
            found = light[index] = (
                frozenset(m for _n, m in contacts if m),
                frozenset(k for k in (person_key(n) for n, _m in contacts) if k),
            )
        return found

    matched: list[Verdict] = []
    shown: list[tuple[Verdict, str]] = []  # verdicts whose "same mobile" reason needs the number
    scored = 0
    credit = table.credit_codes
    for left, right in _pairs(blocks, dismissed, table.ids):
        scored += 1
        if not (credit[left] and credit[left].upper() == credit[right].upper()):
            mobiles_l, people_l = light_at(left)
            mobiles_r, people_r = light_at(right)
            ceiling = score_ceiling(
                shared_mobile=not mobiles_l.isdisjoint(mobiles_r),
                shared_contact=not people_l.isdisjoint(people_r),
            )
            if ceiling < threshold:
                continue
        verdict = score_pair(prepared_at(left), prepared_at(right))
        if verdict.score >= threshold:
            matched.append(verdict)
            if any(r.code == "same_mobile" for r in verdict.reasons):
                shown.append((verdict, min(light_at(left)[0] & light_at(right)[0])))
    del blocks
    _show_shared_mobiles(shown)
    started = phase("score", started)
    by_member: dict[int, list[Verdict]] = defaultdict(list)
    for verdict in matched:
        by_member[verdict.a].append(verdict)
    groups = []
    for members in group(matched):
        verdicts = [v for m in members for v in by_member.get(m, ())]
        groups.append((members, sorted(verdicts, key=lambda v: (-v.score, v.a, v.b))))
    phase("group", started)
    return ScanResult(len(table.ids), scored, groups, seconds)


def _next_ids(table: str, count: int) -> list[int]:
    """`count` fresh primary keys for `table` (inside the storing transaction)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return [row[0] for row in cursor.fetchall()]
        # SQLite: the transaction holds the database's write lock (the delete came first);
        # AUTOINCREMENT's counter keeps ids of deleted groups from being handed out again.
        quoted = connection.ops.quote_name(table)
        cursor.execute(
            f"SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0), "  # noqa: S608
            f"COALESCE((SELECT MAX(id) FROM {quoted}), 0))",
            [table],
        )
        first = cursor.fetchone()[0] + 1
        return list(range(first, first + count))


def _insert(table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Many rows at once: COPY on PostgreSQL, executemany elsewhere. ~20x faster than
    bulk_create for the tens of thousands of groups of a large table."""
    if not rows:
        return
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    name = connection.ops.quote_name(table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {name} ({quoted}) FROM STDIN") as copy:  # noqa: S608
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {name} ({quoted}) VALUES ({marks})", rows)  # noqa: S608


def _pairs_json(verdicts: list[Verdict]) -> str:
    return json.dumps(
        [
            {
                "a": min(v.a, v.b),
                "b": max(v.a, v.b),
                "score": v.score,
                "reasons": [r.as_json() for r in v.reasons],
            }
            for v in verdicts
        ],
        ensure_ascii=False,
    )


def _store(result: ScanResult, scan: DuplicateScan) -> None:
    """Replace the open groups; groups a user dismissed stay as they are."""
    groups_table = DuplicateGroup._meta.db_table
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    if connection.vendor == "postgresql":
        now = timezone.now()
    with transaction.atomic():
        # Members first, then the groups, one statement each: the ORM's delete would load every
        # group (tens of thousands) to look for rows depending on it, and only members do.
        DuplicateGroupMember.objects.filter(group__status=DuplicateGroupStatus.OPEN).delete()
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {connection.ops.quote_name(groups_table)} WHERE status = %s",  # noqa: S608
                [DuplicateGroupStatus.OPEN.value],
            )
        ids = _next_ids(groups_table, len(result.groups))
        _insert(
            groups_table,
            ("id", "scan_id", "score", "size", "pairs", "status", "created_at"),
            [
                (
                    pk,
                    scan.pk,
                    verdicts[0].score,
                    len(members),
                    _pairs_json(verdicts),
                    DuplicateGroupStatus.OPEN.value,
                    now,
                )
                for pk, (members, verdicts) in zip(ids, result.groups, strict=True)
            ],
        )
        members = [
            (pk, member)
            for pk, (group_members, _v) in zip(ids, result.groups, strict=True)
            for member in sorted(group_members)
        ]
        member_ids = _next_ids(DuplicateGroupMember._meta.db_table, len(members))
        _insert(
            DuplicateGroupMember._meta.db_table,
            ("id", "group_id", "customer_id"),
            [(mid, g, c) for mid, (g, c) in zip(member_ids, members, strict=True)],
        )


def duplicate_scan_run(
    *, scan: DuplicateScan | None = None, on_phase: Callable[[str, float], None] | None = None
) -> DuplicateScan:
    """Run a scan and record it; a failure is recorded on the scan row and raised again."""
    scan = scan or DuplicateScan.objects.create()
    threshold = settings.KEHU_DUPLICATE_THRESHOLD
    DuplicateScan.objects.filter(pk=scan.pk).update(
        status=DuplicateScanStatus.RUNNING, started_at=timezone.now(), threshold=threshold
    )
    try:
        result = duplicates_find(threshold=threshold, on_phase=on_phase)
        started = time.perf_counter()
        _store(result, scan)
        result.seconds["store"] = round(time.perf_counter() - started, 3)
        if on_phase:
            on_phase("store", result.seconds["store"])
    except Exception as exc:
        DuplicateScan.objects.filter(pk=scan.pk).update(
            status=DuplicateScanStatus.FAILED, finished_at=timezone.now(), error=repr(exc)[:2000]
        )
        raise
    DuplicateScan.objects.filter(pk=scan.pk).update(
        status=DuplicateScanStatus.DONE,
        finished_at=timezone.now(),
        customers_scanned=result.customers,
        pairs_scored=result.pairs_scored,
        groups_found=len(result.groups),
        phase_seconds=result.seconds,
    )
    scan.refresh_from_db()
    return scan
