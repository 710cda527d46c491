"""The customer REST API from the outside: data scope per role, validation, locking, masking.

Every test goes through HTTP with APIClient, authenticated by token (the default here) or by
session, never by force_authenticate, so authentication itself is part of what is tested.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from kehu.customers.models import (
    Contact,
    Customer,
    CustomFieldDefinition,
    Industry,
    Region,
    ShareAccess,
    UnmaskLog,
)
from kehu.customers.sensitive import sensitive_custom_keys
from kehu.customers.services import customer_share_set
from kehu.customers.tests.factories import make_customer

ROLES = (
    "owner",
    "teammate",
    "manager",
    "outsider",
    "administrator",
    "service",
    "marketing",
    "steward",
)
A_NAME = "上海东方精密机械有限公司"  # owner's, East sales group; teammate has a read-only share
B_NAME = "天津海河物流有限公司"  # outsider's, North sales group
C_NAME = "广州南方餐饮管理有限公司"  # owned by the service user, Service department

VISIBLE = {
    "owner": {A_NAME},
    "teammate": {A_NAME},
    "manager": {A_NAME, B_NAME},
    "outsider": {B_NAME},
    "administrator": {A_NAME, B_NAME, C_NAME},
    "service": {A_NAME, B_NAME, C_NAME},
    "marketing": {A_NAME, B_NAME, C_NAME},
    "steward": {A_NAME, B_NAME, C_NAME},
}
# What each role gets when it edits / unmasks customer A.
EDIT_A = {
    "owner": 200,
    "teammate": 403,
    "manager": 200,
    "outsider": 404,
    "administrator": 200,
    "service": 403,
    "marketing": 403,
    "steward": 200,
}
UNMASK_A = {
    "owner": 200,
    "teammate": 403,
    "manager": 200,
    "outsider": 404,
    "administrator": 200,
    "service": 200,
    "marketing": 403,
    "steward": 200,
}


def api(user=None, *, auth: str = "token", language: str | None = None) -> APIClient:
    client = APIClient()
    if language:
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    if user is None:
        return client
    if auth == "token":
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    else:
        client.force_login(user)
    return client


def role_user(org, role: str):
    return getattr(org, role)


@pytest.fixture
def world(org, customer):
    """Three customers in three departments; the teammate shares A read-only."""
    customer_share_set(customer=customer, user=org.teammate, access=ShareAccess.READ, by=org.owner)
    b = make_customer(owner=org.outsider, name=B_NAME)
    c = make_customer(owner=org.service, name=C_NAME)
    return {"a": customer, "b": b, "c": c}


def url(customer_id, suffix: str = "") -> str:
    return f"/api/v1/customers/{customer_id}/{suffix}"


def payload(**overrides) -> dict:
    """A valid create request; overrides replace top-level keys."""
    data = {
        "customer_type": "enterprise",
        "name": "杭州西湖云计算有限公司",
        "industry": Industry.objects.get(code="software_it").pk,
        "scale": "medium",
        "region": Region.objects.get(code="zhejiang").pk,
        "city": "杭州市",
        "district": "西湖区",
        "street": "文三路 90 号",
        "source": "referral",
        "first_contact_date": "2024-05-20",
        "status": "interested",
        "enterprise_type": "private",
        "annual_budget": "250000.00",
        "remarks": "经王总介绍",
        "decision_maker": {"name": "刘洋", "title": "技术总监", "mobile": "139 1234 5678"},
    }
    data.update(overrides)
    return data


def counts() -> tuple[int, int]:
    return Customer.objects.count(), Contact.objects.count()


# --- data scope per role --------------------------------------------------------------------
@pytest.mark.parametrize("role", ROLES)
def test_list_shows_exactly_the_customers_in_the_roles_scope(org, world, role):
    response = api(role_user(org, role)).get("/api/v1/customers/")

    assert response.status_code == 200
    assert {row["name"] for row in response.data["results"]} == VISIBLE[role]
    assert response.data["count"] == len(VISIBLE[role])


@pytest.mark.parametrize("role", ROLES)
def test_search_for_a_hidden_customers_name_finds_nothing(org, world, role):
    response = api(role_user(org, role), auth="session").get(
        "/api/v1/customers/", {"q": "天津海河"}
    )

    assert response.status_code == 200
    assert response.data["count"] == (1 if B_NAME in VISIBLE[role] else 0)


@pytest.mark.parametrize("role", ROLES)
def test_detail_of_hidden_customer_is_404_with_the_same_body_as_missing(org, world, role):
    client = api(role_user(org, role))

    response = client.get(url(world["a"].pk))
    missing = client.get(url(999_999))

    assert missing.status_code == 404
    if A_NAME in VISIBLE[role]:
        assert response.status_code == 200
        assert response.data["code"] == world["a"].code
    else:
        assert response.status_code == 404
        assert response.content == missing.content


@pytest.mark.parametrize("role", ROLES)
def test_update_answers_by_role_and_changes_only_what_it_may(org, world, role):
    a = world["a"]

    response = api(role_user(org, role)).patch(
        url(a.pk), {"remarks": f"edited by {role}", "version": a.version}, format="json"
    )

    assert response.status_code == EDIT_A[role]
    a.refresh_from_db()
    if EDIT_A[role] == 200:
        assert a.remarks == f"edited by {role}"
        assert response.data["version"] == a.version == 2
    else:
        assert a.remarks == ""
        assert a.version == 1


@pytest.mark.parametrize("role", ROLES)
def test_unmask_answers_by_role_and_logs_each_reveal(org, world, role):
    a = world["a"]
    plain = a.decision_maker.mobile

    response = api(role_user(org, role)).post(url(a.pk, "unmask/"))

    assert response.status_code == UNMASK_A[role]
    logged = UnmaskLog.objects.filter(customer=a, user=role_user(org, role))
    if UNMASK_A[role] == 200:
        assert [c["mobile"] for c in response.data["contacts"]] == [plain]
        assert logged.get().ip_address == "127.0.0.1"
    else:
        assert plain not in response.content.decode()
        assert not logged.exists()


def test_outsider_cannot_reach_a_hidden_customers_sub_resources(org, world):
    client = api(org.outsider)
    a = world["a"]
    contact = a.decision_maker

    for response in (
        client.get(url(a.pk, "contacts/")),
        client.post(url(a.pk, "contacts/"), {"name": "新联系人"}, format="json"),
        client.get(url(a.pk, "team/")),
        client.post(url(a.pk, "team/"), {"user": org.outsider.pk, "access": "write"}),
        client.delete(url(a.pk, f"team/{org.teammate.pk}/")),
        client.get(url(a.pk, "history/")),
        client.put(url(a.pk), payload(version=1), format="json"),
        client.get(f"/api/v1/contacts/{contact.pk}/"),
        client.patch(f"/api/v1/contacts/{contact.pk}/", {"title": "x", "version": 1}),
        client.delete(f"/api/v1/contacts/{contact.pk}/"),
        client.post(f"/api/v1/contacts/{contact.pk}/make-decision-maker/"),
    ):
        assert response.status_code == 404, response.request["PATH_INFO"]
    assert a.shares.filter(user=org.teammate).exists()


def test_read_only_teammate_cannot_change_contacts_or_team(org, world):
    client = api(org.teammate)
    a = world["a"]
    contact = a.decision_maker

    assert client.get(f"/api/v1/contacts/{contact.pk}/").status_code == 200
    assert client.post(url(a.pk, "contacts/"), {"name": "新联系人"}).status_code == 403
    assert client.patch(f"/api/v1/contacts/{contact.pk}/", {"version": 1}).status_code == 403
    assert client.delete(f"/api/v1/contacts/{contact.pk}/").status_code == 403
    assert (
        client.post(url(a.pk, "team/"), {"user": org.outsider.pk, "access": "read"}).status_code
        == 403
    )
    assert a.contacts.count() == 1
    assert not a.shares.filter(user=org.outsider).exists()


def test_unauthenticated_requests_get_401_and_no_data(world):
    client = api()

    for response in (
        client.get("/api/v1/customers/"),
        client.get(url(world["a"].pk)),
        client.post("/api/v1/customers/", payload(), format="json"),
    ):
        assert response.status_code == 401
        assert A_NAME not in response.content.decode()


def test_token_obtained_from_the_api_authenticates_requests(org, world):
    anonymous = api()

    token = anonymous.post(
        "/api/v1/auth/token/", {"username": "owner", "password": "pw-Kehu-2026"}
    ).data["token"]
    wrong = anonymous.post("/api/v1/auth/token/", {"username": "owner", "password": "nope"})
    anonymous.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = anonymous.get("/api/v1/customers/")

    assert wrong.status_code == 400
    assert response.status_code == 200
    assert [row["name"] for row in response.data["results"]] == [A_NAME]


# --- filters and output ---------------------------------------------------------------------
def test_filters_use_the_same_parameters_as_the_web_list(org, world):
    client = api(org.administrator)
    a, b = world["a"], world["b"]
    Customer.objects.filter(pk=b.pk).update(annual_budget=Decimal("800000"), status="customer")

    def names(**params):
        response = client.get("/api/v1/customers/", params)
        assert response.status_code == 200, response.data
        return {row["name"] for row in response.data["results"]}

    assert names(status="customer") == {B_NAME}
    assert names(status=["customer", "interested"]) == {A_NAME, B_NAME, C_NAME}
    assert names(owner=org.outsider.pk) == {B_NAME}
    assert names(department=org.sales.pk) == {A_NAME, B_NAME}
    assert names(budget_min="500000") == {B_NAME}
    assert names(budget_max="500000") == set()
    assert names(industry=Industry.objects.get(code="software_it").pk) == {A_NAME, B_NAME, C_NAME}
    assert names(region=Region.objects.get(code="north").pk) == {A_NAME, B_NAME, C_NAME}
    assert names(q=a.code) == {A_NAME}
    assert names(q=a.decision_maker.mobile[-4:]) == {A_NAME}
    assert names(q="shdf") == {A_NAME}
    assert names(customer_type="individual") == set()
    by_name = [
        row["name"] for row in client.get("/api/v1/customers/", {"sort": "name"}).data["results"]
    ]
    assert by_name == [C_NAME, A_NAME, B_NAME]  # by pinyin: guang…, shang…, tian…
    assert client.get("/api/v1/customers/", {"sort": "nonsense"}).status_code == 400


def test_detail_shows_every_field_with_labels_and_a_masked_mobile(org, world):
    a = world["a"]
    plain = a.decision_maker.mobile

    response = api(org.owner).get(url(a.pk))

    body = response.data
    assert set(body) >= {
        "id", "code", "customer_type", "name", "credit_code", "industry", "scale",
        "enterprise_type", "region", "city", "district", "street", "address", "source",
        "first_contact_date", "status", "annual_budget", "remarks", "owner", "department",
        "decision_maker", "custom_fields", "created_at", "updated_at", "version",
    }  # fmt: skip
    assert body["code"].startswith("CX")
    assert len(body["code"]) == 13
    assert body["region"]["label"] == "华北-北京"
    assert body["region"]["id"] == a.region_id
    assert body["region"]["parent_id"] == a.region.parent_id
    assert body["industry"]["label"] == "软件和信息技术服务业"
    assert body["owner"] == {"id": org.owner.pk, "name": "张三"}
    assert body["department"] == {"id": org.east.pk, "name": "华东销售组"}
    assert body["decision_maker"]["name"] == "王建国"
    assert body["decision_maker"]["mobile"] == f"{plain[:3]}****{plain[-4:]}"
    assert body["first_contact_date"] == "2026-09-15"
    assert plain not in response.content.decode()


def test_labels_follow_accept_language(org, world):
    response = api(org.owner, language="en").get(url(world["a"].pk))

    assert response.data["region"]["label"] == "North China-Beijing"
    assert response.data["industry"]["name"] == "Software and IT services"


def test_list_and_every_sub_resource_keep_mobile_numbers_masked(org, world):
    a = world["a"]
    original = a.decision_maker.mobile
    client = api(org.administrator)
    client.post(url(a.pk, "contacts/"), {"name": "赵敏", "mobile": "13711112222"})
    client.patch(
        url(a.pk),
        {"decision_maker": {"mobile": "13633334444"}, "version": a.version},
        format="json",
    )
    contact = a.contacts.get(name="赵敏")

    bodies = [
        client.get("/api/v1/customers/"),
        client.get(url(a.pk)),
        client.get(url(a.pk, "contacts/")),
        client.get(url(a.pk, "history/")),
        client.get(url(a.pk, "team/")),
        client.get(f"/api/v1/contacts/{contact.pk}/"),
        client.patch(url(a.pk), {"remarks": "stale", "version": 1}, format="json"),  # 409
    ]

    for response in bodies:
        text = response.content.decode()
        for plain in ("13711112222", "13633334444", original):
            assert plain not in text, response.request["PATH_INFO"]
    assert "137****2222" in bodies[2].content.decode()
    assert bodies[-1].status_code == 409


def test_list_query_count_does_not_grow_with_the_page(org):
    client = api(org.owner)

    def queries_for_list() -> int:
        # The keys of sensitive custom fields are in the reference cache (core.refcache),
        # which each test starts empty: read them first, so both counts see it warm.
        sensitive_custom_keys()
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/api/v1/customers/")
        assert all(row["decision_maker"]["name"] == "王建国" for row in response.data["results"])
        return len(captured)

    make_customer(owner=org.owner, name="苏州第一精工机械有限公司")
    # Industries and regions come from the process cache (core.refcache), read on the first
    # list a process serves: warm it, as a running server has.
    client.get("/api/v1/customers/")
    few = queries_for_list()
    for n in range(12):
        make_customer(owner=org.owner, name=f"苏州第{n}精工机械有限公司")
    many = queries_for_list()

    # token, rights, reporting line, count, page, decision makers, field security; on
    # PostgreSQL the count asks the planner's estimate first (EXPLAIN), and its time budget
    # adds SAVEPOINT, set_config and ROLLBACK TO inside the test's transaction
    # (core.pagination). Both lists here fit on one page, whose rows are the count: none of
    # the count's statements run.
    budget = 4 if connection.vendor == "postgresql" else 0
    assert few == many <= 7 + budget


# --- create and validation ------------------------------------------------------------------
def test_create_returns_the_new_customer_with_a_code_and_masked_mobile(org):
    response = api(org.owner).post("/api/v1/customers/", payload(), format="json")

    assert response.status_code == 201, response.data
    body = response.data
    assert body["code"].startswith(f"CX{timezone.localdate():%Y%m}")
    assert body["owner"]["id"] == org.owner.pk
    assert body["department"]["id"] == org.east.pk
    assert body["decision_maker"]["mobile"] == "139****5678"
    assert body["annual_budget"] == "250000.00"
    assert body["version"] == 1
    saved = Customer.objects.get(pk=body["id"])
    assert saved.decision_maker.mobile == "13912345678"
    assert saved.created_by == org.owner


def test_manager_may_create_for_someone_in_their_department(org):
    response = api(org.manager).post(
        "/api/v1/customers/", payload(owner=org.outsider.pk), format="json"
    )

    assert response.status_code == 201, response.data
    assert response.data["owner"]["id"] == org.outsider.pk
    assert response.data["department"]["id"] == org.north.pk


def _tomorrow() -> str:
    return (timezone.localdate() + dt.timedelta(days=1)).isoformat()


BAD_CREATES = {
    "mobile too short": (
        {"decision_maker": {"name": "刘洋", "mobile": "1391234567"}},
        "decision_maker.mobile",
        "11-digit mainland mobile",
    ),
    "mobile with letters": (
        {"decision_maker": {"name": "刘洋", "mobile": "1391234567x"}},
        "decision_maker.mobile",
        "11-digit mainland mobile",
    ),
    "mobile with an unknown prefix": (
        {"decision_maker": {"name": "刘洋", "mobile": "12012345678"}},
        "decision_maker.mobile",
        "unknown prefix",
    ),
    "decision maker without mobile": (
        {"decision_maker": {"name": "刘洋"}},
        "decision_maker.mobile",
        "mobile number is required",
    ),
    "decision maker without name": (
        {"decision_maker": {"mobile": "13912345678"}},
        "decision_maker.name",
        "blank",
    ),
    "no decision maker": ({"decision_maker": None}, "decision_maker", "null"),
    "short name": ({"name": "腾讯科技"}, "name", "full legal name"),
    "company name for an individual": (
        {"customer_type": "individual", "name": "杭州西湖云计算有限公司"},
        "name",
        "person's name",
    ),
    "credit code with a wrong check character": (
        {"credit_code": "91350100M000100Y44"},
        "credit_code",
        "check character",
    ),
    "credit code too short": ({"credit_code": "91350100M0001"}, "credit_code", "18 characters"),
    "credit code with a forbidden letter": (
        {"credit_code": "91350100M000100I43"},
        "credit_code",
        "not allowed",
    ),
    "future first contact date": ({"first_contact_date": None}, "first_contact_date", "future"),
    "first contact date in another format": (
        {"first_contact_date": "2024/05/20"},
        "first_contact_date",
        "YYYY-MM-DD",
    ),
    "negative budget": ({"annual_budget": "-1"}, "annual_budget", "negative"),
    "budget that is not a number": ({"annual_budget": "lots"}, "annual_budget", "number"),
    "unknown industry id": ({"industry": 999_999}, "industry", "does not exist"),
    "industry category instead of a specific industry": (
        {"industry": "manufacturing"},
        "industry",
        "specific industry",
    ),
    "unknown region id": ({"region": 999_999}, "region", "does not exist"),
    "region area instead of a province": ({"region": "east"}, "region", "province-level"),
    "unknown owner id": ({"owner": 999_999}, "owner", "does not exist"),
    "owner outside the actor's scope": ({"owner": "outsider"}, "owner", "data scope"),
    "missing name": ({"name": None}, "name", "required"),
    "missing scale": ({"scale": None}, "scale", "required"),
    "unknown scale": ({"scale": "huge"}, "scale", "valid choice"),
    "unknown source": ({"source": "tv"}, "source", "valid choice"),
    "unknown status": ({"status": "won"}, "status", "valid choice"),
    "unknown enterprise type": ({"enterprise_type": "coop"}, "enterprise_type", "valid choice"),
    "name too long": ({"name": "很" * 130 + "有限公司"}, "name", "at most 128"),
    "bad decision maker email": (
        {"decision_maker": {"name": "刘洋", "mobile": "13912345678", "email": "liu@"}},
        "decision_maker.email",
        "email",
    ),
}


def _resolve(org, overrides: dict) -> dict:
    """Turn the symbolic values of BAD_CREATES into request values."""
    resolved = {}
    for key, value in overrides.items():
        if key == "industry" and isinstance(value, str):
            value = Industry.objects.get(code=value).pk
        elif key == "region" and isinstance(value, str):
            value = Region.objects.get(code=value).pk
        elif key == "owner" and isinstance(value, str):
            value = getattr(org, value).pk
        elif key == "first_contact_date" and value is None:
            value = _tomorrow()
        resolved[key] = value
    return resolved


@pytest.mark.parametrize("case", BAD_CREATES)
def test_create_refuses_each_invalid_field_naming_it_and_saves_nothing(org, case):
    overrides, field, message = BAD_CREATES[case]
    data = payload(**_resolve(org, overrides))
    for key in [k for k, v in data.items() if v is None and k in ("name", "scale")]:
        del data[key]
    before = counts()

    response = api(org.owner, language="en").post("/api/v1/customers/", data, format="json")

    assert response.status_code == 400
    assert field in response.data, response.data
    assert message in " ".join(response.data[field])
    assert counts() == before


def test_create_reports_errors_of_several_fields_at_once(org):
    data = payload(name="腾讯科技", credit_code="91350100M000100Y44", annual_budget="-5")
    data["decision_maker"] = {"name": "刘洋", "mobile": "12012345678"}

    response = api(org.owner, language="en").post("/api/v1/customers/", data, format="json")

    assert response.status_code == 400
    assert {"name", "credit_code", "annual_budget", "decision_maker.mobile"} <= set(response.data)


def test_individual_customer_with_a_persons_name_is_accepted(org):
    response = api(org.owner).post(
        "/api/v1/customers/",
        payload(customer_type="individual", name="张伟", enterprise_type=""),
        format="json",
    )

    assert response.status_code == 201, response.data
    assert response.data["customer_type"] == "individual"


def test_valid_credit_code_is_accepted_and_a_duplicate_refused(org):
    client = api(org.owner, language="en")

    first = client.post(
        "/api/v1/customers/", payload(credit_code="91350100m000100y43"), format="json"
    )
    before = counts()
    second = client.post(
        "/api/v1/customers/",
        payload(name="福州闽江贸易有限公司", credit_code="91350100M000100Y43"),
        format="json",
    )

    assert first.status_code == 201, first.data
    assert first.data["credit_code"] == "91350100M000100Y43"
    assert second.status_code == 400
    assert "already exists" in " ".join(second.data["credit_code"])
    assert counts() == before


def test_messages_are_chinese_by_default_and_english_on_request(org):
    data = payload()
    del data["scale"]

    chinese = api(org.owner).post("/api/v1/customers/", data, format="json")
    english = api(org.owner, language="en").post("/api/v1/customers/", data, format="json")

    assert chinese.data["scale"] == ["该字段是必填项。"]
    assert english.data["scale"] == ["This field is required."]


# --- custom fields --------------------------------------------------------------------------
@pytest.fixture
def custom_fields(db):
    CustomFieldDefinition.objects.create(
        key="nickname", label_zh="简称", label_en="Short name", field_type="text", max_length=6
    )
    CustomFieldDefinition.objects.create(
        key="employees",
        label_zh="员工数",
        label_en="Employees",
        field_type="number",
        min_value=1,
        max_value=999,
    )
    CustomFieldDefinition.objects.create(
        key="signed_on", label_zh="签约日", label_en="Signed on", field_type="date"
    )
    CustomFieldDefinition.objects.create(
        key="level", label_zh="等级", label_en="Level", field_type="choice", choices=["A", "B"]
    )
    CustomFieldDefinition.objects.create(
        key="sponsor", label_zh="发起人", label_en="Sponsor", field_type="text", required=True
    )
    CustomFieldDefinition.objects.create(
        key="retired", label_zh="旧字段", label_en="Retired", field_type="text", is_active=False
    )


BAD_CUSTOM_VALUES = {
    "text too long": ({"nickname": "一二三四五六七"}, "nickname", "At most 6 characters"),
    "number below the minimum": ({"employees": 0}, "employees", "at least 1"),
    "number above the maximum": ({"employees": "1000"}, "employees", "at most 999"),
    "number that is not a number": ({"employees": "many"}, "employees", "Enter a number"),
    "boolean as a number": ({"employees": True}, "employees", "Enter a number"),
    "date in another format": ({"signed_on": "2024/01/31"}, "signed_on", "YYYY-MM-DD"),
    "impossible date": ({"signed_on": "2024-02-30"}, "signed_on", "YYYY-MM-DD"),
    "choice not in the list": ({"level": "C"}, "level", "Choose one of"),
    "required value missing": ({"sponsor": ""}, "sponsor", "Sponsor is required"),
    "unknown key": ({"nope": "x"}, "nope", "no custom field nope"),
    "inactive key": ({"retired": "x"}, "retired", "no custom field retired"),
}


@pytest.mark.parametrize("case", BAD_CUSTOM_VALUES)
def test_create_validates_every_custom_field_type(org, custom_fields, case):
    values, key, message = BAD_CUSTOM_VALUES[case]
    before = counts()

    response = api(org.owner, language="en").post(
        "/api/v1/customers/",
        payload(custom_fields={"sponsor": "王总", **values}),
        format="json",
    )

    assert response.status_code == 400
    assert message in " ".join(response.data[f"custom_fields.{key}"]), response.data
    assert counts() == before


def test_valid_custom_values_are_stored_in_their_json_form(org, custom_fields):
    values = {
        "nickname": "西湖云",
        "employees": "120",
        "signed_on": "2024-01-31",
        "level": "A",
        "sponsor": "王总",
    }

    response = api(org.owner).post(
        "/api/v1/customers/", payload(custom_fields=values), format="json"
    )

    assert response.status_code == 201, response.data
    assert response.data["custom_fields"] == {**values, "employees": 120}


def test_update_checks_custom_fields_and_keeps_the_others(org, custom_fields):
    customer = make_customer(owner=org.owner, custom_fields={"sponsor": "王总", "level": "A"})
    client = api(org.owner, language="en")

    bad = client.patch(
        url(customer.pk), {"custom_fields": {"level": "Z"}, "version": 1}, format="json"
    )
    good = client.patch(
        url(customer.pk), {"custom_fields": {"level": "B"}, "version": 1}, format="json"
    )

    assert bad.status_code == 400
    assert "custom_fields.level" in bad.data
    assert good.status_code == 200, good.data
    assert good.data["custom_fields"] == {"sponsor": "王总", "level": "B"}


def test_custom_field_definitions_are_listed_for_clients(org, custom_fields):
    response = api(org.marketing, language="en").get("/api/v1/custom-fields/")

    assert response.status_code == 200
    assert [d["key"] for d in response.data] == [
        "nickname",
        "employees",
        "signed_on",
        "level",
        "sponsor",
    ]
    level = response.data[3]
    assert level["label"] == "Level"
    assert level["choices"] == ["A", "B"]
    assert response.data[1]["min_value"] == "1.0000"


def test_preset_lists_give_the_ids_the_customer_fields_take(org):
    client = api(org.owner)

    industries = client.get("/api/v1/industries/").data
    regions = client.get("/api/v1/regions/").data

    manufacturing = next(i for i in industries if i["code"] == "manufacturing")
    auto_parts = next(i for i in industries if i["code"] == "auto_parts")
    shanghai = next(r for r in regions if r["code"] == "shanghai")
    assert manufacturing["selectable"] is False
    assert auto_parts["selectable"] is True
    assert auto_parts["parent_id"] == manufacturing["id"]
    assert auto_parts["label"] == "制造业-汽车零部件"
    assert shanghai["label"] == "华东-上海"
    assert shanghai["id"] == Region.objects.get(code="shanghai").pk
    assert next(i for i in industries if i["code"] == "software_it")["selectable"] is True


# --- update, locking ------------------------------------------------------------------------
def test_put_replaces_fields_and_keeps_the_masked_mobile(org, customer):
    plain = customer.decision_maker.mobile
    data = payload(version=customer.version)
    data.pop("status")
    masked = f"{plain[:3]}****{plain[-4:]}"
    data["decision_maker"] = {"name": "王建国", "title": "总经理", "mobile": masked}

    response = api(org.owner).put(url(customer.pk), data, format="json")

    assert response.status_code == 200, response.data
    customer.refresh_from_db()
    assert customer.name == "杭州西湖云计算有限公司"
    assert customer.region.code == "zhejiang"
    assert customer.version == 2
    assert customer.decision_maker.mobile == plain
    assert customer.decision_maker.title == "总经理"


def test_put_without_a_required_field_is_refused(org, customer):
    data = payload(version=customer.version)
    del data["source"]

    response = api(org.owner).put(url(customer.pk), data, format="json")

    assert response.status_code == 400
    assert "source" in response.data


def test_version_is_required_on_update(org, customer):
    client = api(org.owner, language="en")

    patch = client.patch(url(customer.pk), {"remarks": "x"}, format="json")
    put = client.put(url(customer.pk), {**payload(), "status": "interested"}, format="json")

    assert patch.status_code == put.status_code == 400
    assert patch.data["version"] == ["This field is required."]
    assert "version" in put.data


def test_status_is_not_changed_by_an_update(org, customer):
    response = api(org.owner, language="en").patch(
        url(customer.pk), {"status": "customer", "version": customer.version}, format="json"
    )

    assert response.status_code == 400
    assert "reason" in " ".join(response.data["status"])
    customer.refresh_from_db()
    assert customer.status == "interested"
    assert customer.version == 1


def test_stale_version_gets_409_with_the_current_values_and_overwrites_nothing(org, customer):
    first = api(org.owner).patch(
        url(customer.pk), {"remarks": "first edit", "version": 1}, format="json"
    )

    second = api(org.manager, language="en").patch(
        url(customer.pk), {"remarks": "second edit", "city": "南京市", "version": 1}, format="json"
    )

    assert first.status_code == 200
    assert second.status_code == 409
    assert second.data["code"] == "stale"
    assert "Someone else saved this record" in second.data["detail"]
    assert second.data["current_version"] == 2
    assert second.data["current"]["remarks"] == "first edit"
    assert second.data["current"]["version"] == 2
    customer.refresh_from_db()
    assert (customer.remarks, customer.city, customer.version) == ("first edit", "北京市", 2)


def test_invalid_update_saves_nothing_of_the_valid_fields(org, customer):
    response = api(org.owner).patch(
        url(customer.pk),
        {
            "name": "北京星辰云软件技术有限公司",
            "decision_maker": {"mobile": "12012345678"},
            "version": 1,
        },
        format="json",
    )

    assert response.status_code == 400
    assert "decision_maker.mobile" in response.data
    customer.refresh_from_db()
    assert customer.name == A_NAME
    assert customer.version == 1


def test_owner_cannot_hand_a_customer_to_someone_outside_their_scope(org, customer):
    response = api(org.owner, language="en").patch(
        url(customer.pk), {"owner": org.outsider.pk, "version": 1}, format="json"
    )

    assert response.status_code == 400
    assert "data scope" in " ".join(response.data["owner"])
    customer.refresh_from_db()
    assert customer.owner == org.owner


def test_manager_reassigns_within_the_department_and_the_department_follows(org, customer):
    response = api(org.manager).patch(
        url(customer.pk), {"owner": org.outsider.pk, "version": 1}, format="json"
    )

    assert response.status_code == 200, response.data
    assert response.data["owner"]["id"] == org.outsider.pk
    assert response.data["department"]["id"] == org.north.pk


# --- contacts -------------------------------------------------------------------------------
def test_contacts_are_created_listed_changed_and_deleted_through_the_api(org, customer):
    client = api(org.owner)

    created = client.post(
        url(customer.pk, "contacts/"),
        {"name": "赵敏", "title": "采购经理", "mobile": "+86 137-1111-2222", "email": "zm@x.cn"},
        format="json",
    )
    contact_id = created.data["id"]
    listed = client.get(url(customer.pk, "contacts/"))
    changed = client.patch(
        f"/api/v1/contacts/{contact_id}/", {"title": "采购总监", "version": 1}, format="json"
    )
    stale = client.patch(
        f"/api/v1/contacts/{contact_id}/", {"title": "旧值", "version": 1}, format="json"
    )
    deleted = client.delete(f"/api/v1/contacts/{contact_id}/")

    assert created.status_code == 201, created.data
    assert created.data["mobile"] == "137****2222"
    assert created.data["is_decision_maker"] is False
    assert [c["name"] for c in listed.data] == ["王建国", "赵敏"]
    assert changed.status_code == 200
    assert changed.data["title"] == "采购总监"
    assert changed.data["version"] == 2
    assert stale.status_code == 409
    assert stale.data["current"]["title"] == "采购总监"
    assert deleted.status_code == 204
    assert not customer.contacts.filter(pk=contact_id).exists()


def test_contact_with_a_bad_mobile_is_refused_naming_the_field(org, customer):
    before = counts()

    response = api(org.owner, language="en").post(
        url(customer.pk, "contacts/"), {"name": "赵敏", "mobile": "12345"}, format="json"
    )

    assert response.status_code == 400
    assert "11-digit" in " ".join(response.data["mobile"])
    assert counts() == before


def test_decision_maker_moves_and_cannot_be_deleted(org, customer):
    client = api(org.owner, language="en")
    old = customer.decision_maker
    new = client.post(
        url(customer.pk, "contacts/"), {"name": "赵敏", "mobile": "13711112222"}, format="json"
    ).data

    refused = client.delete(f"/api/v1/contacts/{old.pk}/")
    moved = client.post(f"/api/v1/contacts/{new['id']}/make-decision-maker/")
    detail = client.get(url(customer.pk))

    assert refused.status_code == 400
    assert "decision maker" in " ".join(refused.data["non_field_errors"])
    assert moved.status_code == 200
    assert moved.data["is_decision_maker"] is True
    assert detail.data["decision_maker"]["id"] == new["id"]
    assert client.delete(f"/api/v1/contacts/{old.pk}/").status_code == 204


def test_unmask_of_one_contact_reveals_only_that_number(org, customer):
    client = api(org.owner)
    other = client.post(
        url(customer.pk, "contacts/"), {"name": "赵敏", "mobile": "13711112222"}, format="json"
    ).data

    response = client.post(url(customer.pk, "unmask/"), {"contact": other["id"]}, format="json")
    foreign = client.post(url(customer.pk, "unmask/"), {"contact": 999_999}, format="json")

    assert response.status_code == 200
    assert response.data["contacts"] == [
        {
            "id": other["id"],
            "name": "赵敏",
            "title": "",
            "is_decision_maker": False,
            "mobile": "13711112222",
        }
    ]
    assert UnmaskLog.objects.filter(contact_id=other["id"]).count() == 1
    assert foreign.status_code == 404


# --- team and history -----------------------------------------------------------------------
def test_owner_shares_with_a_colleague_who_may_then_edit_until_removed(org, customer):
    owner_client = api(org.owner)
    teammate_client = api(org.teammate)

    assert teammate_client.get(url(customer.pk)).status_code == 404
    added = owner_client.post(
        url(customer.pk, "team/"), {"user": org.teammate.pk, "access": "write"}, format="json"
    )
    team = owner_client.get(url(customer.pk, "team/"))
    edited = teammate_client.patch(url(customer.pk), {"city": "天津市", "version": 1})
    removed = owner_client.delete(url(customer.pk, f"team/{org.teammate.pk}/"))

    assert added.status_code == 200
    assert team.data[0]["user"] == {"id": org.teammate.pk, "name": "李四"}
    assert team.data[0]["access"] == "write"
    assert edited.status_code == 200
    assert removed.status_code == 204
    assert teammate_client.get(url(customer.pk)).status_code == 404


def test_owner_cannot_be_added_to_their_own_team(org, customer):
    response = api(org.owner, language="en").post(
        url(customer.pk, "team/"), {"user": org.owner.pk, "access": "read"}, format="json"
    )

    assert response.status_code == 400
    assert "already responsible" in " ".join(response.data["user"])


def test_history_shows_who_changed_what_from_and_to(org, customer):
    client = api(org.owner, language="en")
    client.patch(url(customer.pk), {"city": "天津市", "version": 1}, format="json")

    response = client.get(url(customer.pk, "history/"))

    assert response.status_code == 200
    latest = response.data[0]
    assert latest["action"] == "changed"
    assert latest["user"] == {"id": org.owner.pk, "name": "张三"}
    assert {"field": "city", "old": "北京市", "new": "天津市"} in latest["changes"]
    assert response.data[-1]["action"] == "created"


def test_browsable_api_renders_for_a_signed_in_user_with_masked_mobiles(org, customer):
    client = api(org.owner, auth="session")
    plain = customer.decision_maker.mobile

    pages = [
        client.get("/api/v1/customers/", HTTP_ACCEPT="text/html"),
        client.get(url(customer.pk), HTTP_ACCEPT="text/html"),
        client.get(url(customer.pk, "contacts/"), HTTP_ACCEPT="text/html"),
    ]

    for page in pages:
        assert page.status_code == 200
        assert page["Content-Type"].startswith("text/html")
        assert customer.code in page.content.decode()
        assert plain not in page.content.decode()
