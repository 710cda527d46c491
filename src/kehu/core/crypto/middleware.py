"""A value that fails to decrypt (tampered row, wrong or missing key) ends the request with a
clear page, or a JSON error for the API, instead of a bare server error.

The status stays 500: the server cannot do what was asked, and monitoring must see it. The
details (which column, which key id) go to the log for the administrator; the user is told
what happened and that nothing was changed (the request's transaction, if any, rolled back).
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from kehu.core.crypto import DecryptionError

logger = logging.getLogger("kehu.crypto")


class DecryptionErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if not isinstance(exception, DecryptionError):
            return None
        logger.error("Decryption failed on %s %s: %s", request.method, request.path, exception)
        message = _(
            "An encrypted value stored in the database cannot be decrypted: it was damaged, or "
            "the server runs with the wrong encryption key."
        )
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message, "code": "decryption_failed"}, status=500)
        return render(request, "core/decryption_error.html", {"message": message}, status=500)
