"""Lead and opportunity services against the database: scope, conversion, stage rules,
optimistic locking and the weighted pipeline figure."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from kehu.core.access import access_lead, access_opportunity
from kehu.customers.models import Customer
from kehu.customers.sensitive import mobile_index
from kehu.customers.services import StaleEditError
from kehu.customers.tests.factories import make_customer
from kehu.sales import selectors
from kehu.sales.models import Lead, LeadStatus, Opportunity
from kehu.sales.services.leads import (
    DuplicatesNeedConfirmation,
    lead_change_status,
    lead_convert,
    lead_create,
    lead_update,
)
from kehu.sales.services.opportunities import opportunity_move, opportunity_update
from kehu.sales.tests.factories import make_lead, make_opportunity, stage

pytestmark = pytest.mark.django_db


# --- scope ----------------------------------------------------------------------------------
def test_lead_is_visible_to_owner_manager_and_hidden_from_outsider(owner, manager, outsider):
    lead = make_lead(owner=owner)

    assert access_lead(owner, lead.pk) == lead
    assert access_lead(manager, lead.pk) == lead
    with pytest.raises(Http404):
        access_lead(outsider, lead.pk)
    assert not selectors.lead_list(user=outsider).exists()


def test_lead_takes_the_owners_department(owner, org):
    assert make_lead(owner=owner).department == org.east


def test_opportunity_is_visible_exactly_when_its_customer_is(customer, outsider, manager):
    opportunity = make_opportunity(customer=customer)

    assert access_opportunity(manager, opportunity.pk) == opportunity
    with pytest.raises(Http404):
        access_opportunity(outsider, opportunity.pk)
    assert list(selectors.opportunity_list(user=outsider)) == []


def test_opportunity_owner_must_be_able_to_see_the_customer(customer, outsider):
    with pytest.raises(ValidationError) as error:
        make_opportunity(customer=customer, owner=outsider)

    assert "owner" in error.value.message_dict
    assert not Opportunity.objects.exists()


# --- leads ----------------------------------------------------------------------------------
def test_lead_without_mobile_or_email_is_refused(owner):
    with pytest.raises(ValidationError) as error:
        make_lead(owner=owner, mobile="", email="")

    assert "mobile" in error.value.message_dict
    assert not Lead.objects.exists()


def test_lead_mobile_is_validated_like_customers(owner):
    with pytest.raises(ValidationError) as error:
        make_lead(owner=owner, mobile="12345")

    assert "mobile" in error.value.message_dict


def test_lead_with_control_characters_is_refused(owner):
    with pytest.raises(ValidationError) as error:
        make_lead(owner=owner, notes="hi\x00there")

    assert "notes" in error.value.message_dict


def test_disqualifying_needs_a_reason(owner):
    lead = make_lead(owner=owner)

    with pytest.raises(ValidationError):
        lead_change_status(lead=lead, by=owner, to=LeadStatus.DISQUALIFIED)
    lead = lead_change_status(lead=lead, by=owner, to=LeadStatus.DISQUALIFIED, reason="无预算")

    assert lead.status == LeadStatus.DISQUALIFIED
    assert lead.disqualify_reason == "无预算"


def test_stale_lead_edit_is_refused(owner):
    lead = make_lead(owner=owner)
    lead_update(lead=lead, by=owner, data={"company": "新名字有限公司"}, expected_version=1)

    with pytest.raises(StaleEditError):
        lead_update(lead=lead, by=owner, data={"company": "旧页面有限公司"}, expected_version=1)
    lead.refresh_from_db()
    assert lead.company == "新名字有限公司"


def test_outsider_cannot_edit_a_lead(owner, outsider):
    lead = make_lead(owner=owner)

    with pytest.raises(PermissionDenied):
        lead_update(lead=lead, by=outsider, data={"name": "x"}, expected_version=1)


# --- conversion -----------------------------------------------------------------------------
def test_converting_a_lead_creates_customer_decision_maker_and_opportunity(owner):
    lead = make_lead(owner=owner, company="成都天府新能源科技有限公司")

    result = lead_convert(
        lead=lead,
        by=owner,
        customer_data={"scale": "medium"},
        opportunity={"name": "储能项目", "amount": Decimal("500000")},
    )

    customer = Customer.objects.get()
    assert result.customer == customer
    assert customer.name == "成都天府新能源科技有限公司"
    assert customer.owner == owner
    contact = customer.contacts.get()
    assert (contact.name, contact.mobile, contact.is_decision_maker) == (
        "陈静",
        "13900001111",
        True,
    )
    opportunity = Opportunity.objects.get()
    assert (opportunity.customer, opportunity.lead, opportunity.stage.code) == (
        customer,
        lead,
        "initial_contact",
    )
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONVERTED
    assert lead.customer == customer
    assert lead.converted_by == owner


def test_converting_a_lead_matching_an_existing_customer_needs_confirmation(owner):
    existing = make_customer(owner=owner, name="杭州西湖电子商务有限公司")
    lead = make_lead(owner=owner, company="杭州西湖电子商务有限公司")

    with pytest.raises(DuplicatesNeedConfirmation) as warning:
        lead_convert(lead=lead, by=owner, customer_data={"scale": "small"})

    assert [d.code for d in warning.value.duplicates] == [existing.code]
    assert Customer.objects.count() == 1
    lead.refresh_from_db()
    assert lead.status == LeadStatus.NEW

    result = lead_convert(
        lead=lead, by=owner, customer_data={"scale": "small"}, confirmed_duplicates={existing.code}
    )
    assert result.customer != existing
    assert Customer.objects.count() == 2


def test_converting_into_an_existing_customer_adds_the_person_as_contact(owner, customer):
    lead = make_lead(owner=owner, mobile="13900002222")

    result = lead_convert(lead=lead, by=owner, customer=customer)

    assert result.customer == customer
    assert customer.contacts.filter(
        mobile_hash=mobile_index("13900002222"), is_decision_maker=False
    ).exists()
    assert Customer.objects.count() == 1


def test_failed_conversion_changes_nothing(owner):
    lead = make_lead(owner=owner, mobile="", email="a@example.com")

    with pytest.raises(ValidationError):
        lead_convert(
            lead=lead, by=owner, customer_data={"scale": "small"}, opportunity={"name": "x"}
        )

    assert not Customer.objects.exists()
    assert not Opportunity.objects.exists()
    lead.refresh_from_db()
    assert lead.status == LeadStatus.NEW


def test_converted_lead_cannot_be_converted_again(owner, customer):
    lead = make_lead(owner=owner)
    lead_convert(lead=lead, by=owner, customer=customer)
    lead.refresh_from_db()

    with pytest.raises(ValidationError):
        lead_convert(lead=lead, by=owner, customer=customer)


# --- stage rules ----------------------------------------------------------------------------
def test_moving_to_lost_without_reason_is_refused_and_nothing_changes(customer, owner):
    opportunity = make_opportunity(customer=customer)

    with pytest.raises(ValidationError) as error:
        opportunity_move(opportunity=opportunity, by=owner, to=stage("lost"), expected_version=1)

    assert "loss_reason" in error.value.message_dict
    opportunity.refresh_from_db()
    assert (opportunity.stage.code, opportunity.version) == ("initial_contact", 1)


def test_moving_to_lost_with_reason_closes_it(customer, owner):
    opportunity = make_opportunity(customer=customer)

    moved = opportunity_move(
        opportunity=opportunity,
        by=owner,
        to=stage("lost"),
        expected_version=1,
        loss_reason="价格高于竞品",
    )

    assert moved.stage.code == "lost"
    assert moved.loss_reason == "价格高于竞品"
    assert moved.closed_at is not None
    assert moved.version == 2


def test_closing_without_amount_is_refused(customer, owner):
    opportunity = make_opportunity(customer=customer, amount=None)

    with pytest.raises(ValidationError) as error:
        opportunity_move(opportunity=opportunity, by=owner, to=stage("won"), expected_version=1)

    assert "amount" in error.value.message_dict


def test_closed_opportunity_moves_back_only_when_reopened_by_an_editor(customer, owner, teammate):
    from kehu.customers.services import customer_share_set

    customer_share_set(customer=customer, user=teammate, access="read", by=owner)
    opportunity = make_opportunity(customer=customer, owner=teammate, stage_code="won")

    with pytest.raises(ValidationError):
        opportunity_move(
            opportunity=opportunity, by=owner, to=stage("negotiation"), expected_version=1
        )
    with pytest.raises(PermissionDenied):
        opportunity_move(
            opportunity=opportunity,
            by=teammate,
            to=stage("negotiation"),
            expected_version=1,
            reopen=True,
        )
    moved = opportunity_move(
        opportunity=opportunity,
        by=owner,
        to=stage("negotiation"),
        expected_version=1,
        reopen=True,
    )
    assert moved.stage.code == "negotiation"
    assert moved.closed_at is None


def test_stale_move_is_refused(customer, owner):
    opportunity = make_opportunity(customer=customer)
    opportunity_update(
        opportunity=opportunity, by=owner, data={"competitor": "用友"}, expected_version=1
    )

    with pytest.raises(StaleEditError):
        opportunity_move(
            opportunity=opportunity, by=owner, to=stage("proposal"), expected_version=1
        )
    opportunity.refresh_from_db()
    assert opportunity.stage.code == "initial_contact"


def test_outsider_cannot_move_an_opportunity(customer, outsider):
    opportunity = make_opportunity(customer=customer)

    with pytest.raises(PermissionDenied):
        opportunity_move(
            opportunity=opportunity, by=outsider, to=stage("proposal"), expected_version=1
        )


def test_moves_are_recorded_in_history(customer, owner):
    opportunity = make_opportunity(customer=customer)
    opportunity_move(opportunity=opportunity, by=owner, to=stage("proposal"), expected_version=1)

    latest = opportunity.history.first()
    assert latest.history_user == owner
    assert latest.stage.code == "proposal"


# --- weighted pipeline ----------------------------------------------------------------------
def test_weighted_pipeline_equals_a_direct_computation(owner, outsider):
    mine = make_customer(owner=owner, name="上海东方精密机械有限公司")
    theirs = make_customer(owner=outsider, name="天津海河物流有限公司")
    amounts = [
        (mine, "initial_contact", Decimal("120000.50")),
        (mine, "proposal", Decimal("300000")),
        (mine, "negotiation", Decimal("999.99")),
        (mine, "needs_confirmed", None),
        (mine, "won", Decimal("50000")),
        (theirs, "negotiation", Decimal("7000000")),
    ]
    for customer, code, amount in amounts:
        make_opportunity(customer=customer, stage_code=code, amount=amount)

    figure = selectors.pipeline(selectors.opportunity_list(user=owner)).weighted

    direct = sum(
        o.amount * o.stage.probability / 100
        for o in Opportunity.objects.filter(customer__owner=owner).select_related("stage")
        if o.amount is not None
    )
    assert figure == direct
    assert figure == Decimal("12000.05") + Decimal("150000") + Decimal("699.993") + Decimal("50000")


def test_lead_create_for_web_form_needs_no_user(org):
    from kehu.sales.models import WebToLeadForm

    form = WebToLeadForm.objects.create(name="官网", owner=org.owner)
    lead = lead_create(
        by=None, data={"name": "访客", "email": "v@example.com", "source": "website"}, web_form=form
    )

    assert lead.owner == org.owner
    assert lead.created_by is None
