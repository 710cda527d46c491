"""Customer API views: fetch through core.access, write through customers.services.

No scoped model's manager is used here: lists start from customers.selectors, single records
from ``access_customer`` / ``access_contact`` (404 when hidden or missing, 403 when visible but
read-only), and related rows through a record that was fetched that way.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from kehu.accounts.models import User
from kehu.core.access import (
    access_contact,
    access_customer,
    customer_scope_arms,
    visible_contacts,
)
from kehu.core.api import client_ip, conflict_response, parse_input
from kehu.core.api_schema import (
    BAD_REQUEST,
    CONFLICT,
    ID,
    READ_ERRORS,
    WRITE_ERRORS,
)
from kehu.core.pagination import KeysetPagination
from kehu.core.permissions import can_unmask
from kehu.customers import approvals, services
from kehu.customers.api import serializers as s
from kehu.customers.api.approvals import StatusChangeRequestSerializer, StatusChangeSerializer
from kehu.customers.filters import CustomerFilter
from kehu.customers.models import Contact, Customer, CustomFieldDefinition, Industry, Region
from kehu.customers.selectors import attach_presets, customer_history, customer_list
from kehu.customers.sensitive import keep_masked_custom_values
from kehu.customers.validators import mask_mobile
from kehu.dataquality.entry_check import needs_confirmation, probable_duplicates
from kehu.dataquality.export import CONTENT_TYPES, customers_export
from kehu.dataquality.views import download_response


def _version(data: dict) -> int:
    """The optimistic-locking version, required on PUT and PATCH alike."""
    if data.get("version") is None:
        raise ValidationError({"version": _("This field is required.")})
    return data.pop("version")


def _keep_masked_mobile(data: dict, contact: Contact | None) -> None:
    """A client that sends back the masked number it was shown keeps the stored one."""
    if contact is not None and data.get("mobile") and data["mobile"] == mask_mobile(contact.mobile):
        del data["mobile"]


class _FileRenderer(BaseRenderer):
    """Lets ``?format=xlsx|csv`` through DRF's content negotiation; the export view answers
    with a ready file, and an error body (401, 403) is written as JSON."""

    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        return JSONRenderer().render(data, accepted_media_type, renderer_context)


class XlsxRenderer(_FileRenderer):
    media_type = CONTENT_TYPES["xlsx"]
    format = "xlsx"


class CsvRenderer(_FileRenderer):
    media_type = "text/csv"
    format = "csv"


@extend_schema(tags=["customers"])
@extend_schema_view(
    list=extend_schema(
        summary="Customers you may see",
        description="Same filters as the web list. `count` counts only what you may see.",
        responses={200: s.CustomerSerializer(many=True), 400: BAD_REQUEST},
    ),
    retrieve=extend_schema(
        summary="One customer",
        parameters=[ID],
        responses={200: s.CustomerSerializer, **READ_ERRORS},
    ),
)
class CustomerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.CustomerSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = CustomerFilter
    pagination_class = KeysetPagination

    def get_queryset(self):
        return customer_list(user=self.request.user, join_presets=False)

    def paginate_queryset(self, queryset):
        rows = super().paginate_queryset(queryset)
        return rows if rows is None else attach_presets(rows)

    def deferred_join(self, request) -> bool:  # core.pagination.KeysetPagination asks
        return CustomerFilter.reads_ids_first(request.query_params)

    def read_all_ids(self, request) -> bool:  # core.pagination.KeysetPagination asks
        return CustomerFilter.reads_all_ids(request.query_params)

    def scope_arms(self, request):  # core.pagination.KeysetPagination asks
        return customer_scope_arms(request.user)

    def get_object(self) -> Customer:
        return access_customer(self.request.user, self.kwargs["pk"])

    def list(self, request, *args, **kwargs):
        # A filter on a field the list does not offer is an error, not silently ignored
        # (the caller would take the whole list for a filtered one).
        known = set(CustomerFilter.base_filters) | {"page", "page_size", "cursor", "format"}
        unknown = sorted(set(request.query_params) - known)
        if unknown:
            raise ValidationError(
                {
                    name: [
                        _("There is no filter %(name)s. Filters: %(known)s.")
                        % {"name": name, "known": ", ".join(sorted(CustomerFilter.base_filters))}
                    ]
                    for name in unknown
                }
            )
        return super().list(request, *args, **kwargs)

    def _customer_out(self, customer: Customer) -> dict:
        return s.CustomerSerializer(customer, context=self.get_serializer_context()).data

    @extend_schema(
        summary="Create a customer with its key decision maker",
        request=s.CustomerCreateSerializer,
        description=(
            "Probable duplicates (撞单) are answered with 409 and the list; send their codes in "
            "`confirmed_duplicates` to create the customer anyway. A duplicate outside your "
            "data scope is given only with its code and owner."
        ),
        responses={
            201: s.CustomerSerializer,
            400: BAD_REQUEST,
            409: OpenApiResponse(s.DuplicateConflictSerializer, description="Probable duplicates"),
        },
    )
    def create(self, request):
        data = parse_input(s.CustomerCreateSerializer, request)
        owner = data.pop("owner", None)
        decision_maker = data.pop("decision_maker")
        custom_fields = data.pop("custom_fields", None)
        confirmed = set(data.pop("confirmed_duplicates", []))
        duplicates = probable_duplicates(
            viewer=request.user,
            name=data.get("name", ""),
            credit_code=data.get("credit_code") or "",
            contact_name=decision_maker.get("name", ""),
            mobile=decision_maker.get("mobile", ""),
            address="".join(data.get(k) or "" for k in ("city", "district", "street")),
        )
        if needs_confirmation(duplicates, confirmed):
            return Response(
                {
                    "detail": _(
                        "This customer probably exists already. Check the records listed; to "
                        "create it anyway, send their codes in confirmed_duplicates."
                    ),
                    "code": "probable_duplicate",
                    "duplicates": s.ProbableDuplicateSerializer(duplicates, many=True).data,
                },
                status=status.HTTP_409_CONFLICT,
            )
        customer = services.customer_create(
            by=request.user,
            data=data,
            decision_maker=decision_maker,
            owner=owner,
            custom_fields=custom_fields,
        )
        return Response(self._customer_out(customer), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Replace a customer's fields",
        description=(
            "Send the `version` you read. The status is not changed here (a status change "
            "needs a reason and approval); sending a different status is refused."
        ),
        parameters=[ID],
        request=s.CustomerUpdateSerializer,
        responses={200: s.CustomerSerializer, 409: CONFLICT, **WRITE_ERRORS},
    )
    def update(self, request, pk=None, partial: bool = False):
        customer = access_customer(request.user, pk, write=True)
        if "status" in request.data and request.data["status"] != customer.status:
            raise ValidationError(
                {
                    "status": _(
                        "The status is not changed by editing the customer: a status change "
                        "needs a reason and, for deals and lost customers, approval."
                    )
                }
            )
        data = parse_input(s.CustomerUpdateSerializer, request, partial=partial)
        version = _version(data)
        owner = data.pop("owner", None)
        custom_fields = keep_masked_custom_values(
            data.pop("custom_fields", None), customer.custom_fields
        )
        decision_maker = data.pop("decision_maker", None)
        if decision_maker is not None:
            _keep_masked_mobile(decision_maker, customer.decision_maker)
        try:
            customer = services.customer_update(
                customer=customer,
                by=request.user,
                data=data,
                expected_version=version,
                decision_maker=decision_maker,
                owner=owner,
                custom_fields=custom_fields,
            )
        except services.StaleEditError as exc:
            current = access_customer(request.user, customer.pk)
            return conflict_response(
                message=exc.message_dict["version"][0],
                current_version=current.version,
                current=self._customer_out(current),
                changes=exc.changes,
            )
        return Response(self._customer_out(customer))

    @extend_schema(
        summary="Change some of a customer's fields",
        description="Only the fields sent are changed; `version` is still required.",
        parameters=[ID],
        request=s.CustomerUpdateSerializer,
        responses={200: s.CustomerSerializer, 409: CONFLICT, **WRITE_ERRORS},
    )
    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)

    # --- unmask ----------------------------------------------------------------------------
    @extend_schema(
        summary="Reveal the contacts' mobile numbers (logged)",
        description="Allowed by role; every number revealed is written to the unmask log.",
        parameters=[ID],
        request=s.UnmaskSelectionSerializer,
        responses={200: s.UnmaskSerializer, 400: BAD_REQUEST, **READ_ERRORS},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def unmask(self, request, pk=None):
        customer = access_customer(request.user, pk)
        if not can_unmask(request.user, customer):
            raise PermissionDenied
        contact = None
        wanted = parse_input(s.UnmaskSelectionSerializer, request).get("contact")
        if wanted is not None:
            contact = get_object_or_404(customer.contacts.all(), pk=wanted)
        revealed = services.customer_unmask(
            customer=customer, by=request.user, ip_address=client_ip(request), contact=contact
        )
        contacts = [c for c in customer.contacts.all() if c.pk in revealed]
        return Response(
            s.UnmaskSerializer(
                {"customer": customer.pk, "contacts": contacts}, context={"request": request}
            ).data
        )

    # --- export ----------------------------------------------------------------------------
    @extend_schema(
        summary="Export the filtered customer list (.xlsx or .csv)",
        description=(
            "Exactly the rows `GET /customers/` returns for the same filters (every filter of "
            "the list applies), all columns plus active custom fields. Mobile numbers are "
            "masked unless `unmasked=1` is given and you may unmask that row. Cells starting "
            "with = + - @ are prefixed with an apostrophe. Every export is logged."
        ),
        parameters=[
            OpenApiParameter(
                "format", OpenApiTypes.STR, enum=["xlsx", "csv"], default="xlsx", required=False
            ),
            OpenApiParameter("unmasked", OpenApiTypes.BOOL, required=False),
        ],
        responses={
            (200, CONTENT_TYPES["xlsx"]): OpenApiTypes.BINARY,
            (200, "text/csv"): OpenApiTypes.BINARY,
            400: BAD_REQUEST,
        },
    )
    @action(
        detail=False,
        methods=["get"],
        filter_backends=[],
        pagination_class=None,
        renderer_classes=[XlsxRenderer, CsvRenderer, JSONRenderer],
    )
    def export(self, request):
        file_format = request.query_params.get("format") or "xlsx"
        if file_format not in CONTENT_TYPES:
            raise ValidationError({"format": _("Choose xlsx or csv.")})
        content, filename, _count = customers_export(
            user=request.user,
            params=request.query_params,
            file_format=file_format,
            ip_address=client_ip(request),
        )
        return download_response(content, filename, file_format)

    @extend_schema(
        summary="Probable duplicates of a customer about to be entered (撞单)",
        request=s.DuplicateCheckInputSerializer,
        responses={200: s.ProbableDuplicateSerializer(many=True), 400: BAD_REQUEST},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="duplicate-check",
        filter_backends=[],
        pagination_class=None,
    )
    def duplicate_check(self, request):
        data = parse_input(s.DuplicateCheckInputSerializer, request)
        duplicates = probable_duplicates(viewer=request.user, **data)
        return Response(s.ProbableDuplicateSerializer(duplicates, many=True).data)

    # --- contacts --------------------------------------------------------------------------
    @extend_schema(
        summary="The customer's contacts",
        parameters=[ID],
        responses={200: s.ContactSerializer(many=True), **READ_ERRORS},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def contacts(self, request, pk=None):
        customer = access_customer(request.user, pk)
        return Response(
            s.ContactSerializer(
                customer.contacts.all(), many=True, context=self.get_serializer_context()
            ).data
        )

    @extend_schema(
        summary="Add a contact",
        description="To make it the key decision maker, POST …/contacts/{id}/make-decision-maker/.",
        parameters=[ID],
        request=s.ContactCreateSerializer,
        responses={201: s.ContactSerializer, **WRITE_ERRORS},
    )
    @contacts.mapping.post
    def contact_create(self, request, pk=None):
        customer = access_customer(request.user, pk, write=True)
        contact = services.contact_create(
            customer=customer, by=request.user, data=parse_input(s.ContactCreateSerializer, request)
        )
        return Response(
            s.ContactSerializer(contact, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )

    # --- related team ----------------------------------------------------------------------
    @extend_schema(
        summary="The related team (相关团队)",
        parameters=[ID],
        responses={200: s.TeamMemberSerializer(many=True), **READ_ERRORS},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def team(self, request, pk=None):
        customer = access_customer(request.user, pk)
        members = customer.shares.select_related("user").order_by("created_at", "id")
        return Response(s.TeamMemberSerializer(members, many=True).data)

    @extend_schema(
        summary="Add a colleague to the team, or change their access",
        parameters=[ID],
        request=s.TeamMemberInputSerializer,
        responses={200: s.TeamMemberSerializer, **WRITE_ERRORS},
    )
    @team.mapping.post
    def team_set(self, request, pk=None):
        customer = access_customer(request.user, pk)
        data = parse_input(s.TeamMemberInputSerializer, request)
        share = services.customer_share_set(
            customer=customer, user=data["user"], access=data["access"], by=request.user
        )
        return Response(s.TeamMemberSerializer(share).data)

    @extend_schema(
        summary="Remove a colleague from the team",
        parameters=[ID, OpenApiParameter("user_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        request=None,
        responses={204: None, **READ_ERRORS},
    )
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"team/(?P<user_id>\d+)",
        url_name="team-member",
        filter_backends=[],
        pagination_class=None,
    )
    def team_remove(self, request, pk=None, user_id=None):
        customer = access_customer(request.user, pk)
        member = get_object_or_404(User, pk=user_id)
        services.customer_share_remove(customer=customer, user=member, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    # --- status ----------------------------------------------------------------------------
    @extend_schema(
        summary="Change the status, with a reason",
        description=(
            "The reason goes into the remarks with the date. A change to `customer` (成交客户) "
            "or `lost` (流失客户) creates a request for the department head (state `pending`) "
            "and the status changes only on approval; any other change is `applied` at once."
        ),
        parameters=[ID],
        request=StatusChangeRequestSerializer,
        responses={201: StatusChangeSerializer, **WRITE_ERRORS},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="status-change",
        url_name="status-change",
        filter_backends=[],
        pagination_class=None,
    )
    def status_change(self, request, pk=None):
        customer = access_customer(request.user, pk)
        data = parse_input(StatusChangeRequestSerializer, request)
        change = approvals.customer_change_status(
            customer=customer, to=data["to_status"], reason=data["reason"], by=request.user
        )
        return Response(StatusChangeSerializer(change).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="The customer's status changes and requests, newest first",
        parameters=[ID],
        responses={200: StatusChangeSerializer(many=True), **READ_ERRORS},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="status-changes",
        url_name="status-changes",
        filter_backends=[],
        pagination_class=None,
    )
    def status_changes(self, request, pk=None):
        customer = access_customer(request.user, pk)
        changes = customer.status_changes.select_related(
            "customer", "requested_by", "approver", "decided_by"
        )
        return Response(StatusChangeSerializer(changes, many=True).data)

    # --- history ---------------------------------------------------------------------------
    @extend_schema(
        summary="Change history of the customer and its contacts, newest first",
        description="Mobile numbers appear masked here too.",
        parameters=[ID],
        responses={200: s.HistoryEntrySerializer(many=True), **READ_ERRORS},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def history(self, request, pk=None):
        customer = access_customer(request.user, pk)
        return Response(
            s.HistoryEntrySerializer(customer_history(customer=customer), many=True).data
        )


@extend_schema(tags=["contacts"])
class ContactViewSet(viewsets.GenericViewSet):
    serializer_class = s.ContactSerializer
    pagination_class = None
    filter_backends: list = []

    def get_queryset(self):
        return visible_contacts(self.request.user)

    @extend_schema(
        summary="One contact", parameters=[ID], responses={200: s.ContactSerializer, **READ_ERRORS}
    )
    def retrieve(self, request, pk=None):
        return Response(
            s.ContactSerializer(access_contact(request.user, pk), context={"request": request}).data
        )

    @extend_schema(
        summary="Change a contact",
        parameters=[ID],
        request=s.ContactUpdateSerializer,
        responses={200: s.ContactSerializer, 409: CONFLICT, **WRITE_ERRORS},
    )
    def update(self, request, pk=None, partial: bool = False):
        contact = access_contact(request.user, pk, write=True)
        data = parse_input(s.ContactUpdateSerializer, request, partial=partial)
        version = _version(data)
        _keep_masked_mobile(data, contact)
        try:
            contact = services.contact_update(
                contact=contact, by=request.user, data=data, expected_version=version
            )
        except services.StaleEditError as exc:
            current = access_contact(request.user, contact.pk)
            return conflict_response(
                message=exc.message_dict["version"][0],
                current_version=current.version,
                current=s.ContactSerializer(current, context={"request": request}).data,
                changes=exc.changes,
            )
        return Response(s.ContactSerializer(contact, context={"request": request}).data)

    @extend_schema(
        summary="Change some of a contact's fields",
        parameters=[ID],
        request=s.ContactUpdateSerializer,
        responses={200: s.ContactSerializer, 409: CONFLICT, **WRITE_ERRORS},
    )
    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)

    @extend_schema(
        summary="Delete a contact",
        description="The key decision maker cannot be deleted; make another contact it first.",
        parameters=[ID],
        responses={204: None, **WRITE_ERRORS},
    )
    def destroy(self, request, pk=None):
        contact = access_contact(request.user, pk, write=True)
        services.contact_delete(contact=contact, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Make this contact the customer's key decision maker",
        parameters=[ID],
        request=None,
        responses={200: s.ContactSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="make-decision-maker")
    def make_decision_maker(self, request, pk=None):
        contact = access_contact(request.user, pk, write=True)
        contact = services.contact_make_decision_maker(contact=contact, by=request.user)
        return Response(s.ContactSerializer(contact, context={"request": request}).data)


@extend_schema(tags=["configuration"])
@extend_schema_view(list=extend_schema(summary="Active custom fields (keys for custom_fields)"))
class CustomFieldViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.CustomFieldDefinitionSerializer
    pagination_class = None
    filter_backends: list = []
    queryset = CustomFieldDefinition.objects.filter(is_active=True).order_by("sort_order", "id")


class PresetViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """A two-level preset list, flat: parents first, each followed by its children."""

    serializer_class = s.PresetListSerializer
    pagination_class = None
    filter_backends: list = []
    model: type[Industry] | type[Region]

    def get_queryset(self):
        return self.model.objects.filter(is_active=True).select_related("parent")

    def list(self, request):
        rows = list(self.get_queryset())
        children: dict[int, list] = {}
        for row in rows:
            if row.parent_id is not None:
                children.setdefault(row.parent_id, []).append(row)
        ordered = []
        for row in rows:
            if row.parent_id is None:
                ordered += [row, *children.get(row.pk, [])]
        context = {**self.get_serializer_context(), "parent_ids": set(children)}
        return Response(s.PresetListSerializer(ordered, many=True, context=context).data)


@extend_schema(tags=["configuration"])
@extend_schema_view(list=extend_schema(summary="Industries (两级行业), for the industry field"))
class IndustryViewSet(PresetViewSet):
    model = Industry


@extend_schema(tags=["configuration"])
@extend_schema_view(list=extend_schema(summary="Regions (area → province), for the region field"))
class RegionViewSet(PresetViewSet):
    model = Region
