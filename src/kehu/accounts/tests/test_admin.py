"""Admin for the organisation: the department tree, users and roles."""

from django.conf import settings

from kehu.accounts.models import Department, Role, RoleCode, User
from kehu.accounts.tests.factories import make_user


def test_department_list_shows_parents_before_their_children(client, org):
    client.force_login(org.administrator)

    html = client.get("/admin/accounts/department/").content.decode()

    positions = [html.index(f">{name}<") for name in ("总公司", "销售部", "华东销售组", "客服部")]
    assert positions == sorted(positions)


def test_department_cannot_move_under_its_own_sub_department(client, org):
    client.force_login(org.administrator)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the message is read in English

    response = client.post(
        f"/admin/accounts/department/{org.sales.pk}/change/",
        {"name": "销售部", "parent": org.east.pk, "head": org.manager.pk, "sort_order": 0},
    )

    assert response.status_code == 200
    assert "sub-departments" in response.content.decode()
    org.sales.refresh_from_db()
    assert org.sales.parent_id == org.hq.pk


def test_administrator_sets_a_department_head(client, org):
    client.force_login(org.administrator)

    response = client.post(
        f"/admin/accounts/department/{org.east.pk}/change/",
        {"name": "华东销售组", "parent": org.sales.pk, "head": org.owner.pk, "sort_order": 0},
    )

    assert response.status_code == 302
    org.east.refresh_from_db()
    assert org.east.head == org.owner


def user_form(user: User, **changes) -> dict:
    data = {
        "username": user.username,
        "full_name": user.full_name,
        "email": user.email,
        "department": user.department_id or "",
        "superior": user.superior_id or "",
        "roles": list(user.roles.values_list("pk", flat=True)),
        "is_active": "on",
    }
    data.update(changes)
    return data


def test_superior_cannot_be_someone_who_reports_to_the_user(client, org):
    client.force_login(org.administrator)

    response = client.post(
        f"/admin/accounts/user/{org.manager.pk}/change/",
        user_form(org.manager, superior=org.owner.pk),
    )

    assert response.status_code == 200
    org.manager.refresh_from_db()
    assert org.manager.superior is None


def test_administrator_changes_roles_and_department(client, org):
    client.force_login(org.administrator)
    steward = Role.objects.get(code=RoleCode.DATA_STEWARD)

    response = client.post(
        f"/admin/accounts/user/{org.outsider.pk}/change/",
        user_form(org.outsider, department=org.east.pk, roles=[steward.pk]),
    )

    assert response.status_code == 302
    org.outsider.refresh_from_db()
    assert org.outsider.department == org.east
    assert list(org.outsider.roles.values_list("code", flat=True)) == [RoleCode.DATA_STEWARD]


def test_administrator_cannot_make_a_superuser(client, org):
    client.force_login(org.administrator)

    client.post(
        f"/admin/accounts/user/{org.owner.pk}/change/",
        user_form(org.owner, is_superuser="on"),
    )

    org.owner.refresh_from_db()
    assert not org.owner.is_superuser


def test_administrator_cannot_change_a_superuser(client, org):
    root = make_user("root")
    root.is_superuser = True
    root.save()
    client.force_login(org.administrator)

    response = client.post(f"/admin/accounts/user/{root.pk}/change/", user_form(root))

    assert response.status_code == 403
    assert client.get(f"/admin/accounts/user/{root.pk}/password/").status_code == 403


def test_user_list_does_not_query_per_row(client, org, django_assert_max_num_queries):
    client.force_login(org.administrator)
    for n in range(20):
        make_user(f"extra{n}", department=org.east, roles=["sales"], superior=org.manager)

    with django_assert_max_num_queries(15):
        response = client.get("/admin/accounts/user/")

    assert response.status_code == 200


def test_preset_roles_cannot_be_deleted_but_new_roles_can(client, org):
    client.force_login(org.administrator)
    sales = Role.objects.get(code=RoleCode.SALES)
    custom = Role.objects.create(code="auditor", name="审计")

    assert client.get(f"/admin/accounts/role/{sales.pk}/delete/").status_code == 403
    assert (
        client.post(f"/admin/accounts/role/{custom.pk}/delete/", {"post": "yes"}).status_code == 302
    )
    assert not Role.objects.filter(code="auditor").exists()


def test_department_with_members_is_listed_with_its_count(client, org):
    client.force_login(org.administrator)

    response = client.get("/admin/accounts/department/")

    east = response.context["cl"].result_list.get(pk=org.east.pk)
    assert east.member_count == Department.objects.get(pk=org.east.pk).members.count() == 2
