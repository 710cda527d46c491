"""Spam protection of the public web-to-lead form: a honeypot field, a signed timestamp that
proves the form was loaded here and filled in at human speed, a per-IP rate limit in the cache
and an origin check. Each check refuses with a message the visitor can act on."""

from __future__ import annotations

import time

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.utils.translation import gettext as _

from kehu.sales.models import WebToLeadForm

STAMP_SALT = "kehu.sales.web-to-lead"


class Refused(Exception):
    """A post refused before anything is saved; the message is shown to the visitor."""

    def __init__(self, message: str, status: int = 400):
        self.message = message
        self.status = status
        super().__init__(message)


def stamp(web_form: WebToLeadForm, *, issued_at: float | None = None) -> str:
    """Signed (form token, time the form was shown): a post must bring it back."""
    return signing.dumps(
        {"form": web_form.token, "at": time.time() if issued_at is None else issued_at},
        salt=STAMP_SALT,
    )


def check_stamp(web_form: WebToLeadForm, value: str) -> None:
    try:
        data = signing.loads(
            value or "", salt=STAMP_SALT, max_age=settings.KEHU_WEB_TO_LEAD_MAX_AGE
        )
    except signing.SignatureExpired as exc:
        raise Refused(_("The form has expired. Reload the page and send it again.")) from exc
    except signing.BadSignature as exc:
        raise Refused(
            _("The form could not be verified. Reload the page and send it again.")
        ) from exc
    if not isinstance(data, dict) or data.get("form") != web_form.token:
        raise Refused(_("The form could not be verified. Reload the page and send it again."))
    if time.time() - float(data.get("at", 0)) < settings.KEHU_WEB_TO_LEAD_MIN_SECONDS:
        raise Refused(_("The form was sent too quickly. Wait a moment and send it again."))


def check_honeypot(value: str) -> None:
    if value:
        raise Refused(_("Your message could not be accepted."))


def check_rate(ip: str | None) -> None:
    """At most KEHU_WEB_TO_LEAD_RATE_LIMIT posts per IP per window (every attempt counts)."""
    key = f"kehu:web-to-lead:{ip or 'unknown'}"
    window = settings.KEHU_WEB_TO_LEAD_RATE_WINDOW
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        count = 1
    if count > settings.KEHU_WEB_TO_LEAD_RATE_LIMIT:
        raise Refused(
            _("Too many messages were sent from your network. Please try again later."),
            status=429,
        )


def check_origin(web_form: WebToLeadForm, origin: str | None, own_origin: str) -> None:
    """A browser post carries Origin: it must be this server (the form inside the iframe) or
    a site the form allows."""
    if origin and origin.rstrip("/") not in (own_origin, *web_form.origins):
        raise Refused(_("This form may not be sent from %(origin)s.") % {"origin": origin}, 403)


def frame_ancestors(web_form: WebToLeadForm) -> str:
    """The Content-Security-Policy that lets the allowed sites embed the form, and no other."""
    return "frame-ancestors 'self' " + " ".join(web_form.origins)
