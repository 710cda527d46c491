"""Encryption at rest: tokens, keys, start-up refusal, the raw database, rotation."""

import base64
import io
import os
import secrets
import stat

import pytest
from django.core.checks import Error
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.db import connection
from django.utils import translation

from kehu.accounts.security.models import TOTPDevice
from kehu.accounts.security.totp import totp_device_start
from kehu.core import crypto
from kehu.core.crypto import DecryptionError, decrypt_bytes, encrypt_bytes
from kehu.core.crypto.checks import check_encryption_keys
from kehu.core.crypto.fields import encrypted_columns
from kehu.core.crypto.keys import KeyConfigurationError, keyring, read_key_file
from kehu.customers.models import Contact
from kehu.customers.sensitive import mobile_index
from kehu.customers.tests.factories import make_customer
from kehu.sales.models import Lead
from kehu.sales.tests.factories import make_lead

KNOWN = "13912345678"


def _key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


INDEX_SECRET = _key()


@pytest.fixture
def keys(settings):
    """Two keys in the environment style; returns a function that makes `kid` current."""
    pool = {"k0": _key(), "k1": _key()}

    def use(*kids: str) -> None:
        settings.KEHU_ENCRYPTION_KEYS = ",".join(f"{kid}:{pool[kid]}" for kid in kids)
        settings.KEHU_BLIND_INDEX_SECRET = INDEX_SECRET

    use("k0")
    return use


def _raw_rows(table: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
        return cursor.fetchall()


# --- tokens ---------------------------------------------------------------------------------
def test_bytes_round_trip_under_their_context(keys):
    token = encrypt_bytes(b"snapshot", context=b"recyclebin")
    assert b"snapshot" not in token
    assert decrypt_bytes(token, context=b"recyclebin") == b"snapshot"


def test_each_encryption_differs_but_the_blind_index_does_not(keys):
    assert encrypt_bytes(b"x") != encrypt_bytes(b"x")
    assert mobile_index(KNOWN) == mobile_index(f"+86 {KNOWN[:3]}-{KNOWN[3:7]}-{KNOWN[7:]}")


def test_a_token_moved_to_another_context_does_not_decrypt(keys):
    token = encrypt_bytes(b"13912345678", context=b"customers.contact.mobile")
    with pytest.raises(DecryptionError, match="moved from another field"):
        decrypt_bytes(token, context=b"sales.lead.mobile")


def test_tampered_ciphertext_raises_a_clear_error(keys):
    token = bytearray(encrypt_bytes(b"13912345678"))
    token[-1] ^= 1
    with pytest.raises(DecryptionError, match="does not authenticate under key k0"):
        decrypt_bytes(bytes(token))
    with pytest.raises(DecryptionError, match="truncated"):
        decrypt_bytes(bytes(token[:10]))
    with pytest.raises(DecryptionError, match="not a Kehu ciphertext"):
        crypto.decrypt_text("not base64 !", context="x")


def test_a_wrong_key_raises_a_clear_error(keys, settings):
    token = encrypt_bytes(b"13912345678")
    settings.KEHU_ENCRYPTION_KEYS = f"k0:{_key()}"  # same id, other bytes
    with pytest.raises(DecryptionError, match="the key is wrong"):
        decrypt_bytes(token)


def test_a_value_under_an_unconfigured_key_names_the_key(keys):
    token = encrypt_bytes(b"13912345678")
    keys("k1")
    with pytest.raises(DecryptionError, match="key k0, which is not configured"):
        decrypt_bytes(token)


def test_malformed_key_settings_are_refused_with_the_reason(settings):
    settings.KEHU_BLIND_INDEX_SECRET = INDEX_SECRET
    settings.KEHU_ENCRYPTION_KEYS = "k0:tooshort"
    with pytest.raises(KeyConfigurationError, match="not 32 bytes"):
        keyring()
    settings.KEHU_ENCRYPTION_KEYS = _key()  # no key id
    with pytest.raises(KeyConfigurationError, match="kid1:base64key"):
        keyring()
    settings.KEHU_ENCRYPTION_KEYS = f"k0:{_key()}"
    settings.KEHU_BLIND_INDEX_SECRET = ""
    with pytest.raises(KeyConfigurationError, match="KEHU_BLIND_INDEX_SECRET is missing"):
        keyring()


# --- start-up -------------------------------------------------------------------------------
@pytest.mark.django_db
def test_start_up_refuses_when_the_key_file_of_an_encrypted_database_is_missing(settings, tmp_path):
    """The test database has had the encrypting migration: a new key would be a lost key."""
    settings.KEHU_ENCRYPTION_KEYS = ""
    settings.KEHU_KEY_FILE = tmp_path / "encryption.keys"
    [error] = check_encryption_keys(databases=["default"])
    assert isinstance(error, Error)
    assert "is missing, but the database holds encrypted values" in error.msg
    assert not (tmp_path / "encryption.keys").exists()
    with pytest.raises(Exception, match="Kehu will not start without the key"):
        call_command("check")


def test_a_new_install_gets_a_private_key_file(settings, tmp_path, monkeypatch):
    monkeypatch.setattr("kehu.core.crypto.keys.database_holds_encrypted_values", lambda: False)
    settings.KEHU_ENCRYPTION_KEYS = ""
    settings.KEHU_KEY_FILE = tmp_path / "encryption.keys"
    ring = keyring()
    mode = stat.S_IMODE(os.stat(tmp_path / "encryption.keys").st_mode)
    assert mode == 0o600
    values = read_key_file(tmp_path / "encryption.keys")
    assert values["KEHU_ENCRYPTION_KEYS"].startswith(ring.current + ":")
    assert values["KEHU_BLIND_INDEX_SECRET"]


@pytest.mark.django_db
def test_start_up_refuses_a_wrong_key_for_the_stored_values(keys, settings, org):
    make_customer(owner=org.owner)
    settings.KEHU_ENCRYPTION_KEYS = f"k0:{_key()}"
    errors = check_encryption_keys(databases=["default"])
    assert any(e.id == "kehu.E102" and "cannot be decrypted" in e.msg for e in errors)


# --- the raw database -----------------------------------------------------------------------
@pytest.mark.django_db
def test_the_raw_database_holds_no_known_mobile_number(keys, org):
    from kehu.customers.services import contact_update

    customer = make_customer(
        owner=org.owner, decision_maker={"name": "王建国", "title": "总监", "mobile": KNOWN}
    )
    contact = customer.decision_maker
    contact_update(contact=contact, by=org.owner, data={"title": "总经理"}, expected_version=1)
    make_lead(owner=org.owner, mobile=KNOWN)
    device = totp_device_start(user=org.owner)
    tables = {model._meta.db_table for model, _field in encrypted_columns()}
    assert {
        "customers_contact",
        "customers_historicalcontact",
        "sales_lead",
        "sales_historicallead",
        "accounts_totpdevice",
    } <= tables
    for table in tables:
        for row in _raw_rows(table):
            for value in row:
                assert KNOWN not in str(value), f"{table} holds the number in plain text"
                assert KNOWN[-8:] not in str(value)
                assert device.secret not in str(value), f"{table} holds the TOTP secret"
    for model, field in encrypted_columns():
        # Loading decrypts: every stored value is a valid token for its own column.
        list(model._base_manager.values_list(field.name))
    assert Contact.objects.get(mobile_hash=mobile_index(KNOWN)).mobile == KNOWN
    assert Lead.objects.get(mobile_hash=mobile_index(KNOWN)).mobile == KNOWN
    assert TOTPDevice.objects.get(pk=device.pk).secret == device.secret


@pytest.mark.django_db
def test_looking_up_an_encrypted_field_by_value_is_refused(keys):
    with pytest.raises(FieldError, match="blind index"):
        list(Contact.objects.filter(mobile=KNOWN))
    assert not Contact.objects.filter(mobile="").exists()


@pytest.mark.django_db
def test_search_finds_a_customer_by_the_whole_mobile_and_by_its_last_4_digits(keys, org):
    from kehu.core.access import visible_customers
    from kehu.customers.selectors import customer_search_q

    customer = make_customer(
        owner=org.owner, decision_maker={"name": "王建国", "title": "总监", "mobile": KNOWN}
    )
    make_customer(owner=org.owner, name="上海别的公司有限公司")
    for term in (KNOWN, KNOWN[-4:], f"{KNOWN[:3]} {KNOWN[3:7]} {KNOWN[7:]}"):
        found = visible_customers(org.owner).filter(customer_search_q(org.owner, term))
        assert list(found) == [customer], term


# --- rotation -------------------------------------------------------------------------------
def _kids(table: str, column: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE {column} <> '' ORDER BY 1")  # noqa: S608
        return [crypto.token_kid(crypto.text_token(v)) for (v,) in cursor.fetchall()]


@pytest.mark.django_db
def test_rotation_re_encrypts_rows_written_under_both_keys_and_can_resume(keys, org):
    old = [make_customer(owner=org.owner, name=f"旧钥匙公司{n}有限公司") for n in range(3)]
    keys("k1", "k0")  # a new current key; the old one still decrypts
    new = [make_customer(owner=org.owner, name=f"新钥匙公司{n}有限公司") for n in range(2)]
    assert sorted(_kids("customers_contact", "mobile")) == ["k0"] * 3 + ["k1"] * 2
    numbers = {c.pk: c.decision_maker.mobile for c in old + new}
    hashes = dict(Contact.objects.values_list("customer_id", "mobile_hash"))

    call_command("rotate_keys", "--batch", "2", "--max-rows", "1", stdout=io.StringIO())
    assert _kids("customers_contact", "mobile").count("k0") == 2  # one done, then stopped
    call_command("rotate_keys", "--batch", "2", stdout=io.StringIO())

    assert set(_kids("customers_contact", "mobile")) == {"k1"}
    assert set(_kids("customers_historicalcontact", "mobile")) == {"k1"}
    keys("k1")  # the old key can go now
    stored = {c.customer_id: c.mobile for c in Contact.objects.all()}
    assert stored == numbers
    assert dict(Contact.objects.values_list("customer_id", "mobile_hash")) == hashes


@pytest.mark.django_db
def test_rotation_leaves_a_value_changed_meanwhile_alone(keys, org, monkeypatch):
    from kehu.core.crypto import rotation

    customer = make_customer(owner=org.owner)
    keys("k1", "k0")
    contact = customer.decision_maker
    real_decrypt = rotation.decrypt_text

    def decrypt_while_someone_saves(token, *, context):
        # The application writes a new number between the rotation's read and its update.
        Contact.objects.filter(pk=contact.pk).update(mobile="13700009999")
        return real_decrypt(token, context=context)

    monkeypatch.setattr(rotation, "decrypt_text", decrypt_while_someone_saves)
    result = rotation.rotate_column(Contact, Contact._meta.get_field("mobile"))
    assert (result.rotated, result.skipped) == (0, 1)
    assert Contact.objects.get(pk=contact.pk).mobile == "13700009999"


@pytest.mark.django_db
def test_rotation_encrypts_values_of_a_field_marked_sensitive_later_and_rotates_old_ones(keys, org):
    from kehu.customers.models import Customer, CustomFieldDefinition

    definition = CustomFieldDefinition.objects.create(
        key="passport", label_zh="护照号", label_en="Passport", field_type="text"
    )
    customer = make_customer(owner=org.owner, custom_fields={"passport": "E12345678"})
    with connection.cursor() as cursor:
        cursor.execute("SELECT custom_fields FROM customers_customer")
        assert "E12345678" in cursor.fetchone()[0]  # not sensitive yet: plain JSON
    definition.sensitive = True
    definition.save()
    keys("k1", "k0")

    call_command("rotate_keys", stdout=io.StringIO())

    with connection.cursor() as cursor:
        cursor.execute("SELECT custom_fields FROM customers_customer")
        raw = cursor.fetchone()[0]
    assert "E12345678" not in raw
    assert Customer.objects.get(pk=customer.pk).custom_fields == {"passport": "E12345678"}


@pytest.mark.django_db
def test_rotation_re_encrypts_recycle_bin_snapshots_and_totp_secrets_and_can_resume(keys, org):
    from kehu.recyclebin.models import DeletedRecord
    from kehu.recyclebin.services import recyclebin_delete, snapshot_document

    items = [
        recyclebin_delete(obj=make_lead(owner=org.owner, mobile=KNOWN), by=org.owner)
        for _n in range(3)
    ]
    device = totp_device_start(user=org.owner)
    documents = {item.pk: snapshot_document(item) for item in items}
    keys("k1", "k0")

    call_command("rotate_keys", "--batch", "2", "--max-rows", "1", stdout=io.StringIO())
    kids = [
        crypto.token_kid(bytes(p)) for p in DeletedRecord.objects.values_list("payload", flat=True)
    ]
    assert sorted(kids) == ["k0", "k0", "k1"]  # one done, then stopped
    out = io.StringIO()
    with translation.override("en"):
        call_command("rotate_keys", "--batch", "2", stdout=out)
    assert "recyclebin_deletedrecord.payload: 2 re-encrypted" in out.getvalue()

    kids = {
        crypto.token_kid(bytes(p)) for p in DeletedRecord.objects.values_list("payload", flat=True)
    }
    assert kids == {"k1"}
    assert set(_kids("accounts_totpdevice", "secret")) == {"k1"}
    keys("k1")  # the old key can go: everything still opens
    for item in DeletedRecord.objects.all():
        assert snapshot_document(item) == documents[item.pk]
    assert TOTPDevice.objects.get(pk=device.pk).secret == device.secret


@pytest.mark.django_db
def test_the_totp_migration_encrypts_secrets_stored_in_plain_text(keys, org):
    import importlib
    from types import SimpleNamespace

    migration = importlib.import_module("kehu.accounts.migrations.0006_encrypt_totp_secret")
    device = totp_device_start(user=org.owner)
    with connection.cursor() as cursor:  # a secret as stored before the migration
        cursor.execute(
            "UPDATE accounts_totpdevice SET secret = %s WHERE id = %s",
            ["JBSWY3DPEHPK3PXP", device.pk],
        )
    migration.encrypt_secrets(None, SimpleNamespace(connection=connection))
    assert "JBSWY3DPEHPK3PXP" not in str(_raw_rows("accounts_totpdevice"))
    assert TOTPDevice.objects.get(pk=device.pk).secret == "JBSWY3DPEHPK3PXP"


@pytest.fixture(autouse=True)
def _english_messages():
    """These tests read the English wording of messages; the default language is zh-hans."""
    from django.utils import translation

    with translation.override("en"):
        yield
