"""`kehu generate`: a large synthetic company for benchmarks (docs/benchmarks.md)."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from kehu.accounts import demo
from kehu.core import generate


class Command(BaseCommand):
    help = _(
        "Generate a large synthetic company for benchmarks: users across departments, "
        "customers with contacts, tags and interactions."
    )

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=10_000, help=_("How many customers."))
        parser.add_argument(
            "--interactions",
            type=int,
            default=None,
            help=_("How many interactions in all (default: ten per customer)."),
        )
        parser.add_argument(
            "--seed", type=int, default=7, help=_("Random seed; the same seed gives the same data.")
        )
        parser.add_argument(
            "--reps", type=int, default=None, help=_("How many sales reps (default: by size).")
        )

    def handle(self, *args, customers: int, interactions: int | None, seed: int, reps, **options):
        if customers < 0 or (interactions is not None and interactions < 0):
            raise CommandError(_("--customers and --interactions must be zero or more."))
        if interactions is None:
            interactions = customers * 10
        started = time.monotonic()
        quiet = options["verbosity"] == 0
        index_bar: list[tqdm] = []

        def indexes_built(built: int, total: int) -> None:
            if not index_bar:
                index_bar.append(tqdm(total=total, desc=_("Indexes"), unit="", disable=quiet))
            index_bar[0].update(built - index_bar[0].n)

        with tqdm(
            total=customers, desc=_("Customers"), unit="", unit_scale=True, disable=quiet
        ) as bar:
            try:
                summary = generate.generate(
                    customers=customers,
                    interactions=interactions,
                    seed=seed,
                    reps=reps,
                    progress=bar.update,
                    index_progress=indexes_built,
                )
            finally:
                for opened in index_bar:
                    opened.close()
        seconds = time.monotonic() - started
        self.stdout.write(
            _(
                "Generated in %(seconds).1f s: %(customers)d customers, %(contacts)d contacts, "
                "%(interactions)d interactions, %(tags)d customer tags (%(users)d bench users)."
            )
            % {"seconds": seconds, **summary.__dict__}
        )
        if summary.extra:
            self.stdout.write(
                _(
                    "Sales: %(opportunities)d opportunities, %(contracts)d contracts with "
                    "%(payments)d payment instalments, %(orders)d orders with %(order_lines)d "
                    "order lines."
                )
                % summary.extra
            )
        self.stdout.write(
            _(
                "Users bench_admin, bench_head_east1, bench_rep_001 … sign in with the password "
                "%(password)s."
            )
            % {"password": demo.demo_password()}
        )
