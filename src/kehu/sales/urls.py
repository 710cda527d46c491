from django.urls import path

from kehu.sales import views

app_name = "sales"

urlpatterns = [
    path("leads/", views.lead_list, name="lead-list"),
    path("leads/new/", views.lead_create, name="lead-create"),
    path("leads/<int:pk>/", views.lead_detail, name="lead-detail"),
    path("leads/<int:pk>/edit/", views.lead_edit, name="lead-edit"),
    path("leads/<int:pk>/status/", views.lead_status, name="lead-status"),
    path("leads/<int:pk>/delete/", views.lead_delete, name="lead-delete"),
    path("leads/<int:pk>/convert/", views.lead_convert, name="lead-convert"),
    path("opportunities/", views.opportunity_list, name="opportunity-list"),
    path("opportunities/board/", views.opportunity_board, name="opportunity-board"),
    path("opportunities/new/", views.opportunity_create, name="opportunity-create"),
    path("opportunities/<int:pk>/", views.opportunity_detail, name="opportunity-detail"),
    path("opportunities/<int:pk>/edit/", views.opportunity_edit, name="opportunity-edit"),
    path("opportunities/<int:pk>/move/", views.opportunity_move, name="opportunity-move"),
    path(
        "customers/<int:pk>/opportunities/",
        views.customer_opportunities,
        name="customer-opportunities",
    ),
    path("web-to-lead/<str:token>/", views.web_to_lead, name="web-to-lead"),
]
