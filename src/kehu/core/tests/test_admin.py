"""The admin opens for administrators (role or superuser) only; the staff flag does not count."""

from kehu.accounts.tests.factories import make_user

PASSWORD = "pw-Kehu-2026"  # accounts.tests.factories


def test_administrator_role_opens_the_admin_without_the_staff_flag(client, administrator):
    assert not administrator.is_staff
    client.force_login(administrator)

    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/accounts/role/").status_code == 200


def test_superuser_without_roles_opens_the_admin(client, db):
    root = make_user("root")
    root.is_superuser = True
    root.save()
    client.force_login(root)

    assert client.get("/admin/").status_code == 200


def test_staff_flag_without_administrator_role_does_not_open_the_admin(client, owner):
    owner.is_staff = True
    owner.save()
    client.force_login(owner)

    for url in ("/admin/", "/admin/accounts/user/", "/admin/customers/customer/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


def test_administrator_signs_in_on_the_admin_login_page(client, administrator):
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "administrator", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_staff_user_without_the_role_is_refused_at_the_admin_login(client, owner):
    owner.is_staff = True
    owner.save()

    response = client.post(
        "/admin/login/?next=/admin/", {"username": "owner", "password": PASSWORD}
    )

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_heartbeats_are_read_only(client, administrator):
    client.force_login(administrator)

    assert client.get("/admin/core/heartbeat/").status_code == 200
    assert client.get("/admin/core/heartbeat/add/").status_code == 403
