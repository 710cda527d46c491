"""Customer REST API (``/api/v1/customers/``, ``/api/v1/contacts/``, ``/api/v1/approvals/``
and the presets)."""

from kehu.customers.api.approvals import ApprovalViewSet
from kehu.customers.api.views import (
    ContactViewSet,
    CustomerViewSet,
    CustomFieldViewSet,
    IndustryViewSet,
    RegionViewSet,
)


def register(router) -> None:
    router.register("customers", CustomerViewSet, basename="customer")
    router.register("contacts", ContactViewSet, basename="contact")
    router.register("custom-fields", CustomFieldViewSet, basename="custom-field")
    router.register("industries", IndustryViewSet, basename="industry")
    router.register("regions", RegionViewSet, basename="region")
    router.register("approvals", ApprovalViewSet, basename="approval")
