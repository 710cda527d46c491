"""The baseline of the import benchmark: django-import-export on the same generated file.

    .venv/bin/python bench/import_export_baseline.py --rows 100000 --format csv --database sqlite

A ModelResource for Customer plus its key decision maker (a Contact created in the row's own
transaction), configured the way its documentation recommends for large imports
(``skip_diff``, ``clean_model_instances``), with cached lookups for industry, region and owner so
the baseline is not slowed by a query per cell. What it validates, row by row:

- every model field validator through ``full_clean()``: required fields, choices, max lengths,
  the credit code (length, characters, GB 32100-2015 check character), first contact date not in
  the future, budget not negative, the legal-name rule (``Customer.clean``), unique credit code
  against the database (one query per row);
- the decision maker's ``full_clean()``: name, mobile format and prefix, e-mail, landline;
- labels of industry, region, choices and owner (unknown label → row error).

What it does not do (Kehu's importer does): duplicate detection (same credit code within the
file, normalised name, same mobile), an error file. Rows are written one by one with a
savepoint per row (its default; ``--bulk`` uses ``use_bulk``, which skips the per-row history
and savepoints). Timings include reading the file into a tablib Dataset.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    database_version,
    generated_file,
    importing_user,
    load_average,
    machine,
    migrate,
    recreate_database,
    setup_django,
    timed,
)
from generate_import_file import KEYS  # noqa: E402

DATABASE_NAME = "kehu_bench_baseline"


def build_resource(headers: dict[str, str], *, bulk: bool, user):
    """The ModelResource, built after django.setup() (import_export needs the app registry)."""
    from django.core.exceptions import ValidationError
    from django.utils import translation
    from import_export import fields, resources, widgets

    from kehu.accounts.models import User
    from kehu.core.codes import reserve_serials
    from kehu.customers.models import (
        Contact,
        Customer,
        CustomerType,
        EnterpriseType,
        Industry,
        Region,
        Scale,
        Source,
        Status,
    )
    from kehu.customers.services import customer_code_prefix, customer_derive_fields
    from kehu.customers.validators import normalize_mobile

    class LabelWidget(widgets.Widget):
        """A value from its label (the file holds the Chinese labels, as in the template)."""

        def __init__(self, mapping: dict[str, object], what: str) -> None:
            super().__init__()
            self.mapping, self.what = mapping, what

        def clean(self, value, row=None, **kwargs):
            value = (value or "").strip()
            if not value:
                return None
            try:
                return self.mapping[value]
            except KeyError:
                raise ValueError(f"unknown {self.what}: {value}") from None

    class NullableCharWidget(widgets.CharWidget):
        """Blank → NULL: the credit code is unique but optional."""

        def clean(self, value, row=None, **kwargs):
            return (value or "").strip() or None

    class ChoiceWidget(LabelWidget):
        def clean(self, value, row=None, **kwargs):
            return super().clean(value, row, **kwargs) or ""

    with translation.override("zh-hans"):

        def labels(enum) -> dict[str, str]:
            return {str(label): value for value, label in enum.choices}

        choice_maps = {
            "customer_type": labels(CustomerType),
            "scale": labels(Scale),
            "enterprise_type": labels(EnterpriseType),
            "source": labels(Source),
            "status": labels(Status),
        }
    industries = {i.name_zh: i for i in Industry.objects.all()}
    regions = {r.name_zh: r for r in Region.objects.all()}
    owners = {u.username: u for u in User.objects.select_related("department")}

    def column(key: str, **kwargs) -> fields.Field:
        return fields.Field(attribute=key, column_name=headers[key], **kwargs)

    class CustomerResource(resources.ModelResource):
        customer_type = column(
            "customer_type", widget=ChoiceWidget(choice_maps["customer_type"], "customer type")
        )
        name = column("name")
        credit_code = column("credit_code", widget=NullableCharWidget())
        industry = column("industry", widget=LabelWidget(industries, "industry"))
        scale = column("scale", widget=ChoiceWidget(choice_maps["scale"], "scale"))
        enterprise_type = column(
            "enterprise_type", widget=ChoiceWidget(choice_maps["enterprise_type"], "type")
        )
        region = column("region", widget=LabelWidget(regions, "region"))
        city = column("city")
        district = column("district")
        street = column("street")
        source = column("source", widget=ChoiceWidget(choice_maps["source"], "source"))
        first_contact_date = column("first_contact_date", widget=widgets.DateWidget("%Y-%m-%d"))
        status = column("status", widget=ChoiceWidget(choice_maps["status"], "status"))
        annual_budget = column("annual_budget", widget=widgets.DecimalWidget())
        remarks = column("remarks")
        owner = column("owner", widget=LabelWidget(owners, "owner"))

        class Meta:
            model = Customer
            fields = (
                "customer_type",
                "name",
                "credit_code",
                "industry",
                "scale",
                "enterprise_type",
                "region",
                "city",
                "district",
                "street",
                "source",
                "first_contact_date",
                "status",
                "annual_budget",
                "remarks",
                "owner",
            )
            import_id_fields = ()
            skip_diff = True
            clean_model_instances = True
            use_bulk = bulk
            batch_size = 1000

        def before_import(self, dataset, **kwargs):
            prefix = customer_code_prefix()
            self.code_prefix = prefix
            self.serials = iter(reserve_serials(prefix, len(dataset)))
            self.pending_contacts: list[Contact] = []

        def get_instance(self, instance_loader, row):
            return None  # create mode: every row is a new customer

        def import_instance(self, instance, row, **kwargs):
            errors = {}
            try:
                super().import_instance(instance, row, **kwargs)
            except ValidationError as exc:
                errors = exc.update_error_dict(errors)
            instance.code = f"{self.code_prefix}{next(self.serials):05d}"
            instance.created_by = user
            if instance.owner_id:
                customer_derive_fields(instance)
            instance._decision_maker = Contact(
                name=(row.get(headers["contact_name"]) or "").strip(),
                title=(row.get(headers["contact_title"]) or "").strip(),
                mobile=normalize_mobile(row.get(headers["contact_mobile"])),
                email=(row.get(headers["contact_email"]) or "").strip(),
                phone=(row.get(headers["contact_phone"]) or "").strip(),
                is_decision_maker=True,
            )
            if errors:
                raise ValidationError(errors)

        def validate_instance(self, instance, import_validation_errors=None, **kwargs):
            errors = dict(import_validation_errors or {})
            contact = instance._decision_maker
            try:
                contact.full_clean(exclude=["customer"])
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    errors[f"contact_{field}"] = messages
            super().validate_instance(instance, errors, **kwargs)

        def after_save_instance(self, instance, row, **kwargs):
            contact = instance._decision_maker
            if self._meta.use_bulk:
                self.pending_contacts.append(contact)
            elif not kwargs.get("dry_run") or kwargs.get("using_transactions"):
                contact.customer = instance
                contact.save()

        def bulk_create(self, using_transactions, dry_run, raise_errors, **kwargs):
            customers = list(self.create_instances)
            super().bulk_create(using_transactions, dry_run, raise_errors, **kwargs)
            if customers and customers[0].pk:
                for customer, contact in zip(customers, self.pending_contacts, strict=True):
                    contact.customer = customer
                Contact.objects.bulk_create(self.pending_contacts, batch_size=1000)
            self.pending_contacts = []

    return CustomerResource()


def load_dataset(path: Path):
    import tablib

    if path.suffix == ".xlsx":
        with open(path, "rb") as stream:
            return tablib.Dataset().load(stream, format="xlsx")
    encoding = "gbk" if path.name.endswith(".gbk.csv") else "utf-8-sig"
    return tablib.Dataset().load(path.read_text(encoding=encoding), format="csv")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--format", choices=("csv", "csv-gbk", "xlsx"), default="csv")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--bulk", action="store_true", help="use_bulk=True (no per-row savepoint)")
    parser.add_argument("--no-dry-run", action="store_true", help="time only the write")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--bad", type=float, default=0.01)
    parser.add_argument("--duplicates", type=float, default=0.01)
    parser.add_argument("--json", type=Path, help="append the figures to this JSON-lines file")
    args = parser.parse_args(argv)

    path = generated_file(args.rows, args.format, args.seed, args.bad, args.duplicates)
    manifest = json.loads(path.with_name(path.name + ".json").read_text())
    headers = dict(zip(KEYS, manifest["columns"], strict=True))
    for run in range(1, args.repeat + 1):
        url = recreate_database(args.database, DATABASE_NAME)
        if run == 1:
            setup_django(url)
        else:
            from django.db import connection

            connection.close()
        migrate()
        user = importing_user()
        if run == 1:
            print(f"machine: {machine()}, {database_version()}")
            print(f"file: {path} ({manifest['rows']:,} rows)")
        load = load_average()
        print(f"run {run}/{args.repeat}  load average before: {load}", flush=True)
        results = []
        with timed("read", manifest["rows"]) as timing:
            dataset = load_dataset(path)
        results.append(timing)
        print(timing.line(), flush=True)
        resource = build_resource(headers, bulk=args.bulk, user=user)
        phases = [("write", False)] if args.no_dry_run else [("dry run", True), ("write", False)]
        for phase, dry_run in phases:
            with timed(phase, manifest["rows"]) as timing:
                result = resource.import_data(dataset, dry_run=dry_run, use_transactions=True)
            totals = dict(result.totals)
            results.append(timing)
            print(timing.line(), flush=True)
            print(
                f"           new {totals.get('new', 0):,}  invalid {totals.get('invalid', 0):,}"
                f"  error {totals.get('error', 0):,}  (file rows {len(dataset):,})"
            )
        from kehu.customers.models import Contact, Customer

        written = Customer.objects.count()
        contacts = Contact.objects.count()
        print(f"           in the database: {written:,} customers, {contacts:,} contacts")
        if args.json:
            with open(args.json, "a") as out:
                out.write(
                    json.dumps(
                        {
                            "tool": "django-import-export" + (" use_bulk" if args.bulk else ""),
                            "rows": manifest["rows"],
                            "format": args.format,
                            "database": args.database,
                            "load": load,
                            "phases": {t.phase: t.figures() for t in results},
                            "written": written,
                            "invalid": totals.get("invalid", 0) + totals.get("error", 0),
                        }
                    )
                    + "\n"
                )


if __name__ == "__main__":
    main()
