from django.urls import path

from kehu.recyclebin import views

app_name = "recyclebin"

urlpatterns = [
    path("", views.deleted_list, name="list"),
    path("<int:pk>/restore/", views.deleted_restore, name="restore"),
    path("<int:pk>/purge/", views.deleted_purge, name="purge"),
]
