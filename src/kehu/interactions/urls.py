from django.urls import path

from kehu.interactions import views

app_name = "interactions"

urlpatterns = [
    path("tasks/", views.my_tasks, name="my-tasks"),
]
