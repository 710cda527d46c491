"""Sign in and out with Django's auth views (logout is POST only)."""

from django.contrib.auth import views as auth_views


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    # A signed-in user who opens the login page goes straight on to the customers.
    redirect_authenticated_user = True


LogoutView = auth_views.LogoutView
