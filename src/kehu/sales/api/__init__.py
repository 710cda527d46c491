"""Sales REST API: ``/api/v1/leads/``, ``/api/v1/opportunities/``, ``/api/v1/pipeline-stages/``,
``/api/v1/contracts/``, ``/api/v1/payments/``, ``/api/v1/orders/``.
The public web-to-lead form is a page (sales.views.public), not part of the API."""

from kehu.sales.api.contract_views import ContractViewSet, OrderViewSet, PaymentViewSet
from kehu.sales.api.views import LeadViewSet, OpportunityViewSet, PipelineStageViewSet


def register(router) -> None:
    router.register("leads", LeadViewSet, basename="lead")
    router.register("opportunities", OpportunityViewSet, basename="opportunity")
    router.register("pipeline-stages", PipelineStageViewSet, basename="pipeline-stage")
    router.register("contracts", ContractViewSet, basename="contract")
    router.register("payments", PaymentViewSet, basename="payment")
    router.register("orders", OrderViewSet, basename="order")
