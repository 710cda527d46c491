"""`kehu loaddemo`: the demo company (departments, users in every role, customers)."""

import os
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from kehu.accounts import demo


def demo_customer_count() -> int:
    return int(os.environ.get("KEHU_DEMO_CUSTOMERS") or demo.DEFAULT_CUSTOMERS)


def load_with_progress(*, customers: int, seed: int, stdout) -> demo.DemoSummary:
    """Load the demo with a progress bar, then say who can sign in and with what password."""
    started = time.monotonic()
    with tqdm(total=customers, desc=_("Demo customers"), unit="", leave=False) as bar:
        summary = demo.load_demo(customers=customers, seed=seed, progress=bar.update)
    seconds = time.monotonic() - started
    stdout.write(
        _(
            "Loaded the demo company in %(seconds).1f s: %(departments)d departments, "
            "%(users)d users, %(customers)d customers, %(contacts)d contacts."
        )
        % {
            "seconds": seconds,
            "departments": summary.departments,
            "users": len(summary.users),
            "customers": summary.customers,
            "contacts": summary.contacts,
        }
    )
    stdout.write(
        _("The sales groups logged %(interactions)d interactions with them.") % summary.activity
    )
    stdout.write(
        _(
            "Sales: %(opportunities)d opportunities, %(contracts)d contracts with "
            "%(payments)d payment instalments, %(orders)d orders with %(order_lines)d "
            "order lines."
        )
        % summary.activity
    )
    stdout.write(_("Demo users (all with the password %(password)s):") % summary.__dict__)
    for user in summary.users:
        roles = ", ".join(str(role) for role in user.roles.all())
        stdout.write(f"  {user.username:<10} {user.full_name:<4}  {user.department}  ({roles})")
    if summary.password == demo.DEFAULT_PASSWORD:
        stdout.write(_("Set KEHU_DEMO_PASSWORD before loading to choose another password."))
    return summary


class Command(BaseCommand):
    help = _("Load the demo company: departments, users in every role and customers.")

    def add_arguments(self, parser):
        parser.add_argument(
            "--customers",
            type=int,
            default=demo_customer_count(),
            help=_("How many customers (default: KEHU_DEMO_CUSTOMERS or %(n)d).")
            % {"n": demo.DEFAULT_CUSTOMERS},
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=demo.DEFAULT_SEED,
            help=_("Random seed; the same seed gives the same company."),
        )

    def handle(self, *args, customers: int, seed: int, **options):
        if customers < 0:
            raise CommandError(_("--customers must be zero or more."))
        try:
            load_with_progress(customers=customers, seed=seed, stdout=self.stdout)
        except demo.DemoAlreadyLoaded as exc:
            raise CommandError(
                _("The demo company is already loaded (its users exist); nothing was changed.")
            ) from exc
