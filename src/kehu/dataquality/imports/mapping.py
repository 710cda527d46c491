"""Import columns: the target fields a spreadsheet column can fill, how headers are matched
to them automatically, and the mapping each user chose last time for the same headers."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import User
from kehu.customers.models import CustomFieldDefinition, CustomFieldType
from kehu.dataquality.imports.models import ImportMappingMemory, ImportMode

CUSTOM_PREFIX = "custom:"


@dataclass(frozen=True)
class Target:
    """A field a column can fill. `synonyms` are headers other systems commonly use."""

    key: str
    label: object
    note: object
    required: bool = False
    synonyms: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()


TARGETS: tuple[Target, ...] = (
    Target(
        "code",
        _("customer code"),
        _("Only to update: the code of an existing customer (CX…). Leave empty to create."),
        synonyms=("客户编号", "客户代码", "编号", "code", "customer id"),
    ),
    Target(
        "customer_type",
        _("customer type"),
        _("Choose from the list; empty means enterprise."),
        synonyms=("类型", "客户类别", "type"),
    ),
    Target(
        "name",
        _("customer name"),
        _("Required. Full legal name as on the business licence."),
        required=True,
        synonyms=(
            "公司名称",
            "客户名称",
            "企业名称",
            "单位名称",
            "公司",
            "名称",
            "company",
            "company name",
        ),
    ),
    Target(
        "credit_code",
        _("unified social credit code"),
        _("18 characters; optional for individuals."),
        synonyms=("信用代码", "统一信用代码", "社会信用代码", "税号", "credit code", "uscc"),
    ),
    Target(
        "industry",
        _("industry"),
        _("Choose a specific industry from the list."),
        synonyms=("行业", "所属行业", "行业分类", "sector"),
    ),
    Target(
        "scale",
        _("scale"),
        _("Required. Choose from the list."),
        required=True,
        synonyms=("规模", "企业规模", "公司规模", "规模大小", "size", "company size"),
    ),
    Target(
        "enterprise_type",
        _("enterprise type"),
        _("Choose from the list."),
        synonyms=("企业性质", "公司性质", "ownership"),
    ),
    Target(
        "region",
        _("province / region"),
        _("Choose a province from the list."),
        synonyms=("省份", "省", "地区", "所在地区", "所在省份", "province", "region"),
    ),
    Target("city", _("city"), _("Text, e.g. 杭州市."), synonyms=("城市", "市")),
    Target("district", _("district"), _("Text, e.g. 西湖区."), synonyms=("区县", "区")),
    Target(
        "street",
        _("street address"),
        _("Text."),
        synonyms=("地址", "详细地址", "公司地址", "address"),
    ),
    Target(
        "source",
        _("source"),
        _("Required. Choose from the list."),
        required=True,
        synonyms=("来源", "客户来源", "来源渠道", "渠道", "lead source"),
    ),
    Target(
        "first_contact_date",
        _("first contact date"),
        _("Required. Date as YYYY-MM-DD, not in the future."),
        required=True,
        synonyms=("首次接触日期", "首次联系日期", "首次接触时间", "接触日期", "first contact"),
    ),
    Target(
        "status",
        _("status"),
        _("Choose from the list; empty means prospect. Not changed by updates."),
        synonyms=("客户状态", "状态"),
    ),
    Target(
        "annual_budget",
        _("annual budget (CNY)"),
        _("A number in yuan, e.g. 100000."),
        synonyms=("年度预算", "预算", "budget"),
    ),
    Target("remarks", _("remarks"), _("Text."), synonyms=("备注", "说明", "notes")),
    Target(
        "owner",
        _("owner"),
        _("Username of the owner; empty means you."),
        synonyms=("负责人", "负责人账号", "销售", "归属人", "owner username"),
    ),
    Target(
        "dm_name",
        _("decision maker: name"),
        _("Required. The key decision maker's name."),
        required=True,
        synonyms=(
            "联系人",
            "联系人姓名",
            "姓名",
            "决策人",
            "关键决策人",
            "contact",
            "contact name",
        ),
    ),
    Target(
        "dm_title",
        _("decision maker: title"),
        _("Job title, e.g. 总经理."),
        synonyms=("职务", "职位", "联系人职务", "title", "job title"),
    ),
    Target(
        "dm_mobile",
        _("decision maker: mobile"),
        _("Required. 11-digit mainland mobile number."),
        required=True,
        synonyms=("手机", "手机号", "手机号码", "联系电话", "联系人手机", "电话", "mobile", "cell"),
    ),
    Target(
        "dm_email",
        _("decision maker: email"),
        _("Email address."),
        synonyms=("邮箱", "电子邮箱", "电子邮件", "email", "e-mail"),
    ),
    Target(
        "dm_phone",
        _("decision maker: landline"),
        _("Landline, e.g. 0571-88886666."),
        synonyms=("座机", "固定电话", "办公电话", "phone", "landline"),
    ),
)

NOTE_PREFIX = pgettext_lazy("import template", "Note")


def targets() -> list[Target]:
    """The fixed targets plus one per active custom field."""
    result = list(TARGETS)
    for definition in CustomFieldDefinition.objects.filter(is_active=True):
        note = _("Custom field.")
        if definition.field_type == CustomFieldType.CHOICE:
            note = _("Custom field: choose from the list.")
        elif definition.field_type == CustomFieldType.DATE:
            note = _("Custom field: date as YYYY-MM-DD.")
        elif definition.field_type == CustomFieldType.NUMBER:
            note = _("Custom field: a number.")
        if definition.required:
            note = _("Required. %(note)s") % {"note": note}
        result.append(
            Target(
                f"{CUSTOM_PREFIX}{definition.key}",
                definition.label,
                note,
                required=definition.required,
                synonyms=(definition.key, definition.label_zh, definition.label_en),
                choices=tuple(str(c) for c in definition.choices or ()),
            )
        )
    return result


_PUNCTUATION = re.compile(r"[\s_\-:：*（）()/]+")


def _norm(text: str) -> str:
    return _PUNCTUATION.sub("", str(text)).lower()


def _names_of(target: Target) -> set[str]:
    names = {target.key, *target.synonyms}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            names.add(str(target.label))
    return {_norm(n) for n in names if n}


def auto_mapping(headers: list[str], candidates: list[Target]) -> dict[str, str]:
    """Header → target key for every header that names a target; each target used once."""
    lookup: dict[str, str] = {}
    for target in candidates:
        for name in _names_of(target):
            lookup.setdefault(name, target.key)
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for header in headers:
        key = lookup.get(_norm(header))
        if key and key not in used:
            mapping[header] = key
            used.add(key)
    return mapping


def headers_key(headers: list[str]) -> str:
    """The same set of headers in any order is the same spreadsheet layout."""
    joined = "\x1f".join(sorted(_norm(h) for h in headers))
    return hashlib.sha256(joined.encode()).hexdigest()


def mapping_suggest(*, user: User, headers: list[str]) -> dict[str, str]:
    """The user's remembered mapping for these headers, else the automatic one."""
    candidates = targets()
    valid = {t.key for t in candidates}
    remembered = ImportMappingMemory.objects.filter(
        user=user, headers_key=headers_key(headers)
    ).first()
    if remembered is not None:
        return {h: k for h, k in remembered.mapping.items() if h in headers and k in valid}
    return auto_mapping(headers, candidates)


def mapping_remember(*, user: User, headers: list[str], mapping: dict[str, str]) -> None:
    ImportMappingMemory.objects.update_or_create(
        user=user, headers_key=headers_key(headers), defaults={"mapping": mapping}
    )


def mapping_problems(mapping: dict[str, str], *, mode: str) -> list[str]:
    """Translated messages for a mapping that cannot work: a target used twice, or a required
    target (for creating) or the customer code (for updating) not mapped."""
    candidates = {t.key: t for t in targets()}
    problems: list[str] = []
    chosen = [k for k in mapping.values() if k]
    for key in sorted({k for k in chosen if chosen.count(k) > 1}):
        label = candidates[key].label if key in candidates else key
        problems.append(gettext("Several columns are mapped to %(field)s.") % {"field": label})
    for key in chosen:
        if key not in candidates:
            problems.append(gettext("Unknown target field %(field)s.") % {"field": key})
    if mode == ImportMode.CREATE:
        for target in candidates.values():
            if target.required and target.key not in chosen:
                problems.append(
                    gettext("No column is mapped to the required field %(field)s.")
                    % {"field": target.label}
                )
    if mode in (ImportMode.UPDATE, ImportMode.UPSERT) and "code" not in chosen:
        problems.append(
            gettext("No column is mapped to %(field)s, which updates need.")
            % {"field": candidates["code"].label}
        )
    return problems
