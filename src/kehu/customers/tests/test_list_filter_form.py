"""The customer list's filter form at scale (issue 7): the owner choice offers the owners in the
viewer's own scope, not the whole company, and the selects are written without one template
render per option but with the same markup."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kehu.accounts.tests.factories import make_user
from kehu.core.access import customer_scope_q
from kehu.customers.models import Industry
from kehu.customers.tests.factories import make_customer


def owner_options(html: str) -> dict[str, str]:
    """{value: label} of the owner <select>'s options."""
    select = re.search(r'<select name="owner"[^>]*>(.*?)</select>', html, re.S)
    assert select, "no owner select"
    return dict(re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select.group(1)))


def test_a_rep_is_offered_only_themselves_as_owner(client, owner, teammate, outsider):
    client.force_login(owner)

    options = owner_options(client.get("/customers/").content.decode())

    assert options == {"": "---------", str(owner.pk): "张三"}


def test_a_department_head_is_offered_the_owners_of_their_department_tree(
    client, manager, owner, teammate, outsider, org
):
    client.force_login(manager)

    options = owner_options(client.get("/customers/").content.decode())

    for user in (manager, owner, teammate, outsider):  # 华北 sits under 销售部 too
        assert str(user.pk) in options
    assert str(org.service.pk) not in options
    assert str(org.administrator.pk) not in options


def test_an_administrator_is_offered_every_active_owner(client, administrator, outsider, org):
    client.force_login(administrator)

    options = owner_options(client.get("/customers/").content.decode())

    assert str(outsider.pk) in options
    assert str(org.service.pk) in options


def test_an_owner_chosen_outside_the_offer_stays_selected_without_widening_the_scope(
    client, owner, outsider
):
    make_customer(owner=outsider, name="北方重工机械有限公司")
    client.force_login(owner)

    html = client.get("/customers/", {"owner": outsider.pk}).content.decode()

    assert f'<option value="{outsider.pk}" selected>赵六</option>' in html
    assert "北方重工机械有限公司" not in html


def test_selects_keep_groups_the_chosen_value_and_escape_labels(client, administrator):
    make_user("sneaky", full_name="<b>坏人</b>")
    industry = Industry.objects.filter(parent__isnull=True, children__isnull=False).first()
    client.force_login(administrator)

    html = client.get("/customers/", {"industry": industry.pk}).content.decode()

    select = re.search(r'<select name="industry"[^>]*>', html).group(0)
    assert 'class="form-select form-select-sm"' in select
    assert 'id="id_industry"' in select
    assert "<optgroup label=" in html
    assert f'<option value="{industry.pk}" selected>' in html
    assert "&lt;b&gt;坏人&lt;/b&gt;" in html
    assert "<b>坏人</b>" not in html


# --- department tree read once -------------------------------------------------------------
def test_a_heads_scope_reads_the_department_tree_once_per_user_object(manager):
    customer_scope_q(manager)

    with CaptureQueriesContext(connection) as captured:
        customer_scope_q(manager)
        customer_scope_q(manager, write=True)

    assert not any("accounts_department" in q["sql"] for q in captured.captured_queries)


@pytest.mark.django_db
def test_a_moved_user_gets_the_new_department_tree(manager, org):
    from kehu.accounts.selectors import user_department_subtree_ids

    sales_tree = user_department_subtree_ids(manager)
    manager.department = org.service.department

    assert user_department_subtree_ids(manager) == {org.service.department_id}
    assert sales_tree != {org.service.department_id}


# --- search arms carry the scope ----------------------------------------------------------
@pytest.mark.parametrize("term", ["hengrui", "hrjm", "恒瑞精密"])
def test_search_finds_own_and_shared_customers_but_not_hidden_ones(client, owner, outsider, term):
    from kehu.customers.models import ShareAccess
    from kehu.customers.services import customer_share_set

    make_customer(owner=owner, name="苏州恒瑞精密机械有限公司")
    shared = make_customer(owner=outsider, name="无锡恒瑞精密电子有限公司")
    customer_share_set(customer=shared, user=owner, access=ShareAccess.READ, by=outsider)
    make_customer(owner=outsider, name="常州恒瑞精密模具有限公司")
    client.force_login(owner)

    html = client.get("/customers/", {"q": term}).content.decode()

    assert "苏州恒瑞精密机械有限公司" in html
    assert "无锡恒瑞精密电子有限公司" in html
    assert "常州恒瑞精密模具有限公司" not in html
