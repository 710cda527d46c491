"""Query expressions the ORM does not have, for plans that stay on indexes at scale."""

from __future__ import annotations

import datetime as dt

from django.db.models import (
    BooleanField,
    Case,
    Expression,
    F,
    IntegerField,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.lookups import GreaterThanOrEqual


class InSubqueryArray(Expression):
    """``column IN (subquery)`` written for PostgreSQL as ``column = ANY(ARRAY(subquery))``.

    The subquery then runs once, before the scan, and its ids become an index condition that
    can be OR-ed with others (a BitmapOr): the data scope "owner is me OR shared with me" reads
    two indexes instead of every customer. ``IN (subquery)`` OR-ed with another condition is a
    filter tested on every row. Other databases get the plain ``IN``.
    """

    conditional = True
    output_field = BooleanField()

    def __init__(self, column: str, queryset: QuerySet | Expression):
        """`queryset` is a QuerySet of one column, or a RawSQL that selects one."""
        super().__init__(output_field=BooleanField())
        self.column = F(column)
        self.subquery = Subquery(queryset) if isinstance(queryset, QuerySet) else queryset

    def get_source_expressions(self):
        return [self.column, self.subquery]

    def set_source_expressions(self, exprs):
        self.column, self.subquery = exprs

    def as_sql(self, compiler, connection):
        column_sql, column_params = compiler.compile(self.column)
        subquery_sql, subquery_params = compiler.compile(self.subquery)
        params = (*column_params, *subquery_params)
        if connection.vendor == "postgresql":
            return f"{column_sql} = ANY(ARRAY{subquery_sql})", params
        return f"{column_sql} IN {subquery_sql}", params


class BucketOf(Expression):
    """How many of `bounds` (ascending) the value of `column` has reached: 0 before the
    first, i from ``bounds[i - 1]`` on. Grouping by it puts rows into ranges (months, …).

    PostgreSQL's ``width_bucket(value, ARRAY[…])`` finds it by a binary search; grouping the
    dashboard's 300,000 won and lost opportunities of a year by it takes about 200 ms where
    ``date_trunc('month', closed_at AT TIME ZONE …)`` took 350 (issue 7). Other databases get
    the same numbers from a ``CASE`` of comparisons."""

    output_field = IntegerField()

    def __init__(self, column: str, bounds: list):
        super().__init__(output_field=IntegerField())
        self.column = F(column)
        self.bounds = list(bounds)

    def get_source_expressions(self):
        return [self.column]

    def set_source_expressions(self, exprs):
        (self.column,) = exprs

    def as_sql(self, compiler, connection):
        whens = [
            When(GreaterThanOrEqual(self.column, Value(bound)), then=Value(number))
            for number, bound in reversed(list(enumerate(self.bounds, start=1)))
        ]
        return compiler.compile(Case(*whens, default=Value(0), output_field=IntegerField()))

    def as_postgresql(self, compiler, connection):
        column_sql, column_params = compiler.compile(self.column)
        placeholders = ", ".join(["%s"] * len(self.bounds))
        cast = "::timestamptz[]" if isinstance(self.bounds[0], dt.datetime) else ""
        return (
            f"width_bucket({column_sql}, ARRAY[{placeholders}]{cast})",
            (*column_params, *self.bounds),
        )
