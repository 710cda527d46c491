from django.urls import path

from kehu.pool import views

app_name = "pool"

urlpatterns = [
    path("", views.pool_list, name="list"),
    path("entries/<int:pk>/claim/", views.entry_claim, name="entry-claim"),
    path("entries/<int:pk>/assign/", views.entry_assign, name="entry-assign"),
    path("customers/<int:pk>/return/", views.customer_return, name="customer-return"),
    path("history/", views.history, name="history"),
    path("manage/new/", views.pool_create, name="create"),
    path("manage/<int:pk>/", views.pool_edit, name="edit"),
    path("manage/<int:pk>/rules/", views.pool_rule_save, name="rule-save"),
    path(
        "manage/<int:pk>/rules/<int:rule_pk>/delete/",
        views.pool_rule_delete,
        name="rule-delete",
    ),
    path("assignment-rules/", views.assignment_rule_list, name="assignment-rules"),
    path("assignment-rules/new/", views.assignment_rule_edit, name="assignment-rule-create"),
    path("assignment-rules/<int:pk>/", views.assignment_rule_edit, name="assignment-rule-edit"),
    path(
        "assignment-rules/<int:pk>/delete/",
        views.assignment_rule_delete,
        name="assignment-rule-delete",
    ),
]
