"""The duplicate warning on entry (撞单, spec §5): before a new customer is saved, the form and
the API look for records that probably are the same company.

Candidates come from indexed lookups only (credit code, normalised name, pinyin initials of the
name, the decision maker's mobile), then the matcher scores them with its reasons. What the user
learns depends on the data scope: a record they may see comes with its name, reasons and link; a
record they may not see is reported only as existing, with its code and owner, and the user may
ask that owner about it — never its details.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.access import visible_customers
from kehu.core.text import pinyin_initials
from kehu.customers.models import Contact, Customer
from kehu.customers.sensitive import mobile_index
from kehu.customers.validators import normalize_mobile
from kehu.dataquality.matching import Candidate, prepare, score
from kehu.dataquality.normalize import normalize_company_name

# A name shared by more customers than this is not a useful signal on its own (e.g. 张伟).
MAX_CANDIDATES = 200
MAX_SHOWN = 5


@dataclass
class ProbableDuplicate:
    id: int
    code: str
    owner_name: str
    visible: bool
    score: float
    same_credit_code: bool = False
    # A hidden record in a public pool the user may claim from: its pool entry (公海).
    pool_entry_id: int | None = None
    # Only for records the user may see:
    name: str = ""
    url: str = ""
    reasons: list[str] = field(default_factory=list)


def _candidate_ids(*, name: str, credit_code: str, mobile: str, exclude_id: int | None) -> set:
    key = normalize_company_name(name)[:128] if name else ""
    lookups = Q(pk__in=[])
    if credit_code:
        lookups |= Q(credit_code=credit_code.strip().upper())
    if key:
        lookups |= Q(name_key=key)
    initials = pinyin_initials(name)[:128] if name else ""
    if len(initials) >= 4:
        lookups |= Q(name_initials=initials)
    ids = set(
        Customer.objects.filter(lookups)
        .exclude(pk=exclude_id or 0)
        .values_list("pk", flat=True)[:MAX_CANDIDATES]
    )
    if mobile:
        ids |= set(
            Contact.objects.filter(mobile_hash=mobile_index(mobile))
            .exclude(customer_id=exclude_id or 0)
            .values_list("customer_id", flat=True)[:MAX_CANDIDATES]
        )
    return ids


def _candidates(ids: set) -> list[tuple[Customer, Candidate]]:
    customers = Customer.objects.filter(pk__in=ids).select_related("owner", "region")
    contacts: dict[int, list[tuple[str, str]]] = {}
    for customer_id, name, mobile in Contact.objects.filter(customer_id__in=ids).values_list(
        "customer_id", "name", "mobile"
    ):
        contacts.setdefault(customer_id, []).append((name, mobile))
    return [
        (
            customer,
            Candidate(
                id=customer.pk,
                name=customer.name,
                credit_code=customer.credit_code or "",
                contacts=tuple(n for n, _m in contacts.get(customer.pk, ())),
                mobiles=tuple(m for _n, m in contacts.get(customer.pk, ()) if m),
                address=customer.address,
            ),
        )
        for customer in customers
    ]


def probable_duplicates(
    *,
    viewer: User,
    name: str,
    credit_code: str = "",
    contact_name: str = "",
    mobile: str = "",
    address: str = "",
    exclude_id: int | None = None,
) -> list[ProbableDuplicate]:
    """Existing customers that probably are the one being entered, best first."""
    mobile = normalize_mobile(mobile or "")
    ids = _candidate_ids(
        name=name or "", credit_code=credit_code or "", mobile=mobile, exclude_id=exclude_id
    )
    if not ids:
        return []
    entered = prepare(
        Candidate(
            id=0,
            name=name or "",
            credit_code=(credit_code or "").strip().upper(),
            contacts=(contact_name,) if contact_name else (),
            mobiles=(mobile,) if mobile else (),
            address=address or "",
        )
    )
    threshold = settings.KEHU_DUPLICATE_WARN_THRESHOLD
    visible_ids = set(visible_customers(viewer).filter(pk__in=ids).values_list("pk", flat=True))
    found = []
    for customer, candidate in _candidates(ids):
        verdict = score(entered, prepare(candidate))
        if verdict.score < threshold:
            continue
        duplicate = ProbableDuplicate(
            id=customer.pk,
            code=customer.code,
            owner_name=customer.owner.display_name,
            visible=customer.pk in visible_ids,
            score=verdict.score,
            same_credit_code=bool(
                customer.credit_code and customer.credit_code == entered.candidate.credit_code
            ),
        )
        if duplicate.visible:
            duplicate.name = customer.name
            duplicate.url = reverse("customers:detail", args=[customer.pk])
            duplicate.reasons = verdict.reasons
        found.append(duplicate)
    found.sort(key=lambda d: (-d.score, d.code))
    found = found[:MAX_SHOWN]
    from kehu.pool.services.pool import pool_entry_ids_claimable

    hidden = [d.id for d in found if not d.visible]
    claimable = pool_entry_ids_claimable(user=viewer, customer_ids=hidden) if hidden else {}
    for duplicate in found:
        duplicate.pool_entry_id = claimable.get(duplicate.id)
    return found


def needs_confirmation(duplicates: list[ProbableDuplicate], confirmed: set[str]) -> bool:
    """Whether saving must wait for the user to confirm the warning.

    A taken credit code is not a warning: the save is refused with a field error anyway.
    """
    if any(d.same_credit_code for d in duplicates):
        return False
    return not {d.code for d in duplicates} <= confirmed


def duplicate_ask_owner(*, by: User, code: str, entered: dict[str, str]) -> Customer | None:
    """Tell the owner of an existing customer that `by` was about to enter the same company.

    The check runs again on what `by` entered, and only a code it finds may be asked about, so
    the action cannot be used to probe codes or to message arbitrary owners. Returns the
    customer asked about, or None when `code` is not a probable duplicate of the entry.
    """
    from kehu.interactions.services import notification_create

    found = probable_duplicates(viewer=by, **entered)
    match = next((d for d in found if d.code == code), None)
    if match is None:
        return None
    customer = Customer.objects.select_related("owner").get(pk=match.id)
    with translation.override(settings.LANGUAGE_CODE):
        title = _("%(user)s asks about your customer %(code)s") % {
            "user": by.display_name,
            "code": customer.code,
        }
        body = _(
            "%(user)s was about to enter %(entered)s, which looks like your customer "
            "%(name)s (%(code)s). Please get in touch, or add them to the related team."
        ) % {
            "user": by.display_name,
            "entered": (entered.get("name") or "")[:128],
            "name": customer.name,
            "code": customer.code,
        }
    notification_create(
        recipient=customer.owner,
        title=title,
        body=body,
        url=reverse("customers:detail", args=[customer.pk]),
    )
    return customer
