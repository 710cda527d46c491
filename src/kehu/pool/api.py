"""Public pool REST API: ``/api/v1/pools/``, ``/api/v1/pool-entries/`` (claim, assign),
``/api/v1/pool-returns/``, ``/api/v1/pool-events/`` and ``/api/v1/assignment-rules/``.
Rows come from core.access (a pool or entry you may not see answers 404 like a missing one);
writes go through kehu.pool.services, whose refusals answer 400 naming the limit."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from kehu.accounts.api import UserRefSerializer
from kehu.accounts.models import Department, User
from kehu.core.access import access_pool, access_pool_entry
from kehu.core.api import conflict_response, parse_input
from kehu.core.api_schema import (
    BAD_REQUEST,
    CONFLICT,
    FORBIDDEN,
    ID,
    READ_ERRORS,
    WRITE_ERRORS,
    NamedChoiceField,
)
from kehu.core.permissions import can_manage_pool
from kehu.customers.api.serializers import VisibleCustomerField
from kehu.customers.models import Industry, Region, Status
from kehu.customers.services import StaleEditError
from kehu.customers.validators import mask_mobile
from kehu.pool import selectors
from kehu.pool.models import (
    AssignmentRule,
    AssignmentScope,
    AssignmentStrategy,
    PoolEventAction,
)
from kehu.pool.services import assignment as assignment_services
from kehu.pool.services import pool as services


def _status(**kwargs) -> NamedChoiceField:
    return NamedChoiceField(enum_name="CustomerStatusEnum", choices=Status.choices, **kwargs)


# --- serializers ----------------------------------------------------------------------------
class PoolRuleSerializer(serializers.Serializer):
    status = _status()
    days_without_follow_up = serializers.IntegerField(min_value=1)
    notice_days = serializers.IntegerField(min_value=0, default=3)
    max_held = serializers.IntegerField(min_value=0, allow_null=True, required=False)
    max_claims_per_day = serializers.IntegerField(min_value=0, allow_null=True, required=False)
    cooldown_days = serializers.IntegerField(min_value=0, default=0)


class PoolSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    is_open = serializers.BooleanField()
    auto_assign = serializers.BooleanField()
    is_active = serializers.BooleanField()
    departments = serializers.SerializerMethodField()
    administrators = UserRefSerializer(many=True, source="administrators.all")
    rules = PoolRuleSerializer(many=True, source="rules.all")
    version = serializers.IntegerField()

    def get_departments(self, pool) -> list[int]:
        return [d.pk for d in pool.departments.all()]


class PoolInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=64)
    is_open = serializers.BooleanField(default=True)
    auto_assign = serializers.BooleanField(default=False)
    is_active = serializers.BooleanField(default=True)
    departments = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.all(), many=True, required=False
    )
    members = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), many=True, required=False
    )
    administrators = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), many=True, required=False
    )


class PoolUpdateSerializer(PoolInputSerializer):
    version = serializers.IntegerField(
        help_text=gettext_lazy("The version you read (optimistic locking).")
    )


class PoolCustomerSerializer(serializers.Serializer):
    """Only what the pool list shows: no contacts, no remarks, the mobile masked."""

    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    industry = serializers.SerializerMethodField()
    region = serializers.CharField(source="region_label")
    status = _status()

    def get_industry(self, customer) -> str:
        return str(customer.industry) if customer.industry_id else ""


class PoolEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    pool = serializers.SerializerMethodField()
    customer = PoolCustomerSerializer()
    mobile_masked = serializers.SerializerMethodField(
        help_text=gettext_lazy("The decision maker's mobile, masked until claimed.")
    )
    returned_at = serializers.DateTimeField()
    reason = serializers.CharField()

    def get_pool(self, entry) -> dict:
        return {"id": entry.pool_id, "name": entry.pool.name}

    def get_mobile_masked(self, entry) -> str:
        decision_maker = entry.customer.decision_maker
        return mask_mobile(decision_maker.mobile) if decision_maker else ""


class ClaimedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    owner = UserRefSerializer()


class AssignInputSerializer(serializers.Serializer):
    to = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class ReturnInputSerializer(serializers.Serializer):
    customer = VisibleCustomerField()
    reason = serializers.CharField(max_length=300, allow_blank=True)


class PoolEventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    pool = serializers.SerializerMethodField()
    customer = serializers.SerializerMethodField()
    action = NamedChoiceField(enum_name="PoolEventActionEnum", choices=PoolEventAction.choices)
    actor = UserRefSerializer(allow_null=True)
    from_user = UserRefSerializer(allow_null=True)
    to_user = UserRefSerializer(allow_null=True)
    status = _status()
    reason = serializers.CharField()
    due_date = serializers.DateField(allow_null=True)
    at = serializers.DateTimeField()

    def get_pool(self, event) -> dict:
        return {"id": event.pool_id, "name": event.pool.name}

    def get_customer(self, event) -> dict:
        return {"code": event.customer.code, "name": event.customer.name}


class AssignmentRuleSerializer(serializers.ModelSerializer):
    scope = NamedChoiceField(enum_name="AssignmentScopeEnum", choices=AssignmentScope.choices)
    strategy = NamedChoiceField(
        enum_name="AssignmentStrategyEnum", choices=AssignmentStrategy.choices
    )

    class Meta:
        model = AssignmentRule
        fields = [
            "id", "name", "scope", "pool", "department", "members", "strategy", "regions",
            "industries", "sort_order", "is_active", "last_assigned", "version",
        ]  # fmt: skip
        read_only_fields = fields


class AssignmentRuleInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=64)
    scope = NamedChoiceField(enum_name="AssignmentScopeEnum", choices=AssignmentScope.choices)
    pool = serializers.PrimaryKeyRelatedField(
        queryset=selectors.all_pools(), required=False, allow_null=True
    )
    department = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.all(), required=False, allow_null=True
    )
    members = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), many=True, required=False
    )
    strategy = NamedChoiceField(
        enum_name="AssignmentStrategyEnum",
        choices=AssignmentStrategy.choices,
        default=AssignmentStrategy.ROUND_ROBIN,
    )
    regions = serializers.PrimaryKeyRelatedField(
        queryset=Region.objects.all(), many=True, required=False
    )
    industries = serializers.PrimaryKeyRelatedField(
        queryset=Industry.objects.all(), many=True, required=False
    )
    sort_order = serializers.IntegerField(min_value=0, default=0)
    is_active = serializers.BooleanField(default=True)
    version = serializers.IntegerField(required=False)


# --- views ----------------------------------------------------------------------------------
class PoolEntryFilter(filters.FilterSet):
    pool = filters.NumberFilter(field_name="pool_id")
    status = filters.ChoiceFilter(field_name="customer__status", choices=Status.choices)
    industry = filters.NumberFilter(field_name="customer__industry_id")
    region = filters.NumberFilter(field_name="customer__region_id")


class PoolEventFilter(filters.FilterSet):
    # A plain number, not a choice of pools: an id outside your scope must not answer
    # differently from a missing one.
    pool = filters.NumberFilter(field_name="pool_id")
    action = filters.ChoiceFilter(choices=PoolEventAction.choices)


def _stale(exc: StaleEditError, current: dict) -> Response:
    """409: nothing saved; the record as it is now and what was changed since `version`."""
    return conflict_response(
        message=exc.message_dict["version"][0],
        current_version=current["version"],
        current=current,
        changes=exc.changes,
    )


@extend_schema(tags=["pool"])
@extend_schema_view(
    list=extend_schema(
        summary="Public pools you belong to or administer",
        responses={200: PoolSerializer(many=True)},
    ),
    retrieve=extend_schema(
        summary="One public pool", parameters=[ID], responses={200: PoolSerializer, **READ_ERRORS}
    ),
)
class PoolViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = PoolSerializer

    def get_queryset(self):
        return selectors.pool_list(user=self.request.user).order_by("name", "id")

    def get_object(self):
        return access_pool(self.request.user, self.kwargs["pk"])

    @extend_schema(
        summary="Create a public pool (administrators)",
        request=PoolInputSerializer,
        responses={201: PoolSerializer, 400: BAD_REQUEST, 403: FORBIDDEN},
    )
    def create(self, request):
        data = parse_input(PoolInputSerializer, request)
        relations = {k: data.pop(k, []) for k in ("departments", "members", "administrators")}
        pool = services.pool_create(by=request.user, data=data, **relations)
        return Response(PoolSerializer(pool).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a pool's settings (its administrators)",
        parameters=[ID],
        request=PoolUpdateSerializer,
        responses={200: PoolSerializer, 409: CONFLICT, **WRITE_ERRORS},
    )
    def partial_update(self, request, pk=None):
        pool = access_pool(request.user, pk)
        data = parse_input(PoolUpdateSerializer, request, partial=True)
        if data.get("version") is None:
            return Response({"version": [_("This field is required.")]}, status=400)
        version = data.pop("version")
        relations = {k: data.pop(k, None) for k in ("departments", "members", "administrators")}
        try:
            pool = services.pool_update(
                pool=pool, by=request.user, data=data, expected_version=version, **relations
            )
        except StaleEditError as exc:
            return _stale(exc, PoolSerializer(exc.current).data)
        return Response(PoolSerializer(pool).data)

    @extend_schema(
        summary="Set the rule for one customer status (its administrators)",
        parameters=[ID],
        request=PoolRuleSerializer,
        responses={200: PoolRuleSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["put"], url_path="rules")
    def rules(self, request, pk=None):
        pool = access_pool(request.user, pk)
        data = parse_input(PoolRuleSerializer, request)
        rule_status = data.pop("status")
        rule = services.pool_rule_set(pool=pool, by=request.user, status=rule_status, data=data)
        return Response(PoolRuleSerializer(rule).data)


@extend_schema(tags=["pool"])
@extend_schema_view(
    list=extend_schema(
        summary="Customers in the pools you may see (mobile masked)",
        responses={200: PoolEntrySerializer(many=True)},
    ),
    retrieve=extend_schema(
        summary="One customer in a pool",
        parameters=[ID],
        responses={200: PoolEntrySerializer, **READ_ERRORS},
    ),
)
class PoolEntryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = PoolEntrySerializer
    filter_backends = [filters.DjangoFilterBackend]
    filterset_class = PoolEntryFilter

    def get_queryset(self):
        return selectors.pool_entry_list(user=self.request.user)

    def get_object(self):
        return access_pool_entry(self.request.user, self.kwargs["pk"])

    @extend_schema(
        summary="Claim a customer from an open pool",
        description=(
            "Refused with 400 naming the limit (`max_held`, `max_claims_per_day`, "
            "`holding_cap`, `cooldown_days`, `pool` when closed, `customer` when someone "
            "claimed it first); nothing changes on a refusal."
        ),
        parameters=[ID],
        request=None,
        responses={200: ClaimedSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        entry = access_pool_entry(request.user, pk)
        customer = services.pool_entry_claim(entry=entry, by=request.user)
        return Response(ClaimedSerializer(customer).data)

    @extend_schema(
        summary="Assign a pool customer to a member (pool administrators and managers)",
        parameters=[ID],
        request=AssignInputSerializer,
        responses={200: ClaimedSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        entry = access_pool_entry(request.user, pk)
        data = parse_input(AssignInputSerializer, request)
        customer = services.pool_entry_assign(
            entry=entry, to=data["to"], by=request.user, reason=data["reason"]
        )
        return Response(ClaimedSerializer(customer).data)


@extend_schema(tags=["pool"])
class PoolReturnViewSet(viewsets.GenericViewSet):
    serializer_class = ReturnInputSerializer

    @extend_schema(
        summary="Return a customer you own to its public pool, with a reason",
        request=ReturnInputSerializer,
        responses={201: PoolEntrySerializer, **WRITE_ERRORS},
    )
    def create(self, request):
        data = parse_input(ReturnInputSerializer, request)
        entry = services.customer_return_to_pool(
            customer=data["customer"], by=request.user, reason=data["reason"]
        )
        return Response(PoolEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["pool"])
@extend_schema_view(
    list=extend_schema(
        summary="Claim and return history you may see",
        responses={200: PoolEventSerializer(many=True)},
    )
)
class PoolEventViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = PoolEventSerializer
    filter_backends = [filters.DjangoFilterBackend]
    filterset_class = PoolEventFilter

    def get_queryset(self):
        return selectors.pool_event_list(user=self.request.user)


@extend_schema(tags=["pool"])
@extend_schema_view(
    list=extend_schema(
        summary="Assignment rules (administrators)",
        responses={200: AssignmentRuleSerializer(many=True), 403: FORBIDDEN},
    ),
    retrieve=extend_schema(
        summary="One assignment rule",
        parameters=[ID],
        responses={200: AssignmentRuleSerializer, **READ_ERRORS},
    ),
)
class AssignmentRuleViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = AssignmentRuleSerializer

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not can_manage_pool(request.user):
            raise PermissionDenied

    def get_queryset(self):
        return selectors.assignment_rule_list().prefetch_related("members", "regions", "industries")

    def _save(self, request, rule=None):
        data = parse_input(AssignmentRuleInputSerializer, request, partial=rule is not None)
        relations = {k: data.pop(k, None) for k in ("members", "regions", "industries")}
        version = data.pop("version", None)
        if rule is not None and version is None:
            return None, Response({"version": [_("This field is required.")]}, status=400)
        try:
            saved = assignment_services.assignment_rule_save(
                by=request.user, data=data, rule=rule, expected_version=version, **relations
            )
        except StaleEditError as exc:
            return None, _stale(exc, AssignmentRuleSerializer(exc.current).data)
        return saved, None

    @extend_schema(
        summary="Create an assignment rule",
        request=AssignmentRuleInputSerializer,
        responses={201: AssignmentRuleSerializer, 400: BAD_REQUEST, 403: FORBIDDEN},
    )
    def create(self, request):
        rule, refusal = self._save(request)
        if refusal is not None:
            return refusal
        return Response(AssignmentRuleSerializer(rule).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change an assignment rule",
        parameters=[ID],
        request=AssignmentRuleInputSerializer,
        responses={200: AssignmentRuleSerializer, 409: CONFLICT, **WRITE_ERRORS},
    )
    def partial_update(self, request, pk=None):
        rule, refusal = self._save(request, self.get_object())
        if refusal is not None:
            return refusal
        return Response(AssignmentRuleSerializer(rule).data)

    @extend_schema(
        summary="Delete an assignment rule", parameters=[ID], responses={204: None, **READ_ERRORS}
    )
    def destroy(self, request, pk=None):
        assignment_services.assignment_rule_delete(rule=self.get_object(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


def register(router) -> None:
    router.register("pools", PoolViewSet, basename="pool")
    router.register("pool-entries", PoolEntryViewSet, basename="pool-entry")
    router.register("pool-returns", PoolReturnViewSet, basename="pool-return")
    router.register("pool-events", PoolEventViewSet, basename="pool-event")
    router.register("assignment-rules", AssignmentRuleViewSet, basename="assignment-rule")
