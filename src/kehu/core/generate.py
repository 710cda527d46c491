"""Synthetic company data at scale for benchmarks (`kehu generate`), spec issue 7.

A sales organisation (regional groups with heads and reps, service, marketing, IT) and any
number of customers with contacts, tags, related-team shares, interactions, opportunities,
contracts with payment plans, and orders. Distributions are skewed the way real CRMs are: a
few reps own many customers, most customers have few interactions and some have hundreds.

Rows are written in chunks with PostgreSQL's COPY (SQLite: bulk_create), and the whole run is
one transaction: a run that is interrupted leaves nothing behind. On PostgreSQL the secondary
indexes and the foreign keys of the tables it fills are dropped first and put back before the
commit (one sorted build per index costs a fraction of keeping some sixty of them up to date
row by row; one join per foreign key checks what would be some thirty million key lookups).
So those tables, and the tables their keys point to (users, departments, industries, regions,
tags, stages), are locked against reads and writes until the run ends: Kehu cannot serve a
request on that database meanwhile (sign-in reads the users). Run it on a database nobody is
using. The run uses both cores: a forked worker process draws each chunk's interactions while
this process writes the chunk before, and their COPY is sent from a thread while the next
chunk's customers are drawn. History rows are not written: a generated company has no edit
history. Contacts go through dataquality.imports.copying, the importer's bulk path, so every
field is stored the way the model stores it (e.g. encrypted columns).
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import json
import multiprocessing
import random
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from operator import itemgetter

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.utils import timezone

from kehu.accounts import demo
from kehu.accounts.models import Department, Role, RoleCode, User
from kehu.core.codes import reserve_serials
from kehu.core.text import pinyin_search_fields
from kehu.customers.models import (
    Contact,
    Customer,
    CustomerShare,
    CustomerType,
    EnterpriseType,
    Industry,
    Region,
    Scale,
    ShareAccess,
    Source,
    Status,
)
from kehu.customers.services import customer_code_prefix
from kehu.customers.validators import CREDIT_CODE_CHARS, credit_code_check_char
from kehu.dataquality.normalize import normalize_company_name
from kehu.interactions.models import Feedback, Interaction, Method

CHUNK = 5000
USERNAME_PREFIX = "bench_"
# The customer the 360-page benchmark opens: owned by bench_rep_001, with many interactions.
SHOWCASE_NAME = "苏州恒瑞三六零基准科技有限公司"
SHOWCASE_INTERACTIONS = 5000
MAX_INTERACTIONS_PER_CUSTOMER = 2000
# Memory for building the indexes again after the load (this transaction only): a GIN
# index built within it is written once instead of flushed in pieces.
INDEX_BUILD_MEMORY = "512MB"

# Regional sales groups and the region areas (Region.parent code) each one works.
GROUPS = [
    ("east1", "华东一组", ("east",)),
    ("east2", "华东二组", ("east",)),
    ("north", "华北组", ("north",)),
    ("northeast", "东北组", ("northeast",)),
    ("south", "华南组", ("south",)),
    ("central", "华中组", ("central",)),
    ("west", "西部组", ("southwest", "northwest")),
]
TOPICS = (
    "产品演示",
    "需求调研",
    "报价沟通",
    "合同条款确认",
    "技术交流",
    "售后回访",
    "续约洽谈",
    "项目启动会",
    "商务宴请",
    "展会邀约",
)
SUMMARIES = (
    "客户对{topic}反馈积极，希望下周提供详细方案。",
    "与{person}沟通了{topic}，对方关注价格与交付周期。",
    "{person}表示预算已批复，需要尽快确认{topic}细节。",
    "{topic}进展顺利，客户提出对接现有ERP的要求。",
    "客户暂无采购计划，{topic}后保持季度回访。",
    "{person}提出异议：竞品报价更低，需申请折扣。",
)
NEXT_ACTIONS = ("发送报价单", "安排技术交流", "预约上门拜访", "提交合同草案", "邀请参加展会")


@dataclass
class GenerateSummary:
    users: int
    customers: int
    contacts: int
    interactions: int
    tags: int
    extra: dict[str, int]
    showcase_code: str | None


# --- writing ----------------------------------------------------------------------------------
class _Writer:
    """Rows as dicts of attnames; fields left out take their model default. COPY on
    PostgreSQL (timestamps written as given), bulk_create elsewhere."""

    def __init__(self, model: type[models.Model]):
        self.model = model
        self.fields = [f for f in model._meta.concrete_fields if not f.generated]
        self.defaults = {
            f.attname: (f.get_default() if f.has_default() else None) for f in self.fields
        }
        self.json = {f.attname for f in self.fields if f.get_internal_type() == "JSONField"}

    def reserve_ids(self, count: int) -> list[int]:
        if connection.vendor != "postgresql" or count == 0:
            return []
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [self.model._meta.db_table, self.model._meta.pk.column, count],
            )
            return sorted(row[0] for row in cursor.fetchall())

    def write(self, rows: list[dict]) -> list[int]:
        """Write `rows`; returns their ids in order (rows with an "id" keep it)."""
        if not rows:
            return []
        pk = self.model._meta.pk.attname
        if connection.vendor != "postgresql":
            objects = [self.model(**row) for row in rows]
            self.model._default_manager.bulk_create(objects, batch_size=500)
            return [getattr(o, pk) for o in objects]
        if pk not in rows[0] and isinstance(self.model._meta.pk, models.AutoField):
            for row, new_id in zip(rows, self.reserve_ids(len(rows)), strict=True):
                row[pk] = new_id
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in self.fields)
        names = [f.attname for f in self.fields]
        defaults = self.defaults
        sql = f"COPY {quote(self.model._meta.db_table)} ({columns}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for row in rows:
                values = [row[n] if n in row else defaults[n] for n in names]
                if self.json:
                    values = [
                        json.dumps(v, ensure_ascii=False) if n in self.json else v
                        for n, v in zip(names, values, strict=True)
                    ]
                copy.write_row(values)
        return [row.get(pk) for row in rows]

    # Text COPY format: https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.2
    _ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})

    @classmethod
    def _text(cls, value) -> str:
        if value is None:
            return "\\N"
        if value is True or value is False:
            return "t" if value else "f"
        if isinstance(value, str):
            return value.translate(cls._ESCAPES)
        if isinstance(value, dt.date):  # datetimes too: ISO 8601 with their offset
            return value.isoformat()
        if isinstance(value, dict | list):
            return json.dumps(value, ensure_ascii=False).translate(cls._ESCAPES)
        return str(value)

    def _copy_names(self) -> list[str]:
        """Every column but an automatic key, which the database numbers."""
        pk = self.model._meta.pk
        auto = isinstance(pk, models.AutoField)
        return [f.attname for f in self.fields if not (auto and f is pk)]

    def copy_text(self, rows: Iterable[dict]) -> bytes:
        """`rows` as text for `copy` (needs no connection: a worker process writes it)."""
        names = self._copy_names()
        defaults, text = self.defaults, self._text
        lines = [
            "\t".join([text(row[n] if n in row else defaults[n]) for n in names]) for row in rows
        ]
        return ("\n".join(lines) + "\n").encode() if lines else b""

    def copy(self, data: bytes, raw=None) -> None:
        """Load text from `copy_text` (PostgreSQL), through `raw` (this thread's psycopg
        connection unless given)."""
        if not data:
            return
        quote = connection.ops.quote_name
        fields = {f.attname: f for f in self.fields}
        columns = ", ".join(quote(fields[n].column) for n in self._copy_names())
        sql = f"COPY {quote(self.model._meta.db_table)} ({columns}) FROM STDIN"
        if raw is None:
            connection.ensure_connection()
            raw = connection.connection
        with raw.cursor() as cursor, cursor.copy(sql) as copy:
            copy.write(data)


def _secondary_indexes(tables: list[str]) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the indexes on `tables` that enforce nothing: not the
    primary key, not unique, not behind a constraint."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
            FROM pg_index i
            WHERE i.indrelid = ANY(%s::regclass[])
              AND NOT i.indisprimary AND NOT i.indisunique
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
            ORDER BY i.indrelid, i.indexrelid
            """,
            [tables],
        )
        return cursor.fetchall()


def _foreign_keys(tables: list[str]) -> list[tuple[str, str, str]]:
    """(table, name, definition) of the foreign keys of `tables`."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
            FROM pg_constraint
            WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])
            ORDER BY conrelid, conname
            """,
            [tables],
        )
        return cursor.fetchall()


@contextmanager
def _indexes_built_after(
    tables: list[str], progress: Callable[[int, int], None] | None
) -> Iterator[None]:
    """On PostgreSQL, inside the caller's transaction: drop the secondary indexes and the
    foreign keys of `tables`, let the caller fill them, build the indexes again and add the
    foreign keys back, each checked over all its rows in one join (not row by row: at 10M
    interactions that is some thirty million key lookups). Elsewhere: nothing."""
    if connection.vendor != "postgresql":
        yield
        return
    assert connection.in_atomic_block, "the indexes must come back in the same transaction"
    indexes = _secondary_indexes(tables)
    foreign_keys = _foreign_keys(tables)
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        # Checks still queued in this transaction (an enclosing one's writes) run now: a
        # table with pending checks can neither lose a foreign key nor get an index.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table, name, _definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
    yield
    steps = len(indexes) + len(foreign_keys)
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL maintenance_work_mem = '{INDEX_BUILD_MEMORY}'")
        if progress:
            progress(0, steps)
        for built, (_name, definition) in enumerate(indexes, start=1):
            cursor.execute(definition)
            if progress:
                progress(built, steps)
        for added, (table, name, definition) in enumerate(foreign_keys, start=len(indexes) + 1):
            cursor.execute(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}")
            if progress:
                progress(added, steps)


# --- drawing ----------------------------------------------------------------------------------
class _Draw:
    """Weighted choices with precomputed cumulative weights: what random.choices does for one
    value (the same draw from the same generator), without its per-call set-up, which was
    the largest single cost of generating an interaction."""

    def __init__(self, rng: random.Random, weighted: Iterable[tuple[object, float]]):
        items = list(weighted)
        self.random = rng.random
        self.values = [v for v, _ in items]
        self.cum = list(itertools.accumulate(float(weight) for _, weight in items))
        self.total = self.cum[-1]
        self.hi = len(self.cum) - 1

    def __call__(self):
        return self.values[bisect.bisect(self.cum, self.random() * self.total, 0, self.hi)]


@dataclass
class _Org:
    admin: User
    reps_by_area: dict[str, _Draw]
    all_reps: list[User]
    users: int


def _org(*, rng: random.Random, reps: int) -> _Org:
    """The bench organisation, created once: bench_admin, group heads bench_head_<group>,
    reps bench_rep_NNN spread over the groups (all with the demo password)."""
    roles = {role.code: role for role in Role.objects.all()}
    existing = User.objects.filter(username__startswith=USERNAME_PREFIX).select_related(
        "department"
    )
    if not existing.exists():
        _create_org(rng=rng, reps=reps, roles=roles)
    users = list(
        User.objects.filter(username__startswith=USERNAME_PREFIX)
        .select_related("department")
        .order_by("username")
    )
    admin = next(u for u in users if u.username == f"{USERNAME_PREFIX}admin")
    group_of_dept = {name: areas for _key, name, areas in GROUPS}
    reps_by_area: dict[str, list[tuple[User, float]]] = {}
    all_reps = []
    for user in users:
        if not (user.username.startswith(f"{USERNAME_PREFIX}rep_") or "_head_" in user.username):
            continue
        areas = group_of_dept.get(user.department.name)
        if not areas:
            continue
        all_reps.append(user)
        # Skewed ownership: a rep's weight falls with the rank (Zipf-like); heads own few.
        rank = int(user.username.rsplit("_", 1)[-1]) if "_rep_" in user.username else 50
        weight = 1.0 / (rank**0.7)
        for area in areas:
            reps_by_area.setdefault(area, []).append((user, weight))
    return _Org(
        admin=admin,
        reps_by_area={a: _Draw(rng, people) for a, people in reps_by_area.items()},
        all_reps=all_reps,
        users=len(users),
    )


def _create_org(*, rng: random.Random, reps: int, roles: dict) -> None:
    hashed = make_password(demo.demo_password())
    hq = Department.objects.create(name="基准集团", sort_order=0)
    sales = Department.objects.create(name="销售中心", parent=hq, sort_order=1)
    it = Department.objects.create(name="信息中心", parent=hq, sort_order=2)
    service = Department.objects.create(name="客户服务中心", parent=hq, sort_order=3)
    marketing = Department.objects.create(name="市场中心", parent=hq, sort_order=4)

    def person() -> str:
        return rng.choice(demo.SURNAMES) + rng.choice(demo.GIVEN_NAMES)

    def user(username: str, department: Department, codes: tuple[str, ...], superior=None):
        created = User.objects.create(
            username=f"{USERNAME_PREFIX}{username}",
            full_name=person(),
            email=f"{USERNAME_PREFIX}{username}@example.com",
            password=hashed,
            department=department,
            superior=superior,
        )
        created.roles.set([roles[c] for c in codes])
        return created

    user("admin", it, (RoleCode.ADMIN,))
    director = user("director", sales, (RoleCode.MANAGER, RoleCode.SALES))
    sales.head = director
    sales.save(update_fields=["head"])
    user("service_01", service, (RoleCode.SERVICE,))
    user("marketing_01", marketing, (RoleCode.MARKETING,))
    serial = 1
    per_group = max(1, reps // len(GROUPS))
    for order, (key, name, _areas) in enumerate(GROUPS):
        group = Department.objects.create(name=name, parent=sales, sort_order=order)
        head = user(f"head_{key}", group, (RoleCode.MANAGER, RoleCode.SALES), director)
        group.head = head
        group.save(update_fields=["head"])
        for _ in range(per_group):
            user(f"rep_{serial:03d}", group, (RoleCode.SALES,), head)
            serial += 1


# --- customers ----------------------------------------------------------------------------------
class _Company:
    """Draws customers, contacts and interactions; one instance per run (seeded)."""

    def __init__(self, *, rng: random.Random, org: _Org | None, today: dt.date):
        self.rng = rng
        self.org = org
        self.today = today
        self.now = timezone.now()
        self.city = _Draw(rng, ((c, c.weight) for c in demo.CITIES))
        self.industry = _Draw(rng, ((code, w) for code, w, _ in demo.INDUSTRY_WORDS))
        self.words = {code: words for code, _, words in demo.INDUSTRY_WORDS}
        self.legal_form = _Draw(rng, demo.LEGAL_FORMS)
        self.kind = _Draw(
            rng,
            (
                (EnterpriseType.PRIVATE, 70),
                (EnterpriseType.STATE_OWNED, 14),
                (EnterpriseType.FOREIGN, 12),
                ("", 4),
            ),
        )
        self.scale = _Draw(rng, ((Scale.SMALL, 55), (Scale.MEDIUM, 30), (Scale.LARGE, 15)))
        self.source = _Draw(
            rng,
            (
                (Source.WEBSITE, 25),
                (Source.EXHIBITION, 20),
                (Source.PHONE, 18),
                (Source.REFERRAL, 22),
                (Source.ONLINE_PROMOTION, 15),
            ),
        )
        self.status_new = _Draw(
            rng, ((Status.PROSPECT, 60), (Status.INTERESTED, 32), (Status.CUSTOMER, 6))
        )
        self.status_old = _Draw(
            rng,
            (
                (Status.PROSPECT, 30),
                (Status.INTERESTED, 30),
                (Status.CUSTOMER, 28),
                (Status.LOST, 12),
            ),
        )
        self.method = _Draw(
            rng,
            (
                (Method.PHONE, 45),
                (Method.VISIT, 20),
                (Method.EMAIL, 20),
                (Method.MEETING, 10),
                (Method.LIVE, 5),
            ),
        )
        self.feedback = _Draw(
            rng,
            (
                (Feedback.INTERESTED, 30),
                (Feedback.NEEDS_INFO, 30),
                (Feedback.NOT_NOW, 25),
                (Feedback.REFUSED, 8),
                (Feedback.OBJECTION, 7),
            ),
        )
        self.decision_title = _Draw(rng, demo.DECISION_TITLES)
        self.contact_count = _Draw(rng, ((1, 35), (2, 35), (3, 20), (4, 10)))
        self.industries = {i.code: i.pk for i in Industry.objects.all()}
        self.regions = {r.code: r.pk for r in Region.objects.all()}
        self.pinyin: dict[str, tuple[str, str]] = {}
        self._people = (tuple(demo.SURNAMES), tuple(demo.GIVEN_NAMES))

    def person(self) -> str:
        return self.rng.choice(demo.SURNAMES) + self.rng.choice(demo.GIVEN_NAMES)

    def mobile(self) -> str:
        return self.rng.choice(demo.MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"

    def name(self, city, industry: str, kind: str) -> str:
        rng = self.rng
        word = rng.choice(self.words[industry])
        if kind == EnterpriseType.FOREIGN:
            return f"{rng.choice(demo.FOREIGN_BRANDS)}{word}（{city.name[:-1]}）有限公司"
        brand = rng.choice(demo.BRAND_FIRST) + rng.choice(demo.BRAND_SECOND)
        if rng.random() < 0.5:  # a third character widens the name space to millions
            brand += rng.choice(demo.BRAND_SECOND)
        return f"{rng.choice(city.prefixes)}{brand}{word}{self.legal_form()}"

    def derived(self, name: str) -> tuple[str, str]:
        # Names repeat at scale (the same brand in the same city): pinyin is the costly part.
        cached = self.pinyin.get(name)
        if cached is None:
            if len(self.pinyin) > 200_000:
                self.pinyin.clear()
            cached = self.pinyin[name] = pinyin_search_fields(name)
        return cached

    def budget(self, scale: str) -> Decimal | None:
        if self.rng.random() < 0.2:
            return None
        low, high = {
            Scale.SMALL: (20_000, 300_000),
            Scale.MEDIUM: (100_000, 1_000_000),
            Scale.LARGE: (500_000, 8_000_000),
        }[scale]
        value = self.rng.lognormvariate(0, 0.6) * (low * high) ** 0.5
        return Decimal(int(min(max(value, low), high) / 1000) * 1000)

    def credit_code(self, area: str, serial: int) -> str:
        # The customer's serial written in the code alphabet: unique without a lookup.
        chars = []
        for _ in range(9):
            serial, digit = divmod(serial, len(CREDIT_CODE_CHARS))
            chars.append(CREDIT_CODE_CHARS[digit])
        first17 = "91" + area + "".join(reversed(chars))
        return first17 + credit_code_check_char(first17)

    def customer(self, *, serial: int, code: str, name: str | None = None, owner=None) -> dict:
        rng = self.rng
        city = self.city()
        district, area_code = rng.choice(city.districts)
        assert owner is not None or self.org is not None, "customers are drawn for an org"
        owner = owner or self.org.reps_by_area[city.area]()
        individual = name is None and rng.random() < 0.06
        if individual:
            name = self.person()
            kind, scale, credit, industry = "", Scale.SMALL, None, "consulting"
        else:
            kind = self.kind()
            industry = self.industry()
            name = name or self.name(city, industry, kind)
            scale = self.scale()
            credit = self.credit_code(area_code, serial) if rng.random() < 0.9 else None
        first = self.today - dt.timedelta(days=int(rng.triangular(0, 3 * 365, 60)))
        status = self.status_new() if (self.today - first).days < 90 else self.status_old()
        created = dt.datetime.combine(first, dt.time(9), tzinfo=dt.UTC) + dt.timedelta(
            minutes=rng.randrange(600)
        )
        full, initials = self.derived(name)
        return {
            "code": code,
            "customer_type": CustomerType.INDIVIDUAL if individual else CustomerType.ENTERPRISE,
            "name": name,
            "name_pinyin": full[:512],
            "name_initials": initials[:128],
            "name_key": normalize_company_name(name)[:128],
            "credit_code": credit,
            "industry_id": self.industries.get(industry) if rng.random() > 0.03 else None,
            "scale": scale,
            "enterprise_type": kind,
            "region_id": self.regions.get(city.region),
            "city": city.name,
            "district": district,
            "street": f"{rng.choice(demo.ROADS)}{rng.randrange(1, 999)}号"
            + rng.choice(demo.BUILDINGS),
            "source": self.source(),
            "first_contact_date": first,
            "status": status,
            "annual_budget": self.budget(scale),
            "remarks": rng.choice(demo.REMARKS) if rng.random() < 0.15 else "",
            "owner_id": owner.pk,
            "department_id": owner.department_id,
            "created_by_id": owner.pk,
            "custom_fields": {},
            "created_at": created,
            "updated_at": created,
            "version": 1,
        }

    def contacts(self, customer: dict, customer_id: int) -> list[Contact]:
        rng = self.rng
        if customer["customer_type"] == CustomerType.INDIVIDUAL:
            people = [(customer["name"], "本人", True)]
        else:
            people = [
                (self.person(), self.decision_title() if i == 0 else "", i == 0)
                for i in range(self.contact_count())
            ]
        contacts = []
        for name, title, decision in people:
            mobile = self.mobile() if decision or rng.random() < 0.8 else ""
            contacts.append(
                Contact(
                    customer_id=customer_id,
                    name=name,
                    title=title or ("" if decision else rng.choice(demo.CONTACT_TITLES)),
                    mobile=mobile,
                    is_decision_maker=decision,
                )
            )
        return contacts

    def interaction_counts(self, customers: int, interactions: int) -> list[int]:
        """Skewed counts summing to `interactions`: most customers few, some hundreds."""
        if customers == 0:
            return []
        rng = self.rng
        weights = [min(rng.paretovariate(1.3), 400.0) for _ in range(customers)]
        scale = interactions / sum(weights)
        counts = [min(int(w * scale), MAX_INTERACTIONS_PER_CUSTOMER) for w in weights]
        missing = interactions - sum(counts)
        for index in rng.choices(range(customers), k=max(missing, 0)):
            counts[index] += 1
        return counts

    def interactions(
        self, customer_id: int | None, owner_id: int, start: dt.datetime, count: int
    ) -> Iterator[dict]:
        # Ten million of these at 1M customers: uniform picks by hand (random.choice's
        # rejection sampling costs more than the rest of a pick).
        rnd = self.rng.random
        method, feedback, surnames, given = self.method, self.feedback, *self._people
        span = max((self.now - start).total_seconds(), 3600.0)
        timedelta = dt.timedelta
        for _ in range(count):
            occurred = start + timedelta(seconds=rnd() * span)
            late = rnd() < 0.08
            entered = occurred + timedelta(hours=30 if late else rnd() * 6)
            topic = TOPICS[int(rnd() * len(TOPICS))]
            follow_up = rnd() < 0.3
            person = surnames[int(rnd() * len(surnames))] + given[int(rnd() * len(given))]
            yield {
                "customer_id": customer_id,
                "occurred_at": occurred,
                "method": method(),
                "topic": topic,
                "summary": SUMMARIES[int(rnd() * len(SUMMARIES))].format(
                    topic=topic, person=person
                ),
                "feedback": feedback(),
                "next_action": NEXT_ACTIONS[int(rnd() * len(NEXT_ACTIONS))] if follow_up else "",
                "next_action_owner_id": owner_id if follow_up else None,
                "next_action_due": occurred + timedelta(days=7) if follow_up else None,
                "follower_id": owner_id,
                "created_by_id": owner_id,
                "is_late": late,
                "created_at": entered,
                "updated_at": entered,
            }


# --- interactions, drawn beside the writing ---------------------------------------------------
@dataclass(frozen=True)
class _InteractionBatch:
    """One chunk's interactions to draw: (id or None before it is written, code, owner id,
    created at) of each customer, how many each gets, and the seed they are drawn from."""

    seed: int
    customers: list[tuple[int | None, str, int, dt.datetime]]
    counts: list[int]

    @classmethod
    def of_chunk(
        cls,
        run_seed: int,
        start: int,
        customers: list[tuple[int | None, str, int, dt.datetime]],
        counts: list[int],
    ) -> _InteractionBatch:
        """The chunk starting at customer `start` of a run seeded `run_seed`."""
        return cls(seed=run_seed * 1_000_003 + start, customers=customers, counts=counts)

    def sequences(self) -> list[dict]:
        """Code sequence rows, so that the next interaction logged for a customer continues
        after its drawn ones (interactions.services numbers HD + customer code + serial)."""
        return [
            {"name": f"HD{code}", "value": count}
            for (_pk, code, _owner, _start), count in zip(self.customers, self.counts, strict=True)
            if count
        ]


def _draw_interactions(
    company: _Company, batch: _InteractionBatch
) -> tuple[list[list[dict]], list[dt.datetime | None]]:
    """Each customer's interactions, numbered as the services number them, and the time of
    its last one. The same batch draws the same interactions in any process."""
    company.rng.seed(batch.seed)
    drawn, last = [], []
    for (pk, code, owner, created), count in zip(batch.customers, batch.counts, strict=True):
        # Numbered in the order they were entered, as the services number them.
        its = sorted(company.interactions(pk, owner, created, count), key=itemgetter("created_at"))
        for number, item in enumerate(its, start=1):
            item["code"] = f"HD{code}{number:04d}"
        drawn.append(its)
        last.append(max(item["occurred_at"] for item in its) if its else None)
    return drawn, last


# What a forked worker process draws with: set before the fork, never in the worker itself.
_worker_state: tuple[_Company, _Writer] | None = None


def _interactions_as_copy(batch: _InteractionBatch) -> tuple[bytes, list[dt.datetime | None]]:
    """In the worker: the batch's interactions as COPY text, and each customer's last time."""
    assert _worker_state is not None
    company, writer = _worker_state
    drawn, last = _draw_interactions(company, batch)
    return writer.copy_text(item for its in drawn for item in its), last


class _InteractionDrawer:
    """Draws each chunk's interactions. On PostgreSQL a forked worker process draws them and
    returns COPY text, so that the drawing (most of the generator's Python at ten
    interactions a customer) runs on the second core while this process writes the chunk
    before; elsewhere they are drawn here, when asked."""

    def __init__(self, company: _Company, writer: _Writer):
        self.company = company
        self.writer = writer
        self.pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> _InteractionDrawer:
        global _worker_state
        if connection.vendor == "postgresql":
            _worker_state = (self.company, self.writer)
            self.pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
        return self

    def __exit__(self, *exc) -> None:
        global _worker_state
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
            self.pool = None
        _worker_state = None

    def submit(self, batch: _InteractionBatch) -> Future:
        if self.pool is not None:
            return self.pool.submit(_interactions_as_copy, batch)
        drawn: Future = Future()
        drawn.set_result(_draw_interactions(self.company, batch))
        return drawn


class _BackgroundCopy:
    """Copies a chunk's interactions into the table from a thread, on this transaction's
    connection, while this thread draws the next chunk's customers: the database takes the
    largest COPY of each chunk on one core while the next chunk is drawn on the other. Until
    `wait`, this thread must not use the connection (`connection_busy` refuses it)."""

    def __init__(self):
        self.thread: threading.Thread | None = None
        self.error: BaseException | None = None

    def copy(self, writer: _Writer, data: bytes) -> None:
        self.wait()
        connection.ensure_connection()
        raw = connection.connection

        def run() -> None:
            try:
                writer.copy(data, raw)
            except BaseException as error:  # noqa: BLE001 (raised again in wait)
                self.error = error

        self.thread = threading.Thread(target=run, name="kehu-generate-copy", daemon=True)
        self.thread.start()

    def wait(self) -> None:
        if self.thread is not None:
            self.thread.join()
            self.thread = None
        if self.error is not None:
            error, self.error = self.error, None
            raise error

    @contextmanager
    def connection_busy(self) -> Iterator[None]:
        def refuse(execute, sql, params, many, context):
            raise RuntimeError("the generator's connection is busy with a COPY")

        if self.thread is None:
            yield
            return
        with connection.execute_wrapper(refuse):
            yield

    def __enter__(self) -> _BackgroundCopy:
        return self

    def __exit__(self, kind, *exc) -> None:
        if kind is None:
            self.wait()
        elif self.thread is not None:  # an error already on its way out: no second one
            self.thread.join()


# --- the run ------------------------------------------------------------------------------------
def generate(
    *,
    customers: int,
    interactions: int,
    seed: int = 7,
    reps: int | None = None,
    progress: Callable[[int], None] | None = None,
    index_progress: Callable[[int, int], None] | None = None,
) -> GenerateSummary:
    """Add `customers` customers and about `interactions` interactions to the bench company.

    `progress` is told how many customers each chunk wrote; `index_progress` (PostgreSQL)
    how many of the dropped indexes are built again, of how many."""
    progress = progress or (lambda n: None)
    rng = random.Random(seed)  # noqa: S311 (synthetic data, reproducible by seed)
    reps = reps or min(max(customers // 2500, 14), 420)
    with transaction.atomic():
        org = _org(rng=rng, reps=reps)
    company = _Company(rng=rng, org=org, today=timezone.localdate())
    showcase_owner = next((u for u in org.all_reps if u.username.endswith("rep_001")), None)
    if showcase_owner is not None and customers and interactions >= SHOWCASE_INTERACTIONS * 2:
        counts = [SHOWCASE_INTERACTIONS] + company.interaction_counts(
            customers - 1, interactions - SHOWCASE_INTERACTIONS
        )
    else:
        showcase_owner = None
        counts = company.interaction_counts(customers, interactions)
    prefix = customer_code_prefix()
    with transaction.atomic():
        serials = reserve_serials(prefix, customers) if customers else range(0)
    customer_writer = _Writer(Customer)
    interaction_writer = _Writer(Interaction)
    tag_model = apps.get_model("tags", "CustomerTag")
    tag_writer = _Writer(tag_model)
    share_writer = _Writer(CustomerShare)
    sequence_writer = _Writer(apps.get_model("core", "CodeSequence"))
    tags = list(
        apps.get_model("tags", "Tag")
        .objects.filter(status="approved")
        .exclude(exclusive_group__gt="")
        .values_list("pk", flat=True)
    )
    extra = _SalesWriters(rng=rng, today=company.today)
    totals = {"contacts": 0, "interactions": 0, "tags": 0}
    showcase_code = None

    def write_chunk(rows: list[dict], batch: _InteractionBatch, drawn: Future) -> None:
        """Write one chunk of customers with everything that belongs to them."""
        interactions, last = drawn.result()
        for row, when in zip(rows, last, strict=True):
            if when is not None:
                row["last_interaction_at"] = when
        ids = customer_writer.write(rows)
        contacts = [c for row, pk in zip(rows, ids, strict=True) for c in company.contacts(row, pk)]
        _write_contacts(contacts)
        totals["interactions"] += sum(batch.counts)
        sequence_writer.write(batch.sequences())
        tag_rows = []
        share_rows = []
        for row, pk in zip(rows, ids, strict=True):
            if tags and rng.random() < 0.35:
                for tag in rng.sample(tags, k=min(len(tags), rng.choice((1, 1, 2, 3)))):
                    tag_rows.append(
                        {
                            "customer_id": pk,
                            "tag_id": tag,
                            "added_by_id": row["owner_id"],
                            "added_at": row["created_at"],
                            "note": "",
                        }
                    )
            if rng.random() < 0.04:
                colleague = rng.choice(org.all_reps)
                if colleague.pk != row["owner_id"]:
                    share_rows.append(
                        {
                            "customer_id": pk,
                            "user_id": colleague.pk,
                            "access": ShareAccess.WRITE if rng.random() < 0.3 else ShareAccess.READ,
                            "created_at": row["created_at"],
                            "updated_at": row["created_at"],
                        }
                    )
        tag_writer.write(tag_rows)
        share_writer.write(share_rows)
        extra.write(rows, ids)
        totals["contacts"] += len(contacts)
        totals["tags"] += len(tag_rows)
        if isinstance(interactions, bytes):
            background.copy(interaction_writer, interactions)
        else:
            for pk, its in zip(ids, interactions, strict=True):
                for item in its:
                    item["customer_id"] = pk
            interaction_writer.write([item for its in interactions for item in its])
        progress(len(rows))

    # One transaction on PostgreSQL, the indexes built after the load (module docstring).
    filled = [
        model._meta.db_table
        for model in (Customer, Contact, Interaction, tag_model, CustomerShare, *extra.models)
    ]
    drawer = _InteractionDrawer(
        _Company(rng=random.Random(), org=org, today=company.today),  # noqa: S311
        interaction_writer,
    )
    background = _BackgroundCopy()
    with (
        transaction.atomic(),
        _indexes_built_after(filled, index_progress),
        drawer,
        background,
    ):
        pending: tuple[list[dict], _InteractionBatch, Future] | None = None
        for start in range(0, customers, CHUNK):
            end = min(start + CHUNK, customers)
            rows = []
            # While the chunk before's interactions are copied in: no queries here.
            with background.connection_busy():
                for index in range(start, end):
                    serial = serials[index]
                    code = f"{prefix}{serial:05d}"
                    if index == 0 and showcase_owner is not None:
                        rows.append(
                            company.customer(
                                serial=serial, code=code, name=SHOWCASE_NAME, owner=showcase_owner
                            )
                        )
                        showcase_code = code
                    else:
                        rows.append(company.customer(serial=serial, code=code))
            background.wait()
            for row, pk in zip(rows, customer_writer.reserve_ids(len(rows)), strict=False):
                row["id"] = pk
            batch = _InteractionBatch.of_chunk(
                seed,
                start,
                [(row.get("id"), row["code"], row["owner_id"], row["created_at"]) for row in rows],
                counts[start:end],
            )
            # This chunk's interactions are drawn while the one before it is written.
            drawn = drawer.submit(batch)
            if pending is not None:
                write_chunk(*pending)
            pending = (rows, batch, drawn)
        if pending is not None:
            write_chunk(*pending)
    if connection.vendor == "postgresql":
        # VACUUM also sets the visibility map, without which PostgreSQL cannot use
        # index-only scans until autovacuum comes by; it cannot run in a transaction.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)")
    return GenerateSummary(
        users=org.users,
        customers=customers,
        contacts=totals["contacts"],
        interactions=totals["interactions"],
        tags=totals["tags"],
        extra=extra.totals,
        showcase_code=showcase_code,
    )


def add_activity(customers: list[Customer], *, interactions: int, seed: int) -> dict[str, int]:
    """Interactions, opportunities, contracts with payment plans and orders for `customers`
    (already written), drawn as `generate` draws them: about `interactions` interactions,
    skewed across the customers, from each one's first contact to now, and the deals their
    statuses say they reached. For the demo company, whose customers come from its own
    tables. Returns how many rows of each kind it wrote."""
    today = timezone.localdate()
    company = _Company(rng=random.Random(seed), org=None, today=today)  # noqa: S311
    counts = company.interaction_counts(len(customers), interactions)
    interaction_writer = _Writer(Interaction)
    sequence_writer = _Writer(apps.get_model("core", "CodeSequence"))
    sales = _SalesWriters(rng=random.Random(seed + 1), today=today)  # noqa: S311
    written = 0
    for start in range(0, len(customers), CHUNK):
        chunk = customers[start : start + CHUNK]
        first_contacts = [
            dt.datetime.combine(c.first_contact_date or today, dt.time(9), tzinfo=dt.UTC)
            for c in chunk
        ]
        batch = _InteractionBatch.of_chunk(
            seed,
            start,
            [
                (c.pk, c.code, c.owner_id, first)
                for c, first in zip(chunk, first_contacts, strict=True)
            ],
            counts[start : start + CHUNK],
        )
        drawn, last = _draw_interactions(company, batch)
        interaction_writer.write([item for its in drawn for item in its])
        sequence_writer.write(batch.sequences())
        for customer, when in zip(chunk, last, strict=True):
            customer.last_interaction_at = when
        Customer.objects.bulk_update(chunk, ["last_interaction_at"])
        written += sum(batch.counts)
        sales.write(
            [
                {
                    "status": c.status,
                    "first_contact_date": c.first_contact_date or today,
                    "annual_budget": c.annual_budget,
                    "owner_id": c.owner_id,
                    "department_id": c.department_id,
                    "created_at": first,
                }
                for c, first in zip(chunk, first_contacts, strict=True)
            ],
            [c.pk for c in chunk],
        )
    return {"interactions": written, **sales.totals}


def _write_contacts(contacts: list[Contact]) -> None:
    """Through the importer's bulk path, which stores every field as the model does."""
    from kehu.dataquality.imports import copying

    copying.create(contacts, Contact)


# What a closed deal bought (product, SKU, unit price in CNY) and why deals were lost.
PRODUCTS = (
    ("CRM标准版 年度订阅", "CRM-STD-Y", Decimal("19800")),
    ("CRM专业版 年度订阅", "CRM-PRO-Y", Decimal("49800")),
    ("数据治理服务", "SVC-DQ", Decimal("36000")),
    ("营销自动化模块", "MKT-AUTO", Decimal("28000")),
    ("定制开发（人天）", "DEV-DAY", Decimal("2400")),
    ("实施培训（人天）", "TRN-DAY", Decimal("1800")),
    ("增购用户许可", "LIC-USER", Decimal("980")),
)
LOSS_REASONS = ("价格高于竞品", "预算被取消", "选择了竞品", "需求变更，项目搁置", "决策人变动")
COMPETITORS = ("纷享销客", "销售易", "Salesforce", "Zoho CRM", "悟空CRM", "")


class _SalesWriters:
    """Opportunities, contracts with their payment plans, and orders with their lines, for the
    customers whose status says they got that far: every closed deal (status "customer") has a
    won opportunity, a contract of one or two years paid in one to four instalments (most
    received, some late or outstanding) and one to five orders; three in five interested
    customers have an open opportunity at some stage; lost customers have a lost one. This is
    what the dashboard's pipeline, won/lost, expiring-contract and overdue-payment figures and
    the contract and order lists read."""

    def __init__(self, *, rng: random.Random, today: dt.date):
        from kehu.sales.models import (
            Contract,
            Opportunity,
            Order,
            OrderLine,
            Payment,
            PipelineStage,
        )

        self.rng = rng
        self.today = today
        stages = list(PipelineStage.objects.filter(is_active=True))
        self.open_stages = [s.pk for s in stages if not s.is_won and not s.is_lost]
        self.won = next((s.pk for s in stages if s.is_won), None)
        self.lost = next((s.pk for s in stages if s.is_lost), None)
        self.opportunities = _Writer(Opportunity)
        self.contracts = _Writer(Contract)
        self.payments = _Writer(Payment)
        self.orders = _Writer(Order)
        self.lines = _Writer(OrderLine)
        self.models = (Opportunity, Contract, Payment, Order, OrderLine)
        self.totals = dict.fromkeys(
            ("opportunities", "contracts", "payments", "orders", "order_lines"), 0
        )

    def _day(self, first: dt.date, last: dt.date) -> dt.date:
        """A day from `first` to `last`; `last` when `first` is later (a deal closed with a
        customer first contacted less than a fortnight ago closed today, not in the future)."""
        if first > last:
            return last
        return first + dt.timedelta(days=self.rng.randrange((last - first).days + 1))

    def _moment(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(10), tzinfo=dt.UTC) + dt.timedelta(
            minutes=self.rng.randrange(480)
        )

    def _amount(self, row: dict) -> Decimal:
        budget = row["annual_budget"] or Decimal(50_000)
        return (budget * Decimal(self.rng.uniform(0.2, 0.9))).quantize(Decimal(1000))

    def _numbered(self, rows: list[dict], letters: str, day_field: str) -> None:
        """Numbers like the services give (HT/DD + year and month + serial), reserved per
        month at once."""
        by_prefix: dict[str, list[dict]] = {}
        for row in rows:
            by_prefix.setdefault(f"{letters}{row[day_field]:%Y%m}", []).append(row)
        for prefix, group in by_prefix.items():
            for row, serial in zip(group, reserve_serials(prefix, len(group)), strict=True):
                row["number"] = f"{prefix}{serial:05d}"

    def write(self, rows: list[dict], ids: list[int]) -> None:
        if self.won is None or self.lost is None or not self.open_stages:
            return  # the pipeline stages were removed: nothing can be placed in them
        rng, today = self.rng, self.today
        opportunities: list[dict] = []
        deals: list[tuple[dict, int, dict]] = []  # (customer row, customer id, its contract)
        for row, pk in zip(rows, ids, strict=True):
            status = row["status"]
            first = row["first_contact_date"]
            product = rng.choice(PRODUCTS)[0]
            base = {
                "customer_id": pk,
                "name": f"{product}采购",
                "owner_id": row["owner_id"],
                "created_by_id": row["owner_id"],
                "competitor": "",
                "loss_reason": "",
                "lead_id": None,
                "created_at": row["created_at"],
                "updated_at": row["created_at"],
                "version": 1,
            }
            if status == Status.CUSTOMER:
                closed = self._day(first + dt.timedelta(days=14), today)
                won_at = self._moment(closed)  # the contract is signed when the deal is won
                amount = self._amount(row)
                opportunities.append(
                    base
                    | {
                        "stage_id": self.won,
                        "amount": amount,
                        "expected_close_date": closed,
                        "closed_at": won_at,
                        "updated_at": won_at,
                    }
                )
                years = 2 if rng.random() < 0.2 else 1
                try:
                    anniversary = closed.replace(year=closed.year + years)
                except ValueError:  # signed on 29 February: runs to the 28th
                    anniversary = dt.date(closed.year + years, 3, 1)
                ends = anniversary - dt.timedelta(days=1)
                contract = {
                    "title": f"{product}合同",
                    "customer_id": pk,
                    "opportunity_id": None,  # set once the opportunity has its id
                    "owner_id": row["owner_id"],
                    "department_id": row["department_id"],
                    "amount": amount,
                    "currency": "CNY",
                    "signed_on": closed,
                    "starts_on": closed,
                    "ends_on": ends,
                    "status": "active" if ends >= today else "expired",
                    "renewal_of_id": None,
                    "termination_reason": "",
                    "notes": "",
                    "expiry_notified_for": None,
                    "created_by_id": row["owner_id"],
                    "created_at": won_at,
                    "updated_at": won_at,
                    "version": 1,
                    "_opportunity": len(opportunities) - 1,
                }
                deals.append((row, pk, contract))
            elif status == Status.INTERESTED and rng.random() < 0.6:
                expected = today + dt.timedelta(days=rng.randrange(-20, 180))
                opportunities.append(
                    base
                    | {
                        "stage_id": rng.choice(self.open_stages),
                        "amount": self._amount(row) if rng.random() < 0.85 else None,
                        "expected_close_date": expected,
                        "closed_at": None,
                    }
                )
            elif status == Status.LOST:
                closed = self._day(first + dt.timedelta(days=14), today)
                lost_at = self._moment(closed)
                opportunities.append(
                    base
                    | {
                        "stage_id": self.lost,
                        "amount": self._amount(row),
                        "expected_close_date": closed,
                        "closed_at": lost_at,
                        "updated_at": lost_at,
                        "competitor": rng.choice(COMPETITORS),
                        "loss_reason": rng.choice(LOSS_REASONS),
                    }
                )
        opportunity_ids = self.opportunities.write(opportunities)
        contracts = [contract for _row, _pk, contract in deals]
        for contract in contracts:
            contract["opportunity_id"] = opportunity_ids[contract.pop("_opportunity")]
        self._numbered(contracts, "HT", "signed_on")
        contract_ids = self.contracts.write(contracts)
        payments = []
        for contract, contract_id in zip(contracts, contract_ids, strict=True):
            payments.extend(self._payments(contract, contract_id))
        self.payments.write(payments)
        orders, lines = self._orders(deals, contract_ids)
        self._numbered(orders, "DD", "ordered_on")
        order_ids = self.orders.write(orders)
        line_rows = [
            line | {"order_id": order_ids[index]}
            for index, order_lines in lines
            for line in order_lines
        ]
        self.lines.write(line_rows)
        for key, written in (
            ("opportunities", opportunities),
            ("contracts", contracts),
            ("payments", payments),
            ("orders", orders),
            ("order_lines", line_rows),
        ):
            self.totals[key] += len(written)

    def _payments(self, contract: dict, contract_id: int) -> list[dict]:
        rng, today = self.rng, self.today
        count = rng.choice((1, 2, 2, 3, 4))
        share = (contract["amount"] / count).quantize(Decimal("0.01"))
        amounts = [share] * (count - 1) + [contract["amount"] - share * (count - 1)]
        term = (contract["ends_on"] - contract["starts_on"]).days
        payments = []
        for number, planned_amount in enumerate(amounts):
            planned = contract["starts_on"] + dt.timedelta(days=term * number // count)
            received_on, received = None, Decimal(0)
            if planned < today:
                luck = rng.random()
                late = planned + dt.timedelta(days=rng.randrange(25))
                if luck < 0.88 and late <= today:
                    received_on, received = late, planned_amount
                elif luck < 0.95 and late <= today:  # part paid, the rest outstanding
                    received_on = late
                    received = (planned_amount * Decimal("0.5")).quantize(Decimal("0.01"))
            payments.append(
                {
                    "contract_id": contract_id,
                    "planned_on": planned,
                    "planned_amount": planned_amount,
                    "received_on": received_on,
                    "received_amount": received,
                    "notes": "",
                    "overdue_notified_at": None,
                    "created_by_id": contract["owner_id"],
                    "created_at": contract["created_at"],
                    "updated_at": contract["created_at"],
                    "version": 1,
                }
            )
        return payments

    def _orders(
        self, deals: list[tuple[dict, int, dict]], contract_ids: list[int]
    ) -> tuple[list[dict], list[tuple[int, list[dict]]]]:
        rng, today = self.rng, self.today
        orders: list[dict] = []
        lines: list[tuple[int, list[dict]]] = []
        for (row, pk, contract), contract_id in zip(deals, contract_ids, strict=True):
            for _ in range(rng.choice((1, 1, 2, 2, 3, 4, 5))):
                ordered = self._day(contract["signed_on"], today)
                order_lines = []
                for product, sku, price in rng.sample(PRODUCTS, k=rng.choice((1, 1, 2, 3))):
                    quantity = Decimal(rng.randrange(1, 40))
                    order_lines.append(
                        {
                            "product_name": product,
                            "sku": sku,
                            "quantity": quantity,
                            "unit_price": price,
                            "amount": quantity * price,
                        }
                    )
                luck = rng.random()
                if luck < 0.04:
                    status = "cancelled"
                elif (today - ordered).days < 30 and luck < 0.5:
                    status = "placed"
                else:
                    status = "completed"
                entered = self._moment(ordered)
                lines.append((len(orders), order_lines))
                orders.append(
                    {
                        "customer_id": pk,
                        "contract_id": contract_id if ordered <= contract["ends_on"] else None,
                        "owner_id": row["owner_id"],
                        "department_id": row["department_id"],
                        "ordered_on": ordered,
                        "amount": sum(line["amount"] for line in order_lines),
                        "currency": "CNY",
                        "status": status,
                        "notes": "",
                        "created_by_id": row["owner_id"],
                        "created_at": entered,
                        "updated_at": entered,
                        "version": 1,
                    }
                )
        return orders, lines
