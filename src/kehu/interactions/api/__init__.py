"""Interaction, task, notification and timeliness REST API (``/api/v1/interactions/`` …)."""

from kehu.interactions.api.views import (
    InteractionViewSet,
    NotificationViewSet,
    TaskViewSet,
    TimelinessViewSet,
)


def register(router) -> None:
    router.register("interactions", InteractionViewSet, basename="interaction")
    router.register("tasks", TaskViewSet, basename="task")
    router.register("notifications", NotificationViewSet, basename="notification")
    router.register("reports/timeliness", TimelinessViewSet, basename="report-timeliness")
