"""CompiledRepresentation (core.api) must answer exactly what DRF's own to_representation
answers, row for row, for every serializer that uses it."""

import pytest
from rest_framework import serializers
from rest_framework.test import APIRequestFactory

from kehu.accounts.api import DepartmentRefSerializer, UserRefSerializer
from kehu.core.api import CompiledRepresentation
from kehu.customers.api.serializers import (
    ContactSerializer,
    CustomerRefSerializer,
    CustomerSerializer,
    DecisionMakerSerializer,
    PresetSerializer,
)
from kehu.customers.models import Customer
from kehu.customers.tests.factories import make_customer

pytestmark = pytest.mark.django_db


def _context(user):
    request = APIRequestFactory().get("/api/v1/customers/")
    request.user = user
    return {"request": request}


def _drf(serializer, instance):
    """DRF's generic path, with the serializer's own additions (masking, custom fields)
    still applied on top, as they are in the compiled path."""
    return serializers.Serializer.to_representation(serializer, instance)


def _both(serializer, instance):
    return CompiledRepresentation.to_representation(serializer, instance), _drf(
        serializer, instance
    )


def test_customer_rows_equal_drfs_own_representation(owner):
    full = make_customer(
        owner=owner,
        annual_budget="1200000.50",
        credit_code="91350100M000100Y43",
        remarks="年度框架采购",
        street="中关村大街1号",
        custom_fields=None,
    )
    bare = make_customer(
        owner=owner, name="个体户张三", customer_type="individual", industry=None, region=None
    )
    serializer = CustomerSerializer(context=_context(owner))
    rows = Customer.objects.filter(pk__in=[full.pk, bare.pk]).select_related(
        "industry__parent", "region__parent", "owner", "department"
    )
    for customer in rows:
        compiled, generic = _both(serializer, customer)
        assert compiled == generic
        assert list(compiled) == list(generic)  # same keys, same order
    assert compiled["decision_maker"]["name"] == "王建国"
    assert compiled["owner"] == {"id": owner.pk, "name": owner.display_name}


def test_nested_and_contact_serializers_equal_drfs_own_representation(owner):
    customer = make_customer(owner=owner)
    contact = customer.contacts.get()
    cases = [
        (PresetSerializer(), customer.industry),
        (PresetSerializer(), customer.region),
        (UserRefSerializer(), owner),
        (DepartmentRefSerializer(), owner.department),
        (CustomerRefSerializer(), customer),
        (DecisionMakerSerializer(context=_context(owner)), contact),
        (ContactSerializer(context=_context(owner)), contact),
    ]
    for serializer, instance in cases:
        compiled, generic = _both(serializer, instance)
        assert compiled == generic, type(serializer).__name__
        assert list(compiled) == list(generic)
    masked = DecisionMakerSerializer(context=_context(owner)).to_representation(contact)
    assert "****" in masked["mobile"]


def test_a_mapping_instead_of_a_model_row_takes_drfs_path():
    """A serializer with a model can still be handed a dict (previews, schema examples)."""
    row = {"id": 3, "name": "张三"}
    assert UserRefSerializer().to_representation({**row, "display_name": "张三"}) == row


def test_only_methods_taking_nothing_but_self_are_called_directly():
    from kehu.core.api import _no_argument_method
    from kehu.customers.models import Industry

    class Row:
        label = property(lambda self: "x")

        def plain(self):
            return 1

        def needs(self, other):
            return other

        @staticmethod
        def static():
            return 2

    assert _no_argument_method(Industry, "__str__")
    assert _no_argument_method(Row, "plain")
    assert not _no_argument_method(Row, "needs")
    assert not _no_argument_method(Row, "label")
    assert not _no_argument_method(Row, "static")
    assert not _no_argument_method(Row, "missing")
    assert not _no_argument_method(Customer, "get_status_display")  # DRF's path: a partial


def test_a_preset_label_from_its_str_equals_drfs(owner):
    from kehu.customers.models import Industry, Region

    serializer = PresetSerializer()
    for preset in [*Industry.objects.select_related("parent")[:5], *Region.objects.all()[:5]]:
        compiled, generic = _both(serializer, preset)
        assert compiled == generic
        assert compiled["label"] == str(preset)
