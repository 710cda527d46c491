"""Models of sign-in security; imported by accounts.models so they belong to the accounts app."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.core.crypto.fields import EncryptedTextField


class AccessOutcome(models.TextChoices):
    SUCCESS = "success", _("Signed in")
    FAILURE = "failure", _("Wrong user name or password")
    OTP_FAILURE = "otp_failure", _("Wrong or expired verification code")
    LOCKED = "locked", _("Refused: locked out")


# Outcomes that count towards a lockout.
FAILED_OUTCOMES = (AccessOutcome.FAILURE, AccessOutcome.OTP_FAILURE)


class AccessChannel(models.TextChoices):
    WEB = "web", _("Web sign-in")
    API = "api", _("API token")


class AccessEvent(models.Model):
    """One sign-in attempt: the lockout counts these, and the audit page lists them. The user
    name is kept as typed (also for names that match no account) so guessing shows up.
    "success" means fully signed in, after the second factor when the user has one."""

    username = models.CharField(_("user name"), max_length=150, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="access_events",
    )
    ip = models.GenericIPAddressField(_("address"), null=True, blank=True)
    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=AccessOutcome.choices)
    channel = models.CharField(
        _("channel"), max_length=8, choices=AccessChannel.choices, default=AccessChannel.WEB
    )

    class Meta:
        verbose_name = _("sign-in event")
        verbose_name_plural = _("sign-in events")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["username", "at"], name="accessevent_username_at"),
            models.Index(fields=["ip", "at"], name="accessevent_ip_at"),
        ]

    def __str__(self) -> str:
        return f"{self.username} {self.outcome} {self.at:%Y-%m-%d %H:%M}"


class TOTPDevice(models.Model):
    """An authenticator app of one user. The secret is encrypted at rest (AES-GCM, bound to
    this column) and re-encrypted by ``kehu rotate_keys``; ``last_step`` refuses a code that
    was already used."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="totp_device",
    )
    secret = EncryptedTextField(_("secret"), max_length=64, purpose="accounts.totpdevice.secret")
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    last_step = models.BigIntegerField(_("last used time step"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("authenticator")
        verbose_name_plural = _("authenticators")

    def __str__(self) -> str:
        return f"{self.user} ({'confirmed' if self.confirmed_at else 'pending'})"


class RecoveryCode(models.Model):
    """A single-use code for when the phone is lost; only its hash is kept."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="recovery_codes",
    )
    code_hash = models.CharField(_("code hash"), max_length=255)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")

    def __str__(self) -> str:
        return f"{self.user} recovery code {self.pk}"
