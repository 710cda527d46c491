"""Organisation API: who am I, whom can I pick as an owner, the department tree, tokens,
handovers."""

from __future__ import annotations

import functools

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from kehu.accounts import services
from kehu.accounts.models import (
    DataScope,
    Department,
    Handover,
    HandoverState,
    Role,
    UnmaskScope,
    User,
)
from kehu.accounts.security.lockout import (
    access_event_record,
    lockout_message,
    login_locked_until,
)
from kehu.accounts.security.models import AccessChannel, AccessOutcome
from kehu.accounts.security.totp import confirmed_device, second_factor_check, two_factor_required
from kehu.accounts.selectors import department_subtree_ids, handovers_for, user_rights
from kehu.core.api import CompiledRepresentation, client_ip
from kehu.core.api_schema import (
    BAD_REQUEST,
    FORBIDDEN,
    NOT_FOUND,
    NamedChoiceField,
    SingleObjectAutoSchema,
)


# --- references used by other apps' serializers ------------------------------------------------
class UserRefSerializer(CompiledRepresentation, serializers.Serializer):
    compiled_model = User
    id = serializers.IntegerField()
    name = serializers.CharField(source="display_name")


class DepartmentRefSerializer(CompiledRepresentation, serializers.Serializer):
    compiled_model = Department
    id = serializers.IntegerField()
    name = serializers.CharField()


# --- /me/ -----------------------------------------------------------------------------------
class DataScopeField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=DataScope.choices, **kwargs)


class DataScopeFieldExtension(OpenApiSerializerFieldExtension):
    """Read and write scopes share one choice set: one ``DataScope`` component for both
    (spectacular would otherwise name the set twice and warn)."""

    target_class = DataScopeField

    def map_serializer_field(self, auto_schema, direction):
        component = ResolvedComponent(
            name="DataScope",
            type=ResolvedComponent.SCHEMA,
            object="DataScope",
            schema={
                "type": "string",
                "enum": list(DataScope.values),
                "description": "\n".join(f"* `{v}` - {label}" for v, label in DataScope.choices),
            },
        )
        auto_schema.registry.register_on_missing(component)
        return component.ref


class RoleSerializer(serializers.ModelSerializer):
    label = serializers.SerializerMethodField()
    read_scope = DataScopeField()
    write_scope = DataScopeField()

    class Meta:
        model = Role
        fields = ["code", "label", "read_scope", "write_scope", "unmask_scope", "is_admin"]

    def get_label(self, role: Role) -> str:
        return str(role)


class RightsSerializer(serializers.Serializer):
    read_scope = DataScopeField()
    write_scope = DataScopeField()
    unmask_scope = serializers.ChoiceField(choices=UnmaskScope.choices)
    is_admin = serializers.BooleanField()


class MeSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name")
    department = DepartmentRefSerializer(allow_null=True)
    superior = UserRefSerializer(allow_null=True)
    roles = RoleSerializer(many=True)
    rights = serializers.SerializerMethodField(
        help_text="What the roles add up to: the widest scope of each kind."
    )

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "name",
            "full_name",
            "email",
            "department",
            "superior",
            "roles",
            "rights",
            "is_superuser",
        ]

    @extend_schema_field(RightsSerializer)
    def get_rights(self, user: User) -> dict:
        return RightsSerializer(user_rights(user)).data


@extend_schema(tags=["organisation"])
class MeViewSet(viewsets.ViewSet):
    schema = SingleObjectAutoSchema()

    @extend_schema(responses=MeSerializer, summary="The signed-in user, roles and rights")
    def list(self, request):
        return Response(MeSerializer(request.user).data)


# --- /users/ --------------------------------------------------------------------------------
class UserSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name")
    department = DepartmentRefSerializer(allow_null=True)

    class Meta:
        model = User
        fields = ["id", "username", "name", "full_name", "department"]


class UserFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"), method="filter_search", max_length=64, help_text=_("Username or name")
    )
    department = django_filters.ModelChoiceFilter(
        label=_("department"),
        queryset=Department.objects.all(),
        method="filter_department",
        help_text=_("Members of this department and the departments below it"),
    )

    class Meta:
        model = User
        fields: list[str] = []

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(username__icontains=value) | Q(full_name__icontains=value))

    def filter_department(self, queryset, name, value):
        return queryset.filter(department_id__in=department_subtree_ids(value.pk))


@extend_schema(tags=["organisation"])
@extend_schema_view(
    list=extend_schema(summary="Active users (to pick an owner or a team member)"),
    retrieve=extend_schema(summary="One active user"),
)
class UserViewSet(viewsets.ReadOnlyModelViewSet):
    """Every signed-in user may list colleagues; only names and departments are shown."""

    serializer_class = UserSerializer
    queryset = User.objects.filter(is_active=True).select_related("department").order_by("id")
    filterset_class = UserFilter
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend]


# --- /departments/ --------------------------------------------------------------------------
class DepartmentNodeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    parent_id = serializers.IntegerField(allow_null=True)
    head = UserRefSerializer(allow_null=True)


# The tree refers to itself; declared after the class so the schema gets one recursive component.
DepartmentNodeSerializer._declared_fields["children"] = DepartmentNodeSerializer(many=True)


def department_tree() -> list[dict]:
    """All departments as nested nodes, roots first, in their sort order: two queries."""
    departments = list(Department.objects.select_related("head").order_by("sort_order", "id"))
    nodes = {d.pk: {"department": d, "children": []} for d in departments}
    roots = []
    for department in departments:
        node = nodes[department.pk]
        parent = nodes.get(department.parent_id)
        (parent["children"] if parent else roots).append(node)

    def build(node) -> dict:
        department = node["department"]
        return {
            "id": department.pk,
            "name": department.name,
            "parent_id": department.parent_id,
            "head": department.head,
            "children": [build(child) for child in node["children"]],
        }

    return [build(root) for root in roots]


@extend_schema(tags=["organisation"])
class DepartmentViewSet(viewsets.ViewSet):
    @extend_schema(
        responses=DepartmentNodeSerializer(many=True), summary="The department tree (roots first)"
    )
    def list(self, request):
        return Response(DepartmentNodeSerializer(department_tree(), many=True).data)


# --- /auth/token/ ---------------------------------------------------------------------------
class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text='Send it as the header "Authorization: Token <token>".')


class TokenRequestSerializer(AuthTokenSerializer):
    otp = serializers.CharField(
        required=False,
        write_only=True,
        help_text="The current 6-digit code (or a recovery code) for accounts with "
        "two-factor authentication.",
    )


class LockedOutSerializer(serializers.Serializer):
    detail = serializers.CharField()
    retry_after = serializers.IntegerField(help_text="Seconds until the lockout ends.")


@extend_schema(tags=["auth"])
class AuthTokenViewSet(viewsets.GenericViewSet):
    """Exchange a username and password (and the two-factor code, for accounts that have
    one) for an API token (the same token on every call). Failures count towards the same
    lockout as the login page."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    serializer_class = TokenRequestSerializer

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: TokenSerializer, 400: BAD_REQUEST, 429: LockedOutSerializer},
        summary="Obtain an API token",
    )
    def create(self, request):
        username = str(request.data.get("username", ""))[:150]
        ip = client_ip(request)
        record = functools.partial(
            access_event_record, username=username, ip=ip, channel=AccessChannel.API
        )
        until = login_locked_until(username=username, ip=ip)
        if until:
            record(outcome=AccessOutcome.LOCKED)
            return self._locked(until)
        serializer = TokenRequestSerializer(data=request.data, context={"request": request})
        if not serializer.is_valid():
            if "username" in request.data and "password" in request.data:
                record(outcome=AccessOutcome.FAILURE)
                until = login_locked_until(username=username, ip=ip)
                if until:
                    return self._locked(until)
            raise serializers.ValidationError(serializer.errors)
        user = serializer.validated_data["user"]
        if two_factor_required(user):
            error = self._second_factor_error(user, serializer.validated_data.get("otp", ""))
            if error:
                record(outcome=AccessOutcome.OTP_FAILURE, user=user)
                raise serializers.ValidationError({"otp": [error]})
        record(outcome=AccessOutcome.SUCCESS, user=user)
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})

    @staticmethod
    def _second_factor_error(user, code: str) -> str | None:
        if confirmed_device(user) is None:
            return _("Set up two-factor authentication in the web app before using the API.")
        if not code:
            return _('This account uses two-factor authentication: send the current code as "otp".')
        if not second_factor_check(user=user, code=code):
            return _("The code is wrong or has expired.")
        return None

    @staticmethod
    def _locked(until) -> Response:
        seconds = max(1, int((until - timezone.now()).total_seconds()))
        return Response(
            {"detail": lockout_message(until), "retry_after": seconds},
            status=status.HTTP_429_TOO_MANY_REQUESTS,
            headers={"Retry-After": str(seconds)},
        )


# --- /handovers/ (离职交接) ---------------------------------------------------------------------
class HandoverReportSerializer(serializers.Serializer):
    customers = serializers.IntegerField()
    customer_codes = serializers.ListField(child=serializers.CharField())
    contacts = serializers.IntegerField()
    interactions = serializers.IntegerField()
    tasks = serializers.IntegerField(help_text="Open tasks reassigned.")
    team_places = serializers.IntegerField(help_text="Related-team places taken over.")
    approvals_requested = serializers.IntegerField(
        help_text="Pending status changes the departing user had asked for."
    )
    approvals_to_decide = serializers.IntegerField(
        help_text="Pending status changes the departing user was to decide."
    )
    deactivated = serializers.BooleanField()


class HandoverSerializer(serializers.ModelSerializer):
    from_user = UserRefSerializer()
    to_user = UserRefSerializer()
    requested_by = UserRefSerializer()
    approver = UserRefSerializer(help_text="The department head who confirms.")
    state = NamedChoiceField(enum_name="HandoverState", choices=HandoverState.choices)
    report = serializers.SerializerMethodField(help_text="What moved; null until confirmed.")

    class Meta:
        model = Handover
        fields = [
            "id",
            "from_user",
            "to_user",
            "requested_by",
            "approver",
            "deactivate",
            "note",
            "state",
            "report",
            "created_at",
            "decided_at",
        ]

    @extend_schema_field(HandoverReportSerializer(allow_null=True))
    def get_report(self, handover: Handover) -> dict | None:
        return handover.report or None


class HandoverRequestSerializer(serializers.Serializer):
    from_user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), help_text="The departing user's id."
    )
    to_user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), help_text="Who takes everything over (an active user)."
    )
    deactivate = serializers.BooleanField(
        required=False, default=False, help_text="Deactivate the departing user once done."
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")


class HandoverRejectSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


HANDOVER_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)
HANDOVER_ERRORS = {400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND}


@extend_schema(tags=["organisation"])
@extend_schema_view(
    list=extend_schema(
        summary="Handovers you asked for or must confirm (administrators: all)",
        responses={200: HandoverSerializer(many=True)},
    ),
    retrieve=extend_schema(
        summary="One handover, with its report once confirmed",
        parameters=[HANDOVER_ID],
        responses={200: HandoverSerializer, 404: NOT_FOUND},
    ),
)
class HandoverViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """离职交接: move everything a user owns to another user, once the department head confirms
    (at once when the head asks)."""

    serializer_class = HandoverSerializer
    filter_backends: list = []
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if not self.request.user.is_authenticated:  # the schema generator's request
            return Handover.objects.none()
        return handovers_for(self.request.user)

    @extend_schema(
        summary="Ask for a handover (administrators and department heads)",
        request=HandoverRequestSerializer,
        responses={201: HandoverSerializer, 400: BAD_REQUEST, 403: FORBIDDEN},
    )
    def create(self, request):
        data = HandoverRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        handover = services.handover_request(by=request.user, **data.validated_data)
        return Response(HandoverSerializer(handover).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Confirm: everything moves now (the department head)",
        parameters=[HANDOVER_ID],
        request=None,
        responses={200: HandoverSerializer, **HANDOVER_ERRORS},
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def confirm(self, request, pk=None):
        handover = get_object_or_404(self.get_queryset(), pk=pk)
        handover = services.handover_confirm(handover=handover, by=request.user)
        return Response(HandoverSerializer(handover).data)

    @extend_schema(
        summary="Reject: nothing moves (the department head)",
        parameters=[HANDOVER_ID],
        request=HandoverRejectSerializer,
        responses={200: HandoverSerializer, **HANDOVER_ERRORS},
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def reject(self, request, pk=None):
        handover = get_object_or_404(self.get_queryset(), pk=pk)
        data = HandoverRejectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        handover = services.handover_reject(
            handover=handover, by=request.user, note=data.validated_data["note"]
        )
        return Response(HandoverSerializer(handover).data)


def register(router) -> None:
    router.register("me", MeViewSet, basename="me")
    router.register("users", UserViewSet, basename="user")
    router.register("departments", DepartmentViewSet, basename="department")
    router.register("auth/token", AuthTokenViewSet, basename="auth-token")
    router.register("handovers", HandoverViewSet, basename="handover")
