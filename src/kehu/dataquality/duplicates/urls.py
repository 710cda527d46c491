"""Duplicate pages, appended to the dataquality URLconf (mounted at /data-quality/)."""

from django.urls import path

from kehu.dataquality.duplicates import views

urlpatterns = [
    path("duplicates/", views.duplicate_list, name="duplicate-list"),
    path("duplicates/scan/", views.duplicate_scan, name="duplicate-scan"),
    path("duplicates/<int:pk>/dismiss/", views.duplicate_dismiss, name="duplicate-dismiss"),
    path("duplicates/merge/", views.duplicate_merge, name="duplicate-merge"),
    path("duplicates/merges/", views.merge_list, name="duplicate-merges"),
    path("duplicates/merges/<int:pk>/", views.merge_detail, name="duplicate-merge-detail"),
    path("duplicates/merges/<int:pk>/undo/", views.merge_undo, name="duplicate-merge-undo"),
    path("duplicates/code/<str:code>/", views.code_redirect, name="duplicate-code"),
]
