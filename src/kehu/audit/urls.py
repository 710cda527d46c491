from django.urls import path

from kehu.audit import views

app_name = "audit"

urlpatterns = [
    path("", views.audit_feed, name="feed"),
    path("export.csv", views.audit_export, name="export"),
    path("entries/<str:source>/<int:pk>/", views.audit_entry, name="entry"),
    path("entries/<str:source>/<int:pk>/revert/", views.audit_revert, name="revert"),
]
