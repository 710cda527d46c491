"""Sign-in forms: the password step with the lockout, and the verification-code step."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from kehu.accounts.security.lockout import (
    access_event_record,
    lockout_message,
    login_locked_until,
)
from kehu.accounts.security.models import AccessOutcome
from kehu.core.api import client_ip


class LockoutAuthenticationForm(AuthenticationForm):
    """Refuses a locked user name or address before checking the password (same message
    whether or not the account exists), and logs every failure."""

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        ip = client_ip(self.request)
        until = login_locked_until(username=username, ip=ip)
        if until:
            access_event_record(username=username, ip=ip, outcome=AccessOutcome.LOCKED)
            raise forms.ValidationError(lockout_message(until), code="locked")
        try:
            return super().clean()
        except forms.ValidationError:
            access_event_record(username=username, ip=ip, outcome=AccessOutcome.FAILURE)
            until = login_locked_until(username=username, ip=ip)
            if until:
                raise forms.ValidationError(lockout_message(until), code="locked") from None
            raise


class VerificationCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Verification code"),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
        help_text=_("The 6-digit code from your authenticator app, or a recovery code."),
    )
