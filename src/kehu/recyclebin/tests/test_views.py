import pytest
from django.urls import reverse

from kehu.customers.models import Customer
from kehu.customers.services import customer_delete
from kehu.recyclebin.models import DeletedRecord
from kehu.sales.services.leads import lead_delete
from kehu.sales.tests.factories import make_lead

pytestmark = pytest.mark.django_db

LIST = "/recycle-bin/"


@pytest.fixture
def binned(owner, customer):
    customer_delete(customer=customer, by=owner)
    return DeletedRecord.objects.get()


def test_the_bin_lists_what_the_viewer_could_see_before_the_delete(
    client, owner, manager, administrator, binned
):
    for user in (owner, manager, administrator):
        client.force_login(user)
        response = client.get(LIST)
        assert response.status_code == 200
        assert binned.label in response.content.decode()


def test_outsider_sees_nothing_in_the_bin_and_gets_404_on_its_items(client, outsider, binned):
    client.force_login(outsider)

    response = client.get(LIST)

    assert binned.label not in response.content.decode()
    assert client.post(reverse("recyclebin:restore", args=[binned.pk])).status_code == 404
    assert client.post(reverse("recyclebin:purge", args=[binned.pk])).status_code == 404
    assert DeletedRecord.objects.filter(pk=binned.pk).exists()


def test_the_type_filter_narrows_the_list(client, owner, binned):
    lead = make_lead(owner=owner, name="孙悦")
    lead_delete(lead=lead, by=owner)
    client.force_login(owner)

    page = client.get(LIST, {"model": "sales.lead"}).content.decode()

    assert "孙悦" in page
    assert binned.label not in page


def test_owner_restores_from_the_page(client, owner, binned):
    client.force_login(owner)

    response = client.post(reverse("recyclebin:restore", args=[binned.pk]))

    assert response.status_code == 302
    assert Customer.objects.filter(pk=binned.customer_id).exists()
    assert not DeletedRecord.objects.exists()


def test_a_read_only_team_member_sees_a_deleted_contact_but_cannot_restore_or_purge(
    client, owner, teammate, customer
):
    from kehu.customers.models import CustomerShare, ShareAccess
    from kehu.customers.services import contact_create, contact_delete

    CustomerShare.objects.create(customer=customer, user=teammate, access=ShareAccess.READ)
    contact = contact_create(customer=customer, by=owner, data={"name": "李娜", "title": "经理"})
    contact_delete(contact=contact, by=owner)
    item = DeletedRecord.objects.get()
    client.force_login(teammate)

    page = client.get(LIST).content.decode()

    assert "李娜" in page
    assert reverse("recyclebin:restore", args=[item.pk]) not in page
    assert client.post(reverse("recyclebin:restore", args=[item.pk])).status_code == 403
    assert client.post(reverse("recyclebin:purge", args=[item.pk])).status_code == 403
    assert DeletedRecord.objects.filter(pk=item.pk).exists()


def test_administrator_purges_for_good(client, administrator, binned):
    client.force_login(administrator)

    response = client.post(reverse("recyclebin:purge", args=[binned.pk]))

    assert response.status_code == 302
    assert not DeletedRecord.objects.exists()


def test_a_restore_refusal_is_shown_as_a_message(english, owner, customer):
    from kehu.customers.services import contact_create, contact_delete

    contact = contact_create(customer=customer, by=owner, data={"name": "李娜", "title": "经理"})
    contact_delete(contact=contact, by=owner)
    customer_delete(customer=customer, by=owner)
    item = DeletedRecord.objects.get(model="customers.contact")
    english.force_login(owner)

    response = english.post(reverse("recyclebin:restore", args=[item.pk]), follow=True)

    assert "restore the customer first" in response.content.decode()
    assert DeletedRecord.objects.filter(pk=item.pk).exists()


def test_owner_deletes_a_customer_from_its_page(client, owner, customer):
    client.force_login(owner)
    assert (
        reverse("customers:delete", args=[customer.pk])
        in client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    )

    response = client.post(reverse("customers:delete", args=[customer.pk]))

    assert response.status_code == 302
    assert DeletedRecord.objects.filter(model="customers.customer").exists()


def test_teammate_cannot_delete_and_outsider_cannot_find_the_customer(
    client, teammate, outsider, customer
):
    from kehu.customers.models import CustomerShare, ShareAccess

    CustomerShare.objects.create(customer=customer, user=teammate, access=ShareAccess.WRITE)
    client.force_login(teammate)
    assert (
        reverse("customers:delete", args=[customer.pk])
        not in client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    )
    assert client.post(reverse("customers:delete", args=[customer.pk])).status_code == 403
    client.force_login(outsider)
    assert client.post(reverse("customers:delete", args=[customer.pk])).status_code == 404
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_the_list_query_count_does_not_grow_with_the_items(
    client, owner, django_assert_max_num_queries
):
    from kehu.customers.tests.factories import make_customer

    client.force_login(owner)
    for n in range(3):
        customer_delete(customer=make_customer(owner=owner, name=f"删除测试{n}有限公司"), by=owner)
    with django_assert_max_num_queries(40) as few:
        client.get(LIST)
    for n in range(3, 10):
        customer_delete(customer=make_customer(owner=owner, name=f"删除测试{n}有限公司"), by=owner)

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(LIST)

    assert response.content.decode().count("/restore/") == 10
