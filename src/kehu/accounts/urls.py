from django.urls import include, path

from kehu.accounts import views
from kehu.accounts.security import views as security_views

# Handover pages live in the "accounts" namespace (accounts:handovers); sign-in and sign-out
# stay un-namespaced: settings.LOGIN_URL and LOGOUT_REDIRECT_URL name "login".
handover_patterns = [
    path("", views.handover_list, name="handovers"),
    path("new/", views.handover_create, name="handover-create"),
    path("preview/", views.handover_preview, name="handover-preview"),
    path("<int:pk>/", views.handover_detail, name="handover-detail"),
    path("<int:pk>/confirm/", views.handover_confirm, name="handover-confirm"),
    path("<int:pk>/reject/", views.handover_reject, name="handover-reject"),
]

urlpatterns = [
    path("login/", security_views.LoginView.as_view(), name="login"),
    path("login/verify/", security_views.login_verify, name="login-verify"),
    path("two-factor/", security_views.two_factor, name="two-factor"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("handovers/", include((handover_patterns, "accounts"))),
]
