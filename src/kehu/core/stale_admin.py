"""No lost updates in the Django admin (users, departments, roles, presets, custom fields …):
the change form carries a signed fingerprint of the record as it was opened; saving a form
opened before someone else's save is refused, naming the fields that changed, and nothing is
written. Fingerprints are digests, so no value (encrypted or not) travels in the form."""

from __future__ import annotations

import hashlib
from typing import Any

from django.contrib.admin.utils import unquote
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext as _

OPENED_FIELD = "_kehu_opened"
_SALT = "kehu.core.stale_admin"


def _digest(value: Any) -> str:
    return hashlib.sha256(repr(value).encode()).hexdigest()[:16]


def fingerprint(obj: models.Model) -> dict[str, str]:
    """A digest per field (many-to-many ones included) of the stored record."""
    digests = {
        field.name: _digest(field.value_from_object(obj))
        for field in obj._meta.concrete_fields
        if not field.primary_key
    }
    for field in obj._meta.many_to_many:
        digests[field.name] = _digest(sorted(field.value_from_object(obj), key=lambda o: o.pk))
    return digests


class StaleEditRefusal:
    """ModelAdmin mixin (part of core.admin.AdministratorAccess, so of every Kehu admin)."""

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        if request.method == "POST":
            # A refused or invalid form keeps the fingerprint of when it was first opened.
            extra_context["kehu_opened"] = request.POST.get(OPENED_FIELD, "")
        else:
            obj = self.get_object(request, unquote(object_id))
            if obj is not None:
                extra_context["kehu_opened"] = signing.dumps(fingerprint(obj), salt=_SALT)
        return super().change_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        token = request.POST.get(OPENED_FIELD) if request.method == "POST" else None
        if obj is None or not token:
            return form

        class StaleCheckedForm(form):
            def clean(self):
                cleaned = super().clean()
                try:
                    opened = signing.loads(token, salt=_SALT)
                except signing.BadSignature as exc:
                    raise ValidationError(
                        _("This form was altered; reload the page and try again.")
                    ) from exc
                current = fingerprint(type(obj)._base_manager.get(pk=obj.pk))
                changed = [
                    capfirst(obj._meta.get_field(name).verbose_name)
                    for name in self.fields
                    if name in current and opened.get(name) != current[name]
                ]
                if changed:
                    raise ValidationError(
                        _(
                            "Someone else saved this record after you opened it (changed: "
                            "%(fields)s). Nothing was saved; reload the page to see the "
                            "current values, then apply your changes again."
                        )
                        % {"fields": ", ".join(str(f) for f in changed)},
                        code="stale",
                    )
                return cleaned

        return StaleCheckedForm
