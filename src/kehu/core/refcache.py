"""Small reference tables that every list page reads, cached per process.

Industries, regions, the department tree, the tag library and the owners a user may filter
by change a few times a year and are read on every page view: reading and building them was
about 4 ms of CPU per customer list page (issue 7). Entries are rebuilt after any save or
delete of the models listed in ``WATCHED``:

- in this process at once (the signal drops every entry);
- in other processes within ``VERSION_CHECK_SECONDS``: the signal also bumps a version
  number in the Django cache, which each process reads at most once a second. With
  ``KEHU_CACHE_URL`` (Redis) the number is shared by every app server;
- with a per-process cache only (no ``KEHU_CACHE_URL``, which ``kehu check --deploy`` warns
  about), after ``MAX_AGE_SECONDS`` at the latest.

Writes that send no signal (``QuerySet.update``, ``bulk_create``) are caught by the same
age limit; code that makes them to these tables calls ``invalidate()``.

Nothing here decides what a user may see: data scopes, rights and field security are read
fresh on every request. An entry that depends on who asks (the owners a user may filter by)
carries what it depends on in its key.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from django.core.cache import cache
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import translation

T = TypeVar("T")

VERSION_KEY = "kehu:reference-version"
VERSION_CHECK_SECONDS = 1.0
MAX_AGE_SECONDS = 30.0
MAX_ENTRIES = 512  # least recently used first out: per-user entries stay bounded

# app_label.ModelName of the tables whose rows the entries are built from.
WATCHED = (
    "customers.Industry",
    "customers.Region",
    "customers.CustomFieldDefinition",
    "accounts.Department",
    "accounts.User",
    "tags.Tag",
)

_lock = threading.Lock()
_entries: OrderedDict[Hashable, tuple[int, float, Any]] = OrderedDict()
_version = {"value": 0, "checked": float("-inf")}


def _shared_version() -> int:
    now = time.monotonic()
    if now - _version["checked"] >= VERSION_CHECK_SECONDS:
        _version["value"] = cache.get(VERSION_KEY, 0)
        _version["checked"] = now
    return _version["value"]


def cached(key: tuple, build: Callable[[], T], *, per_language: bool = False) -> T:
    """`build()`'s result, kept until a watched table changes. `key` names the entry and
    everything its value depends on (a user's id, a chosen value); `per_language` adds the
    active language, for values that hold translated labels. Callers must not mutate it."""
    if per_language:
        key = (*key, translation.get_language())
    version = _shared_version()
    now = time.monotonic()
    with _lock:
        entry = _entries.get(key)
        if entry is not None and entry[0] == version and now - entry[1] < MAX_AGE_SECONDS:
            _entries.move_to_end(key)
            return entry[2]
    value = build()
    with _lock:
        _entries[key] = (version, now, value)
        _entries.move_to_end(key)
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)
    return value


def clear_local() -> None:
    """Forget every entry of this process (tests start each case with this)."""
    with _lock:
        _entries.clear()
    _version["checked"] = float("-inf")


def invalidate(**_kwargs) -> None:
    """A watched table changed: drop this process's entries and tell the others."""
    clear_local()
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # not set yet (or evicted)
        cache.set(VERSION_KEY, 1, timeout=None)


def _on_save(sender, instance=None, update_fields=None, **kwargs) -> None:
    # Signing in saves the user's last_login and nothing else: no reference data changed.
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return
    invalidate()


def connect() -> None:
    """Called from CoreConfig.ready()."""
    from django.apps import apps

    for label in WATCHED:
        model = apps.get_model(label)
        uid = f"kehu-refcache-{label}"
        post_save.connect(_on_save, sender=model, dispatch_uid=f"{uid}-save")
        post_delete.connect(invalidate, sender=model, dispatch_uid=f"{uid}-delete")
    user = apps.get_model("accounts.User")
    for field in user._meta.many_to_many:  # roles change the owners a user may filter by
        m2m_changed.connect(
            invalidate, sender=field.remote_field.through, dispatch_uid=f"kehu-refcache-{field}"
        )
