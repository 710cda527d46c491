"""A change form in the Django admin opened before someone else's save is refused."""

import re

import pytest
from django.urls import reverse

from kehu.accounts.models import Department

pytestmark = pytest.mark.django_db


def _opened_form(client, department):
    page = client.get(reverse("admin:accounts_department_change", args=[department.pk]))
    token = re.search(r'name="_kehu_opened" value="([^"]+)"', page.content.decode()).group(1)
    return {
        "name": department.name,
        "parent": department.parent_id or "",
        "head": department.head_id or "",
        "sort_order": department.sort_order,
        "_kehu_opened": token,
    }


def test_stale_admin_change_is_refused_naming_the_changed_field(english, administrator, org):
    english.force_login(administrator)
    form = _opened_form(english, org.east)
    Department.objects.filter(pk=org.east.pk).update(name="华东大区")  # a colleague's save

    form["name"] = "华东一组"
    response = english.post(reverse("admin:accounts_department_change", args=[org.east.pk]), form)

    assert response.status_code == 200
    assert "Someone else saved this record" in response.content.decode()
    assert Department.objects.get(pk=org.east.pk).name == "华东大区"


def test_fresh_admin_change_is_saved(english, administrator, org):
    english.force_login(administrator)
    form = _opened_form(english, org.east)

    form["name"] = "华东一组"
    response = english.post(reverse("admin:accounts_department_change", args=[org.east.pk]), form)

    assert response.status_code == 302
    assert Department.objects.get(pk=org.east.pk).name == "华东一组"


def test_an_altered_fingerprint_is_refused(english, administrator, org):
    english.force_login(administrator)
    form = _opened_form(english, org.east)
    form["_kehu_opened"] = form["_kehu_opened"][:-2] + "xx"

    response = english.post(reverse("admin:accounts_department_change", args=[org.east.pk]), form)

    assert "This form was altered" in response.content.decode()
