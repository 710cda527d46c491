from django.urls import path

from kehu.customers import views

app_name = "customers"

urlpatterns = [
    path("", views.customer_list, name="list"),
    path("new/", views.customer_create, name="create"),
    path("approvals/", views.approvals_inbox, name="approvals"),
    path("approvals/<int:change_pk>/approve/", views.approval_approve, name="approval-approve"),
    path("approvals/<int:change_pk>/reject/", views.approval_reject, name="approval-reject"),
    path("<int:pk>/", views.customer_detail, name="detail"),
    path("<int:pk>/edit/", views.customer_edit, name="edit"),
    path("<int:pk>/history/", views.customer_history, name="history"),
    path("<int:pk>/delete/", views.customer_delete, name="delete"),
    path("<int:pk>/unmask/", views.customer_unmask, name="unmask"),
    path("<int:pk>/status/", views.status_change, name="status-change"),
    path("<int:pk>/status/action/", views.status_action, name="status-action"),
    path("<int:pk>/status/changes/", views.status_changes, name="status-changes"),
    path("<int:pk>/contacts/new/", views.contact_create, name="contact-create"),
    path("<int:pk>/contacts/<int:contact_pk>/edit/", views.contact_edit, name="contact-edit"),
    path("<int:pk>/contacts/<int:contact_pk>/delete/", views.contact_delete, name="contact-delete"),
    path(
        "<int:pk>/contacts/<int:contact_pk>/make-decision-maker/",
        views.contact_make_decision_maker,
        name="contact-make-decision-maker",
    ),
    path("<int:pk>/team/", views.team_add, name="team-add"),
    path("<int:pk>/team/<int:user_pk>/remove/", views.team_remove, name="team-remove"),
]
