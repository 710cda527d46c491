"""Stored files of binned rows (contract attachments): kept while the item is in the bin, so
a restore brings them back, and deleted from storage when the item is purged."""

import datetime as dt
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from kehu.recyclebin.models import DeletedRecord
from kehu.recyclebin.services import (
    recyclebin_purge,
    recyclebin_purge_expired,
    recyclebin_restore,
)
from kehu.sales.models import ContractAttachment
from kehu.sales.services.contracts import contract_attachment_add, contract_attachment_delete
from kehu.sales.tests.factories import make_contract

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _binned_attachment(customer, owner):
    contract = make_contract(customer=customer)
    attachment = contract_attachment_add(
        contract=contract,
        by=owner,
        upload=SimpleUploadedFile("合同扫描件.pdf", b"%PDF-1.4 test"),
    )
    path = Path(attachment.file.path)
    contract_attachment_delete(attachment=attachment, by=owner)
    return attachment, path, DeletedRecord.objects.get(model="sales.contractattachment")


def test_purging_a_binned_attachment_deletes_its_stored_file(
    media, customer, owner, administrator, django_capture_on_commit_callbacks
):
    _attachment, path, item = _binned_attachment(customer, owner)
    assert path.read_bytes() == b"%PDF-1.4 test"  # kept while in the bin

    with django_capture_on_commit_callbacks(execute=True):  # the file goes once the purge commits
        recyclebin_purge(item=item, by=administrator)

    assert not DeletedRecord.objects.exists()
    assert not path.exists()


def test_the_scheduled_purge_deletes_stored_files_of_expired_items(
    media, customer, owner, django_capture_on_commit_callbacks
):
    _attachment, path, _item = _binned_attachment(customer, owner)

    with django_capture_on_commit_callbacks(execute=True):
        assert recyclebin_purge_expired(now=timezone.now() + dt.timedelta(days=365)) == 1

    assert not path.exists()


def test_restoring_a_binned_attachment_keeps_its_file(media, customer, owner):
    _attachment, path, item = _binned_attachment(customer, owner)

    restored = recyclebin_restore(item=item, by=owner)

    assert isinstance(restored, ContractAttachment)
    assert Path(restored.file.path) == path
    with restored.file.open("rb") as stored:
        assert stored.read() == b"%PDF-1.4 test"


def test_a_purge_that_fails_keeps_the_file(
    media, customer, owner, administrator, monkeypatch, django_capture_on_commit_callbacks
):
    from kehu.recyclebin import services

    _attachment, path, item = _binned_attachment(customer, owner)

    def failing_audit(**kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(services, "audit_event_record", failing_audit)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        recyclebin_purge(item=item, by=administrator)

    assert DeletedRecord.objects.filter(pk=item.pk).exists()
    assert path.read_bytes() == b"%PDF-1.4 test"
