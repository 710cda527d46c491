"""Sales API views: rows from core.access and sales.selectors, writes through sales.services.
A hidden record answers 404 like a missing one; a visible read-only one 403."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from kehu.core.access import access_lead, access_opportunity
from kehu.core.api import client_ip, conflict_response, parse_input
from kehu.core.api_schema import BAD_REQUEST, CONFLICT, ID, READ_ERRORS, WRITE_ERRORS
from kehu.customers.api.serializers import DuplicateConflictSerializer, ProbableDuplicateSerializer
from kehu.customers.services import StaleEditError
from kehu.sales import selectors
from kehu.sales.api import serializers as s
from kehu.sales.models import LeadStatus
from kehu.sales.services import leads as lead_services
from kehu.sales.services import opportunities as opportunity_services


class LeadFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=LeadStatus.choices)
    owner = filters.NumberFilter(field_name="owner_id")


class OpportunityFilter(filters.FilterSet):
    stage = filters.NumberFilter(field_name="stage_id")
    owner = filters.NumberFilter(field_name="owner_id")
    customer = filters.NumberFilter(field_name="customer_id")
    close_from = filters.DateFilter(field_name="expected_close_date", lookup_expr="gte")
    close_to = filters.DateFilter(field_name="expected_close_date", lookup_expr="lte")


def _stale(exc: StaleEditError, current: dict) -> Response:
    return conflict_response(
        message=exc.message_dict["version"][0],
        current_version=current["version"],
        current=current,
        changes=exc.changes,
    )


@extend_schema(tags=["sales"])
@extend_schema_view(
    list=extend_schema(summary="Leads you may see", responses={200: s.LeadSerializer(many=True)}),
    retrieve=extend_schema(
        summary="One lead", parameters=[ID], responses={200: s.LeadSerializer, **READ_ERRORS}
    ),
)
class LeadViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.LeadSerializer
    filter_backends = [filters.DjangoFilterBackend]
    filterset_class = LeadFilter

    def get_queryset(self):
        return selectors.lead_list(user=self.request.user).order_by("-created_at", "-id")

    def get_object(self):
        return access_lead(self.request.user, self.kwargs["pk"])

    def _out(self, lead) -> dict:
        return s.LeadSerializer(lead, context=self.get_serializer_context()).data

    @extend_schema(
        summary="Capture a lead",
        request=s.LeadInputSerializer,
        responses={201: s.LeadSerializer, 400: BAD_REQUEST},
    )
    def create(self, request):
        data = parse_input(s.LeadInputSerializer, request)
        owner = data.pop("owner", None)
        lead = lead_services.lead_create(by=request.user, data=data, owner=owner)
        return Response(self._out(lead), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Replace a lead's fields",
        parameters=[ID],
        request=s.LeadUpdateSerializer,
        responses={200: s.LeadSerializer, 409: CONFLICT, **WRITE_ERRORS},
    )
    def update(self, request, pk=None, partial: bool = False):
        lead = access_lead(request.user, pk, write=True)
        data = parse_input(s.LeadUpdateSerializer, request, partial=partial)
        if data.get("version") is None:
            return Response({"version": [_("This field is required.")]}, status=400)
        version = data.pop("version")
        owner = data.pop("owner", None)
        try:
            lead = lead_services.lead_update(
                lead=lead, by=request.user, data=data, expected_version=version, owner=owner
            )
        except StaleEditError as exc:
            return _stale(exc, self._out(access_lead(request.user, lead.pk)))
        return Response(self._out(lead))

    @extend_schema(
        summary="Change some of a lead's fields",
        parameters=[ID],
        request=s.LeadUpdateSerializer,
        responses={200: s.LeadSerializer, 409: CONFLICT, **WRITE_ERRORS},
    )
    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)

    @extend_schema(
        summary="Delete a lead (not once converted)",
        parameters=[ID],
        responses={204: None, **WRITE_ERRORS},
    )
    def destroy(self, request, pk=None):
        lead = access_lead(request.user, pk, write=True)
        lead_services.lead_delete(lead=lead, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Change a lead's follow-up status",
        parameters=[ID],
        request=s.LeadStatusSerializer,
        responses={200: s.LeadSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def status(self, request, pk=None):
        lead = access_lead(request.user, pk, write=True)
        data = parse_input(s.LeadStatusSerializer, request)
        lead = lead_services.lead_change_status(
            lead=lead, by=request.user, to=data["status"], reason=data.get("reason", "")
        )
        return Response(self._out(lead))

    @extend_schema(
        summary="Reveal a lead's mobile number (logged)",
        description=(
            "Allowed by field security and the role's unmask scope; every reveal is written "
            "to the unmask log."
        ),
        parameters=[ID],
        request=None,
        responses={200: s.LeadUnmaskSerializer, **READ_ERRORS},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def unmask(self, request, pk=None):
        lead = access_lead(request.user, pk)
        mobile = lead_services.lead_unmask(
            lead=lead, by=request.user, ip_address=client_ip(request)
        )
        return Response(s.LeadUnmaskSerializer({"id": lead.pk, "mobile": mobile}).data)

    @extend_schema(
        summary="Convert a lead into a customer (or link one), optionally with an opportunity",
        description=(
            "Without `customer`, a new customer is created with the lead's person as key "
            "decision maker; probable duplicates (撞单) answer 409 with the list — send their "
            "codes in `confirmed_duplicates` to go ahead. With `customer`, the lead is linked "
            "to that customer and its person added as a contact."
        ),
        parameters=[ID],
        request=s.LeadConvertSerializer,
        responses={
            201: s.ConversionSerializer,
            409: OpenApiResponse(DuplicateConflictSerializer, description="Probable duplicates"),
            **WRITE_ERRORS,
        },
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def convert(self, request, pk=None):
        lead = access_lead(request.user, pk, write=True)
        data = parse_input(s.LeadConvertSerializer, request)
        customer = data.pop("customer", None)
        customer_data = {
            "name": data.get("customer_name"),
            "customer_type": data.get("customer_type"),
            "scale": data.get("scale"),
            "credit_code": data.get("credit_code") or None,
        }
        try:
            result = lead_services.lead_convert(
                lead=lead,
                by=request.user,
                customer=customer,
                customer_data=None if customer else customer_data,
                confirmed_duplicates=set(data.get("confirmed_duplicates", [])),
                opportunity=data.get("opportunity"),
            )
        except lead_services.DuplicatesNeedConfirmation as exc:
            return Response(
                {
                    "detail": str(exc),
                    "code": "probable_duplicate",
                    "duplicates": ProbableDuplicateSerializer(exc.duplicates, many=True).data,
                },
                status=status.HTTP_409_CONFLICT,
            )
        context = self.get_serializer_context()
        return Response(
            s.ConversionSerializer(
                {
                    "lead": result.lead,
                    "customer": result.customer,
                    "opportunity": result.opportunity,
                },
                context=context,
            ).data,
            status=status.HTTP_201_CREATED,
        )


@extend_schema(tags=["sales"])
@extend_schema_view(
    list=extend_schema(
        summary="Opportunities you may see", responses={200: s.OpportunitySerializer(many=True)}
    ),
    retrieve=extend_schema(
        summary="One opportunity",
        parameters=[ID],
        responses={200: s.OpportunitySerializer, **READ_ERRORS},
    ),
)
class OpportunityViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.OpportunitySerializer
    filter_backends = [filters.DjangoFilterBackend]
    filterset_class = OpportunityFilter

    def get_queryset(self):
        return selectors.opportunity_list(user=self.request.user).order_by(
            "expected_close_date", "id"
        )

    def get_object(self):
        return access_opportunity(self.request.user, self.kwargs["pk"])

    def _out(self, opportunity) -> dict:
        return s.OpportunitySerializer(opportunity, context=self.get_serializer_context()).data

    @extend_schema(
        summary="Open an opportunity on a customer you may edit",
        request=s.OpportunityCreateSerializer,
        responses={201: s.OpportunitySerializer, **WRITE_ERRORS},
    )
    def create(self, request):
        data = parse_input(s.OpportunityCreateSerializer, request)
        opportunity = opportunity_services.opportunity_create(
            by=request.user,
            customer=data.pop("customer"),
            stage=data.pop("stage", None),
            owner=data.pop("owner", None),
            data=data,
        )
        return Response(self._out(opportunity), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Replace an opportunity's fields (not its stage)",
        parameters=[ID],
        request=s.OpportunityUpdateSerializer,
        responses={200: s.OpportunitySerializer, 409: CONFLICT, **WRITE_ERRORS},
    )
    def update(self, request, pk=None, partial: bool = False):
        opportunity = access_opportunity(request.user, pk, write=True)
        data = parse_input(s.OpportunityUpdateSerializer, request, partial=partial)
        if data.get("version") is None:
            return Response({"version": [_("This field is required.")]}, status=400)
        version = data.pop("version")
        owner = data.pop("owner", None)
        try:
            opportunity = opportunity_services.opportunity_update(
                opportunity=opportunity,
                by=request.user,
                data=data,
                expected_version=version,
                owner=owner,
            )
        except StaleEditError as exc:
            return _stale(exc, self._out(access_opportunity(request.user, opportunity.pk)))
        return Response(self._out(opportunity))

    @extend_schema(
        summary="Change some of an opportunity's fields",
        parameters=[ID],
        request=s.OpportunityUpdateSerializer,
        responses={200: s.OpportunitySerializer, 409: CONFLICT, **WRITE_ERRORS},
    )
    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)

    @extend_schema(
        summary="Delete an opportunity", parameters=[ID], responses={204: None, **WRITE_ERRORS}
    )
    def destroy(self, request, pk=None):
        opportunity = access_opportunity(request.user, pk, write=True)
        opportunity_services.opportunity_delete(opportunity=opportunity, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Move an opportunity to another stage",
        description=(
            "The stage rules: closing needs an amount, a lost stage a loss reason; a won or "
            "lost opportunity moves only with `reopen` by someone who may edit the customer. "
            "409 when `version` is stale; nothing changes on any refusal."
        ),
        parameters=[ID],
        request=s.MoveSerializer,
        responses={200: s.OpportunitySerializer, 409: CONFLICT, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def move(self, request, pk=None):
        opportunity = access_opportunity(request.user, pk)
        data = parse_input(s.MoveSerializer, request)
        try:
            opportunity = opportunity_services.opportunity_move(
                opportunity=opportunity,
                by=request.user,
                to=data["stage"],
                expected_version=data["version"],
                loss_reason=data.get("loss_reason", ""),
                reopen=data.get("reopen", False),
            )
        except StaleEditError as exc:
            return _stale(exc, self._out(access_opportunity(request.user, opportunity.pk)))
        return Response(self._out(opportunity))

    @extend_schema(
        summary="Pipeline by stage: count, total and weighted value of what you may see",
        description="Takes the list's filters. Weighted value = Σ amount × stage probability.",
        responses={200: s.PipelineSerializer},
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def pipeline(self, request):
        queryset = self.filter_queryset(self.get_queryset())
        board = selectors.pipeline(queryset)
        return Response(
            s.PipelineSerializer(
                {"columns": board.columns, "total": board.total, "weighted": board.weighted}
            ).data
        )


@extend_schema(tags=["sales"])
@extend_schema_view(list=extend_schema(summary="Active pipeline stages, in order"))
class PipelineStageViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.StageSerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.active_stages()
