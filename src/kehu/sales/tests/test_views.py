"""Sales pages: scope (404 for outsiders, lists exclude), capture, conversion with the
duplicate warning, the board and its move endpoint."""

import json

import pytest

from kehu.customers.models import Customer
from kehu.customers.tests.factories import make_customer
from kehu.sales.models import Lead, LeadStatus, Opportunity
from kehu.sales.tests.factories import make_lead, make_opportunity, stage

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


# --- scope ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path", ["/sales/leads/{lead}/", "/sales/leads/{lead}/edit/", "/sales/leads/{lead}/convert/"]
)
def test_outsider_gets_404_on_lead_pages(client, owner, outsider, path):
    lead = make_lead(owner=owner)

    response = login(client, outsider).get(path.format(lead=lead.pk))

    assert response.status_code == 404


@pytest.mark.parametrize("path", ["/sales/opportunities/{o}/", "/sales/opportunities/{o}/edit/"])
def test_outsider_gets_404_on_opportunity_pages(client, customer, outsider, path):
    opportunity = make_opportunity(customer=customer)

    response = login(client, outsider).get(path.format(o=opportunity.pk))

    assert response.status_code == 404


def test_lists_and_board_exclude_what_the_user_may_not_see(client, owner, outsider, customer):
    make_lead(owner=owner, name="可见线索")
    make_opportunity(customer=customer, name="可见商机")
    login(client, outsider)

    assert "可见线索" not in client.get("/sales/leads/").content.decode()
    assert "可见商机" not in client.get("/sales/opportunities/").content.decode()
    assert "可见商机" not in client.get("/sales/opportunities/board/").content.decode()


def test_outsider_cannot_move_an_opportunity_through_the_endpoint(client, customer, outsider):
    opportunity = make_opportunity(customer=customer)

    response = login(client, outsider).post(
        f"/sales/opportunities/{opportunity.pk}/move/",
        {"stage": stage("proposal").pk, "version": 1},
        HTTP_ACCEPT="application/json",
    )

    assert response.status_code == 404
    opportunity.refresh_from_db()
    assert opportunity.stage.code == "initial_contact"


def test_manager_reads_a_subordinates_lead_but_teammate_cannot_edit(
    client, owner, teammate, manager
):
    lead = make_lead(owner=owner)

    assert login(client, manager).get(f"/sales/leads/{lead.pk}/").status_code == 200
    assert login(client, teammate).get(f"/sales/leads/{lead.pk}/").status_code == 404


# --- leads ----------------------------------------------------------------------------------
def test_sales_rep_captures_a_lead_through_the_form(client, owner):
    response = login(client, owner).post(
        "/sales/leads/new/",
        {
            "name": "黄磊",
            "company": "武汉光谷生物医药有限公司",
            "mobile": "13900005555",
            "source": "phone",
            "owner": owner.pk,
        },
    )

    lead = Lead.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/sales/leads/{lead.pk}/"
    assert lead.created_by == owner


# --- leads left to the assignment rules (分配规则) -------------------------------------------
def _lead_rule(org, **data):
    from kehu.pool.services.assignment import assignment_rule_save

    members = data.pop("members", None)
    return assignment_rule_save(
        by=org.administrator,
        data={"name": "华东线索", "scope": "leads", "department": org.east, **data},
        members=members,
    )


def _capture(client, user, owner=""):
    return login(client, user).post(
        "/sales/leads/new/",
        {
            "name": "黄磊",
            "company": "武汉光谷生物医药有限公司",
            "email": "huang@example.com",
            "source": "phone",
            "owner": owner,
        },
    )


def test_lead_form_leaves_the_owner_to_the_rules_by_default_when_a_rule_serves_the_team(
    client, org, english
):
    _lead_rule(org, members=[org.teammate])

    page = login(client, org.owner).get("/sales/leads/new/")
    response = _capture(client, org.owner)

    form = page.context["form"]
    assert form.initial["owner"] is None
    assert "Assign automatically (by the rules)" in page.content.decode()
    lead = Lead.objects.get()
    assert lead.owner == org.teammate
    assert lead.created_by == org.owner
    assert response.status_code == 302


def test_lead_form_defaults_to_the_creator_without_a_rule_for_their_team(client, org):
    _lead_rule(org, department=org.north, name="华北线索")

    page = login(client, org.owner).get("/sales/leads/new/")

    assert page.context["form"].initial["owner"] == org.owner.pk


def test_automatic_owner_falls_back_to_the_creator_when_no_rule_applies(client, org):
    response = _capture(client, org.owner)

    lead = Lead.objects.get()
    assert lead.owner == org.owner
    assert response["Location"] == f"/sales/leads/{lead.pk}/"


def test_a_chosen_owner_on_the_form_is_kept_even_with_a_rule(client, org):
    _lead_rule(org, members=[org.teammate])

    _capture(client, org.owner, owner=org.owner.pk)

    assert Lead.objects.get().owner == org.owner


def test_a_lead_assigned_out_of_sight_sends_the_creator_to_the_list(client, org):
    # The rule gives the lead to the outsider, whose leads the creator may not open.
    _lead_rule(org, members=[org.outsider], department=None)

    response = _capture(client, org.owner)

    assert Lead.objects.get().owner == org.outsider
    assert response["Location"] == "/sales/leads/"


def test_editing_a_lead_still_needs_an_owner(client, org, english):
    lead = make_lead(owner=org.owner)

    response = login(client, org.owner).post(
        f"/sales/leads/{lead.pk}/edit/",
        {"name": "黄磊", "source": "phone", "owner": "", "version": lead.version},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["owner"]
    lead.refresh_from_db()
    assert lead.owner == org.owner


def test_lead_form_shows_the_error_next_to_the_field(client, owner, english):
    response = login(client, owner).post(
        "/sales/leads/new/", {"name": "黄磊", "mobile": "123", "source": "phone", "owner": owner.pk}
    )

    assert response.status_code == 200
    assert b'id="id_mobile_error"' in response.content
    assert not Lead.objects.exists()


def test_disqualify_without_reason_shows_an_error_and_keeps_the_status(client, owner):
    lead = make_lead(owner=owner)

    login(client, owner).post(f"/sales/leads/{lead.pk}/status/", {"status": "disqualified"})

    lead.refresh_from_db()
    assert lead.status == LeadStatus.NEW


def test_convert_page_creates_customer_and_opportunity(client, owner):
    lead = make_lead(owner=owner, company="宁波港城汽车零部件有限公司")

    response = login(client, owner).post(
        f"/sales/leads/{lead.pk}/convert/",
        {
            "mode": "new",
            "customer_name": "宁波港城汽车零部件有限公司",
            "customer_type": "enterprise",
            "scale": "large",
            "create_opportunity": "on",
            "opportunity_name": "零部件追溯",
            "amount": "80000",
        },
    )

    customer = Customer.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/customers/{customer.pk}/"
    assert Opportunity.objects.get().customer == customer


def test_convert_page_warns_about_a_probable_duplicate_then_creates_on_confirmation(client, owner):
    existing = make_customer(owner=owner, name="杭州西湖电子商务有限公司")
    lead = make_lead(owner=owner, company="杭州西湖电子商务有限公司")
    form = {
        "mode": "new",
        "customer_name": "杭州西湖电子商务有限公司",
        "customer_type": "enterprise",
        "scale": "small",
    }
    login(client, owner)

    warned = client.post(f"/sales/leads/{lead.pk}/convert/", form)

    assert warned.status_code == 200
    assert b'data-testid="duplicate-warning"' in warned.content
    assert existing.code.encode() in warned.content
    assert Customer.objects.count() == 1

    confirmed = client.post(
        f"/sales/leads/{lead.pk}/convert/", {**form, "confirmed_duplicates": existing.code}
    )
    assert confirmed.status_code == 302
    assert Customer.objects.count() == 2


def test_convert_page_links_an_existing_customer_by_code(client, owner, customer):
    lead = make_lead(owner=owner)

    response = login(client, owner).post(
        f"/sales/leads/{lead.pk}/convert/", {"mode": "link", "customer_code": customer.code}
    )

    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.customer == customer


def test_convert_page_does_not_link_a_hidden_customer(client, owner, outsider):
    hidden = make_customer(owner=outsider, name="天津海河物流有限公司")
    lead = make_lead(owner=owner)

    response = login(client, owner).post(
        f"/sales/leads/{lead.pk}/convert/", {"mode": "link", "customer_code": hidden.code}
    )

    assert response.status_code == 200
    lead.refresh_from_db()
    assert lead.status == LeadStatus.NEW


# --- opportunities --------------------------------------------------------------------------
def test_create_opportunity_from_the_customer_code(client, owner, customer):
    response = login(client, owner).post(
        "/sales/opportunities/new/",
        {"customer_code": customer.code, "name": "二期扩容", "amount": "120000", "owner": owner.pk},
    )

    opportunity = Opportunity.objects.get()
    assert response.status_code == 302
    assert (opportunity.customer, opportunity.stage.code) == (customer, "initial_contact")


def test_list_filters_by_stage_owner_and_close_dates(client, owner, customer):
    import datetime as dt

    make_opportunity(customer=customer, name="早期商机", expected_close_date=dt.date(2026, 12, 1))
    make_opportunity(
        customer=customer,
        name="谈判商机",
        stage_code="negotiation",
        expected_close_date=dt.date(2027, 3, 1),
    )
    login(client, owner)

    by_stage = client.get(f"/sales/opportunities/?stage={stage('negotiation').pk}").content.decode()
    by_date = client.get(
        "/sales/opportunities/?close_from=2027-01-01&close_to=2027-12-31"
    ).content.decode()

    assert "谈判商机" in by_stage
    assert "早期商机" not in by_stage
    assert "谈判商机" in by_date
    assert "早期商机" not in by_date


def test_board_shows_columns_cards_and_weighted_totals(client, owner, customer, english):
    make_opportunity(customer=customer, name="方案商机", stage_code="proposal", amount=100000)

    page = login(client, owner).get("/sales/opportunities/board/").content.decode()

    assert 'data-testid="column-proposal"' in page
    assert "方案商机" in page
    assert "¥50,000" in page  # 100,000 × 50 %
    assert "pipeline-board.js" in page


def test_board_list_and_detail_use_a_bounded_number_of_queries(
    client, owner, customer, django_assert_max_num_queries
):
    for number in range(12):
        make_opportunity(customer=customer, name=f"商机{number}", amount=1000 * number)
    login(client, owner)

    for path in ("/sales/opportunities/board/", "/sales/opportunities/", "/sales/leads/"):
        with django_assert_max_num_queries(30):
            assert client.get(path).status_code == 200


def test_move_endpoint_moves_and_answers_with_new_totals(client, owner, customer):
    opportunity = make_opportunity(customer=customer, amount=100000)

    response = login(client, owner).post(
        f"/sales/opportunities/{opportunity.pk}/move/",
        {"stage": stage("negotiation").pk, "version": 1},
        HTTP_ACCEPT="application/json",
    )

    answer = json.loads(response.content)
    assert response.status_code == 200
    assert answer["ok"] is True
    assert answer["version"] == 2
    assert answer["columns"][str(stage("negotiation").pk)]["count"] == 1
    opportunity.refresh_from_db()
    assert opportunity.stage.code == "negotiation"


def test_move_to_lost_without_reason_answers_400_asking_for_it(client, owner, customer):
    opportunity = make_opportunity(customer=customer)

    response = login(client, owner).post(
        f"/sales/opportunities/{opportunity.pk}/move/",
        {"stage": stage("lost").pk, "version": 1},
        HTTP_ACCEPT="application/json",
    )

    answer = json.loads(response.content)
    assert response.status_code == 400
    assert answer["needs_loss_reason"] is True
    opportunity.refresh_from_db()
    assert opportunity.stage.code == "initial_contact"


def test_stale_move_answers_409(client, owner, customer):
    opportunity = make_opportunity(customer=customer)

    response = login(client, owner).post(
        f"/sales/opportunities/{opportunity.pk}/move/",
        {"stage": stage("proposal").pk, "version": 7},
        HTTP_ACCEPT="application/json",
    )

    assert response.status_code == 409


def test_detail_page_stage_form_moves_and_redirects(client, owner, customer):
    opportunity = make_opportunity(customer=customer)
    login(client, owner)
    assert client.get(f"/sales/opportunities/{opportunity.pk}/").status_code == 200

    response = client.post(
        f"/sales/opportunities/{opportunity.pk}/move/",
        {"stage": stage("lost").pk, "version": 1, "loss_reason": "预算取消"},
    )

    assert response.status_code == 302
    opportunity.refresh_from_db()
    assert (opportunity.stage.code, opportunity.loss_reason) == ("lost", "预算取消")


def test_read_only_team_member_sees_but_cannot_edit_an_opportunity(
    client, owner, teammate, customer
):
    from kehu.customers.services import customer_share_set

    customer_share_set(customer=customer, user=teammate, access="read", by=owner)
    opportunity = make_opportunity(customer=customer)
    login(client, teammate)

    assert client.get(f"/sales/opportunities/{opportunity.pk}/").status_code == 200
    assert client.get(f"/sales/opportunities/{opportunity.pk}/edit/").status_code == 403


def test_customer_page_card_lists_the_customers_opportunities(client, owner, customer):
    make_opportunity(customer=customer, name="一期项目")
    login(client, owner)

    page = client.get(f"/customers/{customer.pk}/").content.decode()
    card = client.get(
        f"/sales/customers/{customer.pk}/opportunities/", HTTP_HX_REQUEST="true"
    ).content.decode()

    assert f"/sales/customers/{customer.pk}/opportunities/" in page
    assert "一期项目" in card
    assert f"/sales/opportunities/new/?customer={customer.pk}" in card


def test_outsider_gets_404_on_the_customer_opportunities_card(client, outsider, customer):
    make_opportunity(customer=customer)

    response = login(client, outsider).get(f"/sales/customers/{customer.pk}/opportunities/")

    assert response.status_code == 404


def test_list_filters_by_customer(client, owner, customer):
    other = make_customer(owner=owner, name="天津海河物流有限公司")
    make_opportunity(customer=customer, name="甲商机")
    make_opportunity(customer=other, name="乙商机")

    page = login(client, owner).get(f"/sales/opportunities/?customer={other.pk}").content.decode()

    assert "乙商机" in page
    assert "甲商机" not in page


def test_company_reader_sees_a_lead_but_gets_403_on_its_edit_pages(client, owner, org):
    lead = make_lead(owner=owner)
    login(client, org.service)

    assert client.get(f"/sales/leads/{lead.pk}/").status_code == 200
    assert client.get(f"/sales/leads/{lead.pk}/edit/").status_code == 403
    assert client.get(f"/sales/leads/{lead.pk}/convert/").status_code == 403
    assert client.post(f"/sales/leads/{lead.pk}/delete/").status_code == 403
    assert Lead.objects.filter(pk=lead.pk).exists()
