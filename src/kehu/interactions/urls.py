from django.urls import path

from kehu.interactions import views

app_name = "interactions"

urlpatterns = [
    # interactions
    path("log/", views.interaction_list, name="list"),
    path("log/new/", views.interaction_log, name="log"),
    path("log/customers/", views.customer_picker, name="customer-picker"),
    path("customers/<int:pk>/log/", views.interaction_log, name="customer-log"),
    path("customers/<int:pk>/timeline/", views.customer_timeline, name="customer-timeline"),
    path("customers/<int:pk>/tasks/", views.customer_tasks, name="customer-tasks"),
    # tasks
    path("tasks/", views.my_tasks, name="my-tasks"),
    path("tasks/<int:pk>/complete/", views.task_complete, name="task-complete"),
    path("tasks/<int:pk>/reopen/", views.task_reopen, name="task-reopen"),
    path("tasks/calendar/", views.calendar_subscription, name="calendar"),
    path("tasks/calendar/regenerate/", views.calendar_regenerate, name="calendar-regenerate"),
    path("calendar/<slug:token>.ics", views.calendar_feed, name="calendar-feed"),
    # the notification bell
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/count/", views.notification_count, name="notification-count"),
    path("notifications/menu/", views.notification_menu, name="notification-menu"),
    path("notifications/read-all/", views.notification_read_all, name="notification-read-all"),
    path("notifications/<int:pk>/open/", views.notification_open, name="notification-open"),
    # reports
    path("timeliness/", views.timeliness, name="timeliness"),
]
