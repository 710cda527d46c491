"""The per-process reference cache (core.refcache) behind the customer list's filter panel:
cached between page views, rebuilt when the reference tables change (here at once, in other
processes through the shared version), never shared between users."""

import re

import pytest
from django.core.cache import cache

from kehu.accounts.tests.factories import make_user
from kehu.core import refcache
from kehu.customers.models import Industry, Region
from kehu.tags.models import Tag, TagStatus, TagType

pytestmark = pytest.mark.django_db


def owner_options(html: str) -> set[str]:
    select = re.search(r'<select name="owner"[^>]*>(.*?)</select>', html, re.S)
    return set(re.findall(r'<option value="(\d+)"', select.group(1)))


def counting_builder():
    calls = []

    def build():
        calls.append(1)
        return len(calls)

    return calls, build


def test_an_entry_is_built_once_then_read_from_the_cache():
    calls, build = counting_builder()
    assert refcache.cached(("t",), build) == 1
    assert refcache.cached(("t",), build) == 1
    assert len(calls) == 1


def test_saving_a_watched_row_rebuilds_the_entry(org):
    calls, build = counting_builder()
    refcache.cached(("t",), build)
    Region.objects.filter(code="beijing").get().save()
    assert refcache.cached(("t",), build) == 2


def test_signing_in_does_not_drop_the_cache(client, owner):
    calls, build = counting_builder()
    refcache.cached(("t",), build)
    client.post("/accounts/login/", {"username": "owner", "password": "pw-Kehu-2026"})
    owner.refresh_from_db()
    assert owner.last_login is not None
    refcache.cached(("t",), build)
    assert len(calls) == 1


def test_another_process_change_is_seen_through_the_shared_version(monkeypatch):
    calls, build = counting_builder()
    refcache.cached(("t",), build)
    # Another app server saved a department: it bumped the shared number, not our entries.
    cache.set(refcache.VERSION_KEY, cache.get(refcache.VERSION_KEY, 0) + 1, timeout=None)
    assert refcache.cached(("t",), build) == 1  # read at most once a second
    monkeypatch.setattr(refcache, "VERSION_CHECK_SECONDS", 0.0)
    assert refcache.cached(("t",), build) == 2


def test_entries_expire_after_the_age_limit_without_any_signal(monkeypatch):
    calls, build = counting_builder()
    refcache.cached(("t",), build)
    monkeypatch.setattr(refcache, "MAX_AGE_SECONDS", 0.0)
    assert refcache.cached(("t",), build) == 2


def test_the_cache_keeps_only_the_most_recently_used_entries(monkeypatch):
    monkeypatch.setattr(refcache, "MAX_ENTRIES", 3)
    for n in range(5):
        refcache.cached(("n", n), lambda n=n: n)
    calls, build = counting_builder()
    assert refcache.cached(("n", 4), build) == 4  # kept
    assert refcache.cached(("n", 0), build) == 1  # evicted, rebuilt
    assert len(refcache._entries) == 3


def test_a_new_industry_and_an_approved_tag_appear_in_the_filter_panel_at_once(
    client, administrator
):
    client.force_login(administrator)
    client.get("/customers/")  # the panel is cached now
    parent = Industry.objects.get(code="software_it").parent
    Industry.objects.create(code="quantum", name_zh="量子计算", name_en="Quantum", parent=parent)
    tag = Tag.objects.create(
        tag_type=TagType.INDUSTRY, name_zh="量子先锋", status=TagStatus.APPROVED
    )

    html = client.get("/customers/").content.decode()

    assert "量子计算" in html
    assert f'value="{tag.pk}"' in html


def test_the_cached_panel_is_never_shown_to_another_user(client, owner, teammate, manager):
    client.force_login(manager)
    head = owner_options(client.get("/customers/").content.decode())
    client.force_login(owner)
    rep = owner_options(client.get("/customers/").content.decode())
    client.force_login(teammate)
    other_rep = owner_options(client.get("/customers/").content.decode())

    assert {str(owner.pk), str(teammate.pk)} <= head
    assert rep == {str(owner.pk)}
    assert other_rep == {str(teammate.pk)}


def test_a_new_colleague_appears_in_the_heads_owner_choice(client, manager, org):
    client.force_login(manager)
    client.get("/customers/")
    newcomer = make_user("newcomer", department=org.east, roles=["sales"], superior=manager)

    assert str(newcomer.pk) in owner_options(client.get("/customers/").content.decode())
