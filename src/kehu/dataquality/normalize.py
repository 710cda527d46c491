"""Company-name normalisation for duplicate detection (spec §5, seed §2.3).

科技有限公司 and 科技(北京)有限公司 with the same contact and phone are one customer. The
normal form folds what a human would ignore when comparing two names:

- full-width and half-width forms (NFKC: （ → (, ＡＢＣ → ABC);
- traditional and simplified characters (騰訊 → 腾讯);
- letter case, whitespace and punctuation;
- anything in brackets (a region such as (北京), or (集团), (中国));
- legal-form suffixes (有限公司, 股份有限公司, Co., Ltd. …);
- a leading place name (深圳市, 北京, 广东省 …), when a name remains after it.

Each step runs until nothing changes, so the result is a fixed point (normalising twice gives
the same string).
"""

from __future__ import annotations

import functools
import re
import unicodedata

from kehu.core.text import to_simplified

LEGAL_SUFFIXES = (
    "股份有限公司",
    "有限责任公司",
    "集团有限公司",
    "有限公司",
    "股份公司",
    "集团公司",
    "分公司",
    "公司",
    "集团",
    "有限合伙",
    "普通合伙",
    "合伙企业",
    "个人独资企业",
    "co ltd",
    "coltd",
    "company limited",
    "limited",
    "ltd",
    "inc",
    "corporation",
    "corp",
    "llc",
    "gmbh",
    "plc",
)

PROVINCES = (
    "北京",
    "天津",
    "上海",
    "重庆",
    "河北",
    "山西",
    "辽宁",
    "吉林",
    "黑龙江",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "海南",
    "四川",
    "贵州",
    "云南",
    "陕西",
    "甘肃",
    "青海",
    "台湾",
    "内蒙古",
    "广西",
    "西藏",
    "宁夏",
    "新疆",
    "香港",
    "澳门",
)
CITIES = (
    "深圳",
    "广州",
    "苏州",
    "杭州",
    "南京",
    "成都",
    "武汉",
    "西安",
    "青岛",
    "宁波",
    "厦门",
    "大连",
    "无锡",
    "佛山",
    "东莞",
    "合肥",
    "长沙",
    "郑州",
    "济南",
    "沈阳",
    "哈尔滨",
    "长春",
    "福州",
    "昆明",
    "贵阳",
    "南宁",
    "海口",
    "石家庄",
    "太原",
    "呼和浩特",
    "兰州",
    "西宁",
    "银川",
    "乌鲁木齐",
    "拉萨",
    "南昌",
    "珠海",
    "中山",
    "温州",
    "常州",
    "嘉兴",
    "绍兴",
    "烟台",
    "泉州",
    "惠州",
    "金华",
    "台州",
    "徐州",
    "南通",
    "扬州",
    "潍坊",
    "洛阳",
    "宜昌",
    "襄阳",
    "株洲",
    "芜湖",
    "唐山",
    "保定",
    "廊坊",
    "鞍山",
    "三亚",
)
_PLACE_SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市")
_BRACKETS = re.compile(r"[(\[{【〔<《][^()\[\]{}【】〔〕<>《》]*[)\]}】〕>》]")
_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)
# A name must keep at least this many characters after a place name is removed.
MIN_CORE = 2


@functools.cache
def _places() -> tuple[frozenset[str], tuple[int, ...]]:
    """Place names, and their lengths longest first: a prefix is looked up once per length
    (a few set lookups instead of hundreds of startswith calls per name)."""
    names = {p + s for p in PROVINCES + CITIES for s in _PLACE_SUFFIXES} | set(PROVINCES + CITIES)
    return frozenset(names), tuple(sorted({len(n) for n in names}, reverse=True))


def fold(text: str) -> str:
    """Width, script and case folded, brackets kept: the first step of every comparison."""
    return to_simplified(unicodedata.normalize("NFKC", text or "")).lower().strip()


def _strip_once(name: str) -> str:
    without_brackets = _BRACKETS.sub("", name)
    # A name that is all brackets keeps their content rather than becoming empty.
    compact = _NOISE.sub("", without_brackets) or _NOISE.sub("", name)
    for suffix in LEGAL_SUFFIXES:
        key = suffix.replace(" ", "")
        if compact.endswith(key) and len(compact) > len(key):
            compact = compact[: -len(key)]
            break
    places, lengths = _places()
    for length in lengths:
        if len(compact) - length >= MIN_CORE and compact[:length] in places:
            compact = compact[length:]
            break
    return compact


def normalize_company_name(name: str) -> str:
    """The comparable core of a company name (see module docstring)."""
    current = fold(name)
    while True:
        stripped = _strip_once(current)
        if stripped == current:
            return current
        current = stripped


def normalize_person_name(name: str) -> str:
    """Contact names: width, script, case and spaces folded (张 伟 = 張偉)."""
    return _NOISE.sub("", fold(name))
