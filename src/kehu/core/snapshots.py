"""Model rows as JSON-safe dicts and back, exactly, for snapshots that are restored later
(merge undo, recycle bin). Django's json serializer cuts datetimes to milliseconds, so a row
restored from it would not equal the row that was saved; the python serializer plus
`json_default` keeps every microsecond."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.core import serializers
from django.core.serializers.base import DeserializedObject
from django.db import models


def json_default(value: Any) -> str:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not serialisable")


def serialize_rows(objects: Iterable[models.Model]) -> list[dict]:
    rows = serializers.serialize("python", list(objects))
    return json.loads(json.dumps(rows, default=json_default))


def deserialize_rows(rows: list[dict]) -> list[DeserializedObject]:
    return list(serializers.deserialize("python", rows))
