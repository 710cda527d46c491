"""HTMX helpers shared by the pages of every app: one URL answers a fragment (HTMX) or the whole
page (first load, back button, no JavaScript)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers


def is_partial(request: HttpRequest) -> bool:
    """An HTMX request wants the fragment; a history restore (back button) the whole page."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def vary_on_htmx(response: HttpResponse) -> HttpResponse:
    # The same URL answers a fragment or a page: caches must keep them apart.
    patch_vary_headers(response, ("HX-Request",))
    return response


def htmx_redirect(url: str) -> HttpResponse:
    """After an HTMX form succeeds, load `url` as a full page (messages show as toasts there)."""
    response = HttpResponse(status=204)
    response["HX-Redirect"] = url
    return response
