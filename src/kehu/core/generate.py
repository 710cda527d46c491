"""Synthetic company data at scale for benchmarks (`kehu generate`), spec issue 7.

A sales organisation (regional groups with heads and reps, service, marketing, IT) and any
number of customers with contacts, tags, related-team shares, interactions and, where the
sales app has them, contracts and orders. Distributions are skewed the way real CRMs are: a
few reps own many customers, most customers have few interactions and some have hundreds.

Rows are written in chunks with PostgreSQL's COPY (SQLite: bulk_create), each chunk in its own
transaction. History rows are not written: a generated company has no edit history. Contacts
go through dataquality.imports.copying, the importer's bulk path, so every field is stored the
way the model stores it (e.g. encrypted columns).
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.utils import timezone

from kehu.accounts import demo
from kehu.accounts.models import Department, Role, RoleCode, User
from kehu.core.codes import reserve_serials
from kehu.core.text import pinyin_both
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


# --- drawing ----------------------------------------------------------------------------------
class _Draw:
    """Weighted choices with precomputed cumulative weights (random.choices is the hot path)."""

    def __init__(self, rng: random.Random, weighted: Iterable[tuple[object, float]]):
        items = list(weighted)
        self.rng = rng
        self.values = [v for v, _ in items]
        self.cum = []
        total = 0.0
        for _, weight in items:
            total += weight
            self.cum.append(total)

    def __call__(self):
        return self.rng.choices(self.values, cum_weights=self.cum)[0]


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

    def __init__(self, *, rng: random.Random, org: _Org, today: dt.date):
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
            cached = self.pinyin[name] = pinyin_both(name)
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

    def interactions(self, customer: dict, customer_id: int, count: int) -> Iterator[dict]:
        rng = self.rng
        start = customer["created_at"]
        span = max((self.now - start).total_seconds(), 3600.0)
        for _ in range(count):
            occurred = start + dt.timedelta(seconds=rng.random() * span)
            late = rng.random() < 0.08
            entered = occurred + dt.timedelta(hours=30 if late else rng.random() * 6)
            topic = rng.choice(TOPICS)
            follow_up = rng.random() < 0.3
            yield {
                "customer_id": customer_id,
                "occurred_at": occurred,
                "method": self.method(),
                "topic": topic,
                "summary": rng.choice(SUMMARIES).format(topic=topic, person=self.person()),
                "feedback": self.feedback(),
                "next_action": rng.choice(NEXT_ACTIONS) if follow_up else "",
                "next_action_owner_id": customer["owner_id"] if follow_up else None,
                "next_action_due": occurred + dt.timedelta(days=7) if follow_up else None,
                "follower_id": customer["owner_id"],
                "created_by_id": customer["owner_id"],
                "is_late": late,
                "created_at": entered,
                "updated_at": entered,
            }


# --- the run ------------------------------------------------------------------------------------
def generate(
    *,
    customers: int,
    interactions: int,
    seed: int = 7,
    reps: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> GenerateSummary:
    """Add `customers` customers and about `interactions` interactions to the bench company."""
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
    extra = _ExtraWriters(rng=rng)
    totals = {"contacts": 0, "interactions": 0, "tags": 0}
    showcase_code = None
    for start in range(0, customers, CHUNK):
        end = min(start + CHUNK, customers)
        rows = []
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
        with transaction.atomic():
            # Interactions first (in memory) so each customer carries its last interaction time.
            per_customer = [
                list(company.interactions(row, 0, counts[start + i])) for i, row in enumerate(rows)
            ]
            for row, its in zip(rows, per_customer, strict=True):
                if its:
                    row["last_interaction_at"] = max(i["occurred_at"] for i in its)
            ids = customer_writer.write(rows)
            contacts = [
                c for row, pk in zip(rows, ids, strict=True) for c in company.contacts(row, pk)
            ]
            _write_contacts(contacts)
            batch: list[dict] = []
            sequences: list[dict] = []
            for row, pk, its in zip(rows, ids, per_customer, strict=True):
                for number, item in enumerate(its, start=1):
                    item["customer_id"] = pk
                    item["code"] = f"HD{row['code']}{number:04d}"
                    batch.append(item)
                if its:
                    sequences.append({"name": f"HD{row['code']}", "value": len(its)})
                if len(batch) >= 50_000:
                    interaction_writer.write(batch)
                    totals["interactions"] += len(batch)
                    batch = []
            interaction_writer.write(batch)
            totals["interactions"] += len(batch)
            sequence_writer.write(sequences)
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
                                "access": ShareAccess.WRITE
                                if rng.random() < 0.3
                                else ShareAccess.READ,
                                "created_at": row["created_at"],
                                "updated_at": row["created_at"],
                            }
                        )
            tag_writer.write(tag_rows)
            share_writer.write(share_rows)
            extra.write(rows, ids)
            totals["contacts"] += len(contacts)
            totals["tags"] += len(tag_rows)
        progress(end - start)
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


def _write_contacts(contacts: list[Contact]) -> None:
    """Through the importer's bulk path, which stores every field as the model does."""
    from kehu.dataquality.imports import copying

    copying.create(contacts, Contact)


class _ExtraWriters:
    """Deals on customers that closed: contracts and orders when the sales app has them."""

    def __init__(self, *, rng: random.Random):
        self.rng = rng
        self.totals: dict[str, int] = {}

    def write(self, rows: list[dict], ids: list[int]) -> None:
        return None
