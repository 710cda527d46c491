"""The demo company loaded on first start (`kehu run`) or by `kehu loaddemo`.

Two steps: `plan_customers` draws the customers from a seeded random generator (pure Python,
no database, so the same seed and day give the same company), and `load_demo` writes the
organisation and the plan in bulk. Bulk writes keep the first start quick, so they must give
exactly what the services give one record at a time: codes from the same monthly sequence,
derived fields from the same helpers, a creation history record per customer and contact.
"""

from __future__ import annotations

import datetime as dt
import os
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from kehu.accounts.models import Department, Role, RoleCode, User
from kehu.core.codes import reserve_serials
from kehu.core.text import pinyin_full
from kehu.customers.models import (
    Contact,
    Customer,
    CustomerShare,
    CustomerType,
    CustomFieldDefinition,
    CustomFieldType,
    EnterpriseType,
    Industry,
    Region,
    Scale,
    ShareAccess,
    Source,
    Status,
)
from kehu.customers.services import customer_code_prefix, customer_derive_fields
from kehu.customers.validators import CREDIT_CODE_CHARS, credit_code_check_char

DEFAULT_CUSTOMERS = 2000
DEFAULT_SEED = 2026
# Documented in the README; every demo user signs in with it.
DEFAULT_PASSWORD = "Kehu-Demo-2026"  # noqa: S105 (a published demo password)
CHUNK = 250
# Interactions per customer on average (skewed: most have a few, some dozens).
INTERACTIONS_PER_CUSTOMER = 6


def demo_password() -> str:
    return os.environ.get("KEHU_DEMO_PASSWORD") or DEFAULT_PASSWORD


# --- organisation -----------------------------------------------------------------------------
# key, name, parent key
DEPARTMENTS = [
    ("hq", "总公司", None),
    ("sales", "销售部", "hq"),
    ("east", "华东销售组", "sales"),
    ("north", "华北销售组", "sales"),
    ("south", "华南销售组", "sales"),
    ("service", "客服部", "hq"),
    ("marketing", "市场部", "hq"),
    ("data", "数据管理部", "hq"),
    ("it", "信息技术部", "hq"),
]


@dataclass(frozen=True)
class DemoUser:
    username: str
    full_name: str
    department: str
    roles: tuple[str, ...]
    superior: str | None = None
    heads: str | None = None  # the department this user heads


A, M, S = RoleCode.ADMIN, RoleCode.MANAGER, RoleCode.SALES
SV, MK, DS = RoleCode.SERVICE, RoleCode.MARKETING, RoleCode.DATA_STEWARD
USERS = [
    DemoUser("gaofeng", "高峰", "hq", (M,), heads="hq"),
    DemoUser("linfeng", "林峰", "it", (A,), "gaofeng", heads="it"),
    DemoUser("wangqiang", "王强", "sales", (M, S), "gaofeng", heads="sales"),
    DemoUser("chenjing", "陈静", "east", (M, S), "wangqiang", heads="east"),
    DemoUser("zhangwei", "张伟", "east", (S,), "chenjing"),
    DemoUser("lina", "李娜", "east", (S,), "chenjing"),
    DemoUser("liuyang", "刘洋", "east", (S,), "chenjing"),
    DemoUser("zhaolei", "赵磊", "north", (M, S), "wangqiang", heads="north"),
    DemoUser("wangfang", "王芳", "north", (S,), "zhaolei"),
    DemoUser("yangfan", "杨帆", "north", (S,), "zhaolei"),
    DemoUser("huangmin", "黄敏", "south", (M, S), "wangqiang", heads="south"),
    DemoUser("zhoujie", "周杰", "south", (S,), "huangmin"),
    DemoUser("wuting", "吴婷", "south", (S,), "huangmin"),
    DemoUser("sunli", "孙丽", "service", (M, SV), "gaofeng", heads="service"),
    DemoUser("xupeng", "徐鹏", "service", (SV, MK), "sunli"),
    DemoUser("machao", "马超", "marketing", (M, MK), "gaofeng", heads="marketing"),
    DemoUser("zhulin", "朱琳", "marketing", (MK,), "machao"),
    DemoUser("zhengtao", "郑涛", "data", (M, DS), "gaofeng", heads="data"),
    DemoUser("hexue", "何雪", "data", (DS, SV), "zhengtao"),
]

# Which sales group works which area (Region parent code); heads own fewer customers.
SALES_DIRECTOR = "wangqiang"
AREA_GROUP = {
    "east": "east",
    "north": "north",
    "northeast": "north",
    "northwest": "north",
    "south": "south",
    "central": "south",
    "southwest": "south",
}


def _owners_by_group() -> dict[str, list[tuple[str, int]]]:
    owners: dict[str, list[tuple[str, int]]] = {}
    for user in USERS:
        if S in user.roles:
            weight = 1 if user.heads else 4
            owners.setdefault(user.department, []).append((user.username, weight))
    return owners


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# --- places ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class City:
    region: str
    area: str
    name: str
    prefixes: tuple[str, ...]
    districts: tuple[tuple[str, str], ...]
    phone: str
    weight: int


# region code, area, city, name prefixes, districts with their area codes, phone code, weight
_CITY_TABLE = """
shanghai east 上海市 上海,上海市 浦东新区:310115,徐汇区:310104,闵行区:310112,静安区:310106 021 14
jiangsu east 苏州市 苏州,苏州市,江苏,苏州工业园区 工业园区:320571,吴中区:320506,虎丘区:320505 0512 9
jiangsu east 南京市 南京,南京市,江苏 江宁区:320115,鼓楼区:320106,建邺区:320105 025 5
jiangsu east 无锡市 无锡,无锡市,江苏 滨湖区:320211,新吴区:320214 0510 3
zhejiang east 杭州市 杭州,杭州市,浙江 西湖区:330106,滨江区:330108,余杭区:330110,萧山区:330109 0571 8
zhejiang east 宁波市 宁波,宁波市,浙江 鄞州区:330212,北仑区:330206 0574 4
anhui east 合肥市 合肥,合肥市,安徽 蜀山区:340104,包河区:340111 0551 3
fujian east 厦门市 厦门,厦门市,福建 思明区:350203,湖里区:350206 0592 3
jiangxi east 南昌市 南昌,南昌市,江西 红谷滩区:360113,青山湖区:360111 0791 1
shandong east 青岛市 青岛,青岛市,山东 黄岛区:370211,市南区:370202 0532 3
shandong east 济南市 济南,济南市,山东 历下区:370102,槐荫区:370104 0531 2
beijing north 北京市 北京,北京市 海淀区:110108,朝阳区:110105,东城区:110101,西城区:110102 010 12
tianjin north 天津市 天津,天津市 滨海新区:120116,南开区:120104,和平区:120101 022 4
hebei north 石家庄市 石家庄,河北 长安区:130102,裕华区:130108 0311 2
shanxi north 太原市 太原,山西 小店区:140105 0351 1
inner_mongolia north 呼和浩特市 呼和浩特,内蒙古 新城区:150102 0471 1
liaoning northeast 沈阳市 沈阳,辽宁 和平区:210102,浑南区:210112 024 2
liaoning northeast 大连市 大连,大连市 甘井子区:210211,中山区:210202 0411 2
jilin northeast 长春市 长春,吉林 朝阳区:220104 0431 1
heilongjiang northeast 哈尔滨市 哈尔滨,黑龙江 南岗区:230103 0451 1
shaanxi northwest 西安市 西安,陕西 雁塔区:610113,未央区:610112 029 3
gansu northwest 兰州市 兰州,甘肃 城关区:620102 0931 1
xinjiang northwest 乌鲁木齐市 乌鲁木齐,新疆 天山区:650102 0991 1
guangdong south 深圳市 深圳,深圳市,广东 南山区:440305,福田区:440304,宝安区:440306 0755 11
guangdong south 广州市 广州,广州市,广东 天河区:440106,越秀区:440104,番禺区:440113 020 9
guangdong south 东莞市 东莞,东莞市,广东 松山湖:441900,长安镇:441900 0769 4
guangdong south 佛山市 佛山,佛山市,广东 顺德区:440606,南海区:440605 0757 3
guangxi south 南宁市 南宁,广西 青秀区:450103 0771 1
hainan south 海口市 海口,海南 龙华区:460106 0898 1
hubei central 武汉市 武汉,武汉市,湖北 洪山区:420111,江汉区:420103,东西湖区:420112 027 4
hunan central 长沙市 长沙,长沙市,湖南 岳麓区:430104,雨花区:430111 0731 3
henan central 郑州市 郑州,郑州市,河南 金水区:410105,中原区:410102 0371 2
sichuan southwest 成都市 成都,成都市,四川 武侯区:510107,锦江区:510104,郫都区:510117 028 5
chongqing southwest 重庆市 重庆,重庆市 渝北区:500112,九龙坡区:500107 023 3
yunnan southwest 昆明市 昆明,云南 五华区:530102 0871 1
guizhou southwest 贵阳市 贵阳,贵州 观山湖区:520115 0851 1
"""


def _parse_cities(table: str) -> list[City]:
    cities = []
    for line in table.strip().splitlines():
        region, area, name, prefixes, districts, phone, weight = line.split()
        cities.append(
            City(
                region=region,
                area=area,
                name=name,
                prefixes=tuple(prefixes.split(",")),
                districts=tuple(tuple(d.split(":")) for d in districts.split(",")),
                phone=phone,
                weight=int(weight),
            )
        )
    return cities


CITIES = _parse_cities(_CITY_TABLE)

ROADS = _words(
    "人民路 中山路 解放路 建设路 长江路 黄河路 科技路 创新大道 星湖街 世纪大道 高新大道 "
    "工业园路 滨江大道 学府路 金融街 迎宾大道 南京路 和平路 新华路 光明路 东风路 延安路"
)
BUILDINGS = ("", "", "", "国际大厦", "科技园", "创业中心", "商务中心", "产业园", "广场")

# --- names ------------------------------------------------------------------------------------
BRAND_FIRST = "恒华金鼎宏博瑞天联新星中万德嘉盛泰锦汇佳永兴安启辰凯卓昊润信诚远"
BRAND_SECOND = "瑞信达盛远丰成创锐辰科通源泰和利康美昌隆宇航腾峰川禾"
FOREIGN_BRANDS = _words(
    "艾科瑞 德福尔 施耐特 柯尼斯 拜尔森 罗兰德 诺华特 贝克曼 特瑞斯 伊莱克 赫斯曼 阿尔派 "
    "福斯特 萨瑞纳 卡莱尔 维森 欧朗 霍夫曼"
)
# industry code, weight, business words
INDUSTRY_WORDS = [
    ("auto_parts", 8, ("汽车零部件", "汽车配件", "汽车电子", "车桥")),
    ("electronics", 8, ("电子", "电子科技", "光电科技", "微电子", "智能科技")),
    ("machinery", 9, ("精密机械", "机械设备", "重工机械", "自动化设备", "数控机床")),
    ("pharmaceuticals", 4, ("制药", "生物医药", "药业", "生物科技")),
    ("food_beverage", 5, ("食品", "饮料", "乳业", "食品科技")),
    ("textiles", 4, ("纺织", "服饰", "制衣", "家纺")),
    ("chemicals", 4, ("化工", "新材料", "精细化工", "涂料")),
    ("metal_products", 4, ("金属制品", "五金", "钢结构", "铝业")),
    ("software_it", 12, ("软件技术", "信息技术", "网络科技", "计算机系统", "数据科技", "云计算")),
    ("chain_retail", 3, ("商业连锁", "百货", "零售连锁")),
    ("ecommerce", 4, ("电子商务", "电商", "网络销售")),
    ("supermarket", 2, ("超市", "便利店连锁")),
    ("wholesale", 5, ("贸易", "商贸", "进出口", "供应链管理")),
    ("building", 3, ("建设工程", "建筑工程", "建工")),
    ("decoration", 2, ("装饰工程", "建筑装饰", "装饰设计工程")),
    ("civil_engineering", 2, ("路桥工程", "市政工程", "土木工程")),
    ("insurance", 1, ("保险代理", "保险经纪")),
    ("securities", 1, ("投资咨询", "资产管理")),
    ("consulting", 3, ("企业管理咨询", "管理咨询", "咨询服务")),
    ("advertising", 2, ("广告", "文化传媒", "广告传媒")),
    ("human_resources", 2, ("人力资源服务", "人力资源", "企业服务")),
    ("logistics", 5, ("物流", "供应链", "国际货运代理", "运输")),
    ("power", 2, ("电力工程", "电气", "电力设备")),
    ("new_energy", 4, ("新能源科技", "光伏科技", "储能技术")),
    ("education", 2, ("教育科技", "教育咨询")),
    ("healthcare", 3, ("医疗器械", "医疗科技", "健康管理")),
    ("real_estate", 2, ("置业", "房地产开发", "物业管理")),
    ("hospitality", 2, ("餐饮管理", "酒店管理", "餐饮")),
    ("agriculture", 2, ("农业发展", "农业科技", "生态农业")),
    ("culture_media", 2, ("文化传播", "影视文化", "体育文化")),
]
LEGAL_FORMS = (("有限公司", 70), ("股份有限公司", 12), ("有限责任公司", 8), ("集团有限公司", 4))

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝"
)
GIVEN_NAMES = _words(
    "伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀英 霞 平 刚 华 建华 建国 志强 "
    "海燕 玉兰 晓东 晓明 俊杰 子涵 浩然 宇轩 欣怡 梓萱 诗涵 一鸣 文博 思远 佳怡 嘉豪 "
    "立新 国强 红梅 丽娟 晓燕 建军 永刚 春梅 海涛 雪梅 志刚 凯 鹏 慧 颖 婷 琳 斌 彬 新民 "
    "晓峰 振华 文静 雅琴"
)
DECISION_TITLES = (
    ("总经理", 20),
    ("董事长", 8),
    ("副总经理", 12),
    ("采购总监", 14),
    ("技术总监", 10),
    ("运营总监", 6),
    ("财务总监", 6),
    ("信息中心主任", 6),
    ("厂长", 4),
    ("采购部经理", 10),
    ("", 4),  # 待补全: some records arrive without the title
)
CONTACT_TITLES = _words(
    "采购经理 项目经理 采购专员 IT经理 行政主管 财务经理 工程师 销售经理 总经理助理 "
    "生产主管 质量经理 运营专员"
)
MOBILE_PREFIXES = _words(
    "130 131 132 133 135 136 137 138 139 150 151 152 153 155 156 157 158 159 166 176 177 "
    "178 180 181 182 183 185 186 187 188 189 198 199"
)
REMARKS = (
    "年底有预算，重点跟进。",
    "对数据治理模块感兴趣，需安排技术交流。",
    "展会结识，已发送产品资料。",
    "老客户转介绍，决策链较短。",
    "价格敏感，报价需申请折扣。",
    "已发送报价单，等待反馈。",
    "计划下季度启动信息化项目。",
    "需要对接现有ERP系统。",
)
PRODUCT_CHOICES = ["CRM标准版", "CRM专业版", "数据治理服务", "营销自动化", "定制开发"]
CUSTOM_FIELDS = [
    {
        "key": "annual_revenue",
        "label_zh": "年营业额（万元）",
        "label_en": "Annual revenue (10k CNY)",
        "field_type": CustomFieldType.NUMBER,
        "min_value": Decimal(0),
    },
    {
        "key": "product_interest",
        "label_zh": "合作意向产品",
        "label_en": "Product of interest",
        "field_type": CustomFieldType.CHOICE,
        "choices": PRODUCT_CHOICES,
    },
]
DELIBERATE_DUPLICATES = 3  # near-duplicate pairs, for the duplicate scan to find


# --- the plan ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class DemoContact:
    name: str
    title: str
    mobile: str
    email: str = ""
    phone: str = ""
    is_decision_maker: bool = False


@dataclass(frozen=True)
class DemoCustomer:
    owner: str
    customer_type: str
    name: str
    credit_code: str | None
    industry: str | None
    scale: str
    enterprise_type: str
    region: str
    city: str
    district: str
    street: str
    source: str
    first_contact_date: dt.date
    status: str
    annual_budget: Decimal | None
    remarks: str
    custom_fields: dict
    contacts: tuple[DemoContact, ...]
    shares: tuple[tuple[str, str], ...] = ()


def _pick(rng: random.Random, weighted: Iterable[tuple[object, int]]):
    items = list(weighted)
    return rng.choices([i for i, _ in items], weights=[w for _, w in items])[0]


@dataclass
class _Planner:
    rng: random.Random
    today: dt.date
    names: set[str] = field(default_factory=set)
    mobiles: set[str] = field(default_factory=set)
    credit_codes: set[str] = field(default_factory=set)

    def person(self) -> str:
        surname = self.rng.choice(SURNAMES)
        return surname + self.rng.choice(GIVEN_NAMES)

    def mobile(self) -> str:
        while True:
            number = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self.mobiles:
                self.mobiles.add(number)
                return number

    def credit_code(self, area: str) -> str:
        while True:
            if self.rng.random() < 0.35:  # older companies keep their digit organisation code
                org = "".join(self.rng.choice("0123456789") for _ in range(9))
            else:
                org = "MA" + "".join(self.rng.choice(CREDIT_CODE_CHARS) for _ in range(7))
            first17 = "91" + area + org
            code = first17 + credit_code_check_char(first17)
            if code not in self.credit_codes:
                self.credit_codes.add(code)
                return code

    def company_name(self, city: City, words: tuple[str, ...], kind: str) -> tuple[str, str]:
        """A full legal name and its brand (字号)."""
        while True:
            word = self.rng.choice(words)
            if kind == EnterpriseType.FOREIGN:
                brand = self.rng.choice(FOREIGN_BRANDS)
                name = f"{brand}{word}（{city.name[:-1]}）有限公司"
            else:
                brand = self.rng.choice(BRAND_FIRST) + self.rng.choice(BRAND_SECOND)
                form = _pick(self.rng, LEGAL_FORMS)
                if kind == EnterpriseType.STATE_OWNED and self.rng.random() < 0.5:
                    form = "集团有限公司"
                name = f"{self.rng.choice(city.prefixes)}{brand}{word}{form}"
            if name not in self.names:
                self.names.add(name)
                return name, brand

    def individual_name(self) -> str:
        while True:
            name = self.person()
            if name not in self.names:
                self.names.add(name)
                return name

    def first_contact(self) -> dt.date:
        # Three years back, more of them recent.
        return self.today - dt.timedelta(days=int(self.rng.triangular(0, 3 * 365, 60)))

    def budget(self, scale: str) -> Decimal | None:
        if self.rng.random() < 0.2:
            return None
        low, high = {
            Scale.SMALL: (20_000, 300_000),
            Scale.MEDIUM: (100_000, 1_000_000),
            Scale.LARGE: (500_000, 8_000_000),
        }[scale]
        value = self.rng.lognormvariate(0, 0.6) * (low * high) ** 0.5
        value = min(max(value, low), high)
        return Decimal(int(value / 1000) * 1000).quantize(Decimal("0.01"))

    def status(self, first: dt.date) -> str:
        age = (self.today - first).days
        if age < 90:
            weights = ((Status.PROSPECT, 60), (Status.INTERESTED, 32), (Status.CUSTOMER, 6))
        else:
            weights = (
                (Status.PROSPECT, 30),
                (Status.INTERESTED, 30),
                (Status.CUSTOMER, 28),
                (Status.LOST, 12),
            )
        return _pick(self.rng, weights)

    def contacts(self, brand: str, individual: str | None, city: City) -> list[DemoContact]:
        domain = f"{pinyin_full(brand)}.com.cn"
        people: list[DemoContact] = []
        if individual:
            people.append(DemoContact(individual, "本人", self.mobile(), is_decision_maker=True))
            return people
        count = _pick(self.rng, ((1, 35), (2, 35), (3, 20), (4, 10)))
        taken: set[str] = set()
        for index in range(count):
            name = self.person()
            while name in taken:
                name = self.person()
            taken.add(name)
            decision_maker = index == 0
            title = (
                _pick(self.rng, DECISION_TITLES)
                if decision_maker
                else self.rng.choice(CONTACT_TITLES)
            )
            mobile = self.mobile() if decision_maker or self.rng.random() < 0.8 else ""
            email = f"{pinyin_full(name)}@{domain}" if self.rng.random() < 0.5 else ""
            phone = (
                f"{city.phone}-{self.rng.randrange(10**7, 10**8)}"
                if self.rng.random() < 0.25
                else ""
            )
            people.append(DemoContact(name, title, mobile, email, phone, decision_maker))
        return people


def plan_customers(*, count: int, seed: int, today: dt.date) -> list[DemoCustomer]:
    """The demo customers for `seed`; the same seed and day always give the same list."""
    rng = random.Random(seed)
    planner = _Planner(rng=rng, today=today)
    owners = _owners_by_group()
    sales_users = [u.username for u in USERS if S in u.roles]
    industries = [(code, weight) for code, weight, _ in INDUSTRY_WORDS]
    words_of = {code: words for code, _, words in INDUSTRY_WORDS}
    duplicates = DELIBERATE_DUPLICATES if count >= 500 else 0
    customers: list[DemoCustomer] = []
    for _ in range(count - duplicates):
        city = _pick(rng, ((c, c.weight) for c in CITIES))
        district, area_code = rng.choice(city.districts)
        # The sales director keeps a few key accounts; the groups work their own areas.
        owner = SALES_DIRECTOR if rng.random() < 0.03 else _pick(rng, owners[AREA_GROUP[city.area]])
        individual = rng.random() < 0.06
        industry = _pick(rng, industries)
        if individual:
            name = brand = planner.individual_name()
            kind, scale, credit_code = "", Scale.SMALL, None
            industry = rng.choice(("chain_retail", "wholesale", "consulting", "hospitality"))
        else:
            kind = _pick(
                rng,
                (
                    (EnterpriseType.PRIVATE, 70),
                    (EnterpriseType.STATE_OWNED, 14),
                    (EnterpriseType.FOREIGN, 12),
                    ("", 4),
                ),
            )
            name, brand = planner.company_name(city, words_of[industry], kind)
            scale = _pick(rng, ((Scale.SMALL, 55), (Scale.MEDIUM, 30), (Scale.LARGE, 15)))
            credit_code = planner.credit_code(area_code) if rng.random() < 0.92 else None
        first = planner.first_contact()
        status = planner.status(first)
        custom: dict = {}
        if not individual and rng.random() < 0.5:
            base = {Scale.SMALL: 800, Scale.MEDIUM: 8000, Scale.LARGE: 80000}[scale]
            custom["annual_revenue"] = int(base * rng.lognormvariate(0, 0.7))
        if status in (Status.INTERESTED, Status.CUSTOMER) and rng.random() < 0.6:
            custom["product_interest"] = rng.choice(PRODUCT_CHOICES)
        building = rng.choice(BUILDINGS)
        street = f"{rng.choice(ROADS)}{rng.randrange(1, 999)}号{building}"
        shares: tuple[tuple[str, str], ...] = ()
        if rng.random() < 0.04:
            colleague = rng.choice([u for u in sales_users if u != owner])
            access = ShareAccess.WRITE if rng.random() < 0.3 else ShareAccess.READ
            shares = ((colleague, access),)
        customers.append(
            DemoCustomer(
                owner=owner,
                customer_type=CustomerType.INDIVIDUAL if individual else CustomerType.ENTERPRISE,
                name=name,
                credit_code=credit_code,
                industry=None if (not individual and rng.random() < 0.03) else industry,
                scale=scale,
                enterprise_type=kind,
                region=city.region,
                city=city.name,
                district=district,
                street=street,
                source=_pick(
                    rng,
                    (
                        (Source.WEBSITE, 25),
                        (Source.EXHIBITION, 20),
                        (Source.PHONE, 18),
                        (Source.REFERRAL, 22),
                        (Source.ONLINE_PROMOTION, 15),
                    ),
                ),
                first_contact_date=first,
                status=status,
                annual_budget=planner.budget(scale),
                remarks=rng.choice(REMARKS) if rng.random() < 0.15 else "",
                custom_fields=custom,
                contacts=tuple(planner.contacts(brand, name if individual else None, city)),
                shares=shares,
            )
        )
    customers.extend(_near_duplicates(customers, duplicates, planner))
    return customers


def _near_duplicates(
    customers: list[DemoCustomer], count: int, planner: _Planner
) -> list[DemoCustomer]:
    """Companies entered twice the way people do it (苏州恒瑞…有限公司 and 恒瑞…（苏州）有限公司,
    same decision maker and mobile), for the duplicate scan to find."""
    originals = []
    for customer in customers:
        city = customer.city.removesuffix("市")
        stem = customer.name.removeprefix(city + "市").removeprefix(city)
        if (
            customer.customer_type == CustomerType.ENTERPRISE
            and customer.enterprise_type != EnterpriseType.FOREIGN
            and stem != customer.name
            and stem[:1] in BRAND_FIRST
            and stem.endswith("有限公司")
        ):
            originals.append((customer, stem.replace("有限公司", f"（{city}）有限公司", 1)))
    planner.rng.shuffle(originals)
    twins: list[DemoCustomer] = []
    for original, name in originals:
        if len(twins) == count:
            break
        if name in planner.names:
            continue
        planner.names.add(name)
        twins.append(
            replace(
                original,
                name=name,
                credit_code=None,
                status=Status.PROSPECT,
                remarks="",
                custom_fields={},
                contacts=original.contacts[:1],
                shares=(),
            )
        )
    return twins


# --- loading ----------------------------------------------------------------------------------
class DemoAlreadyLoaded(Exception):
    pass


@dataclass
class DemoSummary:
    departments: int
    users: list[User]
    customers: int
    contacts: int
    password: str
    activity: dict[str, int]  # interactions, opportunities, contracts, payments, orders, …


def load_demo(
    *,
    customers: int = DEFAULT_CUSTOMERS,
    seed: int = DEFAULT_SEED,
    password: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> DemoSummary:
    """Write the demo organisation and `customers` customers in one transaction."""
    if User.objects.filter(username__in=[u.username for u in USERS]).exists():
        raise DemoAlreadyLoaded
    password = password or demo_password()
    plan = plan_customers(count=customers, seed=seed, today=timezone.localdate())
    with transaction.atomic():
        departments = _create_departments()
        users = _create_users(departments, password)
        _create_custom_fields()
        contacts = _create_customers(plan, users, progress or (lambda n: None))
        # What the sales groups did with them: interactions and deals, drawn as the benchmark
        # generator draws them (core.generate imports this module: imported here).
        from kehu.core.generate import add_activity

        activity = add_activity(
            list(Customer.objects.filter(owner__in=users.values()).order_by("pk")),
            interactions=len(plan) * INTERACTIONS_PER_CUSTOMER,
            seed=seed,
        )
    return DemoSummary(
        departments=len(departments),
        users=list(users.values()),
        customers=len(plan),
        contacts=contacts,
        password=password,
        activity=activity,
    )


def _create_departments() -> dict[str, Department]:
    departments: dict[str, Department] = {}
    for order, (key, name, parent) in enumerate(DEPARTMENTS):
        departments[key] = Department.objects.create(
            name=name, parent=departments.get(parent) if parent else None, sort_order=order
        )
    return departments


def _create_users(departments: dict[str, Department], password: str) -> dict[str, User]:
    # One hash for all: hashing is deliberately slow and every demo user shares the password.
    hashed = make_password(password)
    roles = {role.code: role for role in Role.objects.all()}
    users: dict[str, User] = {}
    for spec in USERS:
        user = User.objects.create(
            username=spec.username,
            full_name=spec.full_name,
            email=f"{spec.username}@example.com",
            password=hashed,
            department=departments[spec.department],
            superior=users[spec.superior] if spec.superior else None,
        )
        user.roles.set([roles[code] for code in spec.roles])
        users[spec.username] = user
        if spec.heads:
            departments[spec.heads].head = user
            departments[spec.heads].save(update_fields=["head"])
    return users


def _create_custom_fields() -> None:
    for order, spec in enumerate(CUSTOM_FIELDS):
        if CustomFieldDefinition.objects.filter(key=spec["key"]).exists():
            continue
        definition = CustomFieldDefinition(**{**spec, "sort_order": order + 1})
        definition.full_clean()
        definition.save()


def _create_customers(
    plan: list[DemoCustomer], users: dict[str, User], progress: Callable[[int], None]
) -> int:
    industries = {i.code: i for i in Industry.objects.all()}
    regions = {r.code: r for r in Region.objects.all()}
    # Same code format as customers.services.customer_new_code, serials reserved in one go.
    prefix = customer_code_prefix()
    serials = iter(reserve_serials(prefix, len(plan)))
    contact_count = 0
    for start in range(0, len(plan), CHUNK):
        chunk = plan[start : start + CHUNK]
        rows: list[Customer] = []
        for item in chunk:
            owner = users[item.owner]
            customer = Customer(
                code=f"{prefix}{next(serials):05d}",
                customer_type=item.customer_type,
                name=item.name,
                credit_code=item.credit_code,
                industry=industries.get(item.industry) if item.industry else None,
                scale=item.scale,
                enterprise_type=item.enterprise_type,
                region=regions[item.region],
                city=item.city,
                district=item.district,
                street=item.street,
                source=item.source,
                first_contact_date=item.first_contact_date,
                status=item.status,
                annual_budget=item.annual_budget,
                remarks=item.remarks,
                owner=owner,
                created_by=owner,
                custom_fields=item.custom_fields,
            )
            customer_derive_fields(customer)
            customer._history_user = owner
            rows.append(customer)
        bulk_create_with_history(rows, Customer, batch_size=CHUNK)
        contacts: list[Contact] = []
        shares: list[CustomerShare] = []
        for item, customer in zip(chunk, rows, strict=True):
            for person in item.contacts:
                contact = Contact(
                    customer=customer,
                    name=person.name,
                    title=person.title,
                    mobile=person.mobile,
                    email=person.email,
                    phone=person.phone,
                    is_decision_maker=person.is_decision_maker,
                )
                contact._history_user = customer.owner
                contacts.append(contact)
            shares.extend(
                CustomerShare(customer=customer, user=users[username], access=access)
                for username, access in item.shares
            )
        bulk_create_with_history(contacts, Contact, batch_size=CHUNK * 2)
        CustomerShare.objects.bulk_create(shares)
        contact_count += len(contacts)
        progress(len(chunk))
    return contact_count
