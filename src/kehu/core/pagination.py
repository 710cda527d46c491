"""Lists that stay fast at a million rows: bounded counts and keyset pages past a depth.

- **Counts** are exact up to ``KEHU_EXACT_COUNT_LIMIT`` rows (counting stops there, so a count
  never reads more than that many rows) and, on PostgreSQL, within ``KEHU_COUNT_TIME_MS``;
  past either the database planner's estimate is shown, labelled "about" (SQLite has none:
  "more than N").
- **Pages** are numbered up to ``KEHU_MAX_PAGE_OFFSET`` rows deep (an OFFSET the database
  skips cheaply). Past that, "Next" carries a signed cursor, the sort value and id of the
  last row shown, and the next page starts right after it through the sort's index (keyset
  pagination), at the same cost on page 10 and page 40,000. A page number past the limit is
  refused with a message that says so, never run as a deep OFFSET.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import OperationalError, connections, transaction
from django.db.models import F, OrderBy, Q, QuerySet
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils.urls import remove_query_param, replace_query_param

CURSOR_SALT = "kehu.pagination.cursor"
QUERY_CANCELED = "57014"  # PostgreSQL: canceling statement due to statement timeout


def exact_count_limit() -> int:
    return settings.KEHU_EXACT_COUNT_LIMIT


def max_page_offset() -> int:
    return settings.KEHU_MAX_PAGE_OFFSET


class PageError(ValueError):
    """A page request that is refused; `field` is the parameter to name in the error."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class BoundedCount:
    value: int
    exact: bool
    # Not exact and no estimate either (SQLite): "more than `value`".
    at_least: bool = False


def planner_estimate(queryset: QuerySet) -> int | None:
    """PostgreSQL's own estimate of the rows `queryset` returns (EXPLAIN, nothing is read)."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


# PostgreSQL: when the planner expects more than this many times KEHU_EXACT_COUNT_LIMIT rows,
# the list shows its estimate without counting. A page that turns out to be the last one
# corrects it (paginate: the rows seen are then the exact count).
ESTIMATE_SKIPS_COUNT = 2


def count_time_ms() -> int:
    return settings.KEHU_COUNT_TIME_MS


def _count_within(queryset: QuerySet, limit: int, milliseconds: int) -> int | None:
    """The count (stopped at `limit` + 1), or None when PostgreSQL needs more than
    `milliseconds` for it. The timeout is local to a transaction of its own (autocommit) or
    to a savepoint that is rolled back afterwards (inside a transaction: the count writes
    nothing, and the rollback takes the timeout with it), so nothing else runs under it."""
    connection = connections[queryset.db]
    counted = None

    def count() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('statement_timeout', %s, true)", [f"{milliseconds}ms"]
            )
        return queryset.order_by()[: limit + 1].count()

    try:
        if not connection.in_atomic_block:
            with transaction.atomic(using=queryset.db):
                counted = count()
        else:
            savepoint = transaction.savepoint(using=queryset.db)
            try:
                counted = count()
            finally:
                transaction.savepoint_rollback(savepoint, using=queryset.db)
    except OperationalError as exc:
        if getattr(exc.__cause__, "sqlstate", None) != QUERY_CANCELED:
            raise
    return counted


def bounded_count(queryset: QuerySet, *, limit: int | None = None) -> BoundedCount:
    """Exact up to `limit` rows when it can be had quickly; else PostgreSQL's estimate.

    On PostgreSQL the count also has a time budget (``KEHU_COUNT_TIME_MS``): a filter or
    search that matches thousands of rows spread over a wide data scope can take longer to
    count than the page itself takes to read (the page stops after its rows, the count must
    find them all). Past the budget the planner's estimate is shown, labelled as one, as
    for counts above the limit. The estimate is asked first: far above the limit
    (``ESTIMATE_SKIPS_COUNT``), nothing is counted. SQLite has no estimate and small tables:
    it counts exactly up to the limit."""
    limit = exact_count_limit() if limit is None else limit
    if connections[queryset.db].vendor != "postgresql":
        counted = queryset.order_by()[: limit + 1].count()
        if counted <= limit:
            return BoundedCount(counted, True)
        return BoundedCount(limit, False, at_least=True)
    # The planner's estimate first (no rows read): far above the limit, counting up to the
    # limit would only confirm what the estimate says, at the cost of reading `limit` rows
    # (a rep's 36,854 customers: 15 ms spent before the budget cut it).
    estimate = planner_estimate(queryset) or 0
    if estimate > limit * ESTIMATE_SKIPS_COUNT:
        return BoundedCount(estimate, False)
    budget = count_time_ms()
    if budget > 0:
        counted = _count_within(queryset, limit, budget)
    else:
        counted = queryset.order_by()[: limit + 1].count()
    if counted is None:  # out of time
        return BoundedCount(max(estimate, 1), False)
    if counted <= limit:
        return BoundedCount(counted, True)
    return BoundedCount(max(estimate, counted), False)


# --- keyset -------------------------------------------------------------------------------
def sort_of(queryset: QuerySet) -> tuple[str, bool]:
    """(field name, descending) of the queryset's first ordering; the tie-break is always
    ``-id`` (customers.filters.CustomerFilter.filter_sort, Customer.Meta.ordering)."""
    ordering = queryset.query.order_by or queryset.model._meta.ordering
    first = ordering[0]
    if isinstance(first, OrderBy):
        return first.expression.name, first.descending
    first = str(first)
    return first.lstrip("-"), first.startswith("-")


def _nullable(queryset: QuerySet, name: str) -> bool:
    return queryset.model._meta.get_field(name).null


def ordered(queryset: QuerySet, name: str, descending: bool) -> QuerySet:
    """Sorted by `name`, then newest id first. Empty values sort as PostgreSQL's default puts
    them (last going up, first going down) on every database, so the sort's index serves it."""
    if not _nullable(queryset, name):
        return queryset.order_by(f"-{name}" if descending else name, "-id")
    expression = F(name).desc(nulls_first=True) if descending else F(name).asc(nulls_last=True)
    return queryset.order_by(expression, "-id")


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def encode_cursor(*, name: str, value: Any, pk: int) -> str:
    return signing.dumps([name, _plain(value), pk], salt=CURSOR_SALT, compress=True)


def decode_cursor(token: str, queryset: QuerySet, name: str) -> tuple[Any, int]:
    try:
        cursor_name, raw, pk = signing.loads(token, salt=CURSOR_SALT)
        if cursor_name != name:
            raise ValueError(name)
        value = None if raw is None else queryset.model._meta.get_field(name).to_python(raw)
        return value, int(pk)
    except Exception as exc:  # a bad, old or forged cursor: one answer for all
        raise PageError(
            "cursor",
            _("This link to a further page is no longer valid; start again from page 1."),
        ) from exc


def after_q(name: str, descending: bool, value: Any, pk: int, *, nullable: bool = True) -> Q:
    """Rows after (value, pk) in the order of `ordered`."""
    is_null = Q(**{f"{name}__isnull": True})
    # The leading range (<= or >=) is what lets the database start on the sort's index at the
    # cursor; the OR alone would be tested row by row.
    if descending:  # empty values first, then values going down
        if value is None:
            return (is_null & Q(id__lt=pk)) | ~is_null
        return Q(**{f"{name}__lte": value}) & (
            Q(**{f"{name}__lt": value}) | Q(**{name: value, "id__lt": pk})
        )
    if value is None:  # going up, empty values last
        return is_null & Q(id__lt=pk)
    after = Q(**{f"{name}__gte": value}) & (
        Q(**{f"{name}__gt": value}) | Q(**{name: value, "id__lt": pk})
    )
    return after | is_null if nullable else after


def _fetch(queryset: QuerySet, offset: int, limit: int, deferred_join: bool) -> list:
    """Rows [offset, offset + limit) of `queryset`, in two steps (a "deferred join"): first the
    ids of the page, sorted and filtered without the joins the rows are shown with, then those
    rows by id with their joins and prefetches. A search or tag filter that matches thousands
    of customers is otherwise joined to owner, department, industry and region for every match
    before the sort keeps 26 of them (1M customers, "hengrui": 115 ms → 40 ms)."""
    if not deferred_join or not _reads_ids(queryset):
        return list(queryset[offset : offset + limit])
    return _rows_by_id(
        queryset, list(queryset.values_list("pk", flat=True)[offset : offset + limit])
    )


def _reads_ids(queryset: QuerySet) -> bool:
    """Whether the page can be read as ids, then rows by id (a plain filtered query)."""
    query = queryset.query
    return not (query.annotations or query.extra or query.distinct or query.combinator)


def _rows_by_id(queryset: QuerySet, ids: list) -> list:
    """The rows of `ids`, in that order, with the joins and prefetches of `queryset`."""
    if not ids:
        return []
    query = queryset.query
    rows = queryset.model._default_manager.filter(pk__in=ids)
    if query.select_related:
        rows = (
            rows.select_related()
            if query.select_related is True
            else rows.select_related(*_related_paths(query.select_related))
        )
    if queryset._prefetch_related_lookups:
        rows = rows.prefetch_related(*queryset._prefetch_related_lookups)
    by_id = {row.pk: row for row in rows.order_by()}
    return [by_id[pk] for pk in ids if pk in by_id]


def _ids_wanted(depth: int) -> int:
    """How many ids `_all_ids` reads: one past the count limit, and at least the page's."""
    return max(exact_count_limit() + 1, depth)


def _all_ids(queryset: QuerySet, depth: int) -> list | None:
    """All the ids of a list narrowed to a set of ids computed before the scan, in order, up
    to ``KEHU_EXACT_COUNT_LIMIT`` + 1 (and at least `depth`, the end of the page asked for).

    Two tags AND-ed at 1M: the database computes the 3,411 customers carrying both, looks
    each up by id and sorts them, for a page of 26; then does it all again for the count.
    Reading their ids once gives both, at the cost of one of them. Only for such lists: a
    list narrowed by columns is read in order from the covering index and stops after its
    page (a rep's filters: 28 ms for the page, 117 ms to read all 1,708 ids)."""
    if connections[queryset.db].vendor != "postgresql" or not _reads_ids(queryset):
        return None
    return list(queryset.values_list("pk", flat=True)[: _ids_wanted(depth)])


# The sort whose index each arm has (customers: customer_owner_created).
ARM_SORTS = {"created_at"}


def _by_arms(queryset: QuerySet, arms: list[Q] | None, name: str) -> bool:
    return bool(
        arms
        and len(arms) > 1
        and name in ARM_SORTS
        and connections[queryset.db].vendor == "postgresql"
        and _reads_ids(queryset)
    )


def _arm_ids(
    queryset: QuerySet, arms: list[Q], name: str, descending: bool, offset: int, limit: int
) -> list:
    """Ids [offset, offset + limit) of `queryset`, read as the union of each arm's first
    offset + limit rows. The rows of the page are among them: any row above it in the whole
    list is above it in its own arm."""
    depth = offset + limit
    parts = [queryset.filter(arm).values_list("id", name)[:depth] for arm in arms]
    first, *rest = parts
    union = first.union(*rest).order_by(f"-{name}" if descending else name, "-id")
    return [pk for pk, _value in union[offset : offset + limit]]


def _related_paths(tree: dict, prefix: str = "") -> list[str]:
    """select_related's nested dict ({"industry": {"parent": {}}}) back as "industry__parent"."""
    paths = []
    for name, children in tree.items():
        path = f"{prefix}{name}"
        paths.extend(_related_paths(children, f"{path}__") if children else [path])
    return paths


@dataclass
class Page:
    object_list: list
    count: BoundedCount
    per_page: int
    number: int | None  # None on a keyset page
    next_page: int | None = None
    next_cursor: str | None = None
    has_previous: bool = False
    previous_page: int | None = None
    params: dict[str, str] = field(default_factory=dict)

    @property
    def has_next(self) -> bool:
        return self.next_page is not None or self.next_cursor is not None

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.count.value // self.per_page))

    @property
    def last_page(self) -> int | None:
        """The last page's number when it is numbered (exact count, within the offset limit)."""
        if not self.count.exact or (self.num_pages - 1) * self.per_page >= max_page_offset():
            return None
        return self.num_pages

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)


def paginate(
    queryset: QuerySet,
    *,
    per_page: int,
    page: str | int | None = None,
    cursor: str | None = None,
    count: bool = True,
    deferred_join: bool = False,
    read_all_ids: bool = False,
    arms: list[Q] | None = None,
) -> Page:
    """One page of `queryset` (already filtered and sorted): numbered, or after `cursor`.

    `deferred_join`: read the page's ids first, then its rows (see `_fetch`); one query more,
    worth it when the list is narrowed (a search, tags, filters). Pages after the first and
    keyset pages always read ids first.

    `arms`: conditions whose union is what `queryset` already holds, each readable in the
    list's order from an index (core.access.customer_scope_arms); on PostgreSQL a page past
    the first, in the default order, is then read as the union of each arm's first rows.

    `read_all_ids`: the list is narrowed to a set of ids computed before the scan (two or
    more tags); on PostgreSQL all its ids are read at once, and are both the page and the
    count (`_all_ids`).

    The rows are read before the count: a numbered page that ends the list needs none."""
    name, descending = sort_of(queryset)
    queryset = ordered(queryset, name, descending)
    all_ids = None
    if cursor:
        value, pk = decode_cursor(cursor, queryset, name)
        nullable = _nullable(queryset, name)
        after = after_q(name, descending, value, pk, nullable=nullable)
        rows = _fetch(queryset.filter(after), 0, per_page + 1, True)
        number = None
        offset_next = False
    else:
        try:
            number = int(page or 1)
        except (TypeError, ValueError) as exc:
            raise PageError("page", _("The page number must be a whole number.")) from exc
        if number < 1:
            raise PageError("page", _("The page number must be 1 or more."))
        offset = (number - 1) * per_page
        if offset >= max_page_offset():
            raise PageError(
                "page",
                _(
                    "Pages are numbered up to row %(limit)d. Narrow the list with filters, "
                    "or go further with the Next link."
                )
                % {"limit": max_page_offset()},
            )
        offset_next = offset + per_page < max_page_offset()
        if count and read_all_ids:
            all_ids = _all_ids(queryset, offset + per_page + 1)
        if all_ids is not None:
            rows = _rows_by_id(queryset, all_ids[offset : offset + per_page + 1])
        elif offset > 0 and _by_arms(queryset, arms, name):
            ids = _arm_ids(queryset, arms, name, descending, offset, per_page + 1)
            rows = _rows_by_id(queryset, ids)
        else:
            # Past the first page the ids always come first: the rows an OFFSET skips are
            # then skipped in an index (the covering index of the default order holds the
            # data scope's columns) instead of being read from the table and joined (a rep's
            # page 80 at 1M).
            rows = _fetch(queryset, offset, per_page + 1, deferred_join or offset > 0)
    more = len(rows) > per_page
    seen = None if number is None else (number - 1) * per_page + len(rows)
    if not count:
        total = BoundedCount(0, False)
    elif all_ids is not None:
        # All of them were read unless the read stopped at its limit.
        if len(all_ids) < _ids_wanted(offset + per_page + 1):
            total = BoundedCount(len(all_ids), True)
        else:  # cut at the limit: "about N", never fewer than were read
            total = BoundedCount(max(planner_estimate(queryset) or 0, len(all_ids)), False)
    elif seen is not None and not more and (rows or number == 1):
        # The last page of a numbered list (or an empty list): the rows seen are the count,
        # with nothing to count or estimate.
        total = BoundedCount(seen, True)
    else:
        total = bounded_count(queryset)
        if seen is not None and not total.exact and not total.at_least:
            # An estimate never claims fewer rows than this page has already shown to exist.
            total = BoundedCount(max(total.value, seen), False)
    rows = rows[:per_page]
    result = Page(
        object_list=rows,
        count=total,
        per_page=per_page,
        number=number,
        has_previous=number is None or number > 1,
        previous_page=(number - 1) if number and number > 1 else None,
    )
    if more and offset_next:
        result.next_page = number + 1
    elif more:
        last = rows[-1]
        result.next_cursor = encode_cursor(name=name, value=getattr(last, name), pk=last.pk)
    return result


# --- API ----------------------------------------------------------------------------------
class KeysetPagination(BasePagination):
    """The API side of `paginate`: ``?page=N`` up to the numbered depth, then the ``next``
    link carries ``cursor``; ``count`` is exact unless ``count_exact`` is false. A page size
    above the maximum is capped (as on every other endpoint); a bad page or cursor is a 400
    naming the parameter."""

    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request) -> int:
        default = api_settings.PAGE_SIZE or 50
        raw = request.query_params.get(self.page_size_query_param)
        if raw in (None, ""):
            return default
        try:
            size = int(raw)
        except ValueError as exc:
            raise ValidationError(
                {self.page_size_query_param: [_("The page size must be a whole number.")]}
            ) from exc
        if size < 1:
            raise ValidationError(
                {self.page_size_query_param: [_("The page size must be 1 or more.")]}
            )
        return min(size, self.max_page_size)

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        try:
            self.page = paginate(
                queryset,
                per_page=self.get_page_size(request),
                page=request.query_params.get("page"),
                cursor=request.query_params.get("cursor"),
                deferred_join=bool(self._ask(view, "deferred_join", request)),
                read_all_ids=bool(self._ask(view, "read_all_ids", request)),
                arms=self._ask(view, "scope_arms", request),
            )
        except PageError as exc:
            raise ValidationError({exc.field: [exc.message]}) from exc
        return self.page.object_list

    @staticmethod
    def _ask(view, name: str, request):
        """What the view says of this request (`deferred_join`, `read_all_ids`, `scope_arms`:
        see `paginate`); None from a view that does not say."""
        ask = getattr(view, name, None)
        return ask(request) if ask else None

    def _link(self, **params) -> str:
        url = self.request.build_absolute_uri()
        for name, value in params.items():
            url = (
                remove_query_param(url, name)
                if value is None
                else replace_query_param(url, name, value)
            )
        return url

    def get_next_link(self) -> str | None:
        if self.page.next_page:
            return self._link(page=self.page.next_page, cursor=None)
        if self.page.next_cursor:
            return self._link(cursor=self.page.next_cursor, page=None)
        return None

    def get_previous_link(self) -> str | None:
        if self.page.previous_page:
            return self._link(page=self.page.previous_page, cursor=None)
        return None

    def get_paginated_response(self, data):
        return Response(
            {
                "count": self.page.count.value,
                "count_exact": self.page.count.exact,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_schema_operation_parameters(self, view):
        def parameter(name: str, kind: str, description: str) -> dict:
            return {
                "name": name,
                "required": False,
                "in": "query",
                "description": description,
                "schema": {"type": kind},
            }

        return [
            parameter("page", "integer", "Page number, numbered down to row KEHU_MAX_PAGE_OFFSET."),
            parameter("page_size", "integer", f"Rows per page, at most {self.max_page_size}."),
            parameter("cursor", "string", "From a `next` link: the page after its last row."),
        ]

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["count", "count_exact", "results"],
            "properties": {
                "count": {
                    "type": "integer",
                    "description": "Exact up to KEHU_EXACT_COUNT_LIMIT rows, else estimated.",
                },
                "count_exact": {"type": "boolean"},
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }
