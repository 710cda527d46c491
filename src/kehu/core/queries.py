"""Query expressions the ORM does not have, for plans that stay on indexes at scale."""

from __future__ import annotations

from django.db.models import BooleanField, Expression, F, QuerySet, Subquery


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
