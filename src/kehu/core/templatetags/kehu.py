"""Template helpers shared by every page: navigation, formats (money, relative time), badges,
masking and sortable column headers. ``{% load kehu %}``."""

from __future__ import annotations

import datetime as dt
import functools
import re
from decimal import Decimal, InvalidOperation
from html import escape

from django import template
from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils import timezone, translation
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.timesince import timesince
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kehu.core.permissions import can_handle_data_requests, can_open_audit, can_open_handovers
from kehu.customers.validators import mask_mobile

register = template.Library()

# The sidebar: one line per module (label, URL name, icon, path prefix that marks it active,
# and optionally a permission check: the entry shows only to users who pass it).
# Later apps add their line here.
MODULES = [
    (_("Dashboard"), "analytics:dashboard", "bi-bar-chart-line", "/dashboard/"),
    (_("Customers"), "customers:list", "bi-buildings", "/customers/"),
    (_("Segments"), "segments:list", "bi-funnel", "/segments/"),
    (_("My tasks"), "interactions:my-tasks", "bi-check2-square", "/interactions/tasks/"),
    (_("Interactions"), "interactions:list", "bi-chat-left-text", "/interactions/log/"),
    (_("Approvals"), "customers:approvals", "bi-patch-check", "/customers/approvals/"),
    (_("Tags"), "tags:library", "bi-tags", "/tags/"),
    (_("Leads"), "sales:lead-list", "bi-person-plus", "/sales/leads/"),
    (_("Opportunities"), "sales:opportunity-list", "bi-kanban", "/sales/opportunities/"),
    (_("Public pool"), "pool:list", "bi-inboxes", "/pool/"),
    (_("Contracts"), "sales:contract-list", "bi-file-earmark-text", "/sales/contracts/"),
    (_("Orders"), "sales:order-list", "bi-receipt", "/sales/orders/"),
    (_("Timeliness"), "interactions:timeliness", "bi-speedometer2", "/interactions/timeliness/"),
    (_("Data quality"), "dataquality:overview", "bi-clipboard-check", "/data-quality/"),
    (_("Recycle bin"), "recyclebin:list", "bi-trash3", "/recycle-bin/"),
    (
        _("Handovers"),
        "accounts:handovers",
        "bi-arrow-left-right",
        "/accounts/handovers/",
        can_open_handovers,
    ),
    (_("Audit"), "audit:feed", "bi-journal-text", "/audit/", can_open_audit),
    (
        _("Personal data requests"),
        "privacy:request-list",
        "bi-shield-lock",
        "/privacy/requests/",
        can_handle_data_requests,
    ),
]

STATUS_BADGES = {
    "prospect": "text-bg-secondary",
    "interested": "text-bg-info",
    "customer": "text-bg-success",
    "lost": "text-bg-danger",
}

TEN_THOUSAND = Decimal(10000)


@register.simple_tag(takes_context=True)
def sidebar_modules(context) -> list[dict]:
    request = context.get("request")
    path = request.path if request else ""
    modules = []
    user = context.get("user")
    for label, url_name, icon, prefix, *check in MODULES:
        if check and not (user is not None and check[0](user)):
            continue
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        modules.append({"label": label, "url": url, "icon": icon, "prefix": prefix})
    # The longest matching prefix wins: /customers/approvals/ is Approvals, not Customers.
    matching = [m["prefix"] for m in modules if path.startswith(m["prefix"])]
    current = max(matching, key=len, default=None)
    for module in modules:
        module["active"] = module.pop("prefix") == current
    return modules


@register.filter
def masked(value: str | None) -> str:
    """138****5678: lists and pages never show a full mobile number without an unmask."""
    return mask_mobile(value or "")


def _trim(number: Decimal, places: int) -> str:
    text = f"{number:,.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@register.filter
def short_label(label) -> str:
    """ "Medium (100–500 staff)" → "Medium" for compact tables; the full label goes in a title."""
    return re.split(r"\s*[(（]", str(label), maxsplit=1)[0] or str(label)


@register.filter
def money(value) -> str:
    """¥ with thousands separators; in Chinese, amounts from 1万 up are shown in 万 (¥52.5万)."""
    if value in (None, ""):
        return ""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    language = translation.get_language() or ""
    if language.startswith("zh") and abs(amount) >= TEN_THOUSAND:
        return f"¥{_trim(amount / TEN_THOUSAND, 2)}万"
    return f"¥{_trim(amount, 2)}"


@register.filter
def money_in(value, currency: str = "CNY") -> str:
    """`money` in a given ISO currency: ¥ for CNY, else the code (USD 1,200; USD 5.2万)."""
    text = money(value)
    if not text or (currency or "CNY") == "CNY":
        return text
    return f"{currency} {text.removeprefix('¥')}"


@register.simple_tag
def department_name(department_id) -> str:
    from kehu.accounts.selectors import department_name as name_of

    return name_of(department_id)


# A pk no table here reaches, reversed once per route: the row's own pk replaces it.
_PK_SENTINEL = 987_654_321_987


@functools.lru_cache(maxsize=256)
def _pk_route(viewname: str, prefix: str, urlconf: str) -> str:
    return reverse(viewname, args=[_PK_SENTINEL], urlconf=urlconf)


@register.simple_tag
def pk_url(viewname: str, pk) -> str:
    """``{% url viewname pk %}`` for a route whose only argument is an ``<int:pk>``, reversed
    once instead of for every row (a list page links each of its rows: 26 reverses were 2 ms
    of its CPU)."""
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    route = _pk_route(viewname, get_script_prefix(), urlconf)
    return route.replace(str(_PK_SENTINEL), str(int(pk)), 1)


@register.simple_tag
def reltime(value):
    """ "3 天前" with the exact local time on hover; dates older than a month show as a date."""
    if not value:
        return ""
    if not isinstance(value, dt.datetime):
        return format_html("{}", value)
    local = timezone.localtime(value)
    exact = local.strftime("%Y-%m-%d %H:%M:%S")
    delta = timezone.now() - value
    if delta < dt.timedelta(minutes=1):
        text = gettext("just now")
    elif delta < dt.timedelta(days=30):
        text = gettext("%(delta)s ago") % {"delta": timesince(value, depth=1)}
    else:
        text = local.strftime("%Y-%m-%d")
    # format_html's output, built without its lazy-string checks: a list has one per row.
    return mark_safe(  # noqa: S308 (every part escaped)
        f'<time datetime="{escape(local.isoformat())}" title="{escape(exact)}">'
        f"{escape(str(text))}</time>"
    )


@register.simple_tag
def status_badge(customer) -> str:
    css = STATUS_BADGES.get(customer.status, "text-bg-light")
    return format_html(
        '<span class="badge status-badge {}">{}</span>', css, customer.get_status_display()
    )


@register.simple_tag(takes_context=True)
def sort_header(context, key: str, label, descending_first: bool = False):
    """A column header link that sorts by `key` and toggles asc/desc, keeping the filters."""
    request = context["request"]
    current = request.GET.get("sort", "")
    if current == key:
        target, icon, aria = f"-{key}", "bi-caret-up-fill", "ascending"
    elif current == f"-{key}":
        target, icon, aria = key, "bi-caret-down-fill", "descending"
    else:
        target, icon, aria = (f"-{key}" if descending_first else key), "", "none"
    params = request.GET.copy()
    params["sort"] = target
    params.pop("page", None)
    url = f"{request.path}?{params.urlencode()}"
    return format_html(
        '<a class="sort-link" href="{url}" hx-get="{url}" data-sort="{aria}">{label}{icon}</a>',
        url=url,
        aria=aria,
        label=label,
        icon=format_html(' <i class="bi {}" aria-hidden="true"></i>', icon) if icon else "",
    )


@register.simple_tag(takes_context=True)
def sort_state(context, key: str) -> str:
    """aria-sort value for a <th>."""
    current = context["request"].GET.get("sort", "")
    if current == key:
        return "ascending"
    if current == f"-{key}":
        return "descending"
    return "none"


MESSAGE_TOASTS = {"success": "success", "error": "danger", "warning": "warning", "info": "primary"}


@register.filter
def toast_class(message_tags: str) -> str:
    """Django message level → Bootstrap colour of its toast."""
    for tag in (message_tags or "").split():
        if tag in MESSAGE_TOASTS:
            return MESSAGE_TOASTS[tag]
    return "secondary"


@register.simple_tag
def company_name() -> str:
    return str(settings.KEHU_COMPANY_NAME)
