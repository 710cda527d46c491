"""Sign-in pages: password (with lockout), the verification-code step, and the
two-factor set-up page (QR code, secret, confirm; recovery codes shown once)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kehu.accounts.security.forms import LockoutAuthenticationForm, VerificationCodeForm
from kehu.accounts.security.lockout import (
    access_event_record,
    lockout_message,
    login_locked_until,
)
from kehu.accounts.security.models import AccessOutcome
from kehu.accounts.security.totp import (
    VERIFIED_SESSION_KEY,
    confirmed_device,
    qr_code_svg,
    recovery_codes_renew,
    second_factor_check,
    totp_device_confirm,
    totp_device_remove,
    totp_device_start,
    totp_verify,
)
from kehu.core.api import client_ip
from kehu.core.permissions import is_administrator


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    # A path, not the setting's URL name: it is also rendered as a link and a hidden field.
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _signed_in(request: HttpRequest) -> None:
    request.session[VERIFIED_SESSION_KEY] = True
    access_event_record(
        username=request.user.get_username(),
        ip=client_ip(request),
        outcome=AccessOutcome.SUCCESS,
        user=request.user,
    )


# The lockout message for the login page after a lockout at the code step (which signs out).
LOCKOUT_NOTICE_KEY = "kehu_lockout_notice"


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    form_class = LockoutAuthenticationForm
    # A signed-in user who opens the login page goes straight on to the customers.
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        errors = context["form"].non_field_errors().as_data()
        locked = [error.message for error in errors if error.code == "locked"]
        context["lockout"] = (
            locked[0] if locked else self.request.session.pop(LOCKOUT_NOTICE_KEY, None)
        )
        return context

    def form_valid(self, form):
        response = super().form_valid(form)  # logs in; the session is verified or not
        if self.request.session.get(VERIFIED_SESSION_KEY):
            _signed_in(self.request)
            return response
        url = reverse("login-verify" if confirmed_device(self.request.user) else "two-factor")
        if self.get_redirect_url():
            url += "?" + urlencode({"next": self.get_redirect_url()})
        return HttpResponseRedirect(url)


@login_required
@require_http_methods(["GET", "POST"])
def login_verify(request: HttpRequest) -> HttpResponse:
    """Second step for users with an authenticator: a wrong or expired code counts towards
    the lockout like a wrong password."""
    if request.session.get(VERIFIED_SESSION_KEY):
        return redirect(_next_url(request))
    if confirmed_device(request.user) is None:
        return redirect("two-factor")
    form = VerificationCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        username, ip = request.user.get_username(), client_ip(request)
        until = login_locked_until(username=username, ip=ip)
        if until is None and second_factor_check(user=request.user, code=form.cleaned_data["code"]):
            _signed_in(request)
            return redirect(_next_url(request))
        outcome = AccessOutcome.LOCKED if until else AccessOutcome.OTP_FAILURE
        access_event_record(username=username, ip=ip, outcome=outcome, user=request.user)
        until = until or login_locked_until(username=username, ip=ip)
        if until:
            logout(request)
            request.session[LOCKOUT_NOTICE_KEY] = lockout_message(until)
            return redirect("login")
        form.add_error(
            "code",
            _("The code is wrong or has expired. Enter the current code from your app."),
        )
    next_url = request.POST.get("next") or request.GET.get("next", "")
    return render(request, "registration/login_verify.html", {"form": form, "next": next_url})


def _setup_page(request: HttpRequest, form: VerificationCodeForm) -> HttpResponse:
    device = totp_device_start(user=request.user)
    context = {
        "form": form,
        "secret": device.secret,
        "qr_svg": qr_code_svg(device),
        "required": is_administrator(request.user),
        "next": _next_url(request),
    }
    return render(request, "registration/two_factor_setup.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def two_factor(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator (required for administrators before anything else), or, once
    set up, renew the recovery codes or remove it (only where it is optional)."""
    device = confirmed_device(request.user)
    verified = bool(request.session.get(VERIFIED_SESSION_KEY))
    if device and not verified:
        return redirect("login-verify")
    action = request.POST.get("action", "")
    form = VerificationCodeForm(request.POST if action else None)
    if device is None:
        if action == "confirm" and form.is_valid():
            pending = totp_device_start(user=request.user)
            codes = totp_device_confirm(device=pending, code=form.cleaned_data["code"])
            if codes is not None:
                if not verified:
                    _signed_in(request)
                context = {"codes": codes, "next": _next_url(request)}
                return render(request, "registration/recovery_codes.html", context)
            form.add_error("code", _("The code is wrong or has expired. Try the current one."))
        return _setup_page(request, form)
    if action == "renew":
        codes = recovery_codes_renew(user=request.user)
        return render(request, "registration/recovery_codes.html", {"codes": codes, "next": ""})
    removable = not is_administrator(request.user)
    if action == "remove" and removable and form.is_valid():
        if totp_verify(device=device, code=form.cleaned_data["code"]):
            totp_device_remove(user=request.user)
            messages.success(request, _("Two-factor authentication is off."))
            return redirect("two-factor")
        form.add_error("code", _("The code is wrong or has expired. Try the current one."))
    context = {
        "device": device,
        "form": form,
        "removable": removable,
        "unused_codes": request.user.recovery_codes.filter(used_at__isnull=True).count(),
    }
    return render(request, "registration/two_factor.html", context)
