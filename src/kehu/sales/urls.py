from django.urls import path

from kehu.sales import views

app_name = "sales"

urlpatterns = [
    path("leads/", views.lead_list, name="lead-list"),
    path("leads/new/", views.lead_create, name="lead-create"),
    path("leads/<int:pk>/", views.lead_detail, name="lead-detail"),
    path("leads/<int:pk>/edit/", views.lead_edit, name="lead-edit"),
    path("leads/<int:pk>/status/", views.lead_status, name="lead-status"),
    path("leads/<int:pk>/unmask/", views.lead_unmask, name="lead-unmask"),
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
    path("contracts/", views.contract_list, name="contract-list"),
    path("contracts/new/", views.contract_create, name="contract-create"),
    path("contracts/<int:pk>/", views.contract_detail, name="contract-detail"),
    path("contracts/<int:pk>/edit/", views.contract_edit, name="contract-edit"),
    path("contracts/<int:pk>/renew/", views.contract_renew, name="contract-renew"),
    path("contracts/<int:pk>/terminate/", views.contract_terminate, name="contract-terminate"),
    path("contracts/<int:pk>/delete/", views.contract_delete, name="contract-delete"),
    path("contracts/<int:pk>/payments/", views.payment_add, name="payment-add"),
    path("payments/<int:pk>/record/", views.payment_record, name="payment-record"),
    path("payments/<int:pk>/delete/", views.payment_delete, name="payment-delete"),
    path(
        "contracts/<int:pk>/attachments/", views.attachment_upload, name="contract-attachment-add"
    ),
    path(
        "contracts/<int:pk>/attachments/<int:attachment_pk>/",
        views.attachment_download,
        name="contract-attachment",
    ),
    path(
        "contracts/<int:pk>/attachments/<int:attachment_pk>/delete/",
        views.attachment_delete,
        name="contract-attachment-delete",
    ),
    path("customers/<int:pk>/contracts/", views.customer_contracts, name="customer-contracts"),
    path("orders/", views.order_list, name="order-list"),
    path("orders/new/", views.order_create, name="order-create"),
    path("orders/<int:pk>/", views.order_detail, name="order-detail"),
    path("orders/<int:pk>/edit/", views.order_edit, name="order-edit"),
    path("orders/<int:pk>/delete/", views.order_delete, name="order-delete"),
    path("web-to-lead/<str:token>/", views.web_to_lead, name="web-to-lead"),
]
