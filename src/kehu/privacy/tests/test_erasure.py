"""Erasure (PIPL art. 47): after it, no table holds the person's distinctive values; the
business records and their totals stay."""

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from kehu.customers.models import Contact, UnmaskLog
from kehu.customers.services import contact_create, contact_update, customer_unmask
from kehu.interactions.models import Interaction
from kehu.interactions.services import interaction_create
from kehu.privacy import selectors, services
from kehu.privacy.models import DataSubjectRequest, RequestStatus
from kehu.sales.models import Lead
from kehu.sales.tests.factories import make_lead

NAME = "欧阳娜娜测"
OLD_NAME = "欧阳旧名测"
MOBILE = "13987654321"
OLD_MOBILE = "13912340987"
EMAIL = "ouyang.unique@example.org"
PHONE = "021-55667788"
TITLE = "首席隐私官测"
REMARK = "喜欢打高尔夫XYZ"
DISTINCTIVE = (NAME, OLD_NAME, MOBILE, OLD_MOBILE, EMAIL, PHONE, REMARK)
TEXT_TYPES = {"CharField", "TextField", "JSONField", "EmailField", "SlugField", "BinaryField"}


def _text_columns():
    """(table, column) of every text-like column in the database, by introspection."""
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            for column in connection.introspection.get_table_description(cursor, table):
                try:
                    kind = connection.introspection.get_field_type(column.type_code, column)
                except KeyError:
                    kind = "TextField"  # types Django has no name for: scan them too
                if kind in TEXT_TYPES:
                    yield table, column.name


def _tables_containing(value: str) -> list[str]:
    found = []
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table, column in _text_columns():
            cursor.execute(
                f"SELECT COUNT(*) FROM {qn(table)} WHERE CAST({qn(column)} AS TEXT) LIKE %s",  # noqa: S608 - names from introspection
                [f"%{value}%"],
            )
            if cursor.fetchone()[0]:
                found.append(f"{table}.{column}")
    return found


@pytest.fixture
def person(org, customer):
    """A contact with distinctive values, linked everywhere the system keeps personal data."""
    owner, admin = org.owner, org.administrator
    contact = contact_create(
        customer=customer,
        by=owner,
        data={"name": OLD_NAME, "title": TITLE, "mobile": OLD_MOBILE, "email": EMAIL},
    )
    contact = contact_update(
        contact=contact,
        by=owner,
        data={"name": NAME, "mobile": MOBILE, "phone": PHONE, "remarks": REMARK},
        expected_version=contact.version,
    )
    interaction_create(
        customer=customer,
        by=owner,
        occurred_at=timezone.now() - dt.timedelta(hours=1),
        method="phone",
        topic=f"与{NAME}通话",
        summary=f"{NAME}（{MOBILE}）说预算20万，邮件 {EMAIL}",
        feedback="interested",
        next_action=f"给{NAME}发报价",
        next_action_owner=owner,
        next_action_due=timezone.now() + dt.timedelta(days=2),
    )
    make_lead(owner=owner, name=NAME, mobile=MOBILE, email=EMAIL, notes=f"{NAME} 官网留言")
    customer_unmask(customer=customer, by=admin, ip_address="10.0.0.1", contact=contact)
    services.consent_record(
        contact=contact, purpose="marketing", channel="paper", by=owner, evidence=f"签字表 {NAME}"
    )
    return contact


def _encrypted_values_containing(value: str) -> list[str]:
    """Encrypted columns hold ciphertext, which a SQL scan cannot read: decrypt and look."""
    from kehu.core.crypto.fields import encrypted_columns

    found = []
    for model, field in encrypted_columns():
        for stored in model._default_manager.exclude(**{field.attname: ""}).values_list(
            field.attname, flat=True
        ):
            if stored and value in stored:
                found.append(f"{model._meta.db_table}.{field.column}")
    return found


def _blind_indexes() -> list[str]:
    from kehu.customers.sensitive import mobile_index, mobile_last4_index

    return [mobile_index(m) for m in (MOBILE, OLD_MOBILE)] + [
        mobile_last4_index(m[-4:]) for m in (MOBILE, OLD_MOBILE)
    ]


def test_erasure_leaves_no_trace_of_the_person_in_any_table(org, person):
    for value in DISTINCTIVE:
        stored = _tables_containing(value) + _encrypted_values_containing(value)
        assert stored, f"the set-up should have stored {value}"
    assert _tables_containing(_blind_indexes()[0]), "the contact row holds the blind index"
    request = services.data_request_create(
        contact=person, kind="erase", by=org.steward, note="电话核实身份"
    )

    services.data_request_erase(request=request, by=org.steward)

    needles = (*DISTINCTIVE, *_blind_indexes())
    leftovers = {value: _tables_containing(value) for value in needles}
    assert leftovers == {value: [] for value in needles}
    decrypted = {value: _encrypted_values_containing(value) for value in DISTINCTIVE}
    assert decrypted == {value: [] for value in DISTINCTIVE}


def test_erasure_keeps_business_records_and_links(org, customer, person):
    interactions = Interaction.objects.filter(customer=customer).count()
    request = services.data_request_create(contact=person, kind="erase", by=org.steward)

    counts = services.data_request_erase(request=request, by=org.steward)

    contact = Contact.objects.get(pk=person.pk)
    assert contact.customer_id == customer.pk
    assert contact.name.endswith(f"#{person.pk}")
    assert contact.mobile == contact.email == contact.phone == contact.remarks == ""
    assert Interaction.objects.filter(customer=customer).count() == interactions
    assert UnmaskLog.objects.filter(contact_id=person.pk).count() == 1
    lead = Lead.objects.get(company="杭州西湖电子商务有限公司")
    assert (lead.mobile, lead.email, lead.company) == ("", "", "杭州西湖电子商务有限公司")
    assert counts["leads"] == 1
    assert DataSubjectRequest.objects.get(pk=request.pk).status == RequestStatus.DONE
    assert not selectors.contacts_with_live_consent(purpose="marketing").filter(pk=person.pk)


def test_an_erased_person_cannot_be_erased_twice_or_given_consent(org, person):
    request = services.data_request_create(contact=person, kind="erase", by=org.steward)
    services.data_request_erase(request=request, by=org.steward)

    with pytest.raises(Exception, match="already erased"):
        services.data_request_create(contact=person, kind="erase", by=org.steward)
    with pytest.raises(Exception, match="erased"):
        services.consent_record(
            contact=Contact.objects.get(pk=person.pk),
            purpose="service",
            channel="phone",
            by=org.owner,
        )


def test_only_request_handlers_may_erase(org, person):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.data_request_create(contact=person, kind="erase", by=org.owner)


def test_other_contacts_of_the_customer_are_untouched(org, customer, person):
    other = customer.contacts.exclude(pk=person.pk).get()
    before = (other.name, other.mobile)
    request = services.data_request_create(contact=person, kind="erase", by=org.steward)

    services.data_request_erase(request=request, by=org.steward)

    other.refresh_from_db()
    assert (other.name, other.mobile) == before


def test_erasure_reaches_the_merge_snapshot_that_could_bring_the_person_back(org):
    from kehu.customers.tests.factories import make_customer
    from kehu.dataquality.duplicates.services import customer_merge
    from kehu.dataquality.models import CustomerMerge

    keep = make_customer(owner=org.owner, name="上海合并保留科技有限公司")
    drop = make_customer(
        owner=org.owner,
        name="上海合并保留科技公司",
        decision_maker={"name": NAME, "title": TITLE, "mobile": MOBILE, "email": EMAIL},
        remarks=f"对接人{NAME}，邮箱 {EMAIL}",
    )
    customer_merge(keep=keep, drop=[drop], choices={}, by=org.owner)
    person = keep.contacts.get(name=NAME)
    assert NAME in str(CustomerMerge.objects.get().snapshot)
    request = services.data_request_create(contact=person, kind="erase", by=org.steward)

    counts = services.data_request_erase(request=request, by=org.steward)

    snapshot = str(CustomerMerge.objects.get().snapshot)
    assert counts["snapshots"] == 1
    assert NAME not in snapshot
    assert EMAIL not in snapshot
    assert _tables_containing(NAME) == []


@pytest.fixture(autouse=True)
def _english_messages():
    """These tests read the English wording of messages; the default language is zh-hans."""
    from django.utils import translation

    with translation.override("en"):
        yield
