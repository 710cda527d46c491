"""Synthetic customers with known duplicates, for the duplicate benchmarks.

Companies are built from the demo data tables (kehu.accounts.demo: cities, brand characters,
industry words, legal forms, Chinese names, mobile prefixes). Some companies are entered more
than once, the way people do it:

- the region in brackets, half- or full-width: 星辰软件（北京）有限公司 / 北京星辰软件有限公司;
- traditional characters (星辰軟件技術);
- another legal form (有限公司 / 有限责任公司 / 股份有限公司);
- spaces inside the name;
- a typo with a homophone (星辰 → 星晨), or the city prefix left out;
- the same decision maker and mobile, or only one of the two (a new phone, a new contact).

Hard negatives are different companies that look alike: the same brand and trade in another city,
a brand one character off, a homophone brand, and unrelated companies sharing one mobile (an
agency's or a bookkeeper's number). Every record carries its company's id (`entity`), so the true
duplicate pairs are known. The same seed gives the same data.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from opencc import OpenCC

from kehu.accounts.demo import (
    BRAND_FIRST,
    BRAND_SECOND,
    CITIES,
    GIVEN_NAMES,
    INDUSTRY_WORDS,
    LEGAL_FORMS,
    MOBILE_PREFIXES,
    ROADS,
    SURNAMES,
)

HOMOPHONES = dict(
    zip(
        "辰瑞信达盛远丰成华金博天新星万德嘉泰汇永安凯卓润科通源和利康美昌隆宇航腾峰川恒鼎宏联中锦佳兴启昊诚",
        "晨锐鑫大胜源峰诚桦锦搏添欣兴湾得佳太惠勇岸恺灼闰可同元禾力抗梅常龙雨杭藤锋船衡顶弘连忠劲家星起浩成",
        strict=True,
    )
)
BRAND_CHARS = sorted(set(BRAND_FIRST + BRAND_SECOND))
_S2T = OpenCC("s2t")


@dataclass
class Contact:
    name: str
    mobile: str
    is_decision_maker: bool = False


@dataclass
class Record:
    entity: int
    name: str
    region: str
    city: str
    district: str
    street: str
    contacts: list[Contact] = field(default_factory=list)
    kind: str = "original"


class _Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.mobiles: set[str] = set()
        self.industry_words = [w for _code, _weight, words in INDUSTRY_WORDS for w in words]

    def mobile(self) -> str:
        while True:
            number = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self.mobiles:
                self.mobiles.add(number)
                return number

    def person(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN_NAMES)

    def brand(self) -> str:
        return "".join(self.rng.choice(BRAND_CHARS) for _ in range(self.rng.choice((2, 3, 3))))

    def legal(self) -> str:
        forms, weights = zip(*LEGAL_FORMS, strict=True)
        return self.rng.choices(forms, weights)[0]

    def company(self, entity: int, *, brand: str | None = None, word: str | None = None) -> Record:
        city = self.rng.choice(CITIES)
        brand = brand or self.brand()
        word = word or self.rng.choice(self.industry_words)
        prefix = self.rng.choice((*city.prefixes, city.prefixes[0]))
        district = self.rng.choice(city.districts)[0]
        street = f"{self.rng.choice(ROADS)}{self.rng.randrange(1, 999)}号"
        record = Record(
            entity=entity,
            name=f"{prefix}{brand}{word}{self.legal()}",
            region=city.region,
            city=city.name,
            district=district,
            street=street,
        )
        record.contacts.append(Contact(self.person(), self.mobile(), True))
        if self.rng.random() < 0.4:
            record.contacts.append(Contact(self.person(), self.mobile()))
        record.brand, record.word, record.prefix = brand, word, prefix  # type: ignore[attr-defined]
        return record

    # --- the ways one company gets entered again ----------------------------------------------
    def variant(self, original: Record) -> Record:
        brand, word, prefix = original.brand, original.word, original.prefix  # type: ignore
        legal = original.name[len(prefix + brand + word) :]
        kinds = self.rng.sample(
            ["bracket", "traditional", "legal", "spaces", "homophone", "no_prefix"],
            self.rng.choice((1, 1, 2)),
        )
        if "legal" in kinds:
            legal = self.rng.choice([f for f, _w in LEGAL_FORMS if f != legal])
        short = prefix.removesuffix("市")
        name_brand = brand
        if "homophone" in kinds:
            spots = [i for i, ch in enumerate(brand) if ch in HOMOPHONES]
            if spots:
                i = self.rng.choice(spots)
                name_brand = brand[:i] + HOMOPHONES[brand[i]] + brand[i + 1 :]
        if "bracket" in kinds:
            left, right = self.rng.choice((("(", ")"), ("（", "）")))
            name = f"{name_brand}{word}{left}{short}{right}{legal}"
        elif "no_prefix" in kinds:
            name = f"{name_brand}{word}{legal}"
        else:
            name = f"{prefix}{name_brand}{word}{legal}"
        if "spaces" in kinds:
            cut = self.rng.randrange(1, len(name))
            name = name[:cut] + " " + name[cut:]
        if "traditional" in kinds:
            name = _S2T.convert(name)
        record = Record(
            entity=original.entity,
            name=name,
            region=original.region,
            city=original.city,
            district=original.district if self.rng.random() < 0.7 else "",
            street=original.street if self.rng.random() < 0.5 else "",
            kind="+".join(sorted(kinds)),
        )
        decision_maker = original.contacts[0]
        roll = self.rng.random()
        if roll < 0.8:  # the same person and phone
            contact_name = decision_maker.name
            if "traditional" in kinds:
                contact_name = _S2T.convert(contact_name)
            record.contacts.append(Contact(contact_name, decision_maker.mobile, True))
        elif roll < 0.9:  # the same phone, another colleague answering it
            record.contacts.append(Contact(self.person(), decision_maker.mobile, True))
        else:  # the same person with a new phone
            record.contacts.append(Contact(decision_maker.name, self.mobile(), True))
        return record

    # --- different companies that look alike ----------------------------------------------------
    def look_alike(self, entity: int, other: Record) -> Record:
        brand, word = other.brand, other.word  # type: ignore[attr-defined]
        how = self.rng.choice(("other_city", "one_char", "homophone"))
        if how == "one_char":
            i = self.rng.randrange(len(brand))
            brand = brand[:i] + self.rng.choice(BRAND_CHARS) + brand[i + 1 :]
        elif how == "homophone":
            spots = [i for i, ch in enumerate(brand) if ch in HOMOPHONES]
            if spots:
                i = self.rng.choice(spots)
                brand = brand[:i] + HOMOPHONES[brand[i]] + brand[i + 1 :]
        record = self.company(entity, brand=brand, word=word)
        record.kind = f"look_alike:{how}"
        return record


def generate(
    count: int, *, seed: int, duplicate_rate: float = 0.08, look_alike_rate: float = 0.05
) -> list[Record]:
    """About `count` records; a share are extra entries of a company, a share look-alikes."""
    gen = _Generator(seed)
    records: list[Record] = []
    entity = 0
    shared_mobiles = [gen.mobile() for _ in range(max(1, count // 2000))]
    while len(records) < count:
        entity += 1
        original = gen.company(entity)
        records.append(original)
        roll = gen.rng.random()
        if roll < duplicate_rate:
            for _ in range(gen.rng.choice((1, 1, 1, 2))):
                records.append(gen.variant(original))
        elif roll < duplicate_rate + look_alike_rate:
            entity += 1
            records.append(gen.look_alike(entity, original))
        elif roll < duplicate_rate + look_alike_rate + 0.01:
            # an agency's number on an unrelated company's record
            original.contacts.append(Contact(gen.person(), gen.rng.choice(shared_mobiles)))
    return records[:count]


def true_pairs(records: list[Record], ids: list[int]) -> set[tuple[int, int]]:
    by_entity: dict[int, list[int]] = {}
    for record, pk in zip(records, ids, strict=True):
        by_entity.setdefault(record.entity, []).append(pk)
    pairs = set()
    for members in by_entity.values():
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                pairs.add((min(a, b), max(a, b)))
    return pairs
