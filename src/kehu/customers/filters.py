"""One filter set for the customer list page and the API: same parameters, same meaning."""

import django_filters
from django import forms
from django.db import connection
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import Department, User
from kehu.accounts.selectors import department_subtree_ids
from kehu.core.queries import InSubqueryArray
from kehu.customers.models import (
    Customer,
    CustomerType,
    EnterpriseType,
    Industry,
    Region,
    Scale,
    Source,
    Status,
)
from kehu.customers.selectors import customer_search_q
from kehu.tags.models import CustomerTag, Tag, TagStatus

SORTABLE = {
    "code": "code",
    "name": "name_pinyin",
    "status": "status",
    "annual_budget": "annual_budget",
    "first_contact_date": "first_contact_date",
    "created_at": "created_at",
    "updated_at": "updated_at",
}


class CommaSeparatedSelectMultiple(forms.SelectMultiple):
    """Reads ``?tags=3&tags=7`` and ``?tags=3,7`` alike (links and API clients use both)."""

    def value_from_datadict(self, data, files, name):
        values = super().value_from_datadict(data, files, name)
        if values is None:
            return None
        if isinstance(values, str):
            values = [values]
        return [part.strip() for value in values for part in str(value).split(",") if part.strip()]


class AllTagsFilter(django_filters.ModelMultipleChoiceFilter):
    """Customers carrying every tag given (AND)."""

    def filter(self, qs, value):
        tags = sorted({tag.pk for tag in value or ()})
        if not tags:
            return qs
        if len(tags) == 1:  # one row per (customer, tag): the join cannot repeat a customer
            return qs.filter(customer_tags__tag_id=tags[0])
        # Two or more: the customers carrying all of them are found first, from the
        # (tag, customer) index alone, and looked up by id: a join per tag on the list made
        # PostgreSQL walk it in its sort order probing each customer's tags (issue 7). Written
        # as self-joins on customer, not INTERSECT: each tag's customers come out of the index
        # in customer order, so PostgreSQL merges them (two tags of 41,000 customers each at
        # 1M: 11 ms) instead of hashing both (36 ms).
        quote = connection.ops.quote_name
        table = quote(CustomerTag._meta.db_table)
        customer = quote(CustomerTag._meta.get_field("customer").column)
        tag = quote(CustomerTag._meta.get_field("tag").column)
        joins = " ".join(
            f"INNER JOIN {table} t{i} ON t{i}.{customer} = t0.{customer} AND t{i}.{tag} = %s"
            for i in range(1, len(tags))
        )
        # Identifiers from the model's metadata; the tag ids are parameters.
        sql = f"SELECT t0.{customer} FROM {table} t0 {joins} WHERE t0.{tag} = %s"  # noqa: S608
        return qs.filter(InSubqueryArray("id", RawSQL(sql, [*tags[1:], tags[0]])))  # noqa: S611


class CustomerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_search",
        max_length=64,
        help_text=_("Name, pinyin or initials, code, contact name or last 4 digits of a mobile"),
    )
    customer_type = django_filters.ChoiceFilter(
        label=_("customer type"), choices=CustomerType.choices
    )
    # distinct=False: a filter on the customer's own column cannot repeat a row, and DISTINCT
    # over every column would make the database sort the whole match before the first page.
    status = django_filters.MultipleChoiceFilter(
        label=_("status"), choices=Status.choices, distinct=False
    )
    industry = django_filters.ModelChoiceFilter(
        label=_("industry"), queryset=Industry.objects.all(), method="filter_industry"
    )
    scale = django_filters.ChoiceFilter(label=_("scale"), choices=Scale.choices)
    source = django_filters.ChoiceFilter(label=_("source"), choices=Source.choices)
    enterprise_type = django_filters.ChoiceFilter(
        label=_("enterprise type"), choices=EnterpriseType.choices
    )
    region = django_filters.ModelChoiceFilter(
        label=_("region"), queryset=Region.objects.all(), method="filter_region"
    )
    owner = django_filters.ModelChoiceFilter(
        label=_("owner"), queryset=User.objects.filter(is_active=True)
    )
    department = django_filters.ModelChoiceFilter(
        label=_("department"), queryset=Department.objects.all(), method="filter_department"
    )
    budget_min = django_filters.NumberFilter(
        label=_("budget from"), field_name="annual_budget", lookup_expr="gte"
    )
    budget_max = django_filters.NumberFilter(
        label=_("budget to"), field_name="annual_budget", lookup_expr="lte"
    )
    tags = AllTagsFilter(
        label=_("tags"),
        queryset=Tag.objects.filter(status=TagStatus.APPROVED),
        field_name="customer_tags__tag",
        widget=CommaSeparatedSelectMultiple,
        help_text=_("Tag ids, repeated or comma-separated: customers carrying all of them"),
    )
    sort = django_filters.ChoiceFilter(
        label=_("sort by"),
        method="filter_sort",
        choices=[(k, k) for k in SORTABLE] + [(f"-{k}", f"-{k}") for k in SORTABLE],
    )

    class Meta:
        model = Customer
        fields: list[str] = []

    @staticmethod
    def reads_ids_first(params) -> bool:
        """Whether a page of this list is best read as ids first, then rows by id
        (core.pagination's deferred join): whenever something narrows the list. A search or
        tags give a set of ids the rows would otherwise all be joined for before the sort;
        column filters are then tested on the covering index of the default order
        (customer_created_cover, migration 0013) without reading the table. The plain list
        reads its first rows straight from the index, in one query."""
        ignored = {"sort", "page", "cursor", "page_size", "format"}
        return any(
            value.strip()
            for name, values in params.lists()
            if name not in ignored
            for value in values
        )

    @staticmethod
    def reads_all_ids(params) -> bool:
        """Whether the list is narrowed to a set of ids computed before the scan (two or more
        tags, AllTagsFilter): then all its ids are read at once, for the page and the count
        (core.pagination)."""
        tags = {
            part.strip()
            for value in params.getlist("tags")
            for part in str(value).split(",")
            if part.strip()
        }
        return len(tags) >= 2

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user if user is not None else getattr(self.request, "user", None)

    def filter_search(self, queryset, name, value):
        return queryset.filter(customer_search_q(self.user, value))

    # A category means itself and its children: ids resolved first, so the customer's own
    # indexed column is filtered (no join, and no OR across two tables).
    def filter_industry(self, queryset, name, value):
        ids = [value.pk, *Industry.objects.filter(parent=value).values_list("pk", flat=True)]
        return queryset.filter(industry_id__in=ids)

    def filter_region(self, queryset, name, value):
        ids = [value.pk, *Region.objects.filter(parent=value).values_list("pk", flat=True)]
        return queryset.filter(region_id__in=ids)

    def filter_department(self, queryset, name, value):
        return queryset.filter(department_id__in=department_subtree_ids(value.pk))

    def filter_sort(self, queryset, name, value):
        descending = value.startswith("-")
        field = SORTABLE[value.lstrip("-")]
        return queryset.order_by(f"-{field}" if descending else field, "-id")
