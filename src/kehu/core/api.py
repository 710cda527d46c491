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

import inspect
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from rest_framework import exceptions, pagination, serializers, status
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject
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


_UNSET = object()
_NO_ARGUMENT_METHODS: dict[tuple[type, str], bool] = {}


def _no_argument_method(cls: type, attr: str) -> bool:
    """Whether `attr` on instances of `cls` is a plain method taking only self (``__str__``,
    ``get_FOO_display``): DRF then calls it, after asking ``inspect.signature`` on every row
    (about a tenth of the API list's CPU). Answered once per class and name."""
    key = (cls, attr)
    known = _NO_ARGUMENT_METHODS.get(key)
    if known is None:
        function = inspect.getattr_static(cls, attr, None)
        known = False
        if inspect.isfunction(function):
            parameters = list(inspect.signature(function).parameters.values())
            known = len(parameters) == 1 and parameters[0].kind in (
                inspect.Parameter.POSITIONAL_ONLY,
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
            )
        _NO_ARGUMENT_METHODS[key] = known
    return known


class CompiledRepresentation:
    """Serializer mixin: the same output as DRF's ``to_representation``, at a third of its
    cost per row, for serializers that present long lists (issue 7: serialising 50 customers
    was half the API list's CPU).

    DRF walks the readable fields anew for every row and resolves each attribute through a
    generic path (nested sources, dictionaries, a callable check on every value). Here the
    fields are listed once per serializer instance, and a source that is one concrete,
    non-relational model field (or a foreign key with a nested serializer) is read straight
    off the instance; every other field (methods, properties, ``__str__``, ``*``, related
    fields) keeps DRF's own ``get_attribute``. ``tests/test_compiled_representation.py``
    checks the output equals DRF's for the serializers that use it."""

    compiled_model = None  # a plain Serializer names the model its rows are, if any

    def _representation_plan(self) -> list:
        plan = self.__dict__.get("_compiled_plan")
        if plan is not None:
            return plan
        model = self._compiled_model()
        concrete: dict[str, Any] = {}
        if model is not None:
            for model_field in model._meta.concrete_fields:
                concrete[model_field.name] = model_field
        plan = []
        for field in self._readable_fields:
            model_field = concrete.get(field.source) if len(field.source_attrs) == 1 else None
            direct = model_field is not None and (
                not model_field.is_relation or isinstance(field, serializers.BaseSerializer)
            )
            is_related = isinstance(field, serializers.RelatedField | serializers.ManyRelatedField)
            plan.append((field.field_name, field, field.source if direct else None, is_related))
        self.__dict__["_compiled_plan"] = plan
        return plan

    def _compiled_model(self):
        return self.compiled_model or getattr(getattr(self, "Meta", None), "model", None)

    def to_representation(self, instance):
        ret = {}
        model = self._compiled_model()
        direct = model is not None and isinstance(instance, model)
        for name, field, attr, is_related in self._representation_plan():
            if direct and attr is not None:
                try:
                    attribute = getattr(instance, attr)
                except ObjectDoesNotExist:
                    attribute = None
            else:
                attribute = _UNSET
                source = field.source_attrs
                if (
                    len(source) == 1
                    and _no_argument_method(type(instance), source[0])
                    and source[0] not in getattr(instance, "__dict__", ())
                ):
                    try:
                        attribute = getattr(instance, source[0])()
                    except Exception:  # noqa: BLE001 (DRF's own path below says what went wrong)
                        attribute = _UNSET
                if attribute is _UNSET:
                    try:
                        attribute = field.get_attribute(instance)
                    except SkipField:
                        continue
            if is_related and isinstance(attribute, PKOnlyObject):
                ret[name] = None if attribute.pk is None else field.to_representation(attribute)
            elif attribute is None:
                ret[name] = None
            else:
                ret[name] = field.to_representation(attribute)
        return ret
