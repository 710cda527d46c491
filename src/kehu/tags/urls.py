from django.urls import path

from kehu.tags import views

app_name = "tags"

urlpatterns = [
    path("", views.library, name="library"),
    path("requests/", views.tag_request_create, name="request"),
    path("requests/<int:pk>/approve/", views.tag_request_approve, name="request-approve"),
    path("requests/<int:pk>/reject/", views.tag_request_reject, name="request-reject"),
    path("customers/<int:pk>/", views.customer_tags, name="customer-tags"),
    path(
        "customers/<int:pk>/<int:tag_pk>/remove/",
        views.customer_tag_remove,
        name="customer-tag-remove",
    ),
    path(
        "customers/<int:pk>/classification/",
        views.customer_classification,
        name="customer-classification",
    ),
]
