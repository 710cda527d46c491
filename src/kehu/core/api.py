"""Shared API plumbing: pagination bounds, one error format, the 409 answer to a stale edit.

Error bodies (documented in the schema by the components in core/api_schema.py):
- 400: ``{"<field>": ["message", …]}``; nested input is flattened to dotted keys, so a
  serializer's ``{"decision_maker": {"mobile": […]}}`` and a service's
  ``"decision_maker.mobile"`` look the same to a client; errors about no single field are
  under ``non_field_errors``.
- 401/403/404: ``{"detail": "message"}``; a hidden record answers exactly like a missing one.
- 409: ``{"detail": "message", "code": "stale", "current_version": n, "current": {…},
  "changed_by": "name", "changed_at": "…", "changes": [{"field", "before", "after"}, …]}``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from rest_framework import exceptions, pagination, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from kehu.core.conflicts import StaleChanges


class Pagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def validation_error_detail(error: DjangoValidationError) -> dict | list:
    if hasattr(error, "error_dict"):
        return {
            ("non_field_errors" if field == "__all__" else field): messages
            for field, messages in error.message_dict.items()
        }
    return {"non_field_errors": error.messages}


def flatten_errors(detail: Any, prefix: str = "") -> dict[str, list]:
    """``{"a": {"b": [..]}, "c": [{}, {"d": [..]}]}`` → ``{"a.b": [..], "c.1.d": [..]}``."""
    flat: dict[str, list] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            flat.update(flatten_errors(value, f"{prefix}{key}."))
        return flat
    key = prefix.rstrip(".") or "non_field_errors"
    if isinstance(detail, list) and any(isinstance(item, dict) for item in detail):
        for index, item in enumerate(detail):
            if item:
                flat.update(flatten_errors(item, f"{prefix}{index}."))
        return flat
    flat[key] = detail if isinstance(detail, list) else [detail]
    return flat


def exception_handler(exc, context):
    """Services raise Django's ValidationError; the API answers 400 naming each field. A
    number too large for its column (an id filter like ``?owner=1e40``) is bad input too: 400,
    not a 500 (SQLite raises OverflowError, PostgreSQL a DataError)."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(validation_error_detail(exc))
    elif isinstance(exc, OverflowError | DataError):
        exc = exceptions.ValidationError(
            {"non_field_errors": [_("A value in the request is out of range.")]}
        )
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.ValidationError):
        response.data = flatten_errors(response.data)
    return response


def client_ip(request: HttpRequest | Request) -> str | None:
    """The peer address as the server saw it. X-Forwarded-For is not trusted: anyone can
    send it, and the unmask log must not be forgeable."""
    return request.META.get("REMOTE_ADDR") or None


def conflict_response(
    *, message: str, current_version: int, current: dict, changes: StaleChanges | None = None
) -> Response:
    """A stale edit: nothing was saved; the client gets the current record to merge with and
    what was changed since the version it sent (`changes`, from the StaleEditError)."""
    what_changed = (
        changes.as_api()
        if changes is not None
        else {"changed_by": "", "changed_at": None, "changes": []}
    )
    return Response(
        {
            "detail": message,
            "code": "stale",
            "current_version": current_version,
            "current": current,
            **what_changed,
        },
        status=status.HTTP_409_CONFLICT,
    )


def parse_input(serializer_class, request: Request, *, partial: bool = False) -> dict[str, Any]:
    """Validated input of an input serializer (400 with field errors when invalid); the
    request is in the context for fields that resolve ids within the caller's data scope."""
    serializer = serializer_class(data=request.data, partial=partial, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
