from django.urls import path

from kehu.segments import views

app_name = "segments"

urlpatterns = [
    path("", views.segment_list, name="list"),
    path("new/", views.segment_create, name="create"),
    path("builder/row/", views.builder_row, name="builder-row"),
    path("builder/count/", views.builder_count, name="builder-count"),
    path("<int:pk>/", views.segment_detail, name="detail"),
    path("<int:pk>/edit/", views.segment_edit, name="edit"),
    path("<int:pk>/delete/", views.segment_delete, name="delete"),
    path("<int:pk>/assign/", views.segment_assign, name="assign"),
    path("<int:pk>/export.<str:fmt>", views.segment_export, name="export"),
]
