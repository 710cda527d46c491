"""Duplicate pages: scope of the group list, dismiss, the merge page, history, code redirect."""

import pytest
from django.urls import reverse

from kehu.customers.models import Customer
from kehu.dataquality.duplicates.models import DuplicateGroup, DuplicateGroupStatus
from kehu.dataquality.duplicates.selectors import (
    duplicate_counts_by_team,
    duplicate_counts_by_user,
)
from kehu.dataquality.duplicates.services import customer_merge

from .conftest import make_twin

LIST = reverse("dataquality:duplicate-list")
MERGES = reverse("dataquality:duplicate-merges")


@pytest.fixture
def mixed_group(owner, teammate, scan):
    """One company entered by the owner and by the teammate: a group across two owners."""
    make_twin(owner=owner, name="杭州恒瑞电子有限公司", mobile="13900000001")
    make_twin(owner=teammate, name="恒瑞电子（杭州）有限公司", mobile="13900000001")
    scan()
    return DuplicateGroup.objects.get()


def test_group_list_shows_groups_whose_members_are_all_visible(client, owner, triplet, scan):
    scan()
    client.force_login(owner)
    response = client.get(LIST)
    assert response.status_code == 200
    assert triplet[1].code in response.content.decode()


def test_group_with_a_member_outside_the_scope_is_hidden(
    client, owner, teammate, manager, outsider, mixed_group
):
    # owner and teammate each see only their own record; the outsider sees neither
    for user in (owner, teammate, outsider):
        client.force_login(user)
        page = client.get(LIST).content.decode()
        assert "恒瑞电子" not in page, user
        assert duplicate_counts_by_user(viewer=user) == []
    # their manager sees both records, so the group
    client.force_login(manager)
    assert "恒瑞电子" in client.get(LIST).content.decode()
    assert {r.label: r.count for r in duplicate_counts_by_user(viewer=manager)} == {
        "张三": 1,
        "李四": 1,
    }
    teams = {r.label: r.count for r in duplicate_counts_by_team(viewer=manager)}
    assert teams["华东销售组"] == 1


def test_score_filter_hides_weaker_groups(client, owner, triplet, scan):
    scan()
    DuplicateGroup.objects.update(score=0.85)
    client.force_login(owner)
    assert triplet[0].code in client.get(LIST, {"min_score": "0.8"}).content.decode()
    assert triplet[0].code not in client.get(LIST, {"min_score": "0.9"}).content.decode()


def test_group_list_query_count_does_not_grow_with_groups(
    client, owner, scan, django_assert_max_num_queries
):
    for index in range(6):
        mobile = f"1370000000{index}"
        make_twin(owner=owner, name=f"苏州第{index}精密有限公司", mobile=mobile)
        make_twin(owner=owner, name=f"第{index}精密（苏州）有限公司", mobile=mobile)
    scan()
    client.force_login(owner)
    with django_assert_max_num_queries(25):
        assert client.get(LIST).status_code == 200


def test_not_duplicates_closes_the_group(client, owner, triplet, scan):
    scan()
    group = DuplicateGroup.objects.get()
    client.force_login(owner)
    response = client.post(reverse("dataquality:duplicate-dismiss", args=[group.pk]))
    assert response.status_code == 302
    group.refresh_from_db()
    assert group.status == DuplicateGroupStatus.DISMISSED


def test_outsider_cannot_dismiss_a_group(client, outsider, triplet, scan):
    scan()
    group = DuplicateGroup.objects.get()
    client.force_login(outsider)
    response = client.post(reverse("dataquality:duplicate-dismiss", args=[group.pk]))
    assert response.status_code == 404
    group.refresh_from_db()
    assert group.status == DuplicateGroupStatus.OPEN


def test_scan_button_is_for_the_data_steward(client, owner, org):
    client.force_login(owner)
    assert client.post(reverse("dataquality:duplicate-scan")).status_code == 403
    client.force_login(org.steward)
    assert client.post(reverse("dataquality:duplicate-scan")).status_code == 302


def _merge_url(customers):
    ids = ",".join(str(c.pk) for c in customers)
    return reverse("dataquality:duplicate-merge") + f"?ids={ids}"


def test_merge_page_shows_one_column_per_record_and_merges(client, owner, triplet):
    client.force_login(owner)
    url = _merge_url(triplet)
    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    for customer in triplet:
        assert customer.code in body
    form = page.context["form"]
    data = {name: form[name].value() for name in form.fields}
    data["keep"] = str(triplet[2].pk)
    data["field-name"] = str(triplet[1].pk)

    response = client.post(url, data)

    assert response.status_code == 302
    assert Customer.objects.get().pk == triplet[2].pk
    assert Customer.objects.get().name == triplet[1].name


def test_merge_page_refuses_a_stale_version(client, owner, triplet):
    client.force_login(owner)
    url = _merge_url(triplet)
    form = client.get(url).context["form"]
    data = {name: form[name].value() for name in form.fields}
    data[f"version-{triplet[0].pk}"] = "0"
    response = client.post(url, data)
    assert response.status_code == 200
    assert Customer.objects.count() == 3
    assert response.context["form"].non_field_errors()


def test_outsider_cannot_open_the_merge_page(client, outsider, triplet):
    client.force_login(outsider)
    assert client.get(_merge_url(triplet)).status_code == 404


def test_merge_page_is_forbidden_with_read_only_access_to_one_record(
    client, owner, teammate, triplet
):
    from kehu.customers.services import customer_share_set

    other = make_twin(owner=teammate, name="星辰软件技术有限公司", mobile="13900000003")
    customer_share_set(customer=other, user=owner, access="read", by=teammate)
    client.force_login(owner)
    assert client.get(_merge_url([triplet[0], other])).status_code == 403
    assert client.post(_merge_url([triplet[0], other]), {}).status_code == 403
    assert Customer.objects.filter(pk=other.pk).exists()


def test_old_code_redirects_to_the_kept_customer(client, owner, outsider, triplet):
    keep, *drop = triplet
    customer_merge(keep=keep, drop=drop, choices={}, by=owner)
    url = reverse("dataquality:duplicate-code", args=[drop[0].code])

    client.force_login(owner)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:detail", args=[keep.pk])

    client.force_login(outsider)
    assert client.get(url).status_code == 404


def test_old_code_finds_the_kept_customer_in_search(owner, triplet):
    from kehu.customers.selectors import customer_list, customer_search_q

    keep, *drop = triplet
    customer_merge(keep=keep, drop=drop, choices={}, by=owner)
    found = customer_list(user=owner).filter(customer_search_q(owner, drop[0].code))
    assert list(found) == [keep]


def test_merge_history_lists_and_undoes(client, owner, triplet):
    keep, *drop = triplet
    merge = customer_merge(keep=keep, drop=drop, choices={}, by=owner)
    client.force_login(owner)
    page = client.get(MERGES).content.decode()
    assert drop[0].code in page
    detail = client.get(reverse("dataquality:duplicate-merge-detail", args=[merge.pk]))
    assert detail.status_code == 200
    assert drop[1].name in detail.content.decode()  # the merged-away record's history

    response = client.post(reverse("dataquality:duplicate-merge-undo", args=[merge.pk]))

    assert response.status_code == 302
    assert Customer.objects.count() == 3


def test_outsider_cannot_see_or_undo_a_merge(client, owner, outsider, triplet):
    keep, *drop = triplet
    merge = customer_merge(keep=keep, drop=drop, choices={}, by=owner)
    client.force_login(outsider)
    assert drop[0].code not in client.get(MERGES).content.decode()
    assert (
        client.get(reverse("dataquality:duplicate-merge-detail", args=[merge.pk])).status_code
        == 404
    )
    assert (
        client.post(reverse("dataquality:duplicate-merge-undo", args=[merge.pk])).status_code == 404
    )
    assert Customer.objects.count() == 1


def test_customer_history_page_shows_the_merge(client, owner, triplet):
    keep, *drop = triplet
    customer_merge(keep=keep, drop=drop, choices={}, by=owner)
    client.force_login(owner)
    page = client.get(reverse("customers:history", args=[keep.pk])).content.decode()
    assert drop[0].code in page
