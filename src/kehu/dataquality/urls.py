from django.urls import path

from kehu.dataquality import views
from kehu.dataquality.duplicates.urls import urlpatterns as duplicate_urls
from kehu.dataquality.imports.urls import urlpatterns as import_urls

app_name = "dataquality"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("review/", views.review, name="review"),
    path("stale/", views.stale, name="stale"),
    path("duplicate-check/", views.duplicate_check, name="duplicate-check"),
    path("duplicate-ask/", views.duplicate_ask, name="duplicate-ask"),
    path(
        "export/customers.<str:fmt>",
        views.export_customers,
        name="export-customers",
    ),
]
urlpatterns += import_urls + duplicate_urls
