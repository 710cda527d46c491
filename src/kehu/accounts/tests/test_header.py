"""Every page's header names the signed-in user and their department, read from the
reference cache: a renamed department shows at once, and no page queries it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kehu.accounts.models import Department

pytestmark = pytest.mark.django_db


def test_the_header_names_the_users_department(client, org):
    client.force_login(org.owner)
    html = client.get("/customers/").content.decode()
    assert f"{org.owner.display_name} · {org.east.name}" in html


def test_a_renamed_department_shows_at_once(client, org):
    client.force_login(org.owner)
    client.get("/customers/")
    org.east.name = "华东大区"
    org.east.save()
    assert "· 华东大区" in client.get("/customers/").content.decode()


def test_a_warm_page_does_not_query_the_department(client, org):
    client.force_login(org.owner)
    client.get("/customers/")
    with CaptureQueriesContext(connection) as captured:
        client.get("/customers/")
    by_id = f'"{Department._meta.db_table}"."id" = {org.owner.department_id}'
    assert not [q for q in captured.captured_queries if by_id in q["sql"]]


def test_a_user_without_a_department_gets_no_separator(client, org):
    client.force_login(org.administrator)
    org.administrator.department = None
    org.administrator.save()
    html = client.get("/customers/").content.decode()
    assert f"{org.administrator.display_name} · " not in html
