"""Interaction and task API serializers: input ones parse ids and types, the services decide.

Customers in a request body are ids inside your data scope (a hidden one is answered like a
missing one); users are ids from ``/api/v1/users/``.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from kehu.accounts.api import UserRefSerializer
from kehu.accounts.models import User
from kehu.core.api_schema import NamedChoiceField
from kehu.customers.api.serializers import CustomerRefSerializer, VisibleCustomerField
from kehu.interactions.models import (
    Feedback,
    Interaction,
    Method,
    Notification,
    Task,
    TaskStatus,
)

USER_HELP = _("User id (see /api/v1/users/).")
CUSTOMER_HELP = _("Customer id (see /api/v1/customers/).")


# --- interactions ---------------------------------------------------------------------------
class InteractionSerializer(serializers.ModelSerializer):
    customer = CustomerRefSerializer()
    follower = UserRefSerializer()
    next_action_owner = UserRefSerializer(allow_null=True)
    created_by = UserRefSerializer()
    is_late = serializers.BooleanField(
        help_text=_("Entered more than 24 hours after the interaction (counts against timeliness).")
    )

    class Meta:
        model = Interaction
        fields = [
            "id",
            "code",
            "customer",
            "occurred_at",
            "method",
            "topic",
            "summary",
            "feedback",
            "follower",
            "next_action",
            "next_action_owner",
            "next_action_due",
            "is_late",
            "created_by",
            "created_at",
        ]


class InteractionCreateSerializer(serializers.Serializer):
    customer = VisibleCustomerField(help_text=CUSTOMER_HELP)
    occurred_at = serializers.DateTimeField(
        help_text=_("When it happened; more than 24 hours ago counts as a late entry.")
    )
    method = serializers.ChoiceField(choices=Method.choices)
    topic = serializers.CharField(allow_blank=True)
    summary = serializers.CharField(allow_blank=True)
    feedback = serializers.ChoiceField(choices=Feedback.choices)
    follower = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(),
        required=False,
        help_text=_("Who talked to the customer; default: yourself."),
    )
    next_action = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=_("With an owner and a due time it becomes a task for the owner."),
    )
    next_action_owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), required=False, allow_null=True, help_text=USER_HELP
    )
    next_action_due = serializers.DateTimeField(required=False, allow_null=True)


# --- tasks ----------------------------------------------------------------------------------
class TaskSerializer(serializers.ModelSerializer):
    customer = CustomerRefSerializer()
    assignee = UserRefSerializer()
    created_by = UserRefSerializer()
    interaction = serializers.IntegerField(
        source="interaction_id",
        allow_null=True,
        help_text=_("The interaction whose next action this task is, if any."),
    )
    status = NamedChoiceField(enum_name="TaskStatus", choices=TaskStatus.choices)

    class Meta:
        model = Task
        fields = [
            "id",
            "title",
            "customer",
            "interaction",
            "assignee",
            "due_at",
            "status",
            "done_at",
            "reminded_at",
            "created_by",
            "created_at",
            "updated_at",
        ]


class TaskCreateSerializer(serializers.Serializer):
    customer = VisibleCustomerField(help_text=CUSTOMER_HELP)
    title = serializers.CharField(allow_blank=True)
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(),
        help_text=_("User id (see /api/v1/users/); must be able to see the customer."),
    )
    due_at = serializers.DateTimeField(help_text=_("Not in the past."))


class TaskReassignSerializer(serializers.Serializer):
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(),
        help_text=_("User id (see /api/v1/users/); must be able to see the customer."),
    )
    due_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text=_("A new due time; default: keep it.")
    )


class CalendarUrlSerializer(serializers.Serializer):
    url = serializers.CharField(
        help_text=_(
            "Secret iCalendar address of your tasks: subscribe to it in a calendar client. "
            "Anyone with it can read your tasks; regenerate it if it leaks."
        )
    )


# --- notifications --------------------------------------------------------------------------
class NotificationSerializer(serializers.ModelSerializer):
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "title", "body", "url", "created_at", "read_at", "is_read"]

    def get_is_read(self, notification: Notification) -> bool:
        return notification.read_at is not None


class CountSerializer(serializers.Serializer):
    count = serializers.IntegerField()


# --- timeliness -----------------------------------------------------------------------------
class TimelinessQuerySerializer(serializers.Serializer):
    group = serializers.ChoiceField(
        choices=[("user", _("per follower")), ("team", _("per department"))],
        default="user",
        help_text=_(
            "user: one row per follower; team: one row per department (with sub-departments)"
        ),
    )
    since = serializers.DateField(
        required=False, help_text=_("Interactions entered on or after this date")
    )
    until = serializers.DateField(
        required=False, help_text=_("Interactions entered on or before this date")
    )

    def validate(self, attrs):
        if attrs.get("since") and attrs.get("until") and attrs["since"] > attrs["until"]:
            raise serializers.ValidationError({"until": _("The end is before the start.")})
        return attrs


class TimelinessSerializer(serializers.Serializer):
    label = serializers.CharField(help_text=_("The follower's or the department's name."))
    total = serializers.IntegerField()
    on_time = serializers.IntegerField(help_text=_("Entered within 24 hours."))
    late = serializers.IntegerField()
    rate = serializers.FloatField(
        allow_null=True, help_text=_("on_time / total, 0–1 (the KPI target is 0.95).")
    )
