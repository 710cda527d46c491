"""Session checks on every request: the idle timeout, and the second factor.

A session is marked verified at sign-in when the user needs no second factor (see
``mark_session_at_login``), or once they entered a code. Until then a user who needs one
(administrators, anyone with an authenticator) reaches only the code and set-up pages and
sign-out; this holds for every way in, the Django admin's login included.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from kehu.accounts.security.totp import (
    VERIFIED_SESSION_KEY,
    confirmed_device,
    two_factor_required,
)

LAST_SEEN_SESSION_KEY = "kehu_last_seen"
# The last-seen time is rewritten at most this often, not on every request (one session write).
_SEEN_GRANULARITY = 60


@receiver(user_logged_in, dispatch_uid="kehu-session-at-login")
def mark_session_at_login(sender, request, user, **kwargs) -> None:
    """A fresh password sign-in: verified only when no second factor is due."""
    session = getattr(request, "session", None)
    if session is None:
        return
    session[VERIFIED_SESSION_KEY] = not two_factor_required(user)
    session[LAST_SEEN_SESSION_KEY] = int(time.time())


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _to_login(request: HttpRequest) -> HttpResponse:
    """Back to the login page; an HTMX request gets a full-page redirect, not a fragment."""
    if request.headers.get("HX-Request"):
        current = request.headers.get("HX-Current-URL") or "/"
        response = HttpResponse(status=204)
        response["HX-Redirect"] = f"{reverse('login')}?{urlencode({'next': current})}"
        return response
    return redirect(f"{reverse('login')}?{urlencode({'next': request.get_full_path()})}")


class IdleTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            seen = request.session.get(LAST_SEEN_SESSION_KEY)
            if seen and now - seen > settings.KEHU_SESSION_IDLE_MINUTES * 60:
                logout(request)
                if not _is_api(request):
                    messages.info(request, _("You were signed out after a time without activity."))
                    return _to_login(request)
            elif seen is None or now - seen >= _SEEN_GRANULARITY:
                request.session[LAST_SEEN_SESSION_KEY] = now
        return self.get_response(request)


class TwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not request.session.get(VERIFIED_SESSION_KEY):
            if not two_factor_required(user):
                request.session[VERIFIED_SESSION_KEY] = True  # a session from before 2FA
            elif not self._allowed(request):
                return self._send_to_second_factor(request)
        return self.get_response(request)

    @staticmethod
    def _allowed(request: HttpRequest) -> bool:
        open_paths = {
            reverse("login-verify"),
            reverse("two-factor"),
            reverse("logout"),
            reverse("set_language"),
        }
        return request.path in open_paths or request.path.startswith("/" + settings.STATIC_URL)

    @staticmethod
    def _send_to_second_factor(request: HttpRequest) -> HttpResponse:
        if _is_api(request):
            return JsonResponse(
                {"detail": _("Enter your two-factor verification code in the web app first.")},
                status=403,
            )
        target = "login-verify" if confirmed_device(request.user) else "two-factor"
        query = urlencode({"next": request.get_full_path()})
        return redirect(f"{reverse(target)}?{query}")
