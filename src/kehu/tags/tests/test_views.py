"""Tag pages from the outside: the library with requests and review, a customer's tag card,
its classification card and the customer list's tag filter.

Named users (conftest): owner (sales), outsider (sales, another group), org.service (reads the
whole company, edits nothing of others), org.steward (the data steward, reviews tags).
"""

import re
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from kehu.customers.tests.factories import make_customer
from kehu.interactions.services import interaction_create
from kehu.tags.classification import classification_compute
from kehu.tags.models import CustomerTag, Tag, TagStatus
from kehu.tags.services import customer_tag_add, tag_request

HTMX = {"HTTP_HX_REQUEST": "true"}


def login(client, user):
    """Signed in, reading English (the source strings), whatever the translations say."""
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def tag(name_zh):
    return Tag.objects.get(name_zh=name_zh)


def tags_url(customer):
    return reverse("tags:customer-tags", args=[customer.pk])


def remove_url(customer, tag_obj):
    return reverse("tags:customer-tag-remove", args=[customer.pk, tag_obj.pk])


def classification_url(customer):
    return reverse("tags:customer-classification", args=[customer.pk])


@pytest.fixture
def pending_tag(owner):
    return tag_request(
        by=owner,
        tag_type="need",
        name_zh="跨境结算需求",
        name_en="Cross-border",
        reason="外贸客户多",
    )


# --- the library ----------------------------------------------------------------------------
def test_library_requires_login(client, org):
    response = client.get(reverse("tags:library"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_library_lists_approved_tags_by_type_in_both_languages(client, owner, pending_tag):
    login(client, owner)

    response = client.get(reverse("tags:library"))

    content = response.content.decode()
    library = content[content.index('id="library"') : content.index('id="request-tag"')]
    assert response.status_code == 200
    assert "高价值" in library
    assert "High value" in library
    assert "value_tier" in library  # the exclusive group
    assert library.index("制造业") < library.index("降低成本") < library.index("高价值")
    assert "跨境结算需求" not in library  # pending: not in the library yet


def test_sales_rep_requests_a_tag_and_sees_it_under_my_requests(client, owner):
    login(client, owner)
    data = {
        "tag_type": "need",
        "name_zh": "跨境结算需求",
        "name_en": "Cross-border settlement",
        "description": "外贸企业的结算需求",
        "reason": "三家外贸客户都提到了跨境结算",
    }

    response = client.post(reverse("tags:request"), data)

    assert response.status_code == 302
    requested = Tag.objects.get(name_zh="跨境结算需求")
    assert (requested.status, requested.requested_by) == (TagStatus.PENDING, owner)
    page = client.get(response["Location"]).content.decode()
    mine = page[page.index('id="my-requests"') :]
    assert "跨境结算需求" in mine
    assert "Awaiting approval" in mine


def test_tag_request_without_reason_is_refused_with_the_services_message(client, owner):
    login(client, owner)
    data = {"tag_type": "need", "name_zh": "跨境结算需求", "reason": ""}

    response = client.post(reverse("tags:request"), data, **HTMX)

    content = response.content.decode()
    assert response.status_code == 200
    assert content.lstrip().startswith('<div id="tag-library"')  # the partial, not the page
    assert "Say why the library needs this tag" in content
    assert not Tag.objects.filter(name_zh="跨境结算需求").exists()


def test_requesting_a_tag_that_exists_says_so_and_creates_nothing(client, owner):
    login(client, owner)
    data = {"tag_type": "value", "name_zh": "高价值", "reason": "重复试试看"}

    response = client.post(reverse("tags:request"), data, **HTMX)

    assert "already exists" in response.content.decode()
    assert Tag.objects.filter(name_zh="高价值").count() == 1


def test_only_reviewers_see_the_review_queue(client, org, pending_tag):
    login(client, org.owner)
    sales = client.get(reverse("tags:library")).content.decode()
    login(client, org.steward)
    steward = client.get(reverse("tags:library")).content.decode()

    assert 'id="review-queue"' not in sales
    assert 'id="review-queue"' in steward
    assert f'id="tag-request-{pending_tag.pk}"' in steward


def test_steward_approves_with_htmx_and_the_tag_joins_the_library(client, org, pending_tag):
    login(client, org.steward)

    response = client.post(
        reverse("tags:request-approve", args=[pending_tag.pk]), {"note": "好"}, **HTMX
    )

    content = response.content.decode()
    pending_tag.refresh_from_db()
    assert pending_tag.status == TagStatus.APPROVED
    assert pending_tag.reviewed_by == org.steward
    assert "跨境结算需求" in content[content.index('id="library"') :]
    assert 'hx-swap-oob="beforeend:#toasts"' in content  # the toast comes along


def test_rejection_needs_a_reason_and_leaves_the_request_pending(client, org, pending_tag):
    login(client, org.steward)
    url = reverse("tags:request-reject", args=[pending_tag.pk])

    refused = client.post(url, {"note": ""}, **HTMX)
    pending_tag.refresh_from_db()
    still_pending = pending_tag.status
    client.post(url, {"note": "与“合规性需求”重复"}, **HTMX)

    assert "Say why the tag is rejected." in refused.content.decode()
    assert still_pending == TagStatus.PENDING
    pending_tag.refresh_from_db()
    assert (pending_tag.status, pending_tag.review_note) == (
        TagStatus.REJECTED,
        "与“合规性需求”重复",
    )
    login(client, org.owner)
    mine = client.get(reverse("tags:library")).content.decode()
    assert "与“合规性需求”重复" in mine[mine.index('id="my-requests"') :]


def test_reviewer_cannot_approve_their_own_request(client, org):
    own = tag_request(by=org.steward, tag_type="risk", name_zh="账期过长", reason="多家客户拖款")
    login(client, org.steward)

    response = client.post(reverse("tags:request-approve", args=[own.pk]), {}, **HTMX)

    content = response.content.decode()
    row = content[content.index(f'id="tag-request-{own.pk}"') :]
    assert "You cannot approve or reject your own tag request." in row
    own.refresh_from_db()
    assert own.status == TagStatus.PENDING


def test_own_request_without_htmx_redirects_with_the_message(client, org):
    own = tag_request(by=org.steward, tag_type="risk", name_zh="账期过长", reason="多家客户拖款")
    login(client, org.steward)

    response = client.post(reverse("tags:request-approve", args=[own.pk]), {}, follow=True)

    assert "You cannot approve or reject your own tag request." in response.content.decode()
    own.refresh_from_db()
    assert own.status == TagStatus.PENDING


def test_sales_rep_cannot_review(client, org, pending_tag):
    """Someone else's request is not even visible (404); their own is forbidden (403)."""
    others = tag_request(by=org.teammate, tag_type="risk", name_zh="账期过长", reason="拖款")
    login(client, org.owner)

    hidden = client.post(reverse("tags:request-approve", args=[others.pk]), {})
    forbidden = client.post(reverse("tags:request-approve", args=[pending_tag.pk]), {})

    assert (hidden.status_code, forbidden.status_code) == (404, 403)
    assert set(
        Tag.objects.filter(pk__in=[others.pk, pending_tag.pk]).values_list("status", flat=True)
    ) == {TagStatus.PENDING}


# --- a customer's tags ------------------------------------------------------------------------
def test_360_page_loads_the_tag_and_classification_cards_with_htmx(client, owner, customer):
    login(client, owner)

    content = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()

    assert f'hx-get="{tags_url(customer)}"' in content
    assert f'hx-get="{classification_url(customer)}"' in content


def test_tag_card_partial_and_full_page_show_chips_grouped_with_who_added_them(
    client, owner, customer
):
    customer_tag_add(customer=customer, tag=tag("高价值"), by=owner, note="年预算80万")
    customer_tag_add(customer=customer, tag=tag("制造业"), by=owner)
    login(client, owner)

    partial = client.get(tags_url(customer), **HTMX).content.decode()
    page = client.get(tags_url(customer)).content.decode()

    assert partial.lstrip().startswith('<section class="card" id="tags"')
    assert "<html" not in partial
    assert "<html" in page
    chip = re.search(r'<li class="tag-chip tag-chip-value"[^>]*>', partial).group(0)
    assert "Added by 张三" in chip
    assert "年预算80万" in chip
    assert partial.index("Industry tag") < partial.index("Value tag")


def test_add_form_offers_approved_tags_grouped_by_type_but_not_pending_or_present_ones(
    client, owner, customer, pending_tag
):
    customer_tag_add(customer=customer, tag=tag("制造业"), by=owner)
    login(client, owner)

    content = client.get(tags_url(customer), **HTMX).content.decode()

    select = re.search(r'<select name="tag".*?</select>', content, re.S).group(0)
    assert '<optgroup label="Value tag">' in select
    assert f'value="{tag("高价值").pk}"' in select
    assert f'value="{tag("制造业").pk}"' not in select
    assert f'value="{pending_tag.pk}"' not in select


def test_owner_adds_a_tag_with_htmx_and_the_card_swaps(client, owner, customer):
    login(client, owner)

    response = client.post(
        tags_url(customer), {"tag": tag("高价值").pk, "note": "年预算80万"}, **HTMX
    )

    content = response.content.decode()
    attached = CustomerTag.objects.get(customer=customer)
    assert (attached.tag, attached.added_by, attached.note) == (tag("高价值"), owner, "年预算80万")
    assert content.lstrip().startswith('<section class="card" id="tags"')
    assert 'class="tag-chip tag-chip-value"' in content


def test_owner_adds_a_tag_without_htmx_and_lands_on_the_360_page(client, owner, customer):
    login(client, owner)

    response = client.post(tags_url(customer), {"tag": tag("制造业").pk})

    assert response.status_code == 302
    assert response["Location"] == reverse("customers:detail", args=[customer.pk]) + "#tags"
    assert CustomerTag.objects.filter(customer=customer, tag=tag("制造业")).exists()


def test_conflicting_tag_is_refused_inline_and_nothing_changes(client, owner, customer):
    customer_tag_add(customer=customer, tag=tag("高价值"), by=owner)
    login(client, owner)

    response = client.post(tags_url(customer), {"tag": tag("中价值").pk}, **HTMX)

    error = re.search(r'<div class="invalid-feedback[^>]*>(.*?)</div>', response.content.decode())
    assert "conflicts with" in error.group(1)
    assert "Remove" in error.group(1)
    assert list(
        CustomerTag.objects.filter(customer=customer).values_list("tag__name_zh", flat=True)
    ) == ["高价值"]


def test_unapproved_tag_is_refused_inline_and_nothing_changes(client, owner, customer, pending_tag):
    login(client, owner)

    response = client.post(tags_url(customer), {"tag": pending_tag.pk}, **HTMX)

    assert "is not approved yet" in response.content.decode()
    assert not CustomerTag.objects.exists()


def test_owner_removes_a_tag(client, owner, customer):
    customer_tag_add(customer=customer, tag=tag("流失风险"), by=owner)
    login(client, owner)

    response = client.post(remove_url(customer, tag("流失风险")), **HTMX)

    assert response.status_code == 200
    assert not CustomerTag.objects.exists()
    assert "No tags yet" in response.content.decode()


def test_removing_a_tag_the_customer_does_not_carry_is_404(client, owner, customer):
    login(client, owner)

    response = client.post(remove_url(customer, tag("流失风险")))

    assert response.status_code == 404


def test_outsider_gets_404_on_every_tag_endpoint_of_a_hidden_customer(client, org, customer):
    customer_tag_add(customer=customer, tag=tag("高价值"), by=org.owner)
    login(client, org.outsider)

    statuses = [
        client.get(tags_url(customer), **HTMX).status_code,
        client.post(tags_url(customer), {"tag": tag("制造业").pk}).status_code,
        client.post(remove_url(customer, tag("高价值"))).status_code,
        client.get(classification_url(customer), **HTMX).status_code,
    ]

    assert statuses == [404, 404, 404, 404]
    assert CustomerTag.objects.count() == 1


def test_read_only_user_sees_tags_without_the_form_and_gets_403_on_changes(client, org, customer):
    customer_tag_add(customer=customer, tag=tag("高价值"), by=org.owner)
    login(client, org.service)

    card = client.get(tags_url(customer), **HTMX).content.decode()
    add = client.post(tags_url(customer), {"tag": tag("制造业").pk}, **HTMX)
    remove = client.post(remove_url(customer, tag("高价值")), **HTMX)

    assert "High value" in card
    assert 'name="tag"' not in card
    assert "tag-remove" not in card
    assert (add.status_code, remove.status_code) == (403, 403)
    assert list(CustomerTag.objects.values_list("tag__name_zh", flat=True)) == ["高价值"]


# --- classification ---------------------------------------------------------------------------
def test_classification_says_not_computed_yet_before_the_job_runs(client, owner, customer):
    login(client, owner)

    content = client.get(classification_url(customer), **HTMX).content.decode()

    assert "Not computed yet" in content


def test_classification_shows_levels_with_reasons_and_computed_time(client, owner, customer):
    for _ in range(4):
        interaction_create(
            customer=customer, by=owner, occurred_at=timezone.now(), method="phone",
            topic="回访", summary="电话回访", feedback="interested",
        )  # fmt: skip
    classification_compute(customer_ids=[customer.pk])
    login(client, owner)

    partial = client.get(classification_url(customer), **HTMX).content.decode()
    page = client.get(classification_url(customer)).content.decode()

    assert "4 interactions in the last 90 days → Medium" in partial
    assert "by Phone" in partial
    assert "Computed" in partial
    assert "<time" in partial
    assert "<html" in page
    assert "4 interactions in the last 90 days" in page


# --- the customer list's tag filter -------------------------------------------------------------
def test_customer_list_filters_by_every_chosen_tag(client, owner):
    both = make_customer(owner=owner, name="上海东方精密机械有限公司")
    one = make_customer(owner=owner, name="苏州恒瑞电子科技有限公司")
    make_customer(owner=owner, name="杭州西湖茶业有限公司")
    for record in (both, one):
        customer_tag_add(customer=record, tag=tag("高价值"), by=owner)
    customer_tag_add(customer=both, tag=tag("制造业"), by=owner)
    login(client, owner)
    query = urlencode({"tags": [tag("高价值").pk, tag("制造业").pk]}, doseq=True)

    response = client.get(f"{reverse('customers:list')}?{query}")

    assert [c.pk for c in response.context["page_obj"].object_list] == [both.pk]
    content = response.content.decode()
    assert re.search(rf'name="tags" value="{tag("高价值").pk}"[^>]*checked', content)
    assert not re.search(rf'name="tags" value="{tag("中价值").pk}"[^>]*checked', content)


def test_tag_filter_offers_only_approved_tags(client, owner, pending_tag):
    login(client, owner)

    content = client.get(reverse("customers:list")).content.decode()

    assert f'name="tags" value="{tag("高价值").pk}"' in content
    assert f'name="tags" value="{pending_tag.pk}"' not in content


def test_tag_card_query_count_does_not_grow_with_the_tags(client, owner, customer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def card_queries():
        with CaptureQueriesContext(connection) as queries:
            client.get(tags_url(customer), **HTMX)
        return len(queries)

    customer_tag_add(customer=customer, tag=tag("高价值"), by=owner)
    login(client, owner)
    one = card_queries()
    for name in ("制造业", "提升效率", "流失风险", "偏好电话沟通"):
        customer_tag_add(customer=customer, tag=tag(name), by=owner, note="客户提到")

    assert card_queries() == one
