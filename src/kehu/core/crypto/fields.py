"""Model fields: an encrypted text column and the blind indexes that make it searchable.

``EncryptedTextField`` encrypts in ``get_prep_value`` (every write path: save, bulk_create,
bulk_update, the importer's COPY) and decrypts in ``from_db_value``; the column holds base64
text, so it is a plain TEXT column on SQLite and PostgreSQL alike. Looking one up by value
cannot work (every encryption is different), so such look-ups raise at once instead of
silently finding nothing: go through the field's ``BlindIndexField`` (``mobile_hash``).

``BlindIndexField`` derives its value from the source field in ``pre_save`` (save,
bulk_create, COPY). ``bulk_update`` and ``save(update_fields=…)`` do not call ``pre_save``:
call ``refresh_blind_indexes`` and list the index fields with the source field there.
"""

from __future__ import annotations

import json

from django import forms
from django.core.exceptions import FieldError
from django.db import models
from django.db.models.fields.json import KeyTransform
from django.db.models.lookups import Exact, IsNull

from kehu.core.crypto import DecryptionError, blind_index, decrypt_text, encrypt_text


class EncryptedTextField(models.TextField):
    """Encrypted at rest; `purpose` names the logical column and is bound into every
    ciphertext (associated data), so it must never change once values are stored. It is
    given explicitly rather than taken from the model, because the history table's copy of the
    field must decrypt the same values."""

    description = "Encrypted text"

    def __init__(self, *args, purpose: str = "", **kwargs):
        if not purpose:
            raise TypeError("EncryptedTextField needs purpose= (e.g. 'customers.contact.mobile').")
        self.purpose = purpose
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["purpose"] = self.purpose
        return name, path, args, kwargs

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt_text(value, context=self.purpose)

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        try:
            return decrypt_text(value, context=self.purpose)
        except DecryptionError as exc:
            raise DecryptionError(f"{self.purpose}: {exc}") from exc

    def get_lookup(self, lookup_name):
        if lookup_name == "isnull":
            return IsNull
        if lookup_name == "exact":
            return EmptyOnlyExact
        return None

    def formfield(self, **kwargs):
        # A one-line input, as for the CharField it replaces (TextField would give a textarea).
        return forms.CharField(
            max_length=self.max_length,
            required=not self.blank,
            label=kwargs.get("label", self.verbose_name),
            help_text=self.help_text,
        )


class EmptyOnlyExact(Exact):
    """``field=""`` (has no value) works on ciphertext; any other value is refused loudly."""

    def get_prep_lookup(self):
        if self.rhs not in ("", None):  # None: Django turns it into isnull afterwards
            raise FieldError(
                f"{self.lhs.target.purpose} is encrypted: look it up through its blind index "
                "(e.g. mobile_hash), not by value."
            )
        return self.rhs


class BlindIndexField(models.CharField):
    """HMAC of the source field's value (or its last `suffix` characters), for exact look-ups
    and duplicate blocking. Empty when the source is empty."""

    description = "Blind index"

    def __init__(self, *args, source: str = "", purpose: str = "", suffix: int = 0, **kwargs):
        self.source = source
        self.purpose = purpose
        self.suffix = suffix
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.update(source=self.source, purpose=self.purpose)
        if self.suffix:
            kwargs["suffix"] = self.suffix
        for key, default in (("max_length", 32), ("blank", True), ("default", "")):
            if kwargs.get(key) == default:
                del kwargs[key]
        kwargs.pop("editable", None)
        return name, path, args, kwargs

    def index_for(self, value: str | None) -> str:
        value = value or ""
        if self.suffix:
            value = value[-self.suffix :] if len(value) >= self.suffix else ""
        return blind_index(value, purpose=self.purpose)

    def pre_save(self, model_instance, add):
        value = self.index_for(getattr(model_instance, self.source))
        setattr(model_instance, self.attname, value)
        return value


def refresh_blind_indexes(obj: models.Model) -> list[str]:
    """Recompute `obj`'s blind indexes from its values; returns their field names (for
    bulk_update's and save's field lists)."""
    names = []
    for field in obj._meta.concrete_fields:
        if isinstance(field, BlindIndexField):
            field.pre_save(obj, False)
            names.append(field.attname)
    return names


def encrypted_columns(kind: type | None = None) -> list[tuple[type[models.Model], models.Field]]:
    """Every encrypted column (of `kind`: EncryptedTextField by default) of every installed
    model, history tables included."""
    from django.apps import apps

    kind = kind or EncryptedTextField
    return [
        (model, field)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, kind)
    ]


SEALED = "$enc"


def is_sealed(value) -> bool:
    return isinstance(value, dict) and set(value) == {SEALED}


class PartlyEncryptedJSONField(models.JSONField):
    """A JSON object whose sensitive keys are stored encrypted, as ``{"$enc": token}``; the
    rest stays plain JSON (filterable). `sensitive_keys` is the dotted path of a function
    returning the keys to encrypt on write (it may change: an administrator marks a custom
    field sensitive); on read, every sealed entry is opened whatever the function says now,
    so a key that stopped being sensitive still reads. Each token is bound to `purpose` and
    its key."""

    def __init__(self, *args, purpose: str = "", sensitive_keys: str = "", **kwargs):
        if not purpose or not sensitive_keys:
            raise TypeError("PartlyEncryptedJSONField needs purpose= and sensitive_keys=.")
        self.purpose = purpose
        self.sensitive_keys = sensitive_keys
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.update(purpose=self.purpose, sensitive_keys=self.sensitive_keys)
        return name, path, args, kwargs

    def seal(self, value):
        if not isinstance(value, dict) or not value:
            return value
        from django.utils.module_loading import import_string

        keys = import_string(self.sensitive_keys)()
        return {
            key: (
                {SEALED: encrypt_text(json.dumps(item), context=f"{self.purpose}.{key}")}
                if key in keys and item is not None and not is_sealed(item)
                else item
            )
            for key, item in value.items()
        }

    def open(self, value, key: str | None = None):
        if key is not None and is_sealed(value):
            return json.loads(decrypt_text(value[SEALED], context=f"{self.purpose}.{key}"))
        if key is None and isinstance(value, dict):
            return {k: self.open(v, k) if is_sealed(v) else v for k, v in value.items()}
        return value

    def get_prep_value(self, value):
        return super().get_prep_value(self.seal(value))

    def from_db_value(self, value, expression, connection):
        value = super().from_db_value(value, expression, connection)
        try:
            if isinstance(expression, KeyTransform):
                return self.open(value, expression.key_name)
            return self.open(value)
        except DecryptionError as exc:
            raise DecryptionError(f"{self.purpose}: {exc}") from exc


class EncryptedJSONField(EncryptedTextField):
    """A JSON value stored encrypted as a whole (snapshots and copies of rows that hold
    personal data: an import's values before, its rejected cells, a merge's undo data).
    Nothing inside can be filtered on; these are read back whole."""

    description = "Encrypted JSON"

    def __init__(self, *args, encoder=None, **kwargs):
        self.encoder = encoder
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.encoder is not None:
            kwargs["encoder"] = self.encoder
        return name, path, args, kwargs

    def get_prep_value(self, value):
        if value is None:
            return None
        text = json.dumps(value, cls=self.encoder, ensure_ascii=False)
        return encrypt_text(text, context=self.purpose)

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return None
        return json.loads(super().from_db_value(value, expression, connection))

    def to_python(self, value):
        return value

    def value_to_string(self, obj):
        return json.dumps(self.value_from_object(obj), cls=self.encoder, ensure_ascii=False)

    def formfield(self, **kwargs):
        return forms.JSONField(encoder=self.encoder, **kwargs)
