"""Preset lists loaded by migrations and editable by administrators afterwards."""

# (code, Chinese, English, [(code, Chinese, English), …])
INDUSTRIES = [
    (
        "manufacturing",
        "制造业",
        "Manufacturing",
        [
            ("auto_parts", "汽车零部件", "Auto parts"),
            ("electronics", "电子设备", "Electronic equipment"),
            ("machinery", "机械设备", "Machinery"),
            ("pharmaceuticals", "医药制造", "Pharmaceuticals"),
            ("food_beverage", "食品饮料", "Food and beverage"),
            ("textiles", "纺织服装", "Textiles and apparel"),
            ("chemicals", "化工", "Chemicals"),
            ("metal_products", "金属制品", "Metal products"),
        ],
    ),
    ("software_it", "软件和信息技术服务业", "Software and IT services", []),
    (
        "retail",
        "零售业",
        "Retail",
        [
            ("chain_retail", "连锁零售", "Chain retail"),
            ("ecommerce", "电子商务", "E-commerce"),
            ("supermarket", "超市便利店", "Supermarkets and convenience stores"),
        ],
    ),
    ("wholesale", "批发业", "Wholesale", []),
    (
        "construction",
        "建筑业",
        "Construction",
        [
            ("building", "房屋建筑", "Building construction"),
            ("decoration", "建筑装饰", "Building decoration"),
            ("civil_engineering", "土木工程", "Civil engineering"),
        ],
    ),
    (
        "finance",
        "金融业",
        "Finance",
        [
            ("banking", "银行", "Banking"),
            ("insurance", "保险", "Insurance"),
            ("securities", "证券", "Securities"),
        ],
    ),
    (
        "business_services",
        "租赁和商务服务业",
        "Leasing and business services",
        [
            ("consulting", "咨询", "Consulting"),
            ("advertising", "广告", "Advertising"),
            ("human_resources", "人力资源", "Human resources"),
        ],
    ),
    ("logistics", "交通运输和物流业", "Transport and logistics", []),
    (
        "energy",
        "能源",
        "Energy",
        [
            ("power", "电力", "Power"),
            ("new_energy", "新能源", "New energy"),
        ],
    ),
    ("education", "教育", "Education", []),
    ("healthcare", "卫生和医疗", "Healthcare", []),
    ("real_estate", "房地产业", "Real estate", []),
    ("hospitality", "住宿和餐饮业", "Hospitality and catering", []),
    ("agriculture", "农林牧渔业", "Agriculture", []),
    ("culture_media", "文化、体育和娱乐业", "Culture, sports and media", []),
    ("public_sector", "公共管理", "Public administration", []),
    ("other", "其他", "Other", []),
]

REGIONS = [
    (
        "north",
        "华北",
        "North China",
        [
            ("beijing", "北京", "Beijing"),
            ("tianjin", "天津", "Tianjin"),
            ("hebei", "河北", "Hebei"),
            ("shanxi", "山西", "Shanxi"),
            ("inner_mongolia", "内蒙古", "Inner Mongolia"),
        ],
    ),
    (
        "northeast",
        "东北",
        "Northeast China",
        [
            ("liaoning", "辽宁", "Liaoning"),
            ("jilin", "吉林", "Jilin"),
            ("heilongjiang", "黑龙江", "Heilongjiang"),
        ],
    ),
    (
        "east",
        "华东",
        "East China",
        [
            ("shanghai", "上海", "Shanghai"),
            ("jiangsu", "江苏", "Jiangsu"),
            ("zhejiang", "浙江", "Zhejiang"),
            ("anhui", "安徽", "Anhui"),
            ("fujian", "福建", "Fujian"),
            ("jiangxi", "江西", "Jiangxi"),
            ("shandong", "山东", "Shandong"),
        ],
    ),
    (
        "central",
        "华中",
        "Central China",
        [
            ("henan", "河南", "Henan"),
            ("hubei", "湖北", "Hubei"),
            ("hunan", "湖南", "Hunan"),
        ],
    ),
    (
        "south",
        "华南",
        "South China",
        [
            ("guangdong", "广东", "Guangdong"),
            ("guangxi", "广西", "Guangxi"),
            ("hainan", "海南", "Hainan"),
        ],
    ),
    (
        "southwest",
        "西南",
        "Southwest China",
        [
            ("chongqing", "重庆", "Chongqing"),
            ("sichuan", "四川", "Sichuan"),
            ("guizhou", "贵州", "Guizhou"),
            ("yunnan", "云南", "Yunnan"),
            ("tibet", "西藏", "Tibet"),
        ],
    ),
    (
        "northwest",
        "西北",
        "Northwest China",
        [
            ("shaanxi", "陕西", "Shaanxi"),
            ("gansu", "甘肃", "Gansu"),
            ("qinghai", "青海", "Qinghai"),
            ("ningxia", "宁夏", "Ningxia"),
            ("xinjiang", "新疆", "Xinjiang"),
        ],
    ),
    (
        "hmt",
        "港澳台",
        "Hong Kong, Macao and Taiwan",
        [
            ("hong_kong", "香港", "Hong Kong"),
            ("macao", "澳门", "Macao"),
            ("taiwan", "台湾", "Taiwan"),
        ],
    ),
]


def load_two_level(model, entries) -> None:
    """Idempotent: re-running updates labels and adds missing entries."""
    for order, (code, zh, en, children) in enumerate(entries):
        parent, _ = model.objects.update_or_create(
            code=code, defaults={"name_zh": zh, "name_en": en, "sort_order": order, "parent": None}
        )
        for child_order, (child_code, child_zh, child_en) in enumerate(children):
            model.objects.update_or_create(
                code=child_code,
                defaults={
                    "name_zh": child_zh,
                    "name_en": child_en,
                    "sort_order": child_order,
                    "parent": parent,
                },
            )
