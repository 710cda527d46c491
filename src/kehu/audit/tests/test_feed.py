"""The unified audit feed: every source, filters, keyset pages, before/after, masking."""

import datetime as dt

import pytest
from django.utils import timezone

from kehu.accounts.models import AccessEvent, Role
from kehu.audit.models import AuditAction
from kehu.audit.selectors import FeedFilter, audit_feed, sources
from kehu.customers.models import Contact
from kehu.customers.services import contact_update, customer_unmask
from kehu.customers.tests.factories import make_customer
from kehu.dataquality.models import ExportLog


def _all(flt=None, size=50):
    return audit_feed(flt=flt or FeedFilter(), size=size).rows


def test_every_business_model_has_history():
    keys = {s.key for s in sources() if s.is_history}
    expected = {
        "customers.customer", "customers.contact", "customers.customershare",
        "customers.customfielddefinition", "customers.statuschange", "interactions.interaction",
        "interactions.task", "tags.tag", "tags.customertag", "sales.lead", "sales.opportunity",
        "accounts.user", "accounts.role", "accounts.department", "privacy.consent",
        "privacy.datasubjectrequest", "privacy.purposenotice",
    }  # fmt: skip
    assert expected <= keys


def test_feed_merges_history_unmasks_exports_and_sign_ins(org, customer):
    admin = org.administrator
    customer_unmask(customer=customer, by=admin, ip_address="10.1.1.1")
    ExportLog.objects.create(user=org.owner, file_format="csv", row_count=3)
    AccessEvent.objects.create(username="owner", user=org.owner, outcome="success")

    actions = {row.action for row in _all()}

    assert {"create", "unmask", "export", "login"} <= actions


def test_update_rows_show_before_and_after_with_the_mobile_masked(org, customer):
    contact = customer.contacts.get()
    old_mobile = contact.mobile
    contact_update(
        contact=contact,
        by=org.owner,
        data={"title": "总经理", "mobile": "13611112222"},
        expected_version=contact.version,
    )

    row = _all(FeedFilter(model="customers.contact", action="update"))[0]

    changes = {c.field: (c.old, c.new) for c in row.changes}
    assert changes["title"] == ("采购总监", "总经理")
    assert changes["mobile"] == (f"{old_mobile[:3]}****{old_mobile[-4:]}", "136****2222")
    assert row.actor == org.owner


def test_filters_by_model_record_actor_action_and_date(org, customer):
    other = make_customer(owner=org.teammate, name="苏州工业园区测试有限公司")
    yesterday = timezone.localdate() - dt.timedelta(days=1)

    by_record = _all(FeedFilter(model="customers.customer", record=str(other.pk)))
    by_actor = _all(FeedFilter(actor_id=org.teammate.pk))
    by_action = _all(FeedFilter(action="unmask"))
    in_the_past = _all(FeedFilter(date_to=yesterday))

    assert [(r.record_id, r.action) for r in by_record] == [(str(other.pk), "create")]
    assert by_actor
    assert all(r.actor == org.teammate for r in by_actor)
    assert by_action == []
    assert in_the_past == []


def test_role_changes_are_permission_events_with_before_and_after(org):
    user = org.outsider
    user.roles.add(Role.objects.get(code="manager"))

    rows = _all(FeedFilter(action=AuditAction.PERMISSION, model="accounts.user"))

    assert rows, "adding a role is logged"
    roles_change = next(c for r in rows for c in r.changes if c.field == "roles")
    assert "Department head" in roles_change.new or "部门负责人" in roles_change.new


def test_signing_in_does_not_add_user_history(client, org):
    user = org.owner
    user.set_password("long-enough-password-1")
    user.save()
    before = user.history.count()

    client.post("/accounts/login/", {"username": "owner", "password": "long-enough-password-1"})

    user.refresh_from_db()
    assert user.last_login is not None
    assert user.history.count() == before


@pytest.mark.django_db
def test_keyset_pages_return_every_row_once(org):
    for n in range(7):
        make_customer(owner=org.owner, name=f"杭州分页测试{n}号有限公司")
    everything = [(r.source.key, r.pk) for r in _all(size=500)]

    seen, cursor = [], None
    while True:
        page = audit_feed(flt=FeedFilter(), cursor=cursor, size=4)
        seen += [(r.source.key, r.pk) for r in page.rows]
        cursor = page.next_cursor
        if cursor is None:
            break

    assert seen == everything
    assert len(seen) == len(set(seen)) > 8


def test_a_page_costs_a_bounded_number_of_queries(org, django_assert_max_num_queries):
    for n in range(5):
        customer = make_customer(owner=org.owner, name=f"宁波查询计数{n}号有限公司")
        contact = customer.contacts.get()
        contact_update(
            contact=contact, by=org.owner, data={"title": f"T{n}"}, expected_version=contact.version
        )
    history_sources = sum(1 for s in sources())
    # One query per source for the rows, one per source on the page for previous versions,
    # and a few label look-ups (industry, region, users), independent of the row count.
    with django_assert_max_num_queries(2 * history_sources + 15):
        audit_feed(flt=FeedFilter(), size=50)
    assert Contact.objects.count() == 5


def test_a_lead_reveal_shows_as_the_lead_and_is_found_by_its_filter(org):
    from kehu.sales.models import Lead
    from kehu.sales.services.leads import lead_unmask
    from kehu.sales.tests.factories import make_lead

    lead = make_lead(owner=org.owner, mobile="13800138000")
    lead_unmask(lead=lead, by=org.administrator, ip_address="10.1.1.2")

    rows = _all(FeedFilter(model="sales.lead", action="unmask", record=str(lead.pk)))

    assert [(r.record_id, r.action) for r in rows] == [(str(lead.pk), "unmask")]
    assert rows[0].record_type == str(Lead._meta.verbose_name)
