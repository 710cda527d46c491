"""Customer pages from the outside: who can see and change what, and what the pages show.

Named users (conftest): owner (sales), teammate (sales, same group), outsider (sales, another
group), manager (head of sales), org.service (reads the whole company, edits nothing of others),
org.marketing (reads the whole company, may never unmask).
"""

import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kehu.customers.models import (
    Contact,
    Customer,
    CustomerShare,
    CustomFieldDefinition,
    Industry,
    Region,
    ShareAccess,
    UnmaskLog,
)
from kehu.customers.sensitive import mobile_index
from kehu.customers.services import customer_share_set, customer_update
from kehu.customers.tests.factories import make_customer

HTMX = {"HTTP_HX_REQUEST": "true"}


def list_url(**params):
    from urllib.parse import urlencode

    url = reverse("customers:list")
    return f"{url}?{urlencode(params, doseq=True)}" if params else url


def detail_url(customer):
    return reverse("customers:detail", args=[customer.pk])


def edit_url(customer):
    return reverse("customers:edit", args=[customer.pk])


def decision_maker_of(customer):
    return customer.contacts.get(is_decision_maker=True)


def create_data(**overrides):
    data = {
        "customer_type": "enterprise",
        "name": "杭州西湖数据科技有限公司",
        "credit_code": "",
        "status": "prospect",
        "first_contact_date": "2026-09-01",
        "source": "referral",
        "industry": Industry.objects.get(code="software_it").pk,
        "scale": "small",
        "enterprise_type": "private",
        "annual_budget": "150000",
        "region": Region.objects.get(code="zhejiang").pk,
        "city": "杭州市",
        "district": "西湖区",
        "street": "文三路90号",
        "dm_name": "周杰",
        "dm_title": "CTO",
        "dm_mobile": "13912345678",
        "dm_email": "",
        "remarks": "",
    }
    data.update(overrides)
    return data


def edit_data(customer, **overrides):
    dm = decision_maker_of(customer)
    data = {
        "customer_type": customer.customer_type,
        "name": customer.name,
        "credit_code": customer.credit_code or "",
        "owner": customer.owner_id,
        "first_contact_date": customer.first_contact_date.isoformat(),
        "source": customer.source,
        "industry": customer.industry_id or "",
        "scale": customer.scale,
        "enterprise_type": customer.enterprise_type,
        "annual_budget": "" if customer.annual_budget is None else str(customer.annual_budget),
        "region": customer.region_id or "",
        "city": customer.city,
        "district": customer.district,
        "street": customer.street,
        "dm_name": dm.name,
        "dm_title": dm.title,
        "dm_mobile": f"{dm.mobile[:3]}****{dm.mobile[-4:]}",
        "dm_email": dm.email,
        "remarks": customer.remarks,
        "version": customer.version,
    }
    data.update(overrides)
    return data


def result_pks(response):
    return [c.pk for c in response.context["page_obj"].object_list]


# --- list -----------------------------------------------------------------------------------
def test_list_requires_login(client, customer):
    response = client.get(list_url())

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_owner_sees_own_customer_with_masked_decision_maker_mobile(client, owner, customer):
    mobile = decision_maker_of(customer).mobile
    client.force_login(owner)

    response = client.get(list_url())

    content = response.content.decode()
    assert response.status_code == 200
    assert customer.name in content
    assert detail_url(customer) in content
    assert f"{mobile[:3]}****{mobile[-4:]}" in content
    assert mobile not in content
    assert response.context["total"] == 1


def test_list_and_count_never_include_hidden_customers(client, org, customer):
    theirs = make_customer(owner=org.outsider, name="天津海河物流有限公司")
    client.force_login(org.outsider)

    response = client.get(list_url())

    assert result_pks(response) == [theirs.pk]
    assert response.context["total"] == 1
    assert detail_url(customer) not in response.content.decode()


@pytest.mark.usefixtures("english")
def test_search_for_a_hidden_customers_name_finds_nothing_and_counts_zero(client, org, customer):
    client.force_login(org.outsider)

    response = client.get(list_url(q=customer.name))

    content = response.content.decode()
    assert result_pks(response) == []
    assert 'data-count="0"' in content
    assert customer.code not in content
    assert detail_url(customer) not in content
    assert "No customers match these filters" in content


def test_search_by_pinyin_initials_code_and_mobile_last4(client, owner, customer):
    other = make_customer(owner=owner, name="北京星辰软件技术有限公司")
    client.force_login(owner)
    last4 = decision_maker_of(customer).mobile[-4:]

    by_initials = client.get(list_url(q="shdfjmjx"))
    by_code = client.get(list_url(q=other.code))
    by_mobile = client.get(list_url(q=last4))

    assert result_pks(by_initials) == [customer.pk]
    assert result_pks(by_code) == [other.pk]
    assert result_pks(by_mobile) == [customer.pk]


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("hengrui", {"恒瑞"}),  # not 正瑞 (zheng rui) nor 胜瑞 (sheng rui)
        ("hengr", {"恒瑞"}),  # the last syllable still being typed
        ("HengRui", {"恒瑞"}),
        ("xianshu", {"西安"}),  # 西安数据: xi an shu
        ("xianfeng", {"先锋"}),
        ("shengrui", {"胜瑞"}),
        ("ruike", {"恒瑞", "正瑞", "胜瑞"}),  # 瑞科: from a syllable in the middle
        ("engrui", set()),  # not from the middle of a syllable
        ("hrkj", {"恒瑞"}),  # initials still match anywhere
    ],
)
def test_pinyin_search_reads_from_the_start_of_a_syllable(client, owner, query, found):
    names = {
        "恒瑞": "苏州恒瑞科技有限公司",
        "正瑞": "杭州正瑞科技有限公司",
        "胜瑞": "南京胜瑞科技有限公司",
        "西安": "西安数据服务有限公司",
        "先锋": "深圳先锋电子有限公司",
    }
    pks = {key: make_customer(owner=owner, name=name).pk for key, name in names.items()}
    client.force_login(owner)

    response = client.get(list_url(q=query))

    assert set(result_pks(response)) == {pks[key] for key in found}


def test_status_filter_accepts_several_statuses(client, owner, customer):
    lost = make_customer(owner=owner, name="北京星辰软件技术有限公司", status="lost")
    make_customer(owner=owner, name="广州南方餐饮管理有限公司", status="customer")
    client.force_login(owner)

    response = client.get(list_url(status=["interested", "lost"]))

    assert set(result_pks(response)) == {customer.pk, lost.pk}


def test_industry_and_region_filters_take_a_whole_category_or_area(client, owner):
    parts = make_customer(
        owner=owner,
        name="宁波港城汽车零部件有限公司",
        industry=Industry.objects.get(code="auto_parts"),
        region=Region.objects.get(code="zhejiang"),
    )
    make_customer(owner=owner, name="北京星辰软件技术有限公司")  # software, Beijing
    client.force_login(owner)
    manufacturing = Industry.objects.get(code="manufacturing")
    east = Region.objects.get(code="east")

    by_industry = client.get(list_url(industry=manufacturing.pk))
    by_region = client.get(list_url(region=east.pk))

    assert result_pks(by_industry) == [parts.pk]
    assert result_pks(by_region) == [parts.pk]


def test_filter_panel_offers_every_filter_with_grouped_industry_and_region(client, owner, customer):
    client.force_login(owner)

    content = client.get(list_url()).content.decode()

    for name in (
        "q",
        "status",
        "customer_type",
        "industry",
        "scale",
        "source",
        "enterprise_type",
        "region",
        "owner",
        "department",
        "budget_min",
        "budget_max",
    ):
        assert f'name="{name}"' in content, name
    assert '<optgroup label="制造业">' in content
    assert '<optgroup label="华东">' in content


def test_budget_range_filter(client, owner):
    small = make_customer(owner=owner, name="北京星辰软件技术有限公司", annual_budget=50000)
    large = make_customer(owner=owner, name="广州南方餐饮管理有限公司", annual_budget=900000)
    client.force_login(owner)

    response = client.get(list_url(budget_min=100000))

    assert result_pks(response) == [large.pk]
    assert small.pk not in result_pks(client.get(list_url(budget_min=100000, budget_max=10**6)))


def test_sort_header_toggles_between_ascending_and_descending(client, owner):
    first = make_customer(owner=owner, name="北京星辰软件技术有限公司")  # beijing…
    second = make_customer(owner=owner, name="重庆山城火锅餐饮有限公司")  # chongqing…
    client.force_login(owner)

    ascending = client.get(list_url(sort="name"))
    descending = client.get(list_url(sort="-name"))

    assert result_pks(ascending) == [first.pk, second.pk]
    assert result_pks(descending) == [second.pk, first.pk]
    assert "sort=-name" in ascending.content.decode()
    assert re.search(r'href="[^"]*sort=name[^"]*"', descending.content.decode())


def test_list_paginates_by_the_configured_page_size(client, owner, settings):
    settings.KEHU_LIST_PAGE_SIZE = 2
    for name in ("北京星辰软件技术有限公司", "广州南方餐饮管理有限公司", "天津海河物流有限公司"):
        make_customer(owner=owner, name=name)
    client.force_login(owner)

    page1 = client.get(list_url())
    page2 = client.get(list_url(page=2))

    assert page1.context["total"] == 3
    assert len(result_pks(page1)) == 2
    assert len(result_pks(page2)) == 1
    assert "page=2" in page1.content.decode()


def test_htmx_request_gets_only_the_results_partial(client, owner, customer):
    client.force_login(owner)

    partial = client.get(list_url(q="上海"), **HTMX)
    full = client.get(list_url(q="上海"))

    partial_html = partial.content.decode()
    assert partial.status_code == 200
    assert partial_html.lstrip().startswith('<section id="customer-results"')
    assert "<html" not in partial_html
    assert 'id="customer-filters"' not in partial_html
    assert customer.name in partial_html
    assert "<html" in full.content.decode()
    assert 'id="customer-filters"' in full.content.decode()
    assert "HX-Request" in partial["Vary"]
    assert "HX-Request" in full["Vary"]


def test_htmx_history_restore_gets_the_full_page(client, owner, customer):
    client.force_login(owner)

    response = client.get(list_url(), HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX)

    assert "<html" in response.content.decode()


def test_filter_form_submits_with_htmx_and_pushes_the_url(client, owner, customer):
    client.force_login(owner)

    content = client.get(list_url()).content.decode()

    form = re.search(r'<form id="customer-filters"[^>]*>', content).group(0)
    assert f'hx-get="{reverse("customers:list")}"' in form
    assert 'hx-target="#customer-results"' in form
    assert 'hx-push-url="true"' in form


# Session, user, roles, reporting line, count, page, decision makers (+ the filter panel's
# presets, departments, owners and tags, and the sidebar's "heads a department?" check on the
# full page), and the field security of the user's roles: a constant, whatever the page holds.
@pytest.mark.parametrize(("htmx", "max_queries"), [(False, 15), (True, 8)])
def test_list_query_count_does_not_grow_with_30_customers(
    client, owner, django_assert_max_num_queries, htmx, max_queries
):
    for index in range(30):
        make_customer(owner=owner, name=f"上海东方精密机械第{index}分公司")
    client.force_login(owner)
    headers = HTMX if htmx else {}
    # Industries and regions come from the process cache (core.refcache), read on a process's
    # first list page: warm it, as a running server has (the cold page is tested below).
    client.get(list_url(), **headers)

    if connection.vendor == "postgresql":
        # The count (core.pagination): the planner's estimate first (EXPLAIN), then the time
        # budget's SAVEPOINT, set_config, ROLLBACK TO inside the test's transaction (a request
        # in autocommit spends one statement on it).
        max_queries += 4
    with django_assert_max_num_queries(max_queries):
        response = client.get(list_url(), **headers)

    assert response.status_code == 200
    assert len(result_pks(response)) == 25


def test_presets_are_read_once_per_process_not_per_page(client, owner):
    for index in range(3):
        make_customer(owner=owner, name=f"上海东方精密机械第{index}分公司")
    client.force_login(owner)
    industry = Industry.objects.select_related("parent").get(code="software_it")

    def preset_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(list_url(), **HTMX)
        # Each row shows its industry with the parent's label (two presets, no query).
        assert response.content.decode().count(f">{industry}</td>") == 3
        return sum(
            1
            for q in captured.captured_queries
            if '"customers_industry"' in q["sql"] or '"customers_region"' in q["sql"]
        )

    assert preset_queries() == 2  # cold: every industry, every region, once
    assert preset_queries() == 0  # warm: the rows carry them with no join and no query


@pytest.mark.usefixtures("english")
def test_empty_list_says_what_to_do_next(client, owner):
    client.force_login(owner)

    content = client.get(list_url()).content.decode()

    assert "No customers yet" in content
    assert reverse("customers:create") in content


# --- 360 page -------------------------------------------------------------------------------
def test_owner_opens_360_page_with_base_info_and_masked_mobiles(client, owner, customer):
    customer_update(
        customer=customer,
        by=owner,
        data={"annual_budget": Decimal("525000"), "enterprise_type": "private"},
        expected_version=customer.version,
    )
    mobile = decision_maker_of(customer).mobile
    client.force_login(owner)

    response = client.get(detail_url(customer))

    content = response.content.decode()
    assert response.status_code == 200
    assert customer.name in content
    assert customer.code in content
    assert "华北-北京" in content
    assert "北京市海淀区" in content
    assert "北京北京市" not in content  # a municipality is not repeated
    assert "¥52.5万" in content
    assert f"{mobile[:3]}****{mobile[-4:]}" in content
    assert mobile not in content
    assert edit_url(customer) in content
    assert reverse("customers:history", args=[customer.pk]) in content


def test_outsider_gets_404_on_360_page(client, org, customer):
    client.force_login(org.outsider)

    response = client.get(detail_url(customer))

    assert response.status_code == 404
    assert customer.name not in response.content.decode()


@pytest.mark.usefixtures("english")
def test_missing_customer_gets_the_same_404_page(client, owner):
    client.force_login(owner)

    response = client.get(reverse("customers:detail", args=[999999]))

    assert response.status_code == 404
    assert "Not found" in response.content.decode()


def test_read_only_user_sees_360_page_without_edit_actions(client, org, customer):
    client.force_login(org.service)

    response = client.get(detail_url(customer))

    content = response.content.decode()
    assert response.status_code == 200
    assert edit_url(customer) not in content
    assert reverse("customers:contact-create", args=[customer.pk]) not in content
    assert reverse("customers:team-add", args=[customer.pk]) not in content


def test_unmask_button_only_for_users_allowed_to_unmask(client, org, customer):
    unmask = reverse("customers:unmask", args=[customer.pk])
    client.force_login(org.owner)
    assert unmask in client.get(detail_url(customer)).content.decode()

    client.force_login(org.marketing)
    assert unmask not in client.get(detail_url(customer)).content.decode()


def test_history_partial_and_full_page_show_before_and_after(client, owner, customer):
    customer_update(
        customer=customer, by=owner, data={"city": "上海市"}, expected_version=customer.version
    )
    client.force_login(owner)
    url = reverse("customers:history", args=[customer.pk])

    partial = client.get(url, **HTMX).content.decode()
    full = client.get(url).content.decode()

    assert "<html" not in partial
    assert "北京市" in partial
    assert "上海市" in partial
    assert owner.display_name in partial
    assert "<html" in full
    assert "上海市" in full


def test_outsider_gets_404_on_history(client, org, customer):
    client.force_login(org.outsider)

    response = client.get(reverse("customers:history", args=[customer.pk]), **HTMX)

    assert response.status_code == 404


# --- create ---------------------------------------------------------------------------------
def test_create_requires_login(client, org):
    response = client.get(reverse("customers:create"))

    assert response.status_code == 302


def test_owner_creates_customer_and_lands_on_its_360_page(client, owner):
    client.force_login(owner)

    response = client.post(reverse("customers:create"), create_data(owner=owner.pk))

    customer = Customer.objects.get(name="杭州西湖数据科技有限公司")
    assert response.status_code == 302
    assert response["Location"] == detail_url(customer)
    assert customer.owner == owner
    assert customer.status == "prospect"
    assert customer.code.startswith("CX")
    assert decision_maker_of(customer).mobile == "13912345678"
    assert customer.code in client.get(response["Location"]).content.decode()


def test_bad_mobile_on_create_shows_the_field_error_and_saves_nothing(client, owner):
    client.force_login(owner)

    response = client.post(
        reverse("customers:create"), create_data(owner=owner.pk, dm_mobile="12345678901")
    )

    assert response.status_code == 200
    assert response.context["form"].errors["dm_mobile"]
    assert 'id="id_dm_mobile_error"' in response.content.decode()
    assert not Customer.objects.exists()
    assert not Contact.objects.exists()


@pytest.mark.usefixtures("english")
def test_short_company_name_error_appears_at_the_name_field(client, owner):
    client.force_login(owner)

    response = client.post(
        reverse("customers:create"), create_data(owner=owner.pk, name="腾讯科技")
    )

    form = response.context["form"]
    assert "business licence" in " ".join(form.errors["name"])
    assert 'id="id_name_error"' in response.content.decode()
    assert not Customer.objects.exists()


def test_name_and_mobile_errors_show_together(client, owner):
    client.force_login(owner)

    response = client.post(
        reverse("customers:create"),
        create_data(owner=owner.pk, name="腾讯科技", dm_mobile="12345678901"),
    )

    errors = response.context["form"].errors
    assert set(errors) >= {"name", "dm_mobile"}
    content = response.content.decode()
    assert 'href="#id_name"' in content
    assert 'href="#id_dm_mobile"' in content


@pytest.mark.usefixtures("english")
def test_service_error_on_an_industry_category_lands_on_the_industry_field(client, owner):
    client.force_login(owner)
    manufacturing = Industry.objects.get(code="manufacturing")

    response = client.post(
        reverse("customers:create"), create_data(owner=owner.pk, industry=manufacturing.pk)
    )

    assert "specific industry" in " ".join(response.context["form"].errors["industry"])
    assert 'id="id_industry_error"' in response.content.decode()
    assert not Customer.objects.exists()


def test_create_form_offers_grouped_presets_and_only_assignable_owners(client, org):
    client.force_login(org.owner)

    content = client.get(reverse("customers:create")).content.decode()

    assert '<optgroup label="制造业">' in content
    assert '<optgroup label="华北">' in content
    owner_select = re.search(r'<select name="owner".*?</select>', content, re.S).group(0)
    assert org.owner.display_name in owner_select
    assert org.outsider.display_name not in owner_select


def test_sales_rep_cannot_assign_a_customer_to_another_department(client, org):
    client.force_login(org.owner)

    response = client.post(reverse("customers:create"), create_data(owner=org.outsider.pk))

    assert response.context["form"].errors["owner"]
    assert not Customer.objects.exists()


@pytest.mark.usefixtures("english")
def test_custom_fields_get_form_fields_and_service_errors_land_on_them(client, owner):
    CustomFieldDefinition.objects.create(
        key="employees",
        label_zh="员工数",
        label_en="Employees",
        field_type="number",
        max_value=Decimal("1000"),
    )
    CustomFieldDefinition.objects.create(
        key="contract_type",
        label_zh="合同类型",
        label_en="Contract type",
        field_type="choice",
        choices=["年度", "项目"],
        required=True,
    )
    client.force_login(owner)

    form_page = client.get(reverse("customers:create")).content.decode()
    too_many = client.post(
        reverse("customers:create"),
        create_data(owner=owner.pk, cf_employees="5000", cf_contract_type="年度"),
    )
    missing = client.post(reverse("customers:create"), create_data(owner=owner.pk))
    saved = client.post(
        reverse("customers:create"),
        create_data(owner=owner.pk, cf_employees="120", cf_contract_type="项目"),
    )

    assert 'name="cf_employees"' in form_page
    assert 'name="cf_contract_type"' in form_page
    assert "at most" in " ".join(too_many.context["form"].errors["cf_employees"])
    assert missing.context["form"].errors["cf_contract_type"]
    assert saved.status_code == 302
    assert Customer.objects.get().custom_fields == {"employees": 120, "contract_type": "项目"}


# --- edit -----------------------------------------------------------------------------------
def test_owner_edits_customer_and_the_change_is_in_history(client, owner, customer):
    client.force_login(owner)

    response = client.post(edit_url(customer), edit_data(customer, city="上海市", scale="large"))

    customer.refresh_from_db()
    assert response.status_code == 302
    assert (customer.city, customer.scale) == ("上海市", "large")
    history = client.get(reverse("customers:history", args=[customer.pk]), **HTMX)
    assert "上海市" in history.content.decode()


def test_edit_form_shows_masked_mobile_and_keeps_it_when_untouched(client, owner, customer):
    mobile = decision_maker_of(customer).mobile
    client.force_login(owner)

    form_page = client.get(edit_url(customer)).content.decode()
    client.post(edit_url(customer), edit_data(customer, dm_title="董事长"))

    assert mobile not in form_page
    assert f"{mobile[:3]}****{mobile[-4:]}" in form_page
    dm = decision_maker_of(customer)
    assert (dm.mobile, dm.title) == (mobile, "董事长")


def test_edit_replaces_mobile_when_a_new_one_is_typed(client, owner, customer):
    client.force_login(owner)

    client.post(edit_url(customer), edit_data(customer, dm_mobile="13698765432"))

    assert decision_maker_of(customer).mobile == "13698765432"


@pytest.mark.usefixtures("english")
def test_edit_does_not_change_status(client, owner, customer):
    client.force_login(owner)

    form_page = client.get(edit_url(customer)).content.decode()
    client.post(edit_url(customer), edit_data(customer, status="customer"))

    customer.refresh_from_db()
    assert customer.status == "interested"
    assert 'name="status"' not in form_page
    assert "status-change flow" in form_page


@pytest.mark.usefixtures("english")
def test_stale_version_on_edit_shows_the_conflict_and_does_not_overwrite(client, owner, customer):
    stale = edit_data(customer, city="杭州市")
    customer_update(
        customer=customer, by=owner, data={"city": "上海市"}, expected_version=customer.version
    )
    client.force_login(owner)

    response = client.post(edit_url(customer), stale)

    customer.refresh_from_db()
    assert response.status_code == 200
    assert "Someone else saved this record" in response.content.decode()
    assert response.context["form"].non_field_errors()
    assert customer.city == "上海市"


def test_editing_keeps_an_industry_the_administrator_retired_since(client, owner, customer):
    Industry.objects.filter(pk=customer.industry_id).update(is_active=False)
    client.force_login(owner)

    response = client.post(edit_url(customer), edit_data(customer, city="上海市"))

    customer.refresh_from_db()
    assert response.status_code == 302
    assert customer.industry.code == "software_it"


def test_outsider_gets_404_on_edit(client, org, customer):
    client.force_login(org.outsider)

    assert client.get(edit_url(customer)).status_code == 404
    assert client.post(edit_url(customer), edit_data(customer, city="X")).status_code == 404


def test_read_only_user_gets_403_on_edit_and_changes_nothing(client, org, customer):
    client.force_login(org.service)

    get = client.get(edit_url(customer))
    post = client.post(edit_url(customer), edit_data(customer, city="上海市"))

    customer.refresh_from_db()
    assert (get.status_code, post.status_code) == (403, 403)
    assert customer.city == "北京市"


def test_write_share_member_may_edit(client, org, customer):
    customer_share_set(customer=customer, user=org.teammate, access=ShareAccess.WRITE, by=org.owner)
    client.force_login(org.teammate)

    response = client.post(edit_url(customer), edit_data(customer, city="上海市"))

    customer.refresh_from_db()
    assert response.status_code == 302
    assert customer.city == "上海市"
    assert customer.owner == org.owner


# --- unmask ---------------------------------------------------------------------------------
def unmask(client, customer, contact, **headers):
    return client.post(
        reverse("customers:unmask", args=[customer.pk]),
        {"contact": contact.pk},
        REMOTE_ADDR="10.1.2.3",
        **headers,
    )


def test_owner_unmasks_a_mobile_with_htmx_and_it_is_logged(client, owner, customer):
    contact = decision_maker_of(customer)
    client.force_login(owner)

    response = unmask(client, customer, contact, **HTMX)

    content = response.content.decode()
    assert response.status_code == 200
    assert contact.mobile in content
    assert f'id="mobile-{contact.pk}"' in content
    assert "<html" not in content
    log = UnmaskLog.objects.get()
    assert (log.user, log.contact, log.ip_address) == (owner, contact, "10.1.2.3")


def test_unmask_without_htmx_shows_the_360_page_with_the_number(client, owner, customer):
    contact = decision_maker_of(customer)
    client.force_login(owner)

    response = unmask(client, customer, contact)

    assert "<html" in response.content.decode()
    assert contact.mobile in response.content.decode()


def test_user_without_unmask_right_gets_403_and_nothing_is_logged(client, org, customer):
    client.force_login(org.marketing)

    response = unmask(client, customer, decision_maker_of(customer), **HTMX)

    assert response.status_code == 403
    assert not UnmaskLog.objects.exists()


def test_outsider_gets_404_on_unmask_and_nothing_is_logged(client, org, customer):
    client.force_login(org.outsider)

    response = unmask(client, customer, decision_maker_of(customer), **HTMX)

    assert response.status_code == 404
    assert not UnmaskLog.objects.exists()


def test_unmask_refuses_a_contact_of_another_customer(client, owner, customer):
    other = make_customer(owner=owner, name="北京星辰软件技术有限公司")
    client.force_login(owner)

    response = unmask(client, customer, decision_maker_of(other), **HTMX)

    assert response.status_code == 404
    assert not UnmaskLog.objects.exists()


def test_unmask_is_post_only(client, owner, customer):
    client.force_login(owner)

    response = client.get(reverse("customers:unmask", args=[customer.pk]))

    assert response.status_code == 405


# --- contacts -------------------------------------------------------------------------------
def contact_url(name, customer, contact=None):
    args = [customer.pk] if contact is None else [customer.pk, contact.pk]
    return reverse(f"customers:{name}", args=args)


def test_owner_adds_a_contact(client, owner, customer):
    client.force_login(owner)

    response = client.post(
        contact_url("contact-create", customer),
        {"name": "李娜", "title": "采购经理", "mobile": "13700001111"},
    )

    assert response.status_code == 302
    assert customer.contacts.filter(name="李娜", mobile_hash=mobile_index("13700001111")).exists()


def test_bad_contact_mobile_shows_the_field_error(client, owner, customer):
    client.force_login(owner)

    response = client.post(
        contact_url("contact-create", customer), {"name": "李娜", "mobile": "12345678901"}
    )

    assert response.context["form"].errors["mobile"]
    assert not customer.contacts.filter(name="李娜").exists()


def test_outsider_gets_404_and_read_only_user_403_on_adding_a_contact(client, org, customer):
    data = {"name": "李娜", "mobile": "13700001111"}
    client.force_login(org.outsider)
    outsider = client.post(contact_url("contact-create", customer), data)
    client.force_login(org.service)
    read_only = client.post(contact_url("contact-create", customer), data)

    assert (outsider.status_code, read_only.status_code) == (404, 403)
    assert not customer.contacts.filter(name="李娜").exists()


def test_owner_edits_a_contact_keeping_the_masked_mobile(client, owner, customer):
    contact = decision_maker_of(customer)
    client.force_login(owner)

    page = client.get(contact_url("contact-edit", customer, contact)).content.decode()
    response = client.post(
        contact_url("contact-edit", customer, contact),
        {
            "name": contact.name,
            "title": "副总裁",
            "mobile": f"{contact.mobile[:3]}****{contact.mobile[-4:]}",
            "version": contact.version,
        },
    )

    assert contact.mobile not in page
    assert response.status_code == 302
    updated = Contact.objects.get(pk=contact.pk)
    assert (updated.title, updated.mobile) == ("副总裁", contact.mobile)


@pytest.mark.usefixtures("english")
def test_stale_contact_edit_is_refused(client, owner, customer):
    contact = decision_maker_of(customer)
    client.force_login(owner)

    response = client.post(
        contact_url("contact-edit", customer, contact),
        {"name": "新名字", "mobile": contact.mobile, "version": contact.version - 1},
    )

    assert "Someone else saved this record" in response.content.decode()
    assert Contact.objects.get(pk=contact.pk).name == contact.name


def test_make_decision_maker_and_delete_the_former_one(client, owner, customer):
    former = decision_maker_of(customer)
    client.force_login(owner)
    client.post(contact_url("contact-create", customer), {"name": "李娜", "mobile": "13700001111"})
    new = customer.contacts.get(name="李娜")

    client.post(contact_url("contact-make-decision-maker", customer, new))
    client.post(contact_url("contact-delete", customer, former))

    assert decision_maker_of(customer) == new
    assert not Contact.objects.filter(pk=former.pk).exists()


@pytest.mark.usefixtures("english")
def test_deleting_the_decision_maker_is_refused_with_a_message(client, owner, customer):
    contact = decision_maker_of(customer)
    client.force_login(owner)

    response = client.post(contact_url("contact-delete", customer, contact), follow=True)

    assert Contact.objects.filter(pk=contact.pk).exists()
    assert "Make another contact the key decision maker" in response.content.decode()


def test_contact_of_another_customer_is_404_through_this_customers_url(client, owner, customer):
    other = make_customer(owner=owner, name="北京星辰软件技术有限公司")
    client.force_login(owner)

    response = client.get(contact_url("contact-edit", customer, decision_maker_of(other)))

    assert response.status_code == 404


def test_outsider_404_and_read_only_403_on_contact_edit_and_delete(client, org, customer):
    contact = decision_maker_of(customer)
    client.force_login(org.outsider)
    outsider = [
        client.get(contact_url("contact-edit", customer, contact)).status_code,
        client.post(contact_url("contact-delete", customer, contact)).status_code,
    ]
    client.force_login(org.service)
    read_only = [
        client.get(contact_url("contact-edit", customer, contact)).status_code,
        client.post(contact_url("contact-delete", customer, contact)).status_code,
    ]

    assert outsider == [404, 404]
    assert read_only == [403, 403]
    assert Contact.objects.filter(pk=contact.pk).exists()


# --- related team ---------------------------------------------------------------------------
def test_owner_shares_with_a_colleague_and_removes_them(client, org, customer):
    client.force_login(org.owner)

    client.post(
        reverse("customers:team-add", args=[customer.pk]),
        {"user": org.teammate.pk, "access": "read"},
    )
    shared = CustomerShare.objects.filter(customer=customer, user=org.teammate).exists()
    page = client.get(detail_url(customer)).content.decode()
    client.post(reverse("customers:team-remove", args=[customer.pk, org.teammate.pk]))

    assert shared
    assert org.teammate.display_name in page
    assert not CustomerShare.objects.filter(customer=customer).exists()


def test_outsider_404_and_read_only_403_on_team_changes(client, org, customer):
    add = reverse("customers:team-add", args=[customer.pk])
    data = {"user": org.outsider.pk, "access": "write"}
    client.force_login(org.outsider)
    outsider = client.post(add, data)
    client.force_login(org.service)
    read_only = client.post(add, data)

    assert (outsider.status_code, read_only.status_code) == (404, 403)
    assert not CustomerShare.objects.exists()


def test_read_share_member_cannot_manage_the_team(client, org, customer):
    customer_share_set(customer=customer, user=org.teammate, access=ShareAccess.READ, by=org.owner)
    client.force_login(org.teammate)

    response = client.post(reverse("customers:team-remove", args=[customer.pk, org.teammate.pk]))

    assert response.status_code == 403
    assert CustomerShare.objects.filter(user=org.teammate).exists()


# --- language -------------------------------------------------------------------------------
def test_pages_are_chinese_by_default_and_english_after_the_switch(client, owner, customer):
    client.force_login(owner)

    chinese = client.get(detail_url(customer)).content.decode()
    switched = client.post(
        reverse("set_language"), {"language": "en", "next": detail_url(customer)}
    )
    english = client.get(detail_url(customer)).content.decode()

    assert '<html lang="zh-hans">' in chinese
    assert "软件和信息技术服务业" in chinese
    assert switched.status_code == 302
    assert '<html lang="en">' in english
    assert "Software and IT services" in english
    assert "North China-Beijing" in english


def test_budget_is_shown_in_wan_in_chinese_and_in_full_in_english(client, owner, customer):
    customer_update(
        customer=customer,
        by=owner,
        data={"annual_budget": Decimal("1250000")},
        expected_version=customer.version,
    )
    client.force_login(owner)

    chinese = client.get(detail_url(customer)).content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = client.get(detail_url(customer)).content.decode()

    assert "¥125万" in chinese
    assert "¥1,250,000" in english


def test_relative_update_time_carries_the_exact_time(client, owner, customer):
    client.force_login(owner)

    content = client.get(list_url()).content.decode()

    assert re.search(
        r'<time datetime="[^"]+" title="\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}">', content
    )


def test_create_form_defaults_to_today_and_to_the_user_as_owner(client, owner):
    client.force_login(owner)

    form = client.get(reverse("customers:create")).context["form"]

    assert form["first_contact_date"].initial == timezone.localdate()
    assert form["owner"].initial == owner.pk


# --- language -------------------------------------------------------------------------------
def test_pages_are_in_chinese_by_default_and_in_english_on_request(client, owner):
    client.force_login(owner)

    chinese = client.get(list_url()).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(list_url()).content.decode()

    assert "还没有客户" in chinese
    assert "新建客户" in chinese
    assert "No customers yet" not in chinese
    assert "No customers yet" in english
