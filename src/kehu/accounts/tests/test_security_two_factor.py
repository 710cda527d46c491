"""TOTP two-factor authentication: required for administrators, optional for others."""

import re
import time

import pyotp
import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from kehu.accounts.models import AccessEvent, RecoveryCode, TOTPDevice
from kehu.accounts.security.models import AccessOutcome
from kehu.accounts.security.totp import (
    VERIFIED_SESSION_KEY,
    recovery_codes_renew,
    totp_device_confirm,
    totp_device_start,
)

PASSWORD = "pw-Kehu-2026"


def sign_in(client, username, **extra):
    return client.post(reverse("login"), {"username": username, "password": PASSWORD}, **extra)


def with_device(user) -> pyotp.TOTP:
    """A confirmed authenticator for `user`; returns the app's view of it."""
    device = totp_device_start(user=user)
    totp = pyotp.TOTP(device.secret)
    assert totp_device_confirm(device=device, code=totp.at(time.time() - 30)) is not None
    return totp


def test_administrator_is_sent_to_set_up_after_the_password(client, administrator):
    response = sign_in(client, "administrator")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("two-factor"))


def test_administrator_without_a_device_can_open_nothing_else(client, administrator):
    sign_in(client, "administrator")

    for path in (reverse("customers:list"), "/admin/", reverse("accounts:handovers")):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(reverse("two-factor")), path
    assert client.get("/api/v1/me/").status_code == 403


def test_set_up_page_shows_a_qr_code_and_the_secret(english, administrator):
    sign_in(english, "administrator")

    response = english.get(reverse("two-factor"))

    text = response.content.decode()
    device = TOTPDevice.objects.get(user=administrator)
    assert "<svg" in text
    assert device.secret in text
    assert "Administrators must use two-factor authentication" in text
    assert device.confirmed_at is None


def test_confirming_the_device_shows_ten_recovery_codes_and_opens_the_app(client, administrator):
    sign_in(client, "administrator")
    client.get(reverse("two-factor"))
    secret = TOTPDevice.objects.get(user=administrator).secret

    response = client.post(
        reverse("two-factor"), {"action": "confirm", "code": pyotp.TOTP(secret).now()}
    )

    codes = re.findall(r"<li>([0-9a-f]{5}-[0-9a-f]{5})</li>", response.content.decode())
    assert len(codes) == 10
    assert RecoveryCode.objects.filter(user=administrator).count() == 10
    assert not RecoveryCode.objects.filter(code_hash__in=codes).exists()  # hashed
    assert client.get(reverse("customers:list")).status_code == 200
    assert AccessEvent.objects.filter(user=administrator, outcome=AccessOutcome.SUCCESS).exists()


def test_without_a_next_page_the_recovery_codes_continue_to_the_dashboard(client, administrator):
    # The default landing page is a setting holding a URL name: the link must be its path.
    sign_in(client, "administrator")
    client.get(reverse("two-factor"))
    secret = TOTPDevice.objects.get(user=administrator).secret

    response = client.post(
        reverse("two-factor"), {"action": "confirm", "code": pyotp.TOTP(secret).now()}
    )

    assert f'href="{reverse("analytics:dashboard")}" data-testid="continue"' in (
        response.content.decode()
    )


def test_a_wrong_set_up_code_is_refused(english, administrator):
    sign_in(english, "administrator")
    english.get(reverse("two-factor"))

    response = english.post(reverse("two-factor"), {"action": "confirm", "code": "000000"})

    assert "The code is wrong or has expired" in response.content.decode()
    assert TOTPDevice.objects.get(user=administrator).confirmed_at is None
    assert english.get(reverse("customers:list")).status_code == 302


def test_user_with_a_device_must_enter_the_code(client, owner):
    totp = with_device(owner)

    response = sign_in(client, "owner")
    assert response["Location"].startswith(reverse("login-verify"))
    assert client.get(reverse("customers:list")).status_code == 302

    verified = client.post(reverse("login-verify"), {"code": totp.now()})

    assert verified.status_code == 302
    assert client.get(reverse("customers:list")).status_code == 200


def test_the_next_page_survives_both_steps(client, owner):
    totp = with_device(owner)
    client.post(
        reverse("login") + "?next=/tags/",
        {"username": "owner", "password": PASSWORD, "next": "/tags/"},
    )

    response = client.post(reverse("login-verify") + "?next=/tags/", {"code": totp.now()})

    assert response["Location"] == "/tags/"


def test_a_code_one_step_old_is_accepted_but_two_steps_old_is_not(client, owner):
    totp = with_device(owner)
    TOTPDevice.objects.filter(user=owner).update(last_step=None)  # set-up used the last step
    sign_in(client, "owner")

    too_old = client.post(reverse("login-verify"), {"code": totp.at(time.time() - 65)})
    one_step = client.post(reverse("login-verify"), {"code": totp.at(time.time() - 30)})

    assert too_old.status_code == 200
    assert one_step.status_code == 302


def test_a_used_code_cannot_be_replayed(client, owner):
    totp = with_device(owner)
    code = totp.now()
    sign_in(client, "owner")
    assert client.post(reverse("login-verify"), {"code": code}).status_code == 302
    client.post(reverse("logout"))

    sign_in(client, "owner")
    replay = client.post(reverse("login-verify"), {"code": code})

    assert replay.status_code == 200
    assert not client.session.get(VERIFIED_SESSION_KEY)


def test_an_expired_code_says_so_and_counts_as_a_failure(english, owner):
    totp = with_device(owner)
    sign_in(english, "owner")

    response = english.post(reverse("login-verify"), {"code": totp.at(time.time() - 300)})

    assert "The code is wrong or has expired" in response.content.decode()
    assert AccessEvent.objects.filter(username="owner", outcome=AccessOutcome.OTP_FAILURE).exists()


def test_repeated_wrong_codes_lock_the_account_and_sign_out(english, owner):
    with_device(owner)
    sign_in(english, "owner")

    for _ in range(4):
        english.post(reverse("login-verify"), {"code": "000000"})
    locked = english.post(reverse("login-verify"), {"code": "000000"})

    assert locked["Location"] == reverse("login")
    page = english.get(reverse("login")).content.decode()
    assert "Too many failed sign-in attempts" in page
    assert sign_in(english, "owner").status_code == 200  # the password alone does not help


def test_a_recovery_code_works_once(client, owner):
    with_device(owner)
    code = recovery_codes_renew(user=owner)[3]

    sign_in(client, "owner")
    assert client.post(reverse("login-verify"), {"code": code}).status_code == 302
    client.post(reverse("logout"))
    sign_in(client, "owner")

    assert client.post(reverse("login-verify"), {"code": code}).status_code == 200


def test_others_may_turn_two_factor_on_and_off(client, owner):
    client.force_login(owner)
    client.get(reverse("two-factor"))
    totp = pyotp.TOTP(TOTPDevice.objects.get(user=owner).secret)
    client.post(reverse("two-factor"), {"action": "confirm", "code": totp.at(time.time() - 30)})
    assert TOTPDevice.objects.get(user=owner).confirmed_at is not None

    client.post(reverse("two-factor"), {"action": "remove", "code": totp.now()})

    assert not TOTPDevice.objects.filter(user=owner).exists()
    assert not RecoveryCode.objects.filter(user=owner).exists()


def test_administrators_cannot_turn_two_factor_off(client, administrator):
    totp = with_device(administrator)
    client.force_login(administrator)

    client.post(reverse("two-factor"), {"action": "remove", "code": totp.now()})

    assert TOTPDevice.objects.filter(user=administrator).exists()


def test_user_without_a_device_signs_in_with_the_password_only(client, owner):
    response = sign_in(client, "owner")

    assert response["Location"] == reverse("analytics:dashboard")
    assert client.session[VERIFIED_SESSION_KEY] is True


def test_force_login_stands_for_a_finished_sign_in(client, administrator):
    client.force_login(administrator)

    assert client.get(reverse("customers:list")).status_code == 200


def test_the_admin_site_login_does_not_skip_the_second_factor(client, administrator):
    administrator.is_staff = True
    administrator.save()
    with_device(administrator)

    client.post("/admin/login/", {"username": "administrator", "password": PASSWORD})

    response = client.get("/admin/")
    assert response["Location"].startswith(reverse("login-verify"))


# --- API token ------------------------------------------------------------------------------
def token(data, **extra):
    return APIClient().post("/api/v1/auth/token/", data, format="json", **extra)


def test_api_token_needs_the_code_for_a_user_with_a_device(owner):
    totp = with_device(owner)

    missing = token({"username": "owner", "password": PASSWORD}, HTTP_ACCEPT_LANGUAGE="en")
    wrong = token({"username": "owner", "password": PASSWORD, "otp": "000000"})
    right = token({"username": "owner", "password": PASSWORD, "otp": totp.now()})

    assert missing.status_code == 400
    assert '"otp"' in missing.data["otp"][0]
    assert wrong.status_code == 400
    assert "otp" in wrong.data
    assert right.status_code == 200
    assert right.data["token"]


def test_api_token_is_refused_to_an_administrator_without_a_device(administrator):
    response = token({"username": "administrator", "password": PASSWORD}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert "Set up two-factor authentication" in response.data["otp"][0]


def test_api_token_endpoint_locks_out_like_the_login_page(owner):
    for _ in range(5):
        token({"username": "owner", "password": "wrong"})

    locked = token({"username": "owner", "password": PASSWORD}, HTTP_ACCEPT_LANGUAGE="en")

    assert locked.status_code == 429
    assert "Too many failed sign-in attempts" in locked.data["detail"]
    assert int(locked["Retry-After"]) > 0
    assert AccessEvent.objects.filter(channel="api", outcome=AccessOutcome.LOCKED).count() == 1


@pytest.mark.parametrize("username", ["owner", "nobody"])
def test_api_lockout_answer_is_the_same_for_unknown_names(org, username):
    for _ in range(5):
        token({"username": username, "password": "wrong"})

    locked = token({"username": username, "password": "wrong"}, HTTP_ACCEPT_LANGUAGE="en")

    assert locked.status_code == 429
    assert set(locked.data) == {"detail", "retry_after"}


# --- admin ----------------------------------------------------------------------------------
def test_administrator_reads_the_sign_in_log_and_others_cannot(client, administrator, outsider):
    token({"username": "ghost-user", "password": "wrong"})
    client.force_login(administrator)

    listing = client.get("/admin/accounts/accessevent/")

    assert listing.status_code == 200
    assert "ghost-user" in listing.content.decode()
    client.force_login(outsider)
    assert client.get("/admin/accounts/accessevent/").status_code == 302


def test_administrator_deletes_a_lost_authenticator_without_seeing_its_secret(
    client, administrator, owner
):
    with_device(owner)
    device = TOTPDevice.objects.get(user=owner)
    client.force_login(administrator)

    page = client.get(f"/admin/accounts/totpdevice/{device.pk}/change/")
    deleted = client.post(f"/admin/accounts/totpdevice/{device.pk}/delete/", {"post": "yes"})

    assert page.status_code == 200
    assert device.secret not in page.content.decode()
    assert deleted.status_code == 302
    assert not TOTPDevice.objects.filter(user=owner).exists()
