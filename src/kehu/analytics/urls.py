from django.urls import path

from kehu.analytics import views

app_name = "analytics"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("won-lost/", views.won_lost, name="won-lost"),
]
