"""The customer's owner and department, copied onto its opportunities, contracts and payments.

A sales row is visible exactly when its customer is (core.access). Testing that through the
customer means joining each row to it: the dashboard's sums for a department head who sees
300,000 of a million customers joined as many opportunities or payments to their customers,
about 350 ms per figure (issue 7). With the copy, the same scope is a condition on the row
itself (``core.access.copied_customer_scope_q``).

The database keeps the copy, not the application, so no write path can leave it stale: the
triggers of migration ``sales.0005`` fill it on every insert and on every update that names
the row's customer (or contract) or the copy, and rewrite it for every row of a customer in
the statement that changes the customer's owner or department. On PostgreSQL the insert
reads the customer ``FOR SHARE``, so an owner change and a new row written at the same time
cannot leave the row with the former owner. The columns are no form's or API's fields.
"""

from __future__ import annotations

from django.db import models


class CustomerScopeCopy(models.Model):
    scope_owner_id = models.BigIntegerField(null=True, editable=False)
    scope_department_id = models.BigIntegerField(null=True, editable=False)

    class Meta:
        abstract = True


SCOPE_COPY_FIELDS = ["scope_owner_id", "scope_department_id"]
