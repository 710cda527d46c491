"""Contract, payment and order API: rows from core.access and sales.selectors, writes through
sales.services. A hidden record answers 404 like a missing one; a visible read-only one 403;
a stale edit 409 with the current record."""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from kehu.core.access import access_contract, access_order, access_payment, visible_payments
from kehu.core.api import conflict_response, parse_input
from kehu.core.api_schema import BAD_REQUEST, CONFLICT, ID, READ_ERRORS, WRITE_ERRORS
from kehu.customers.services import StaleEditError
from kehu.sales import selectors
from kehu.sales.api import contract_serializers as s
from kehu.sales.models import ContractStatus, OrderStatus
from kehu.sales.services import contracts as contract_services
from kehu.sales.services import orders as order_services


def _stale(exc: StaleEditError, current: dict) -> Response:
    return conflict_response(
        message=exc.message_dict["version"][0],
        current_version=current["version"],
        current=current,
        changes=exc.changes,
    )


def _version_missing() -> Response:
    return Response({"version": [_("This field is required.")]}, status=400)


class ContractFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=ContractStatus.choices)
    owner = filters.NumberFilter(field_name="owner_id")
    customer = filters.NumberFilter(field_name="customer_id")
    ends_from = filters.DateFilter(field_name="ends_on", lookup_expr="gte")
    ends_to = filters.DateFilter(field_name="ends_on", lookup_expr="lte")
    overdue = filters.BooleanFilter(
        method="filter_overdue", label="with an overdue payment (true) or none (false)"
    )

    def filter_overdue(self, queryset, name, value):
        return selectors.with_overdue_payments(queryset, overdue=value)


class PaymentFilter(filters.FilterSet):
    contract = filters.NumberFilter(field_name="contract_id")
    overdue = filters.BooleanFilter(method="filter_overdue")

    def filter_overdue(self, queryset, name, value):
        late = queryset.overdue(timezone.localdate()).values("pk")
        return queryset.filter(pk__in=late) if value else queryset.exclude(pk__in=late)


class OrderFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=OrderStatus.choices)
    owner = filters.NumberFilter(field_name="owner_id")
    customer = filters.NumberFilter(field_name="customer_id")
    contract = filters.NumberFilter(field_name="contract_id")
    ordered_from = filters.DateFilter(field_name="ordered_on", lookup_expr="gte")
    ordered_to = filters.DateFilter(field_name="ordered_on", lookup_expr="lte")


def _with_details(queryset):
    return queryset.select_related("renewal_of").prefetch_related(
        Prefetch("payments", queryset=selectors.payment_order()), "attachments"
    )


@extend_schema(tags=["contracts"])
@extend_schema_view(
    list=extend_schema(
        summary="Contracts you may see", responses={200: s.ContractSerializer(many=True)}
    ),
    retrieve=extend_schema(
        summary="One contract, with its payment plan and attachments",
        parameters=[ID],
        responses={200: s.ContractSerializer, **READ_ERRORS},
    ),
)
class ContractViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.ContractSerializer
    filter_backends = [filters.DjangoFilterBackend]
    filterset_class = ContractFilter

    def get_queryset(self):
        return _with_details(selectors.contract_list(user=self.request.user)).order_by(
            "ends_on", "id"
        )

    def get_object(self):
        contract = access_contract(self.request.user, self.kwargs["pk"])
        return self._detailed(contract.pk)

    def _detailed(self, pk: int):
        return _with_details(selectors.contract_list(user=self.request.user)).get(pk=pk)

    def _out(self, contract) -> dict:
        return s.ContractSerializer(
            self._detailed(contract.pk), context=self.get_serializer_context()
        ).data

    @extend_schema(
        summary="Enter a contract of a customer you may edit",
        request=s.ContractCreateSerializer,
        responses={201: s.ContractSerializer, **WRITE_ERRORS},
    )
    def create(self, request):
        data = parse_input(s.ContractCreateSerializer, request)
        contract = contract_services.contract_create(
            by=request.user,
            customer=data.pop("customer"),
            owner=data.pop("owner", None),
            opportunity=data.pop("opportunity", None),
            data=data,
        )
        return Response(self._out(contract), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Replace a contract's fields",
        description="End before start, or an amount below the payments planned or received, "
        "answer 400 naming the field; a renewed or terminated contract is not edited.",
        parameters=[ID],
        request=s.ContractUpdateSerializer,
        responses={200: s.ContractSerializer, 409: CONFLICT, **WRITE_ERRORS},
    )
    def update(self, request, pk=None, partial: bool = False):
        contract = access_contract(request.user, pk, write=True)
        data = parse_input(s.ContractUpdateSerializer, request, partial=partial)
        if data.get("version") is None:
            return _version_missing()
        version = data.pop("version")
        owner = data.pop("owner", None)
        opportunity = data.get("opportunity")
        try:
            contract = contract_services.contract_update(
                contract=contract,
                by=request.user,
                data=data,
                expected_version=version,
                owner=owner,
                opportunity=opportunity,
            )
        except StaleEditError as exc:
            return _stale(exc, self._out(contract))
        return Response(self._out(contract))

    @extend_schema(
        summary="Change some of a contract's fields",
        parameters=[ID],
        request=s.ContractUpdateSerializer,
        responses={200: s.ContractSerializer, 409: CONFLICT, **WRITE_ERRORS},
    )
    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)

    @extend_schema(
        summary="Delete a contract (to the recycle bin, with its payments and attachments)",
        description="Only whoever may edit the customer. A contract that was renewed is "
        "refused (400) while its renewal exists.",
        parameters=[ID],
        responses={204: None, **WRITE_ERRORS},
    )
    def destroy(self, request, pk=None):
        contract = access_contract(request.user, pk, write=True)
        contract_services.contract_delete(contract=contract, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Renew a contract (续签)",
        description="Creates a new contract linked to this one (`renewal_of`) and marks this "
        "one renewed. Answers the new contract.",
        parameters=[ID],
        request=s.RenewSerializer,
        responses={201: s.ContractSerializer, 409: CONFLICT, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def renew(self, request, pk=None):
        contract = access_contract(request.user, pk, write=True)
        data = parse_input(s.RenewSerializer, request)
        version = data.pop("version")
        try:
            renewal = contract_services.contract_renew(
                contract=contract, by=request.user, data=data, expected_version=version
            )
        except StaleEditError as exc:
            return _stale(exc, self._out(contract))
        return Response(self._out(renewal), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Terminate a contract early",
        parameters=[ID],
        request=s.TerminateSerializer,
        responses={200: s.ContractSerializer, 409: CONFLICT, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def terminate(self, request, pk=None):
        contract = access_contract(request.user, pk, write=True)
        data = parse_input(s.TerminateSerializer, request)
        try:
            contract = contract_services.contract_terminate(
                contract=contract,
                by=request.user,
                reason=data["reason"],
                expected_version=data["version"],
            )
        except StaleEditError as exc:
            return _stale(exc, self._out(contract))
        return Response(self._out(contract))


@extend_schema(tags=["contracts"])
@extend_schema_view(
    list=extend_schema(
        summary="Payments (回款) of contracts you may see",
        responses={200: s.PaymentSerializer(many=True)},
    ),
    retrieve=extend_schema(
        summary="One payment", parameters=[ID], responses={200: s.PaymentSerializer, **READ_ERRORS}
    ),
)
class PaymentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.PaymentSerializer
    filter_backends = [filters.DjangoFilterBackend]
    filterset_class = PaymentFilter

    def get_queryset(self):
        return (
            visible_payments(self.request.user)
            .select_related("contract")
            .order_by("planned_on", "id")
        )

    def get_object(self):
        return access_payment(self.request.user, self.kwargs["pk"])

    def _out(self, payment) -> dict:
        return s.PaymentSerializer(payment, context=self.get_serializer_context()).data

    @extend_schema(
        summary="Add an instalment to a contract's payment plan",
        description="The planned (and the received) amounts of a contract add up to at most "
        "its amount; more answers 400 naming the field and nothing is written.",
        request=s.PaymentCreateSerializer,
        responses={201: s.PaymentSerializer, **WRITE_ERRORS},
    )
    def create(self, request):
        data = parse_input(s.PaymentCreateSerializer, request)
        contract = access_contract(request.user, data.pop("contract").pk, write=True)
        payment = contract_services.payment_plan_add(contract=contract, by=request.user, **data)
        return Response(self._out(payment), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change an instalment or record the money received",
        parameters=[ID],
        request=s.PaymentUpdateSerializer,
        responses={200: s.PaymentSerializer, 409: CONFLICT, **WRITE_ERRORS},
    )
    def update(self, request, pk=None, partial: bool = False):
        payment = access_payment(request.user, pk, write=True)
        data = parse_input(s.PaymentUpdateSerializer, request, partial=partial)
        if data.get("version") is None:
            return _version_missing()
        version = data.pop("version")
        try:
            payment = contract_services.payment_update(
                payment=payment, by=request.user, data=data, expected_version=version
            )
        except StaleEditError as exc:
            return _stale(exc, self._out(access_payment(request.user, payment.pk)))
        return Response(self._out(payment))

    @extend_schema(
        summary="Change some of an instalment's fields",
        parameters=[ID],
        request=s.PaymentUpdateSerializer,
        responses={200: s.PaymentSerializer, 409: CONFLICT, **WRITE_ERRORS},
    )
    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)

    @extend_schema(
        summary="Remove an instalment with nothing received (to the recycle bin)",
        parameters=[ID],
        responses={204: None, **WRITE_ERRORS},
    )
    def destroy(self, request, pk=None):
        payment = access_payment(request.user, pk, write=True)
        contract_services.payment_delete(payment=payment, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["orders"])
@extend_schema_view(
    list=extend_schema(
        summary="Orders (transaction history) you may see",
        responses={200: s.OrderSerializer(many=True)},
    ),
    retrieve=extend_schema(
        summary="One order with its lines",
        parameters=[ID],
        responses={200: s.OrderSerializer, **READ_ERRORS},
    ),
)
class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.OrderSerializer
    filter_backends = [filters.DjangoFilterBackend]
    filterset_class = OrderFilter

    def get_queryset(self):
        return (
            selectors.order_list(user=self.request.user)
            .select_related("contract")
            .prefetch_related("lines")
            .order_by("-ordered_on", "-id")
        )

    def get_object(self):
        return access_order(self.request.user, self.kwargs["pk"])

    def _out(self, order) -> dict:
        return s.OrderSerializer(order, context=self.get_serializer_context()).data

    @extend_schema(
        summary="Record an order of a customer you may edit",
        request=s.OrderCreateSerializer,
        responses={201: s.OrderSerializer, 400: BAD_REQUEST, **WRITE_ERRORS},
    )
    def create(self, request):
        data = parse_input(s.OrderCreateSerializer, request)
        order = order_services.order_create(
            by=request.user,
            customer=data.pop("customer"),
            owner=data.pop("owner", None),
            contract=data.pop("contract", None),
            lines=[dict(line) for line in data.pop("lines")],
            data=data,
        )
        return Response(self._out(order), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Replace an order's fields and lines",
        parameters=[ID],
        request=s.OrderUpdateSerializer,
        responses={200: s.OrderSerializer, 409: CONFLICT, **WRITE_ERRORS},
    )
    def update(self, request, pk=None, partial: bool = False):
        order = access_order(request.user, pk, write=True)
        data = parse_input(s.OrderUpdateSerializer, request, partial=partial)
        if data.get("version") is None:
            return _version_missing()
        version = data.pop("version")
        lines = data.pop("lines", None)
        owner = data.pop("owner", None)
        try:
            order = order_services.order_update(
                order=order,
                by=request.user,
                data=data,
                expected_version=version,
                lines=[dict(line) for line in lines] if lines is not None else None,
                owner=owner,
                contract=data.get("contract"),
            )
        except StaleEditError as exc:
            return _stale(exc, self._out(access_order(request.user, order.pk)))
        return Response(self._out(order))

    @extend_schema(
        summary="Change some of an order's fields (lines, when given, replace all)",
        parameters=[ID],
        request=s.OrderUpdateSerializer,
        responses={200: s.OrderSerializer, 409: CONFLICT, **WRITE_ERRORS},
    )
    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)

    @extend_schema(
        summary="Delete an order (to the recycle bin, with its lines)",
        description="Only whoever may edit the customer.",
        parameters=[ID],
        responses={204: None, **WRITE_ERRORS},
    )
    def destroy(self, request, pk=None):
        order = access_order(request.user, pk, write=True)
        order_services.order_delete(order=order, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
