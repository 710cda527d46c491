"""Interaction, task, notification and timeliness API views.

Lists start from interactions.selectors (scoped through core.access), single records from
``access_interaction`` / ``access_task`` (404 when hidden or missing); writes go through
interactions.services, which answer 403 when the record is visible but not yours to change.
"""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from kehu.core.access import access_interaction, access_task
from kehu.core.api import parse_input
from kehu.core.api_schema import BAD_REQUEST, FORBIDDEN, ID, NOT_FOUND, READ_ERRORS, WRITE_ERRORS
from kehu.interactions import selectors, services
from kehu.interactions.api import serializers as s
from kehu.interactions.filters import InteractionFilter, NotificationFilter, TaskFilter


# --- interactions ---------------------------------------------------------------------------
@extend_schema(tags=["interactions"])
@extend_schema_view(
    list=extend_schema(
        summary="Interactions on customers you may see, newest first",
        responses={200: s.InteractionSerializer(many=True), 400: BAD_REQUEST},
    ),
)
class InteractionViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Interaction records are the audit trail of customer contact: created, never changed."""

    serializer_class = s.InteractionSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = InteractionFilter
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return selectors.interactions_visible(user=self.request.user).select_related(
            "next_action_owner", "created_by"
        )

    @extend_schema(
        summary="One interaction",
        parameters=[ID],
        responses={200: s.InteractionSerializer, **READ_ERRORS},
    )
    def retrieve(self, request, pk=None):
        return Response(s.InteractionSerializer(access_interaction(request.user, pk)).data)

    @extend_schema(
        summary="Log an interaction",
        description=(
            "A next action (text, owner, due time) becomes a task for its owner, who must be "
            "able to see the customer. An interaction entered more than 24 hours after it "
            "happened is marked late."
        ),
        request=s.InteractionCreateSerializer,
        responses={201: s.InteractionSerializer, 400: BAD_REQUEST, 403: FORBIDDEN},
    )
    def create(self, request):
        data = parse_input(s.InteractionCreateSerializer, request)
        interaction = services.interaction_create(
            customer=data["customer"], by=request.user, **services.interaction_fields(data)
        )
        return Response(s.InteractionSerializer(interaction).data, status=status.HTTP_201_CREATED)


# --- tasks ----------------------------------------------------------------------------------
def _calendar_url(token: str) -> str:
    path = reverse("interactions:calendar-feed", args=[token])
    return settings.KEHU_BASE_URL.rstrip("/") + path


@extend_schema(tags=["tasks"])
@extend_schema_view(
    list=extend_schema(
        summary="Tasks: yours by default, or every task you may see",
        responses={200: s.TaskSerializer(many=True), 400: BAD_REQUEST},
    ),
)
class TaskViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.TaskSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = TaskFilter
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return selectors.tasks_visible(user=self.request.user).select_related("created_by")

    @extend_schema(
        summary="One task", parameters=[ID], responses={200: s.TaskSerializer, **READ_ERRORS}
    )
    def retrieve(self, request, pk=None):
        return Response(s.TaskSerializer(access_task(request.user, pk)).data)

    @extend_schema(
        summary="Create a task on a customer",
        description="The assignee must be able to see the customer; the due time is not past.",
        request=s.TaskCreateSerializer,
        responses={201: s.TaskSerializer, 400: BAD_REQUEST, 403: FORBIDDEN},
    )
    def create(self, request):
        data = parse_input(s.TaskCreateSerializer, request)
        task = services.task_create(by=request.user, **data)
        return Response(s.TaskSerializer(task).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Mark the task done",
        description="Allowed to the assignee, the creator and whoever may edit the customer.",
        parameters=[ID],
        request=None,
        responses={200: s.TaskSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def complete(self, request, pk=None):
        task = services.task_complete(task=access_task(request.user, pk), by=request.user)
        return Response(s.TaskSerializer(task).data)

    @extend_schema(
        summary="Open the task again",
        parameters=[ID],
        request=None,
        responses={200: s.TaskSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def reopen(self, request, pk=None):
        task = services.task_reopen(task=access_task(request.user, pk), by=request.user)
        return Response(s.TaskSerializer(task).data)

    @extend_schema(
        summary="Give the task to someone else (and optionally a new due time)",
        parameters=[ID],
        request=s.TaskReassignSerializer,
        responses={200: s.TaskSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def reassign(self, request, pk=None):
        task = access_task(request.user, pk)
        data = parse_input(s.TaskReassignSerializer, request)
        task = services.task_reassign(task=task, by=request.user, **data)
        return Response(s.TaskSerializer(task).data)

    @extend_schema(
        summary="Your secret iCalendar feed address",
        request=None,
        responses={200: s.CalendarUrlSerializer},
    )
    @action(
        detail=False,
        methods=["get"],
        url_path="calendar-url",
        url_name="calendar-url",
        filter_backends=[],
        pagination_class=None,
    )
    def calendar_url(self, request):
        feed = services.calendar_feed_for(user=request.user)
        return Response(s.CalendarUrlSerializer({"url": _calendar_url(feed.token)}).data)

    @extend_schema(
        summary="Replace your iCalendar feed address (the old one stops working at once)",
        request=None,
        responses={200: s.CalendarUrlSerializer},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="calendar-url/regenerate",
        url_name="calendar-url-regenerate",
        filter_backends=[],
        pagination_class=None,
    )
    def calendar_url_regenerate(self, request):
        feed = services.calendar_feed_for(user=request.user, regenerate=True)
        return Response(s.CalendarUrlSerializer({"url": _calendar_url(feed.token)}).data)


# --- notifications --------------------------------------------------------------------------
@extend_schema(tags=["notifications"])
@extend_schema_view(
    list=extend_schema(
        summary="Your notifications (the bell), newest first",
        responses={200: s.NotificationSerializer(many=True), 400: BAD_REQUEST},
    ),
)
class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.NotificationSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = NotificationFilter
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return selectors.notifications_of(user=self.request.user)

    @extend_schema(
        summary="Mark one notification read",
        parameters=[ID],
        request=None,
        responses={200: s.NotificationSerializer, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def read(self, request, pk=None):
        notification = get_object_or_404(self.get_queryset(), pk=pk)
        services.notification_mark_read(user=request.user, notification_id=notification.pk)
        notification.refresh_from_db()
        return Response(s.NotificationSerializer(notification).data)

    @extend_schema(
        summary="Mark all your notifications read",
        request=None,
        responses={200: s.CountSerializer},
        description="`count` is how many were unread.",
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="read-all",
        url_name="read-all",
        filter_backends=[],
        pagination_class=None,
    )
    def read_all(self, request):
        return Response({"count": services.notification_mark_read(user=request.user)})

    @extend_schema(summary="How many notifications are unread", responses={200: s.CountSerializer})
    @action(
        detail=False,
        methods=["get"],
        url_path="unread-count",
        url_name="unread-count",
        filter_backends=[],
        pagination_class=None,
    )
    def unread_count(self, request):
        return Response({"count": selectors.unread_notifications(user=request.user).count()})


# --- timeliness -----------------------------------------------------------------------------
@extend_schema(tags=["reports"])
class TimelinessViewSet(viewsets.ViewSet):
    """Share of interactions entered within 24 hours, over the interactions you may see."""

    @extend_schema(
        summary="Timeliness of interaction entry, per follower or per department",
        parameters=[s.TimelinessQuerySerializer],
        responses={200: s.TimelinessSerializer(many=True), 400: BAD_REQUEST},
    )
    def list(self, request):
        query = s.TimelinessQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        compute = (
            selectors.timeliness_by_team
            if params["group"] == "team"
            else selectors.timeliness_by_user
        )
        rows = compute(viewer=request.user, since=params.get("since"), until=params.get("until"))
        return Response(s.TimelinessSerializer(rows, many=True).data)
