"""Sign-in security: password hashing and rules, lockout, the access log, idle timeout."""

from datetime import timedelta

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from kehu.accounts.models import AccessEvent, User
from kehu.accounts.security.middleware import LAST_SEEN_SESSION_KEY
from kehu.accounts.security.models import AccessOutcome

PASSWORD = "pw-Kehu-2026"


def sign_in(client, username, password=PASSWORD, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def fail(client, username, times, **extra):
    for _ in range(times):
        sign_in(client, username, "wrong-password", **extra)


def test_new_passwords_are_hashed_with_argon2(db, settings):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    user = User.objects.create_user("fresh", password="Correct-Horse-42")

    assert user.password.startswith("argon2$argon2id$")


def test_an_old_pbkdf2_hash_is_upgraded_to_argon2_at_login(client, owner, settings):
    # Given a password stored by the previous hasher
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    owner.set_password(PASSWORD)
    owner.save()
    assert owner.password.startswith("pbkdf2_sha256$")
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]

    # When the user signs in
    response = sign_in(client, "owner")

    # Then they are in, and the hash is now Argon2
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.password.startswith("argon2$")


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("Kx9-short", "at least 10 characters"),
        ("1234567890123", "entirely numeric"),
        ("password1234", "too common"),
        ("ownerowner1", "too similar"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(owner, password, reason):
    owner.username = "ownerowner"
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        validate_password(password, user=owner)

    assert reason in " ".join(refused.value.messages)


def test_password_rules_speak_chinese(owner):
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        validate_password("1234567890123", user=owner)

    assert "密码只包含数字。" in " ".join(refused.value.messages)


def test_a_strong_password_passes_the_rules(owner):
    validate_password("Lantern-Orbit-Meadow-7", user=owner)


def test_successes_and_failures_are_logged_with_address(client, owner):
    sign_in(client, "owner", "wrong", REMOTE_ADDR="10.1.2.3")
    sign_in(client, "nobody", "wrong", REMOTE_ADDR="10.1.2.3")
    sign_in(client, "owner", REMOTE_ADDR="10.1.2.3")

    events = list(AccessEvent.objects.order_by("id").values_list("username", "outcome", "ip"))
    assert events == [
        ("owner", AccessOutcome.FAILURE, "10.1.2.3"),
        ("nobody", AccessOutcome.FAILURE, "10.1.2.3"),
        ("owner", AccessOutcome.SUCCESS, "10.1.2.3"),
    ]
    assert AccessEvent.objects.get(outcome=AccessOutcome.SUCCESS).user == owner


def test_account_is_locked_after_five_failures_even_with_the_right_password(english, owner):
    fail(english, "owner", 5)

    response = sign_in(english, "owner")

    assert response.status_code == 200
    assert "_auth_user_id" not in english.session
    text = response.content.decode()
    assert "Too many failed sign-in attempts. Try again after" in text
    assert AccessEvent.objects.filter(outcome=AccessOutcome.LOCKED).count() == 1


def test_lockout_of_an_unknown_name_reads_like_a_real_one(english, owner):
    fail(english, "owner", 5)
    fail(english, "ghost", 5)

    real = sign_in(english, "owner").content.decode()
    ghost = sign_in(english, "ghost").content.decode()

    marker = 'data-testid="lockout">'
    assert marker in real
    assert marker in ghost
    assert real.split(marker)[1].split("<")[0] == ghost.split(marker)[1].split("<")[0]


def test_lockout_message_names_when_to_retry(english, owner):
    fail(english, "owner", 5)
    first = AccessEvent.objects.order_by("at").first()
    retry = timezone.localtime(first.at + timedelta(minutes=15))

    text = sign_in(english, "owner").content.decode()

    assert retry.strftime("%Y-%m-%d %H:%M") in text


def test_lockout_ends_after_the_lockout_minutes(client, owner):
    fail(client, "owner", 5)
    AccessEvent.objects.update(at=timezone.now() - timedelta(minutes=16))

    response = sign_in(client, "owner")

    assert response.status_code == 302


def test_a_success_resets_the_account_count(client, owner):
    fail(client, "owner", 4)
    assert sign_in(client, "owner").status_code == 302
    client.post(reverse("logout"))
    fail(client, "owner", 4)

    assert sign_in(client, "owner").status_code == 302


def test_one_address_is_locked_after_too_many_failures_across_accounts(client, owner, settings):
    settings.KEHU_LOGIN_MAX_FAILURES_PER_ADDRESS = 6
    for name in ("a", "b", "c", "d", "e", "f"):
        sign_in(client, name, "wrong", REMOTE_ADDR="10.9.9.9")

    from_there = sign_in(client, "owner", REMOTE_ADDR="10.9.9.9")
    from_elsewhere = sign_in(client, "owner", REMOTE_ADDR="10.9.9.10")

    assert from_there.status_code == 200
    assert from_elsewhere.status_code == 302


def test_session_ends_after_the_idle_timeout(client, owner, settings):
    settings.KEHU_SESSION_IDLE_MINUTES = 30
    client.force_login(owner)
    assert client.get(reverse("customers:list")).status_code == 200
    session = client.session
    session[LAST_SEEN_SESSION_KEY] -= 31 * 60
    session.save()

    response = client.get(reverse("customers:list"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert "_auth_user_id" not in client.session


def test_activity_keeps_the_session_alive(client, owner, settings):
    settings.KEHU_SESSION_IDLE_MINUTES = 30
    client.force_login(owner)
    session = client.session
    session[LAST_SEEN_SESSION_KEY] -= 29 * 60
    session.save()

    assert client.get(reverse("customers:list")).status_code == 200
    assert client.get(reverse("customers:list")).status_code == 200
    assert client.session[LAST_SEEN_SESSION_KEY] > session[LAST_SEEN_SESSION_KEY]


def test_an_htmx_request_after_the_idle_timeout_reloads_the_login_page(client, owner, settings):
    settings.KEHU_SESSION_IDLE_MINUTES = 30
    client.force_login(owner)
    session = client.session
    session[LAST_SEEN_SESSION_KEY] -= 31 * 60
    session.save()

    response = client.get(
        reverse("customers:list"), HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL="/tags/"
    )

    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("login") + "?next=%2Ftags%2F"


def test_too_short_password_message_is_in_chinese():
    with translation.override("zh-hans"), pytest.raises(ValidationError) as error:
        validate_password("Ab3$xyz")

    assert "密码" in " ".join(error.value.messages)
