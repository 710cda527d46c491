"""Import pages, appended to the dataquality URLconf (mounted at /data-quality/)."""

from django.urls import path

from kehu.dataquality.imports import views

urlpatterns = [
    path("import/", views.import_history, name="import-history"),
    path("import/new/", views.import_start, name="import-start"),
    path("import/template.xlsx", views.import_template, name="import-template"),
    path("import/<int:pk>/", views.import_detail, name="import-detail"),
    path("import/<int:pk>/mapping/", views.import_mapping, name="import-mapping"),
    path("import/<int:pk>/run/", views.import_run, name="import-run"),
    path("import/<int:pk>/rollback/", views.import_rollback, name="import-rollback"),
    path("import/<int:pk>/errors.xlsx", views.import_errors, name="import-errors"),
]
