"""Handover pages (离职交接) from the outside: only administrators and department heads use
them; the departing user's head confirms; the report lists what moved.

Named users (conftest): owner and teammate (sales, 华东 under 销售部), manager (head of 销售部),
outsider (sales, 华北 under 销售部), administrator, org.service (客服部, which has no head).
"""

import datetime as dt
import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from kehu.accounts.models import Handover, HandoverState
from kehu.accounts.services import handover_request
from kehu.customers.approvals import customer_change_status
from kehu.customers.models import Customer
from kehu.customers.tests.factories import make_customer
from kehu.interactions.models import Notification
from kehu.interactions.services import interaction_create

HTMX = {"HTTP_HX_REQUEST": "true"}


def login(client, user):
    """Signed in, reading English (the source strings), whatever the translations say."""
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def detail_url(handover):
    return reverse("accounts:handover-detail", args=[handover.pk])


@pytest.fixture
def departing(org):
    """The owner leaves: two customers, an open task and a pending status change."""
    first = make_customer(owner=org.owner, name="上海东方精密机械有限公司")
    make_customer(owner=org.owner, name="苏州恒瑞电子科技有限公司")
    interaction_create(
        customer=first, by=org.owner, occurred_at=timezone.now(), method="phone", topic="回访",
        summary="电话回访", feedback="interested", next_action="发送报价",
        next_action_owner=org.owner, next_action_due=timezone.now() + dt.timedelta(days=2),
    )  # fmt: skip
    customer_change_status(customer=first, to="customer", reason="签订年度合同", by=org.owner)
    return org


@pytest.fixture
def requested(departing):
    """The administrator asks; the manager (head of 销售部) is to confirm."""
    return handover_request(
        from_user=departing.owner, to_user=departing.teammate, by=departing.administrator
    )


# --- who may use the pages ------------------------------------------------------------------
def test_handover_pages_are_only_for_administrators_and_heads(client, org, requested):
    urls = [
        reverse("accounts:handovers"),
        reverse("accounts:handover-create"),
        reverse("accounts:handover-preview") + f"?from_user={org.owner.pk}",
    ]
    login(client, org.owner)
    sales = [client.get(url).status_code for url in urls]
    login(client, org.manager)
    head = [client.get(url).status_code for url in urls]
    login(client, org.administrator)
    admin = [client.get(url).status_code for url in urls]

    assert sales == [403, 403, 403]
    assert head == [200, 200, 200]
    assert admin == [200, 200, 200]


def test_sidebar_shows_handovers_only_to_those_who_can_use_them(client, org):
    link = f'href="{reverse("accounts:handovers")}"'
    login(client, org.owner)
    sales = client.get(reverse("customers:list")).content.decode()
    login(client, org.manager)
    head = client.get(reverse("customers:list")).content.decode()

    assert link not in sales
    assert link in head


def test_handover_detail_is_404_for_anyone_not_involved(client, org, requested):
    statuses = []
    for user in (org.teammate, org.outsider, org.owner):
        login(client, user)
        statuses.append(client.get(detail_url(requested)).status_code)
        statuses.append(
            client.post(reverse("accounts:handover-confirm", args=[requested.pk])).status_code
        )

    assert statuses == [404] * 6
    assert Customer.objects.filter(owner=org.owner).count() == 2


def test_requester_who_is_not_the_approver_gets_403_on_confirming(client, org, requested):
    login(client, org.administrator)

    response = client.post(reverse("accounts:handover-confirm", args=[requested.pk]))

    assert response.status_code == 403
    requested.refresh_from_db()
    assert requested.state == HandoverState.PENDING
    assert Customer.objects.filter(owner=org.owner).count() == 2


# --- list, form and preview -------------------------------------------------------------------
def test_list_shows_the_handovers_i_asked_for_or_must_confirm(client, org, requested):
    login(client, org.manager)

    content = client.get(reverse("accounts:handovers")).content.decode()

    assert f'id="handover-{requested.pk}"' in content
    assert "One handover waits for your confirmation." in content


def test_new_handover_form_offers_only_users_the_head_may_hand_over(client, org):
    login(client, org.manager)

    content = client.get(reverse("accounts:handover-create")).content.decode()

    source = re.search(r'<select name="from_user".*?</select>', content, re.S).group(0)
    assert f'value="{org.owner.pk}"' in source
    assert f'value="{org.outsider.pk}"' in source
    assert f'value="{org.service.pk}"' not in source  # 客服部 is not under 销售部
    assert f'value="{org.manager.pk}"' not in source


def test_preview_counts_what_would_move(client, departing):
    login(client, departing.manager)

    response = client.get(
        reverse("accounts:handover-preview") + f"?from_user={departing.owner.pk}", **HTMX
    )

    counts = re.search(
        r'<ul class="mb-0 small handover-preview-counts">(.*?)</ul>',
        response.content.decode(),
        re.S,
    )
    text = " ".join(counts.group(1).split())
    assert "2 customers" in text
    assert "1 open task" in text
    assert "1 pending status change they asked for" in text
    assert "0 pending status changes they were to decide" in text


def test_preview_of_a_user_outside_the_heads_departments_is_404(client, org):
    login(client, org.manager)

    response = client.get(reverse("accounts:handover-preview") + f"?from_user={org.service.pk}")

    assert response.status_code == 404


def test_handover_to_the_same_user_is_refused_with_the_message(client, departing):
    login(client, departing.administrator)
    data = {"from_user": departing.owner.pk, "to_user": departing.owner.pk, "note": ""}

    response = client.post(reverse("accounts:handover-create"), data)

    assert response.status_code == 200
    assert "Choose a different user to take over." in response.content.decode()
    assert not Handover.objects.exists()


def test_user_in_a_department_without_head_cannot_be_handed_over(client, org):
    login(client, org.administrator)
    data = {"from_user": org.service.pk, "to_user": org.marketing.pk}

    response = client.post(reverse("accounts:handover-create"), data)

    assert "has no head to confirm the handover" in response.content.decode()
    assert not Handover.objects.exists()


# --- the whole flow ---------------------------------------------------------------------------
def test_administrator_asks_and_the_head_confirms_then_customers_move(client, departing):
    org = departing
    login(client, org.administrator)
    data = {
        "from_user": org.owner.pk,
        "to_user": org.teammate.pk,
        "deactivate": "on",
        "note": "离职",
    }

    asked = client.post(reverse("accounts:handover-create"), data)

    handover = Handover.objects.get()
    assert asked["Location"] == detail_url(handover)
    assert handover.state == HandoverState.PENDING
    assert Notification.objects.get(recipient=org.manager, url=detail_url(handover))
    login(client, org.manager)
    page = client.get(detail_url(handover)).content.decode()
    assert 'id="handover-confirm"' in page

    confirmed = client.post(reverse("accounts:handover-confirm", args=[handover.pk]))

    assert confirmed["Location"] == detail_url(handover)
    assert Customer.objects.filter(owner=org.teammate).count() == 2
    assert not Customer.objects.filter(owner=org.owner).exists()
    org.owner.refresh_from_db()
    assert not org.owner.is_active
    report = client.get(detail_url(handover)).content.decode()
    for customer in Customer.objects.filter(owner=org.teammate):
        assert (
            f'href="{reverse("customers:detail", args=[customer.pk])}">{customer.code}<' in report
        )
    assert "2 customers moved to 李四" in report  # the toast


def test_head_asking_confirms_at_once(client, departing):
    org = departing
    login(client, org.manager)
    data = {"from_user": org.owner.pk, "to_user": org.teammate.pk}

    response = client.post(reverse("accounts:handover-create"), data, follow=True)

    handover = Handover.objects.get()
    assert handover.state == HandoverState.DONE
    assert "Handover done" in response.content.decode()
    assert Customer.objects.filter(owner=org.teammate).count() == 2


def test_head_rejects_and_nothing_moves(client, org, requested):
    login(client, org.manager)

    response = client.post(
        reverse("accounts:handover-reject", args=[requested.pk]), {"note": "先别交接"}, follow=True
    )

    requested.refresh_from_db()
    assert requested.state == HandoverState.REJECTED
    assert "Rejected: nothing moved." in response.content.decode()
    assert Customer.objects.filter(owner=org.owner).count() == 2


def test_confirming_twice_shows_the_message(client, org, requested):
    login(client, org.manager)
    client.post(reverse("accounts:handover-confirm", args=[requested.pk]))

    response = client.post(reverse("accounts:handover-confirm", args=[requested.pk]), follow=True)

    assert "This handover has already been decided." in response.content.decode()
