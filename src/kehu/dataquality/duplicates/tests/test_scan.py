"""The whole-table scan: groups with their reasons, dismissed pairs, scan bookkeeping."""

from django.utils import translation

from kehu.customers.tests.factories import make_customer, next_mobile
from kehu.dataquality.duplicates.models import (
    DuplicateGroup,
    DuplicateGroupStatus,
    DuplicateScanStatus,
)
from kehu.dataquality.duplicates.services import duplicate_group_dismiss
from kehu.dataquality.duplicates.tasks import scan_duplicates

from .conftest import make_twin


def test_scan_groups_the_variants_of_one_company_with_reasons(triplet, owner, scan):
    # given three entries of one company and an unrelated customer
    make_customer(owner=owner, name="广州东方机械有限公司")

    # when the table is scanned
    result = scan()

    # then one group holds the three entries, explained pair by pair
    [group] = DuplicateGroup.objects.all()
    assert {m.customer_id for m in group.members.all()} == {c.pk for c in triplet}
    assert group.size == 3
    assert group.score >= 0.95
    assert result.status == DuplicateScanStatus.DONE
    assert (result.customers_scanned, result.groups_found) == (4, 1)
    assert result.pairs_scored >= 3
    assert set(result.phase_seconds) == {"load", "prepare", "block", "score", "group", "store"}
    with translation.override("en"):
        texts = [str(r) for _a, _b, _s, reasons in group.pair_reasons() for r in reasons]
    assert "names equal after removing (北京)、北京" in texts  # 北京星辰… vs 星辰…（北京）…
    masked = triplet[0].contacts.get().mobile
    assert f"same mobile {masked[:3]}****{masked[-4:]}" in texts


def test_a_new_scan_replaces_open_groups(triplet, scan):
    scan()
    first = DuplicateGroup.objects.get()

    scan()

    assert not DuplicateGroup.objects.filter(pk=first.pk).exists()
    assert DuplicateGroup.objects.filter(status=DuplicateGroupStatus.OPEN).count() == 1


def test_dismissed_pairs_stay_dismissed_in_later_scans(triplet, owner, scan):
    # given a group the owner marked "not duplicates"
    scan()
    group = DuplicateGroup.objects.get()
    duplicate_group_dismiss(group=group, by=owner)

    # when the table is scanned again, with a fourth entry of the same company
    make_twin(owner=owner, name="星辰软件技术有限公司", mobile=triplet[0].contacts.get().mobile)
    scan()

    # then the dismissed pairs are not suggested again; only pairs with the new entry are
    group.refresh_from_db()
    assert group.status == DuplicateGroupStatus.DISMISSED
    [new] = DuplicateGroup.objects.filter(status=DuplicateGroupStatus.OPEN)
    pairs = {(p["a"], p["b"]) for p in new.pairs}
    old = sorted(c.pk for c in triplet)
    assert not pairs & {(old[0], old[1]), (old[0], old[2]), (old[1], old[2])}


def test_scan_task_runs_a_queued_scan_once(triplet, owner, django_capture_on_commit_callbacks):
    from kehu.dataquality.duplicates.models import DuplicateScan
    from kehu.dataquality.duplicates.services import duplicate_scan_request

    with django_capture_on_commit_callbacks(execute=True):
        queued = duplicate_scan_request(by=owner)
    queued.refresh_from_db()
    assert queued.status == DuplicateScanStatus.DONE
    assert scan_duplicates(queued.pk) == 0  # delivered again: not run twice
    assert DuplicateScan.objects.count() == 1


def test_different_companies_sharing_nothing_form_no_group(owner, scan):
    make_customer(owner=owner, name="北京星辰软件技术有限公司")
    make_customer(owner=owner, name="北京星河软件技术有限公司")
    scan()
    assert not DuplicateGroup.objects.exists()


def test_scan_uses_a_fixed_number_of_queries(triplet, owner, scan, django_assert_max_num_queries):
    for index in range(10):
        make_twin(owner=owner, name=f"上海第{index}号贸易有限公司", mobile=next_mobile())
    with django_assert_max_num_queries(20):
        scan()
