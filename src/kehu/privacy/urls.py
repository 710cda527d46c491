from django.urls import path

from kehu.privacy import views

app_name = "privacy"

urlpatterns = [
    path("contacts/<int:pk>/consents/", views.contact_consents, name="contact-consents"),
    path("customers/<int:pk>/consents/", views.customer_consents, name="customer-consents"),
    path("consents/<int:pk>/withdraw/", views.consent_withdraw, name="consent-withdraw"),
    path("requests/", views.request_list, name="request-list"),
    path("requests/new/", views.request_create, name="request-create"),
    path("requests/<int:pk>/", views.request_detail, name="request-detail"),
    path("requests/<int:pk>/export/", views.request_export, name="request-export"),
    path("requests/<int:pk>/correct/", views.request_correct, name="request-correct"),
    path("requests/<int:pk>/erase/", views.request_erase, name="request-erase"),
    path("requests/<int:pk>/reject/", views.request_reject, name="request-reject"),
]
