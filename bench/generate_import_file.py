"""Generate a customer import file for the import benchmarks.

    .venv/bin/python bench/generate_import_file.py --rows 100000 --format csv,csv-gbk,xlsx

Rows look like what a sales team really sends: legal company names built from the demo company's
tables (kehu.accounts.demo), valid unified social credit codes (GB 32100-2015 check character),
mainland mobiles, industries and regions from the preset tables in the database, choice columns
with their Chinese labels, the demo sales people as owners. Every row is valid unless chosen as
bad (`--bad`, a bad mobile, a missing required field or a wrong check character, in turn) or as
a duplicate of an earlier row (`--duplicates`, the same credit code, or the same company written
the other usual way with the same decision maker and mobile). The same seed gives the same file.
A manifest (<file>.json) next to the file says how many rows of each kind it holds.
"""

from __future__ import annotations

import argparse
import bisect
import csv
import datetime as dt
import itertools
import json
import os
import random
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import FILES_DIR, recreate_database, setup_django  # noqa: E402

FORMATS = {"csv": ".csv", "csv-gbk": ".gbk.csv", "xlsx": ".xlsx"}
# Template column keys, in template order: the customer fields, then the decision maker.
CUSTOMER_KEYS = (
    "customer_type",
    "name",
    "credit_code",
    "industry",
    "scale",
    "enterprise_type",
    "region",
    "city",
    "district",
    "street",
    "source",
    "first_contact_date",
    "status",
    "annual_budget",
    "remarks",
    "owner",
)
CONTACT_KEYS = ("contact_name", "contact_title", "contact_mobile", "contact_email", "contact_phone")
KEYS = CUSTOMER_KEYS + CONTACT_KEYS
BAD_KINDS = ("bad_mobile", "missing_required", "bad_credit_code")
DUPLICATE_KINDS = ("same_credit_code", "same_company_other_spelling")
# Characters for brand names (字号) beyond the demo's two tables, so that a million rows still
# get a million different normalised names.
EXTRA_BRAND = "华盈同欣奥嘉弘昇骏丰源博铭晟灏璟钰翔宸洲浩乾坤伟业鑫森琪"
GIVEN_CHARS = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚华俊浩宇轩欣怡梓萱"
    "诗涵鸣博思远佳嘉豪新国梅燕峰斌彬凯鹏慧颖婷琳雪晨阳"
)


def file_path(*, rows: int, fmt: str, seed: int, bad: float, duplicates: float) -> Path:
    return FILES_DIR / f"customers-{rows}-s{seed}-b{bad:g}-d{duplicates:g}{FORMATS[fmt]}"


@dataclass(frozen=True)
class Presets:
    """What the generator needs from the database, as the importer will see it."""

    headers: dict[str, str]
    industries: dict[str, str]  # demo industry code → label written in the file
    regions: dict[str, str]  # region code → label written in the file
    choices: dict[str, dict[str, str]]  # field → value → label written in the file
    owners: tuple[str, ...]


def load_presets() -> Presets:
    """Read presets and labels through Django (in Chinese, the file language of the template)."""
    from django.utils import translation

    from kehu.accounts.demo import USERS
    from kehu.accounts.models import RoleCode
    from kehu.customers.models import (
        Contact,
        Customer,
        CustomerType,
        EnterpriseType,
        Industry,
        Region,
        Scale,
        Source,
        Status,
    )

    with translation.override("zh-hans"):
        headers = {key: str(Customer._meta.get_field(key).verbose_name) for key in CUSTOMER_KEYS}
        headers.update(template_headers())
        for key in CONTACT_KEYS:
            headers.setdefault(key, str(Contact._meta.get_field(key[8:]).verbose_name))
        choices = {
            field: {value: str(label) for value, label in enum.choices}
            for field, enum in (
                ("customer_type", CustomerType),
                ("scale", Scale),
                ("enterprise_type", EnterpriseType),
                ("source", Source),
                ("status", Status),
            )
        }
        industries = {i.code: i.label for i in Industry.objects.filter(is_active=True)}
        regions = {r.code: r.label for r in Region.objects.filter(is_active=True)}
    owners = tuple(u.username for u in USERS if RoleCode.SALES in u.roles)
    return Presets(headers, industries, regions, choices, owners)


def template_headers() -> dict[str, str]:
    """The importer's own column labels (the header row of its template), so that its automatic
    mapping takes every column; a label not translated yet falls back to the first Chinese
    synonym the importer knows. Empty when the importer is not installed."""
    try:
        from kehu.dataquality.imports.mapping import TARGETS
    except ImportError:
        return {}
    headers = {}
    for target in TARGETS:
        key = "contact_" + target.key[3:] if target.key.startswith("dm_") else target.key
        if key not in KEYS:
            continue
        label = str(target.label)
        if not any("\u4e00" <= ch <= "\u9fff" for ch in label):
            label = next((s for s in target.synonyms if "\u4e00" <= s[0] <= "\u9fff"), label)
        headers[key] = label
    return headers


class Weighted:
    """random.choices with cumulative weights computed once (a million draws)."""

    def __init__(self, items: Sequence[tuple[object, int]]) -> None:
        self.values = [value for value, _ in items]
        self.cumulative = list(itertools.accumulate(weight for _, weight in items))
        self.total = self.cumulative[-1]

    def __call__(self, rng: random.Random):
        return self.values[bisect.bisect_right(self.cumulative, rng.random() * self.total)]


class RowMaker:
    def __init__(self, presets: Presets, seed: int, today: dt.date) -> None:
        from kehu.accounts import demo

        self.demo = demo
        self.presets = presets
        self.rng = random.Random(seed)
        self.today = today
        self.city = Weighted([(c, c.weight) for c in demo.CITIES if c.region in presets.regions])
        industries = [
            (code, weight, words)
            for code, weight, words in demo.INDUSTRY_WORDS
            if code in presets.industries
        ]
        self.industry = Weighted([((code, words), weight) for code, weight, words in industries])
        self.kind = Weighted([("private", 70), ("state_owned", 14), ("foreign", 12), ("", 4)])
        self.scale = Weighted([("small", 55), ("medium", 30), ("large", 15)])
        self.source = Weighted(
            [
                ("website", 25),
                ("exhibition", 20),
                ("phone", 18),
                ("referral", 22),
                ("online_promotion", 15),
            ]
        )
        self.form = Weighted(demo.LEGAL_FORMS)
        self.title = Weighted(demo.DECISION_TITLES)
        brand_chars = demo.BRAND_FIRST + demo.BRAND_SECOND + EXTRA_BRAND
        self.brand_chars = "".join(dict.fromkeys(brand_chars))
        from kehu.dataquality.normalize import CITIES, PROVINCES

        # Brands that start with a place name would lose it when names are normalised.
        self.places = PROVINCES + CITIES
        self.cores: set[str] = set()
        self.people: set[str] = set()
        self.mobiles: set[str] = set()
        self.credit_codes: set[str] = set()

    # -- parts ---------------------------------------------------------------------------------
    def brand(self, words: tuple[str, ...]) -> tuple[str, str]:
        """A brand and business word whose joined text no earlier row used: that text is what
        remains of the name once normalised (place and legal form stripped), the importer's
        duplicate key, so a valid row is never a duplicate by accident."""
        rng, demo = self.rng, self.demo
        for attempt in itertools.count():
            length = 2 if attempt < 2 and rng.random() < 0.3 else 3 if attempt < 6 else 4
            brand = rng.choice(demo.BRAND_FIRST) + "".join(
                rng.choice(self.brand_chars) for _ in range(length - 1)
            )
            word = rng.choice(words)
            core = brand + word
            if core not in self.cores and not brand.startswith(self.places):
                self.cores.add(core)
                return brand, word
        raise AssertionError("unreachable")

    def person(self) -> str:
        rng = self.rng
        given = rng.choice(GIVEN_CHARS) + (rng.choice(GIVEN_CHARS) if rng.random() < 0.7 else "")
        return rng.choice(self.demo.SURNAMES) + given

    def unique_person(self) -> str:
        while True:
            name = self.person()
            if name not in self.people:
                self.people.add(name)
                return name

    def mobile(self) -> str:
        while True:
            number = self.rng.choice(self.demo.MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self.mobiles:
                self.mobiles.add(number)
                return number

    def credit_code(self, area: str) -> str:
        from kehu.customers.validators import CREDIT_CODE_CHARS, credit_code_check_char

        rng = self.rng
        while True:
            org = "MA" + "".join(rng.choice(CREDIT_CODE_CHARS) for _ in range(7))
            first17 = "91" + area + org
            code = first17 + credit_code_check_char(first17)
            if code not in self.credit_codes:
                self.credit_codes.add(code)
                return code

    # -- rows ----------------------------------------------------------------------------------
    def valid_row(self) -> dict[str, str]:
        rng, demo, presets = self.rng, self.demo, self.presets
        city = self.city(rng)
        district, area = rng.choice(city.districts)
        industry, words = self.industry(rng)
        individual = rng.random() < 0.02
        if individual:
            name = self.unique_person()
            kind, scale, credit_code, brand = "", "small", "", name
            industry = rng.choice(("chain_retail", "wholesale", "consulting", "hospitality"))
        else:
            kind = self.kind(rng)
            brand, word = self.brand(words)
            if kind == "foreign":
                name = f"{brand}{word}（{city.name[:-1]}）有限公司"
            else:
                form = self.form(rng)
                name = f"{rng.choice(city.prefixes)}{brand}{word}{form}"
            scale = self.scale(rng)
            credit_code = self.credit_code(area) if rng.random() < 0.92 else ""
        first = self.today - dt.timedelta(days=int(rng.triangular(0, 3 * 365, 60)))
        budget = ""
        if rng.random() < 0.8:
            budget = f"{rng.randrange(20, 8000) * 1000}"
        # Contacts may share a name (张伟 is common); the duplicate check does not use it.
        contact = self.person() if not individual else name
        choices = presets.choices
        return {
            "customer_type": choices["customer_type"]["individual" if individual else "enterprise"],
            "name": name,
            "credit_code": credit_code,
            "industry": presets.industries.get(industry, ""),
            "scale": choices["scale"][scale],
            "enterprise_type": choices["enterprise_type"][kind] if kind else "",
            "region": presets.regions[city.region],
            "city": city.name,
            "district": district,
            "street": (
                f"{rng.choice(demo.ROADS)}{rng.randrange(1, 999)}号{rng.choice(demo.BUILDINGS)}"
            ),
            "source": choices["source"][self.source(rng)],
            "first_contact_date": first.isoformat(),
            "status": choices["status"][rng.choice(("prospect", "interested", "customer"))],
            "annual_budget": budget,
            "remarks": rng.choice(demo.REMARKS) if rng.random() < 0.15 else "",
            "owner": rng.choice(presets.owners),
            "contact_name": contact,
            "contact_title": "本人" if individual else self.title(rng),
            "contact_mobile": self.mobile(),
            "contact_email": (
                f"{self.contact_login(contact)}@{self.domain(brand)}" if rng.random() < 0.5 else ""
            ),
            "contact_phone": (
                f"{city.phone}-{rng.randrange(10**7, 10**8)}" if rng.random() < 0.25 else ""
            ),
        }

    def contact_login(self, name: str) -> str:
        from kehu.core.text import pinyin_full

        return pinyin_full(name) or "contact"

    def domain(self, brand: str) -> str:
        from kehu.core.text import pinyin_full

        return f"{pinyin_full(brand)}.com.cn"

    def spoil(self, row: dict[str, str], kind: str) -> dict[str, str]:
        """One mistake people make, the rest of the row left valid."""
        row = dict(row)
        if kind == "bad_mobile":
            row["contact_mobile"] = row["contact_mobile"][:-1]  # ten digits
        elif kind == "missing_required":
            row[self.rng.choice(("name", "scale", "source", "first_contact_date"))] = ""
        elif row["credit_code"]:
            code = row["credit_code"]
            wrong = next(c for c in "0123456789ABCDEFGHJKLMNPQRTUWXY" if c != code[-1])
            row["credit_code"] = code[:-1] + wrong
        else:
            row["credit_code"] = "91110108MA1234567"  # 17 characters
        return row

    def twin(self, row: dict[str, str], kind: str) -> dict[str, str]:
        """The same company again: same credit code, or the name written the other usual way
        (苏州恒瑞电子有限公司 → 恒瑞电子（苏州）有限公司) with the same decision maker and
        mobile."""
        row = dict(row)
        if kind == "same_credit_code" and row["credit_code"]:
            row["street"] = ""
            row["remarks"] = "重复录入"
            return row
        city = row["city"].removesuffix("市")
        stem = row["name"]
        for prefix in (row["city"], city, *self.prefixes_of(row["city"])):
            if prefix and stem.startswith(prefix):
                stem = stem[len(prefix) :]
                break
        if stem.endswith("有限公司") and "（" not in stem:
            row["name"] = stem.replace("有限公司", f"（{city}）有限公司", 1)
        row["credit_code"] = ""
        return row

    def prefixes_of(self, city_name: str) -> tuple[str, ...]:
        city = next((c for c in self.demo.CITIES if c.name == city_name), None)
        return tuple(sorted(city.prefixes, key=len, reverse=True)) if city else ()


def generate(
    *, rows: int, seed: int, bad: float, duplicates: float, presets: Presets
) -> Iterator[tuple[str, dict[str, str]]]:
    """(kind, row) pairs: kind is "valid", a bad kind or a duplicate kind."""
    maker = RowMaker(presets, seed, today=dt.date(2026, 11, 1))
    pick = random.Random(seed + 1)
    originals: list[dict[str, str]] = []
    bad_kinds = itertools.cycle(BAD_KINDS)
    duplicate_kinds = itertools.cycle(DUPLICATE_KINDS)
    for _ in range(rows):
        draw = pick.random()
        if draw < bad:
            yield (kind := next(bad_kinds)), maker.spoil(maker.valid_row(), kind)
        elif draw < bad + duplicates and originals:
            kind = next(duplicate_kinds)
            yield kind, maker.twin(pick.choice(originals), kind)
        else:
            row = maker.valid_row()
            if len(originals) < 10_000:
                originals.append(row)
            yield "valid", row


class Writer:
    """One output file, written row by row (all formats are written in one pass)."""

    def __init__(self, path: Path, fmt: str, header: list[str]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path, self.partial = path, path.with_name(path.name + ".partial")
        self.row = 0
        if fmt == "xlsx":
            import xlsxwriter

            self.book = xlsxwriter.Workbook(str(self.partial), {"constant_memory": True})
            self.sheet = self.book.add_worksheet("客户")
            self.write = self._write_xlsx
        else:
            encoding = "gbk" if fmt == "csv-gbk" else "utf-8-sig"
            self.out = open(self.partial, "w", encoding=encoding, newline="")  # noqa: SIM115
            self.write = csv.writer(self.out).writerow
        self.write(header)

    def _write_xlsx(self, values: list[str]) -> None:
        self.sheet.write_row(self.row, 0, values)
        self.row += 1

    def close(self) -> None:
        if hasattr(self, "book"):
            self.book.close()
        else:
            self.out.close()
        os.replace(self.partial, self.path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--format", default="csv", help="comma-separated: " + ", ".join(FORMATS) + " (default csv)"
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--bad", type=float, default=0.01, help="fraction of bad rows")
    parser.add_argument("--duplicates", type=float, default=0.01, help="fraction of duplicates")
    parser.add_argument("--force", action="store_true", help="write even if the file exists")
    args = parser.parse_args(argv)
    formats = args.format.split(",")
    unknown = set(formats) - set(FORMATS)
    if unknown:
        parser.error(f"unknown format {', '.join(sorted(unknown))}")
    params = {"rows": args.rows, "seed": args.seed, "bad": args.bad, "duplicates": args.duplicates}
    paths = {fmt: file_path(fmt=fmt, **params) for fmt in formats}
    if not args.force:
        for fmt, path in list(paths.items()):
            if path.exists():
                print(f"exists: {path}")
                del paths[fmt]
    if not paths:
        return

    # Presets come from a database migrated like every Kehu database (the migrations load them).
    setup_django(recreate_database("sqlite", "presets"))
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    presets = load_presets()
    header = [presets.headers[key] for key in KEYS]
    writers = [Writer(path, fmt, header) for fmt, path in paths.items()]
    counts: dict[str, int] = {}
    rows = generate(presets=presets, **params)
    for kind, row in tqdm(rows, total=args.rows, unit="row", mininterval=1):
        counts[kind] = counts.get(kind, 0) + 1
        values = [row[key] for key in KEYS]
        for writer in writers:
            writer.write(values)
    for writer in writers:
        writer.close()
    for fmt, path in paths.items():
        manifest = {**params, "format": fmt, "columns": header, "kinds": counts}
        manifest["valid"] = counts.get("valid", 0)
        manifest["bad_rows"] = sum(counts.get(k, 0) for k in BAD_KINDS)
        manifest["duplicate_rows"] = sum(counts.get(k, 0) for k in DUPLICATE_KINDS)
        path.with_name(path.name + ".json").write_text(json.dumps(manifest, ensure_ascii=False))
        size = path.stat().st_size / 2**20
        print(f"wrote {path} ({size:.1f} MiB): {json.dumps(counts, ensure_ascii=False)}")


if __name__ == "__main__":
    main()
