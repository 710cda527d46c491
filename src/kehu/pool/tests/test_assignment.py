"""Lead assignment rules: round robin shares fairly, by load evens out, conditions pick the
rule, rules apply only when no owner was chosen (API without owner, web-to-lead)."""

from collections import Counter

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from kehu.accounts.tests.factories import make_user
from kehu.customers.models import Region
from kehu.pool.models import AssignmentRule
from kehu.pool.services.assignment import assignment_rule_save
from kehu.sales.models import Lead, WebToLeadForm
from kehu.sales.services.leads import lead_create

pytestmark = pytest.mark.django_db


def _lead(by, n: int = 0, **data):
    return lead_create(
        by=by,
        data={
            "name": f"客户{n}",
            "mobile": "",
            "email": f"l{n}@example.com",
            "source": "website",
            **data,
        },
    )


def _rule(org, **data) -> AssignmentRule:
    members = data.pop("members", None)
    regions = data.pop("regions", None)
    return assignment_rule_save(
        by=org.administrator,
        data={"name": "华东线索", "scope": "leads", "department": org.east, **data},
        members=members,
        regions=regions,
    )


def test_round_robin_shares_new_leads_evenly_within_the_team(org):
    third = make_user("east3", department=org.east, roles=["sales"])
    _rule(org)

    owners = [_lead(org.marketing, n).owner for n in range(9)]

    assert Counter(owners) == {org.owner: 3, org.teammate: 3, third: 3}
    assert owners[:3] == [org.owner, org.teammate, third]  # in turn, not in bursts


def test_round_robin_pointer_survives_between_requests_and_skips_inactive_users(org):
    rule = _rule(org)
    _lead(org.marketing, 1)
    org.teammate.is_active = False
    org.teammate.save()

    second = _lead(org.marketing, 2)

    rule.refresh_from_db()
    assert second.owner == org.owner
    assert rule.last_assigned == org.owner


def test_by_load_gives_the_lead_to_whoever_has_fewest_open_leads(org):
    _lead(org.owner, 1)  # no rule yet: the owner's own leads
    _lead(org.owner, 2)
    _rule(org, strategy="load")

    owners = [_lead(org.marketing, n).owner for n in range(10, 14)]

    # teammate catches up first (0 → 2), then they alternate.
    assert owners[:2] == [org.teammate, org.teammate]
    assert Counter(owners) == {org.teammate: 3, org.owner: 1}


def test_region_rule_takes_its_region_and_the_next_rule_the_rest(org):
    beijing = Region.objects.get(code="beijing")
    _rule(org, name="北京", members=[org.outsider], regions=[beijing.parent], sort_order=1)
    _rule(org, name="其他", members=[org.teammate], sort_order=2)

    north = _lead(org.marketing, 1, region=beijing)
    other = _lead(org.marketing, 2)

    assert north.owner == org.outsider
    assert north.department == org.north
    assert other.owner == org.teammate


def test_a_chosen_owner_is_kept_and_without_rules_the_creator_owns_the_lead(org):
    lead = _lead(org.owner, 1)
    _rule(org, members=[org.teammate])
    chosen = lead_create(
        by=org.owner,
        owner=org.owner,
        data={"name": "王", "email": "w@example.com", "source": "website"},
    )

    assert lead.owner == org.owner
    assert chosen.owner == org.owner


def test_api_lead_without_owner_and_web_to_lead_follow_the_rules(org):
    _rule(org, members=[org.teammate])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=org.owner).key}")
    web_form = WebToLeadForm.objects.create(name="官网", owner=org.manager)

    response = client.post(
        "/api/v1/leads/",
        {"name": "孙", "email": "s@example.com", "source": "website"},
        format="json",
    )
    web = lead_create(
        by=None,
        data={"name": "钱", "email": "q@example.com", "source": "website"},
        web_form=web_form,
    )

    assert response.status_code == 201
    assert Lead.objects.get(pk=response.data["id"]).owner == org.teammate
    assert web.owner == org.teammate


def test_only_administrators_write_assignment_rules_and_a_rule_needs_people(org):
    with pytest.raises(PermissionDenied):
        assignment_rule_save(by=org.manager, data={"name": "x", "scope": "leads"})
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        assignment_rule_save(by=org.administrator, data={"name": "x", "scope": "leads"})

    assert "Choose a team" in refused.value.message_dict["department"][0]
    assert not AssignmentRule.objects.exists()
