"""Tag library, tag requests, customer tags and classification REST API.

Customers come through ``access_customer`` (404 when hidden or missing); writes go through
tags.services, which answer 403 when the customer is visible but not yours to tag, and 400
naming "tag" for an unapproved or conflicting tag.
"""

from __future__ import annotations

import django_filters
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from kehu.accounts.api import UserRefSerializer
from kehu.core.access import access_customer
from kehu.core.api import parse_input
from kehu.core.api_schema import (
    BAD_REQUEST,
    FORBIDDEN,
    ID,
    NOT_FOUND,
    READ_ERRORS,
    WRITE_ERRORS,
    NamedChoiceField,
    SingleObjectAutoSchema,
)
from kehu.core.permissions import can_review_tags
from kehu.tags import selectors, services
from kehu.tags.classification import explain
from kehu.tags.models import (
    BudgetLevel,
    CooperationLevel,
    CustomerClassification,
    CustomerTag,
    Level,
    Tag,
    TagStatus,
    TagType,
)

CUSTOMER_ID = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The customer's id."
)
TAG_ID = OpenApiParameter("tag_id", OpenApiTypes.INT, OpenApiParameter.PATH)


# --- serializers ----------------------------------------------------------------------------
class TagSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="label", help_text=_("In the request's language."))

    class Meta:
        model = Tag
        fields = ["id", "tag_type", "name", "name_zh", "name_en", "description", "exclusive_group"]


class TagRequestSerializer(TagSerializer):
    status = NamedChoiceField(enum_name="TagStatus", choices=TagStatus.choices)
    reason = serializers.CharField(source="request_reason")
    requested_by = UserRefSerializer(allow_null=True)
    reviewed_by = UserRefSerializer(allow_null=True)

    class Meta(TagSerializer.Meta):
        fields = [
            *TagSerializer.Meta.fields,
            "status",
            "reason",
            "requested_by",
            "created_at",
            "reviewed_by",
            "reviewed_at",
            "review_note",
        ]


class TagRequestCreateSerializer(serializers.Serializer):
    tag_type = serializers.ChoiceField(choices=TagType.choices)
    name_zh = serializers.CharField(allow_blank=True, help_text=_("The Chinese name."))
    name_en = serializers.CharField(required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    exclusive_group = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=_("Tags sharing a group conflict: a customer carries at most one of them."),
    )
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Why the library needs this tag (required)."),
    )


class TagApproveSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class TagRejectSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=_("Why (required).")
    )


class TagRequestScopeSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(
        choices=[("mine", _("mine")), ("pending", _("pending"))],
        default="mine",
        help_text=_("mine (default): your requests; pending: all awaiting review (reviewers only)"),
    )


class CustomerTagSerializer(serializers.ModelSerializer):
    tag = TagSerializer()
    added_by = UserRefSerializer()

    class Meta:
        model = CustomerTag
        fields = ["tag", "note", "added_by", "added_at"]


class CustomerTagCreateSerializer(serializers.Serializer):
    tag = serializers.PrimaryKeyRelatedField(
        queryset=selectors.tag_library(include_pending=True),
        help_text=_("An approved tag's id (see /api/v1/tags/)."),
    )
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Facts behind the tag, e.g. what the customer said."),
    )


class ReasonSerializer(serializers.Serializer):
    dimension = serializers.CharField()
    level = serializers.CharField(help_text=_("The level's label."))
    reason = serializers.CharField(
        help_text=_("e.g. “12 interactions in the last 90 days → High”.")
    )


class ClassificationSerializer(serializers.Serializer):
    """Null levels until the classification job has run for the customer."""

    interaction_frequency = serializers.ChoiceField(choices=Level.choices, allow_null=True)
    channel_preference = serializers.CharField(
        allow_null=True,
        help_text=_(
            "The interaction method used most (one of the interaction `method` values); null "
            "while there are too few interactions to tell."
        ),
    )
    cooperation_level = serializers.ChoiceField(choices=CooperationLevel.choices, allow_null=True)
    budget_level = serializers.ChoiceField(choices=BudgetLevel.choices, allow_null=True)
    computed_at = serializers.DateTimeField(allow_null=True)
    reasons = ReasonSerializer(many=True)


def _classification_out(classification: CustomerClassification | None) -> dict:
    if classification is None:
        return {
            "interaction_frequency": None,
            "channel_preference": None,
            "cooperation_level": None,
            "budget_level": None,
            "computed_at": None,
            "reasons": [],
        }
    return {
        "interaction_frequency": classification.interaction_frequency,
        "channel_preference": classification.channel_preference or None,
        "cooperation_level": classification.cooperation_level,
        "budget_level": classification.budget_level,
        "computed_at": classification.computed_at,
        "reasons": [
            {"dimension": dimension, "level": level, "reason": why}
            for dimension, level, why in explain(classification)
        ],
    }


# --- the library ----------------------------------------------------------------------------
class TagFilter(django_filters.FilterSet):
    type = django_filters.ChoiceFilter(
        label=_("tag type"), field_name="tag_type", choices=TagType.choices
    )


@extend_schema(tags=["tags"])
@extend_schema_view(
    list=extend_schema(summary="The tag library (approved tags), for tagging and filtering")
)
class TagViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = TagSerializer
    pagination_class = None
    filter_backends = [DjangoFilterBackend]
    filterset_class = TagFilter

    def get_queryset(self):
        return selectors.tag_library()


# --- tag requests ---------------------------------------------------------------------------
@extend_schema(tags=["tags"])
class TagRequestViewSet(viewsets.GenericViewSet):
    """Anyone may ask for a new tag; the data steward or an administrator decides."""

    serializer_class = TagRequestSerializer
    filter_backends: list = []
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return selectors.tag_requests_visible(user=self.request.user)

    def _tag(self, pk) -> Tag:
        tag = self.get_queryset().filter(pk=pk).first()
        if tag is None:
            raise Http404
        return tag

    @extend_schema(
        summary="Your tag requests, or (reviewers) every request awaiting review",
        parameters=[TagRequestScopeSerializer],
        responses={200: TagRequestSerializer(many=True), 400: BAD_REQUEST, 403: FORBIDDEN},
    )
    def list(self, request):
        query = TagRequestScopeSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        if query.validated_data["scope"] == "pending":
            if not can_review_tags(request.user):
                raise PermissionDenied(_("Only the data steward or an administrator reviews tags."))
            tags = selectors.tag_requests_pending()
        else:
            tags = self.get_queryset().filter(requested_by=request.user)
        page = self.paginate_queryset(tags.order_by("-created_at", "-id"))
        return self.get_paginated_response(TagRequestSerializer(page, many=True).data)

    @extend_schema(
        summary="Ask for a new tag in the library",
        description="It can be attached to customers once the data steward approves it.",
        request=TagRequestCreateSerializer,
        responses={201: TagRequestSerializer, 400: BAD_REQUEST},
    )
    def create(self, request):
        tag = services.tag_request(
            by=request.user, **parse_input(TagRequestCreateSerializer, request)
        )
        return Response(TagRequestSerializer(tag).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="One tag request (yours, or any for reviewers)",
        parameters=[ID],
        responses={200: TagRequestSerializer, 404: NOT_FOUND},
    )
    def retrieve(self, request, pk=None):
        return Response(TagRequestSerializer(self._tag(pk)).data)

    @extend_schema(
        summary="Approve a tag request (reviewers; not your own)",
        parameters=[ID],
        request=TagApproveSerializer,
        responses={200: TagRequestSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def approve(self, request, pk=None):
        tag = self._tag(pk)
        note = parse_input(TagApproveSerializer, request)["note"]
        tag = services.tag_approve(tag=tag, by=request.user, note=note)
        return Response(TagRequestSerializer(tag).data)

    @extend_schema(
        summary="Reject a tag request with a reason (reviewers; not your own)",
        parameters=[ID],
        request=TagRejectSerializer,
        responses={200: TagRequestSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def reject(self, request, pk=None):
        tag = self._tag(pk)
        reason = parse_input(TagRejectSerializer, request)["reason"]
        tag = services.tag_reject(tag=tag, by=request.user, reason=reason)
        return Response(TagRequestSerializer(tag).data)


# --- a customer's tags and classification -----------------------------------------------------
@extend_schema(tags=["customers"])
class CustomerTagViewSet(viewsets.GenericViewSet):
    """``/customers/{id}/tags/``: tags attached to a customer (added-by and time are kept)."""

    serializer_class = CustomerTagSerializer
    pagination_class = None
    filter_backends: list = []
    lookup_url_kwarg = "tag_id"
    lookup_value_regex = r"\d+"

    @extend_schema(
        summary="The customer's tags",
        parameters=[CUSTOMER_ID],
        responses={200: CustomerTagSerializer(many=True), **READ_ERRORS},
    )
    def list(self, request, id=None):
        customer = access_customer(request.user, id)
        tags = selectors.customer_tags(user=request.user, customer=customer)
        return Response(CustomerTagSerializer(tags, many=True).data)

    @extend_schema(
        summary="Attach an approved tag",
        description=(
            "Refused (400, under `tag`) when the tag is not approved, is already there, or "
            "conflicts with a tag the customer carries (e.g. a second value tier)."
        ),
        parameters=[CUSTOMER_ID],
        request=CustomerTagCreateSerializer,
        responses={201: CustomerTagSerializer, **WRITE_ERRORS},
    )
    def create(self, request, id=None):
        customer = access_customer(request.user, id)
        data = parse_input(CustomerTagCreateSerializer, request)
        customer_tag = services.customer_tag_add(
            customer=customer, tag=data["tag"], by=request.user, note=data["note"]
        )
        return Response(CustomerTagSerializer(customer_tag).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Remove a tag from the customer",
        parameters=[CUSTOMER_ID, TAG_ID],
        responses={204: None, **READ_ERRORS},
    )
    def destroy(self, request, id=None, tag_id=None):
        customer = access_customer(request.user, id)
        customer_tag = (
            selectors.customer_tags(user=request.user, customer=customer)
            .filter(tag_id=tag_id)
            .first()
        )
        if customer_tag is None:
            raise Http404
        services.customer_tag_remove(customer_tag=customer_tag, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["customers"])
class CustomerClassificationViewSet(viewsets.ViewSet):
    """``/customers/{id}/classification/``: levels computed from the data, with the reasons."""

    schema = SingleObjectAutoSchema()

    @extend_schema(
        summary="The customer's computed levels and why",
        parameters=[CUSTOMER_ID],
        responses={200: ClassificationSerializer, **READ_ERRORS},
    )
    def list(self, request, id=None):
        customer = access_customer(request.user, id)
        classification = selectors.customer_classification(customer=customer)
        return Response(ClassificationSerializer(_classification_out(classification)).data)


def register(router) -> None:
    router.register("tags", TagViewSet, basename="tag")
    router.register("tag-requests", TagRequestViewSet, basename="tag-request")
    router.register(r"customers/(?P<id>\d+)/tags", CustomerTagViewSet, basename="customer-tag")
    router.register(
        r"customers/(?P<id>\d+)/classification",
        CustomerClassificationViewSet,
        basename="customer-classification",
    )
