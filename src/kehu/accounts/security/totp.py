"""TOTP two-factor authentication (RFC 6238, 30-second steps, 6 digits) and recovery codes.

Who must use it: administrators always, anyone else once they confirmed an authenticator.
A code is accepted one step early or late (clock drift) and only once (``last_step``).
"""

from __future__ import annotations

import secrets

import pyotp
import segno
from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils import timezone

from kehu.accounts.security.models import RecoveryCode, TOTPDevice
from kehu.core.permissions import is_administrator

RECOVERY_CODE_COUNT = 10
# Session key set once the session passed (or did not need) the second factor.
VERIFIED_SESSION_KEY = "kehu_2fa_verified"


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed_at__isnull=False).first()


def two_factor_required(user) -> bool:
    return is_administrator(user) or confirmed_device(user) is not None


def totp_device_start(*, user) -> TOTPDevice:
    """The unconfirmed device being set up (a fresh secret unless one is pending)."""
    device, created = TOTPDevice.objects.get_or_create(
        user=user, defaults={"secret": pyotp.random_base32()}
    )
    return device


def provisioning_uri(device: TOTPDevice) -> str:
    return pyotp.TOTP(device.secret).provisioning_uri(
        name=device.user.username, issuer_name=str(settings.KEHU_COMPANY_NAME)
    )


def qr_code_svg(device: TOTPDevice) -> str:
    """The set-up QR code as inline SVG markup (no image request, nothing inline to run)."""
    return segno.make(provisioning_uri(device), error="m").svg_inline(scale=4, border=2)


def _matching_step(device: TOTPDevice, code: str) -> int | None:
    code = "".join(code.split())
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(device.secret)
    now = timezone.now()
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def totp_verify(*, device: TOTPDevice, code: str) -> bool:
    """True once per valid code; the step is recorded so the same code cannot be replayed."""
    step = _matching_step(device, code)
    if step is None or (device.last_step is not None and step <= device.last_step):
        return False
    updated = TOTPDevice.objects.filter(pk=device.pk).exclude(last_step__gte=step)
    if not updated.update(last_step=step):
        return False  # a concurrent request used it first
    device.last_step = step
    return True


def _new_recovery_code() -> str:
    raw = secrets.token_hex(5)
    return f"{raw[:5]}-{raw[5:]}"


@transaction.atomic
def recovery_codes_renew(*, user) -> list[str]:
    """Ten new single-use codes (the old ones stop working); shown once, stored hashed."""
    RecoveryCode.objects.filter(user=user).delete()
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.bulk_create(
        [RecoveryCode(user=user, code_hash=make_password(code)) for code in codes]
    )
    return codes


def recovery_code_use(*, user, code: str) -> bool:
    code = code.strip().lower()
    for recovery in RecoveryCode.objects.filter(user=user, used_at__isnull=True):
        if check_password(code, recovery.code_hash):
            return bool(
                RecoveryCode.objects.filter(pk=recovery.pk, used_at__isnull=True).update(
                    used_at=timezone.now()
                )
            )
    return False


def totp_device_confirm(*, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm a device with its first code; returns the recovery codes, or None if wrong."""
    with transaction.atomic():
        if not totp_verify(device=device, code=code):
            return None
        device.confirmed_at = timezone.now()
        device.save(update_fields=["confirmed_at"])
        return recovery_codes_renew(user=device.user)


@transaction.atomic
def totp_device_remove(*, user) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()


def second_factor_check(*, user, code: str) -> bool:
    """A 6-digit code from the authenticator, or one of the recovery codes."""
    device = confirmed_device(user)
    if device is None:
        return False
    if totp_verify(device=device, code=code):
        return True
    return "-" in code and recovery_code_use(user=user, code=code)
