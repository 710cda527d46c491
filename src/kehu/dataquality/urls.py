from django.urls import path

from kehu.dataquality import views

app_name = "dataquality"

urlpatterns = [
    path("", views.overview, name="overview"),
    path(
        "export/customers.<str:fmt>",
        views.export_customers,
        name="export-customers",
    ),
]
