"""Interaction pages: the 360 page's timeline, quick entry and tasks card, the global "log
interaction" page and list, my tasks, the notification bell, the iCalendar feed and the
timeliness report.

Customers come from core.access (404 when hidden or missing), lists from interactions
selectors; every write is a service call. HTMX requests get fragments; the same URLs answer
plain requests with whole pages, so everything works without JavaScript too.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kehu.accounts.models import User
from kehu.core.access import access_customer, access_task, can_edit_customer
from kehu.core.permissions import can_change_task
from kehu.customers.filters import CustomerFilter
from kehu.customers.models import Customer
from kehu.customers.selectors import customer_list
from kehu.interactions import selectors, services
from kehu.interactions.calendar import tasks_to_ical
from kehu.interactions.filters import InteractionFilter
from kehu.interactions.forms import InteractionForm, PeriodForm, TaskForm, person_label
from kehu.interactions.models import CalendarFeed, TaskStatus

TIMELINE_PAGE_SIZE = 20
PICKER_LIMIT = 10
MENU_SIZE = 8


def _is_partial(request: HttpRequest) -> bool:
    """An HTMX request wants the fragment; a history restore (back button) the whole page."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def _respond(request: HttpRequest, full: str, partial: str, context: dict) -> HttpResponse:
    response = render(request, partial if _is_partial(request) else full, context)
    patch_vary_headers(response, ("HX-Request",))  # same URL, fragment or page: cache apart
    return response


def _trigger(response: HttpResponse, *, toast: str = "", level: str = "success", **events):
    """HX-Trigger: client events (timeline refresh, …) and a toast. json.dumps escapes
    non-ASCII, so Chinese messages survive the trip through an HTTP header."""
    payload = {name.replace("_", "-"): value for name, value in events.items()}
    if toast:
        payload["kehu:toast"] = {"message": toast, "level": level}
    response["HX-Trigger"] = json.dumps(payload)
    return response


def _next_url(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _timeline_url(customer: Customer) -> str:
    return reverse("customers:detail", args=[customer.pk]) + "#interactions"


# --- the 360 page: timeline -----------------------------------------------------------------
@login_required
@require_GET
def customer_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    """The customer's interactions, newest first, a page at a time ("show more")."""
    customer = access_customer(request.user, pk)
    interactions = selectors.interaction_timeline(
        user=request.user, customer=customer
    ).prefetch_related("tasks")
    page = Paginator(interactions, TIMELINE_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"customer": customer, "page_obj": page, "interactions": page.object_list}
    if _is_partial(request) and page.number > 1:  # "show more": just the next items
        return render(request, "interactions/_timeline_items.html", context)
    return _respond(
        request, "interactions/customer_timeline.html", "interactions/_timeline.html", context
    )


# --- logging an interaction -----------------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def interaction_log(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Quick entry. On the 360 page the form is an HTMX fragment; the global "log interaction"
    page first picks the customer (?customer=…), then shows the same form."""
    customer_pk = pk or request.GET.get("customer")
    customer = access_customer(request.user, customer_pk) if customer_pk else None
    form = logged = None
    if customer is not None:
        data = request.POST if request.method == "POST" else None
        form = InteractionForm(data, customer=customer, user=request.user)
    if request.method == "POST":
        if form is None:
            return redirect("interactions:log")
        if form.is_valid():
            try:
                logged = services.interaction_create(
                    customer=customer, by=request.user, **form.service_data()
                )
            except ValidationError as exc:
                form.map_service_errors(exc)
        if logged is not None:
            message = _("Interaction %(code)s was logged.") % {"code": logged.code}
            if not _is_partial(request):
                messages.success(request, message)
                return redirect(_next_url(request, _timeline_url(customer)))
            fresh = InteractionForm(customer=customer, user=request.user)
            context = {"form": fresh, "customer": customer, "logged": logged}
            response = render(request, "interactions/_interaction_form.html", context)
            return _trigger(response, toast=message, interaction_logged=customer.pk)
    context = {"form": form, "customer": customer}
    if _is_partial(request) and form is not None:
        return render(request, "interactions/_interaction_form.html", context)
    if customer is None:
        context.update(_picker_context(request))
    return render(request, "interactions/log_interaction.html", context)


def _picker_context(request: HttpRequest) -> dict:
    """Customers matching ?q= (name, pinyin initials, code, contact, mobile last 4), scoped."""
    query = (request.GET.get("q") or "").strip()
    customers: list[Customer] = []
    if query:
        found = CustomerFilter(
            data={"q": query}, queryset=customer_list(user=request.user), user=request.user
        )
        customers = list(found.qs.order_by("name")[:PICKER_LIMIT])
    return {"customers": customers, "query": query, "limit": PICKER_LIMIT}


@login_required
@require_GET
def customer_picker(request: HttpRequest) -> HttpResponse:
    """The log page's customer search, as you type."""
    return render(request, "interactions/_customer_picker.html", _picker_context(request))


@login_required
@require_GET
def interaction_list(request: HttpRequest) -> HttpResponse:
    """Every interaction the user may see, filtered by method, feedback, follower and date."""
    interactions = selectors.interactions_visible(user=request.user).select_related(
        "next_action_owner"
    )
    found = InteractionFilter(data=request.GET, queryset=interactions)
    follower = found.form.fields["follower"]
    follower.queryset = User.objects.filter(is_active=True).select_related("department")
    follower.label_from_instance = person_label
    for name, field in found.form.fields.items():
        is_select = name in ("method", "feedback", "follower")
        field.widget.attrs["class"] = (
            "form-select form-select-sm" if is_select else "form-control form-control-sm"
        )
        if name.startswith("occurred_"):
            field.widget.input_type = "date"
    page = Paginator(found.qs, settings.KEHU_LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    filtered = any(request.GET.get(name) for name in found.form.fields)
    context = {
        "filter_form": found.form,
        "page_obj": page,
        "interactions": page.object_list,
        "filtered": filtered,
    }
    return _respond(
        request,
        "interactions/interaction_list.html",
        "interactions/_interaction_results.html",
        context,
    )


# --- tasks ----------------------------------------------------------------------------------
@login_required
@require_GET
def my_tasks(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    context = {"tasks": selectors.my_tasks(user=request.user, now=now), "now": now}
    return _respond(request, "interactions/my_tasks.html", "interactions/_my_tasks.html", context)


def _customer_tasks_context(request: HttpRequest, customer: Customer, form: TaskForm) -> dict:
    tasks = list(
        selectors.tasks_visible(user=request.user)
        .filter(customer=customer, status=TaskStatus.OPEN)
        .order_by("due_at", "id")
    )
    edit = can_edit_customer(request.user, customer)  # once, not once per task
    for task in tasks:
        task.changeable = edit or can_change_task(request.user, task)
    return {"customer": customer, "tasks": tasks, "form": form, "now": timezone.now()}


@login_required
@require_http_methods(["GET", "POST"])
def customer_tasks(request: HttpRequest, pk: int) -> HttpResponse:
    """The 360 page's tasks card: the customer's open tasks and "add task"."""
    customer = access_customer(request.user, pk)
    if request.method == "GET":
        form = TaskForm(customer=customer, user=request.user)
        context = _customer_tasks_context(request, customer, form)
        return _respond(
            request, "interactions/customer_tasks.html", "interactions/_tasks_card.html", context
        )
    form = TaskForm(request.POST, customer=customer, user=request.user)
    task = None
    if form.is_valid():
        try:
            task = services.task_create(customer=customer, by=request.user, **form.service_data())
        except ValidationError as exc:
            form.map_service_errors(exc)
    if task is not None:
        message = _("Task “%(title)s” was added.") % {"title": task.title}
        if not _is_partial(request):
            messages.success(request, message)
            return redirect(reverse("customers:detail", args=[customer.pk]) + "#tasks")
        form = TaskForm(customer=customer, user=request.user)
        response = render(
            request,
            "interactions/_tasks_card.html",
            _customer_tasks_context(request, customer, form),
        )
        return _trigger(response, toast=message)
    context = _customer_tasks_context(request, customer, form)
    if _is_partial(request):
        return render(request, "interactions/_tasks_card.html", context)
    return render(request, "interactions/customer_tasks.html", context)


def _change_task(request: HttpRequest, pk: int, change, done_message: str) -> HttpResponse:
    task = access_task(request.user, pk)  # 404 when hidden; the service answers 403
    level = "success"
    try:
        change(task=task, by=request.user)
    except ValidationError as exc:
        message, level = " ".join(exc.messages), "danger"
    else:
        message = done_message % {"title": task.title}
    if _is_partial(request):
        return _trigger(HttpResponse(status=204), toast=message, level=level, task_changed=task.pk)
    (messages.success if level == "success" else messages.error)(request, message)
    return redirect(_next_url(request, reverse("interactions:my-tasks")))


@login_required
@require_POST
def task_complete(request: HttpRequest, pk: int) -> HttpResponse:
    return _change_task(request, pk, services.task_complete, _("Task “%(title)s” is done."))


@login_required
@require_POST
def task_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    return _change_task(request, pk, services.task_reopen, _("Task “%(title)s” is open again."))


# --- iCalendar ------------------------------------------------------------------------------
def _feed_url(feed: CalendarFeed) -> str:
    path = reverse("interactions:calendar-feed", args=[feed.token])
    return settings.KEHU_BASE_URL.rstrip("/") + path


@login_required
@require_GET
@never_cache
def calendar_subscription(request: HttpRequest) -> HttpResponse:
    feed = services.calendar_feed_for(user=request.user)
    return render(request, "interactions/calendar.html", {"feed_url": _feed_url(feed)})


@login_required
@require_POST
def calendar_regenerate(request: HttpRequest) -> HttpResponse:
    services.calendar_feed_for(user=request.user, regenerate=True)
    messages.success(request, _("Your calendar has a new address. The old one no longer works."))
    return redirect("interactions:calendar")


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """No login: calendar clients cannot sign in, so the secret token is the credential. An
    unknown (or regenerated-away) token, or a deactivated user's, is a plain 404."""
    feed = get_object_or_404(
        CalendarFeed.objects.select_related("user"), token=token, user__is_active=True
    )
    user = feed.user
    body = tasks_to_ical(
        selectors.user_calendar_tasks(user=user),
        calendar_name=_("Kehu tasks · %(name)s") % {"name": user.display_name},
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="kehu-tasks.ics"'
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response


# --- notifications --------------------------------------------------------------------------
@login_required
@require_GET
def notification_count(request: HttpRequest) -> HttpResponse:
    count = selectors.unread_notifications(user=request.user).count()
    return render(request, "interactions/_notification_count.html", {"count": count})


def _menu(request: HttpRequest) -> HttpResponse:
    context = {"notifications": selectors.recent_notifications(user=request.user, limit=MENU_SIZE)}
    return render(request, "interactions/_notification_menu.html", context)


@login_required
@require_GET
def notification_menu(request: HttpRequest) -> HttpResponse:
    """The bell's drop-down, loaded when it opens."""
    return _menu(request)


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    notifications = selectors.notifications_of(user=request.user)
    page = Paginator(notifications, settings.KEHU_LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page_obj": page,
        "notifications": page.object_list,
        "unread": selectors.unread_notifications(user=request.user).count(),
    }
    return render(request, "interactions/notifications.html", context)


@login_required
@require_POST
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one of MY notifications read and follow its link (someone else's: 404)."""
    notification = get_object_or_404(selectors.notifications_of(user=request.user), pk=pk)
    services.notification_mark_read(user=request.user, notification_id=notification.pk)
    target = notification.url
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("interactions:notifications")
    return redirect(target or "interactions:notifications")


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    count = services.notification_mark_read(user=request.user)
    if _is_partial(request):
        return _trigger(_menu(request), notifications_changed=count)
    messages.success(request, _("All notifications are marked read."))
    return redirect(_next_url(request, reverse("interactions:notifications")))


# --- timeliness -----------------------------------------------------------------------------
TIMELINESS_TARGET = 0.95  # KPI: at least 95 % of interactions entered within 24 h


@login_required
@require_GET
def timeliness(request: HttpRequest) -> HttpResponse:
    form = PeriodForm(request.GET or None)
    since, until = form.period()
    if not form.is_bound:  # show the default period in the inputs
        form = PeriodForm(initial={"since": since, "until": until})
    by_user = selectors.timeliness_by_user(viewer=request.user, since=since, until=until)
    by_team = selectors.timeliness_by_team(viewer=request.user, since=since, until=until)
    chart = {
        "target": TIMELINESS_TARGET * 100,
        "labels": [row.label for row in by_user],
        "rates": [round(row.on_time * 100 / row.total, 1) for row in by_user],
        "late": [row.late for row in by_user],
        "titles": {"rate": _("On time %"), "target": _("Target")},
    }
    total = sum(row.total for row in by_user)
    on_time = sum(row.on_time for row in by_user)
    context = {
        "form": form,
        "since": since,
        "until": until,
        "by_user": by_user,
        "by_team": by_team,
        "total": total,
        "overall": on_time / total if total else None,
        "target": TIMELINESS_TARGET,
        "chart": chart,
    }
    return render(request, "interactions/timeliness.html", context)
