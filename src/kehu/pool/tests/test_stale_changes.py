"""A stale edit of a pool's settings or of an assignment rule is refused with what the other
administrator changed: on the form page and in the API's 409."""

import pytest
from rest_framework.test import APIClient

from kehu.accounts.tests.factories import make_user
from kehu.pool.models import AssignmentRule, Pool
from kehu.pool.services.assignment import assignment_rule_save
from kehu.pool.services.pool import pool_update
from kehu.pool.tests.factories import make_pool

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def pool(org):
    """The East pool with the sales manager as a pool administrator (version 2)."""
    pool = make_pool(org)
    return pool_update(
        pool=pool, by=org.administrator, data={}, expected_version=1, administrators=[org.manager]
    )


@pytest.fixture
def second_administrator(org):
    return make_user("admin2", department=org.hq, roles=["admin"], full_name="第二管理员")


@pytest.fixture
def rule(org):
    return assignment_rule_save(
        by=org.administrator, data={"name": "华东轮流", "scope": "leads", "department": org.east}
    )


def test_stale_pool_settings_on_the_page_show_the_other_administrators_change(english, org, pool):
    pool_update(pool=pool, by=org.administrator, data={"is_open": False}, expected_version=2)
    english.force_login(org.manager)

    response = english.post(
        f"/pool/manage/{pool.pk}/",
        {
            "name": "华东公海（改）",
            "is_open": "on",
            "is_active": "on",
            "departments": [org.east.pk],
            "administrators": [org.manager.pk],
            "version": 2,
        },
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="stale-changes"' in page
    assert f"Saved by {org.administrator.display_name} after you opened this form" in page
    assert "Open pool" in page
    current = Pool.objects.get(pk=pool.pk)
    assert (current.name, current.is_open, current.version) == ("华东公海", False, 3)


def test_stale_pool_settings_in_the_api_answer_409_with_the_changes(org, pool):
    pool_update(pool=pool, by=org.administrator, data={"name": "华东一区"}, expected_version=2)

    response = api(org.manager).patch(
        f"/api/v1/pools/{pool.pk}/", {"is_open": False, "version": 2}, format="json"
    )

    body = response.json()
    assert response.status_code == 409
    assert body["code"] == "stale"
    assert body["current_version"] == 3
    assert body["current"]["name"] == "华东一区"
    assert body["changed_by"] == org.administrator.display_name
    assert [(c["before"], c["after"]) for c in body["changes"]] == [("华东公海", "华东一区")]
    assert Pool.objects.get(pk=pool.pk).is_open is True


def test_stale_assignment_rule_on_the_page_shows_the_other_administrators_change(
    english, org, rule, second_administrator
):
    assignment_rule_save(
        by=second_administrator, rule=rule, data={"name": "华东按负载"}, expected_version=1
    )
    english.force_login(org.administrator)

    response = english.post(
        f"/pool/assignment-rules/{rule.pk}/",
        {
            "name": "我的名字",
            "scope": "leads",
            "department": org.east.pk,
            "strategy": "round_robin",
            "sort_order": 0,
            "is_active": "on",
            "version": 1,
        },
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "Saved by 第二管理员 after you opened this form" in page
    assert "华东按负载" in page
    assert AssignmentRule.objects.get(pk=rule.pk).name == "华东按负载"


def test_stale_assignment_rule_in_the_api_answers_409_with_the_changes(
    org, rule, second_administrator
):
    assignment_rule_save(
        by=second_administrator, rule=rule, data={"strategy": "load"}, expected_version=1
    )

    response = api(org.administrator).patch(
        f"/api/v1/assignment-rules/{rule.pk}/", {"name": "我的名字", "version": 1}, format="json"
    )

    body = response.json()
    assert response.status_code == 409
    assert body["current"]["strategy"] == "load"
    assert body["changed_by"] == "第二管理员"
    assert len(body["changes"]) == 1
    assert AssignmentRule.objects.get(pk=rule.pk).name == "华东轮流"
