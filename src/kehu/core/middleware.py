"""Response and request hardening on every request: a strict Content-Security-Policy, and a
request size limit with a clear answer (413) instead of a broken upload or a 500."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

# No inline scripts and no inline styles: templates use data attributes and static files,
# htmx runs with includeIndicatorStyles off, and charts set sizes through the CSSOM.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


# The API documentation (Swagger UI, Redoc: third-party pages, no customer data) injects
# <style> elements; it alone may use inline styles. Scripts stay 'self' only there too.
API_DOCS_POLICY = CONTENT_SECURITY_POLICY.replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)
API_DOCS_PATHS = ("/api/docs/", "/api/redoc/")


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.get("Content-Type", "").startswith("text/html"):
            docs = request.path in API_DOCS_PATHS
            policy = API_DOCS_POLICY if docs else CONTENT_SECURITY_POLICY
            response.setdefault("Content-Security-Policy", policy)
        return response


class RequestSizeLimitMiddleware:
    """Refuses a body over the limit before anything reads it: multipart uploads (imports)
    up to KEHU_MAX_UPLOAD_BYTES, anything else (forms, JSON) up to
    DATA_UPLOAD_MAX_MEMORY_SIZE. Django checks only form fields and DRF checks nothing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        multipart = request.META.get("CONTENT_TYPE", "").startswith("multipart/")
        limit = (
            settings.KEHU_MAX_UPLOAD_BYTES if multipart else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        )
        if limit is not None and length > limit:
            return self._too_large(request, limit)
        return self.get_response(request)

    @staticmethod
    def _too_large(request: HttpRequest, limit: int) -> HttpResponse:
        message = _("The request is too large: at most %(size)s may be sent at once.") % {
            "size": filesizeformat(limit)
        }
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message, "code": "too_large"}, status=413)
        return render(request, "413.html", {"message": message}, status=413)
