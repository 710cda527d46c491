"""Segment pages: the builder (HTMX rows, live count, save), sharing, the target list in each
viewer's scope, export through the customer export, bulk assignment; and who may do what."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from kehu.customers.models import Customer, Industry
from kehu.customers.tests.factories import make_customer
from kehu.dataquality.models import ExportLog
from kehu.segments.models import Segment
from kehu.segments.services import segment_create

INTERESTED = {"conditions": [{"field": "status", "op": "eq", "value": "interested"}]}


@pytest.fixture
def customers(org):
    make_customer(owner=org.owner, name="甲机械有限公司", status="interested")
    make_customer(owner=org.owner, name="乙机械有限公司", status="prospect")
    make_customer(owner=org.teammate, name="丙机械有限公司", status="interested")
    make_customer(owner=org.outsider, name="丁机械有限公司", status="interested")


@pytest.fixture
def segment(org, customers):
    return segment_create(
        by=org.owner, name="意向客户", definition=INTERESTED, shared_users=[org.teammate]
    )


def _rows(**rows) -> dict:
    """Builder POST data: token → (field, op, value or list)."""
    data = {}
    for token, (field, op, value) in rows.items():
        data[f"c-{token}-group"] = "g1"
        data[f"c-{token}-field"] = field
        data[f"c-{token}-op"] = op
        data[f"c-{token}-value"] = value
    return data


# --- builder ---------------------------------------------------------------------------------
def test_owner_saves_a_segment_built_from_condition_rows(english, owner, customers):
    english.force_login(owner)
    budget = {
        "name": "大客户",
        "description": "",
        **_rows(a1=("status", "eq", "interested"), b2=("annual_budget", "gt", "10万")),
    }

    response = english.post(reverse("segments:create"), budget)

    segment = Segment.objects.get(name="大客户")
    assert response.status_code == 302
    assert response["Location"] == reverse("segments:detail", args=[segment.pk])
    assert segment.owner == owner
    assert segment.definition == {
        "groups": [
            [
                {"field": "status", "op": "eq", "value": "interested"},
                {"field": "annual_budget", "op": "gt", "value": "100000"},
            ]
        ]
    }


def test_a_bad_condition_is_named_and_nothing_is_saved(english, owner, customers):
    english.force_login(owner)

    response = english.post(
        reverse("segments:create"),
        {
            "name": "坏的",
            **_rows(a1=("status", "eq", "interested"), b2=("annual_budget", "gt", "many")),
        },
    )

    assert response.status_code == 200
    assert "Condition 2 (annual budget (CNY)): Enter a number." in response.content.decode()
    assert not Segment.objects.exists()


def test_a_missing_name_is_shown_next_to_the_field(english, owner, customers):
    english.force_login(owner)

    response = english.post(reverse("segments:create"), _rows(a1=("status", "eq", "lost")))

    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert not Segment.objects.exists()


def test_builder_row_offers_the_operators_and_widget_of_the_field(english, owner):
    english.force_login(owner)
    url = reverse("segments:builder-row")

    choice = english.get(
        url, {"c-x1-field": "status", "c-x1-was": "status", "c-x1-op": "in", "c-x1-group": "g1"}
    )
    number = english.get(
        url,
        {
            "c-x2-field": "annual_budget",
            "c-x2-was": "annual_budget",
            "c-x2-op": "between",
            "c-x2-group": "g1",
        },
    )

    html = choice.content.decode()
    assert 'name="c-x1-value" multiple' in html
    assert 'value="interested"' in html
    assert 'value="gt"' not in html  # no > for a choice
    number_html = number.content.decode()
    assert number_html.count('name="c-x2-value"') == 2  # from and to
    assert 'inputmode="decimal"' in number_html


def test_choosing_another_field_resets_operator_and_value(owner, client):
    client.force_login(owner)

    response = client.get(
        reverse("segments:builder-row"),
        {
            "c-x1-field": "annual_budget",
            "c-x1-was": "status",
            "c-x1-op": "in",
            "c-x1-value": "lost",
            "c-x1-group": "g1",
        },
    )

    assert response.context["op"] == "eq"
    assert response.context["row"].values == []


def test_a_new_or_group_comes_with_one_row(owner, client):
    client.force_login(owner)

    response = client.get(reverse("segments:builder-row"), {"block": "group"})

    assert response.status_code == 200
    assert "data-segment-group" in response.content.decode()
    assert response.content.decode().count("data-segment-row") == 1


def test_live_count_counts_only_the_viewers_scope(english, owner, customers):
    english.force_login(owner)

    response = english.post(
        reverse("segments:builder-count"), _rows(a1=("status", "eq", "interested"))
    )

    assert response.context["count"] == 1
    assert "1 customer matches" in response.content.decode()


def test_live_count_says_what_is_wrong_so_far(english, owner):
    english.force_login(owner)

    response = english.post(reverse("segments:builder-count"), _rows(a1=("status", "eq", "")))

    assert "Condition 1 (status): Choose one of" in response.content.decode()


def test_save_as_segment_starts_from_the_customer_list_filters(english, owner):
    english.force_login(owner)
    industry = Industry.objects.get(code="manufacturing")

    response = english.get(
        reverse("segments:create"),
        {
            "status": ["interested", "customer"],
            "industry": industry.pk,
            "budget_min": "100000",
            "q": "机械",
        },
    )

    rows = [ctx["row"] for group in response.context["groups"] for ctx in group["rows"]]
    assert [(r.field, r.op, r.values) for r in rows] == [
        ("status", "in", ["interested", "customer"]),
        ("industry", "eq", [str(industry.pk)]),
        ("annual_budget", "gte", ["100000"]),
    ]
    assert "search term" in response.content.decode()


def test_customer_list_offers_to_save_its_filters_as_a_segment(client, owner):
    client.force_login(owner)

    response = client.get(reverse("customers:list"), {"status": "interested"})

    assert f'href="{reverse("segments:create")}?status=interested"' in response.content.decode()


# --- list, target list and sharing ---------------------------------------------------------
def test_list_shows_own_and_shared_segments_but_not_others(client, org, segment):
    client.force_login(org.teammate)
    shared = client.get(reverse("segments:list"))
    client.force_login(org.outsider)
    hidden = client.get(reverse("segments:list"))

    assert [s.name for s in shared.context["shared"]] == ["意向客户"]
    assert "意向客户" not in hidden.content.decode()


def test_target_list_shows_each_viewer_only_their_own_scope(client, org, segment):
    client.force_login(org.owner)
    owner_view = client.get(reverse("segments:detail", args=[segment.pk]))
    client.force_login(org.teammate)
    teammate_view = client.get(reverse("segments:detail", args=[segment.pk]))

    assert [c.name for c in owner_view.context["customers"]] == ["甲机械有限公司"]
    assert [c.name for c in teammate_view.context["customers"]] == ["丙机械有限公司"]
    assert "甲机械有限公司" not in teammate_view.content.decode()


def test_target_list_takes_the_same_queries_for_many_customers(
    client, org, segment, django_assert_max_num_queries
):
    client.force_login(org.owner)
    url = reverse("segments:detail", args=[segment.pk])
    client.get(url)
    for n in range(8):
        make_customer(owner=org.owner, name=f"加{n}机械有限公司", status="interested")

    with django_assert_max_num_queries(30) as captured:
        client.get(url)
    few = len(captured)
    for n in range(8):
        make_customer(owner=org.owner, name=f"再{n}机械有限公司", status="interested")
    with django_assert_max_num_queries(few):
        client.get(url)


def test_target_list_partial_for_htmx_paging_and_sorting(client, owner, segment):
    client.force_login(owner)

    response = client.get(
        reverse("segments:detail", args=[segment.pk]), {"sort": "name"}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    assert response.templates[0].name == "customers/_customer_results.html"


def test_sharing_with_a_department_reaches_its_members_and_sub_departments(client, org, customers):
    segment = segment_create(
        by=org.manager, name="销售部清单", definition=INTERESTED, shared_departments=[org.sales]
    )
    client.force_login(org.outsider)  # 华北销售组, under 销售部
    member = client.get(reverse("segments:detail", args=[segment.pk]))
    client.force_login(org.service)  # 客服部
    stranger = client.get(reverse("segments:detail", args=[segment.pk]))

    assert [c.name for c in member.context["customers"]] == ["丁机械有限公司"]
    assert stranger.status_code == 404


@pytest.mark.parametrize(
    ("name", "method"),
    [("detail", "get"), ("edit", "get"), ("assign", "get"), ("delete", "post")],
)
def test_someone_it_is_not_shared_with_gets_404_for_every_page(
    client, outsider, segment, name, method
):
    client.force_login(outsider)

    response = getattr(client, method)(reverse(f"segments:{name}", args=[segment.pk]))

    assert response.status_code == 404
    assert Segment.objects.filter(pk=segment.pk).exists()


def test_someone_it_is_not_shared_with_cannot_export_it(client, outsider, segment):
    client.force_login(outsider)

    response = client.get(reverse("segments:export", args=[segment.pk, "csv"]))

    assert response.status_code == 404
    assert not ExportLog.objects.exists()


def test_a_colleague_it_is_shared_with_runs_it_but_cannot_edit_or_delete_it(
    client, teammate, segment
):
    client.force_login(teammate)

    edit = client.post(reverse("segments:edit", args=[segment.pk]), {"name": "改名"})
    delete = client.post(reverse("segments:delete", args=[segment.pk]))

    assert edit.status_code == 403
    assert delete.status_code == 403
    segment.refresh_from_db()
    assert segment.name == "意向客户"


def test_owner_edits_shares_and_deletes(client, org, segment):
    client.force_login(org.owner)
    data = {
        "name": "意向客户（华东）",
        "description": "",
        "version": segment.version,
        "shared_departments": [org.east.pk],
        **_rows(a1=("status", "eq", "interested")),
    }

    edited = client.post(reverse("segments:edit", args=[segment.pk]), data)
    segment.refresh_from_db()
    shared = (list(segment.shared_departments.all()), list(segment.shared_users.all()))
    stale = client.post(reverse("segments:edit", args=[segment.pk]), {**data, "version": 1})
    deleted = client.post(reverse("segments:delete", args=[segment.pk]))

    assert edited.status_code == 302
    assert segment.name == "意向客户（华东）"
    assert shared == ([org.east], [])
    assert stale.status_code == 200
    assert stale.context["stale"]
    assert deleted.status_code == 302
    assert not Segment.objects.exists()


# --- export ------------------------------------------------------------------------------------
def test_export_is_the_customer_export_of_the_viewers_rows(client, org, segment):
    client.force_login(org.teammate)

    response = client.get(reverse("segments:export", args=[segment.pk, "xlsx"]))

    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert response.status_code == 200
    assert [row[1] for row in rows[1:]] == ["丙机械有限公司"]
    mobile = rows[1][18]
    assert "****" in mobile  # masked as in the customer list export
    log = ExportLog.objects.get()
    assert log.user == org.teammate
    assert log.row_count == 1
    assert log.filters == {"segment": str(segment.pk)}


# --- assign ------------------------------------------------------------------------------------
def test_a_sales_rep_may_not_bulk_assign(client, owner, segment):
    client.force_login(owner)

    page = client.get(reverse("segments:assign", args=[segment.pk]))
    detail = client.get(reverse("segments:detail", args=[segment.pk]))

    assert page.status_code == 403
    assert 'id="segment-assign"' not in detail.content.decode()


def test_manager_assigns_the_target_list_after_a_summary_and_confirmation(client, org, customers):
    segment = segment_create(by=org.manager, name="全部意向", definition=INTERESTED)
    client.force_login(org.manager)
    url = reverse("segments:assign", args=[segment.pk])

    summary = client.get(url)
    unconfirmed = client.post(url, {"to_user": org.teammate.pk})
    unchanged = Customer.objects.get(name="甲机械有限公司").owner
    done = client.post(url, {"to_user": org.teammate.pk, "confirm": "on"})

    assert summary.context["plan"].total == 3
    assert unconfirmed.context["form"].errors["confirm"]
    assert unchanged == org.owner
    assert done.context["done"]
    plan = done.context["plan"]
    assert (plan.to_move, plan.already_owned) == (2, 1)  # 甲 and 丁 move; 丙 was teammate's
    moved = Customer.objects.get(name="甲机械有限公司")
    assert moved.owner == org.teammate
    assert moved.department == org.east
    assert moved.history.first().history_user == org.manager
    assert Customer.objects.get(name="乙机械有限公司").owner == org.owner  # not in the segment


def test_assignment_leaves_read_only_customers_alone(org, customers):
    from kehu.accounts.models import Role
    from kehu.segments.services import segment_assign

    # A reader of the whole company who edits only their department.
    org.manager.roles.add(Role.objects.get(code="service"))
    org.manager._kehu_rights = None
    org.manager.__dict__.pop("_kehu_rights", None)
    other = make_customer(owner=org.service, name="客服的客户有限公司", status="interested")
    segment = segment_create(by=org.manager, name="全部意向", definition=INTERESTED)

    result = segment_assign(segment=segment, to_user=org.teammate, by=org.manager)

    other.refresh_from_db()
    assert result.read_only == 1
    assert other.owner == org.service


def test_assigning_to_someone_outside_the_write_scope_is_refused(client, org, customers):
    segment = segment_create(by=org.manager, name="全部意向", definition=INTERESTED)
    client.force_login(org.manager)

    response = client.post(
        reverse("segments:assign", args=[segment.pk]), {"to_user": org.service.pk, "confirm": "on"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["to_user"]
    assert not Customer.objects.filter(owner=org.service).exists()


def test_the_new_owner_is_notified_once_per_assignment(org, customers):
    from kehu.interactions.models import Notification
    from kehu.segments.services import segment_assign

    segment = segment_create(by=org.manager, name="全部意向", definition=INTERESTED)

    segment_assign(segment=segment, to_user=org.teammate, by=org.manager)
    again = segment_assign(segment=segment, to_user=org.teammate, by=org.manager)

    notes = list(Notification.objects.filter(recipient=org.teammate))
    assert again.to_move == 0  # nothing moved the second time: no second notification
    assert len(notes) == 1
    assert "2" in notes[0].title
    assert segment.name in notes[0].title
    assert notes[0].url == f"{reverse('customers:list')}?owner={org.teammate.pk}"
    assert not Notification.objects.exclude(recipient=org.teammate).exists()


def test_assigning_to_oneself_sends_no_notification(org, customers):
    from kehu.interactions.models import Notification
    from kehu.segments.services import segment_assign

    segment = segment_create(by=org.manager, name="全部意向", definition=INTERESTED)

    result = segment_assign(segment=segment, to_user=org.manager, by=org.manager)

    assert result.to_move == 3
    assert not Notification.objects.exists()


pytestmark = pytest.mark.django_db
