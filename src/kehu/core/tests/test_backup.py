"""Encrypted backups: the file format, keys, retention, and backup → change → restore on
SQLite (real `kehu` processes on a data directory of their own) and PostgreSQL."""

import base64
import contextlib
import io
import os
import shutil
import sqlite3
import subprocess
import sys

import pytest

from kehu.core.backup import BackupError, backup_create, backup_restore, backups_prune
from kehu.core.backup.crypto import backup_key, decrypt_chunks, encrypt_stream, key_id
from kehu.core.tests.processes import isolated_env

KEY = bytes(range(32))


@pytest.fixture(autouse=True)
def _english():
    """The messages are matched in English (the source language)."""
    from django.utils import translation

    with translation.override("en"):
        yield


OTHER_KEY = bytes(range(1, 33))


def encrypt(data: bytes, key: bytes = KEY, chunk_size: int = 1000) -> bytes:
    out = io.BytesIO()
    encrypt_stream(io.BytesIO(data), out, key=key, engine="sqlite", chunk_size=chunk_size)
    return out.getvalue()


def decrypt(blob: bytes, key: bytes = KEY) -> bytes:
    return b"".join(decrypt_chunks(io.BufferedReader(io.BytesIO(blob)), key=key))


# --- file format ----------------------------------------------------------------------------
@pytest.mark.parametrize("size", [0, 1, 999, 1000, 1001, 10_500])
def test_encryption_round_trips_in_chunks(size):
    data = os.urandom(size)

    blob = encrypt(data)

    assert decrypt(blob) == data
    assert size < 16 or data[:64] not in blob  # a short input may occur by chance


def test_a_changed_byte_anywhere_is_detected():
    blob = encrypt(os.urandom(5000))
    for position in (0, 20, 40, 500, len(blob) // 2, len(blob) - 1):
        tampered = bytearray(blob)
        tampered[position] ^= 0x01
        with pytest.raises(BackupError):
            decrypt(bytes(tampered))


def test_a_truncated_or_extended_file_is_detected():
    blob = encrypt(os.urandom(5000))
    last_chunk = 4 + 1000 + 16
    with pytest.raises(BackupError, match="damaged or has been tampered with"):
        decrypt(blob[:-last_chunk])
    with pytest.raises(BackupError, match="damaged or has been tampered with"):
        decrypt(blob + b"more")


def test_reordered_chunks_are_detected():
    blob = encrypt(os.urandom(3000))
    header, chunk = 29, 4 + 1000 + 16
    first, second = blob[header : header + chunk], blob[header + chunk : header + 2 * chunk]
    swapped = blob[:header] + second + first + blob[header + 2 * chunk :]

    with pytest.raises(BackupError):
        decrypt(swapped)


def test_another_key_is_named_in_the_refusal():
    blob = encrypt(b"data")

    with pytest.raises(BackupError) as refused:
        decrypt(blob, key=OTHER_KEY)

    assert key_id(KEY) in str(refused.value)
    assert key_id(OTHER_KEY) in str(refused.value)


def test_a_file_that_is_not_a_backup_is_refused():
    with pytest.raises(BackupError, match="not a Kehu backup"):
        decrypt(b"SQLite format 3\x00" + bytes(100))


# --- keys and retention -------------------------------------------------------------------
def test_the_key_file_is_made_once_readable_by_the_owner_only(settings, tmp_path, monkeypatch):
    monkeypatch.delenv("KEHU_BACKUP_KEY", raising=False)
    settings.DATA_DIR = tmp_path

    with pytest.raises(BackupError, match="No backup key"):
        backup_key(create=False)
    first = backup_key(create=True)

    assert (tmp_path / "backup.key").stat().st_mode & 0o777 == 0o600
    assert backup_key(create=True) == first == backup_key(create=False)
    assert len(first) == 32


def test_the_environment_key_wins_and_a_bad_one_is_refused(settings, tmp_path, monkeypatch):
    settings.DATA_DIR = tmp_path
    monkeypatch.setenv("KEHU_BACKUP_KEY", base64.b64encode(KEY).decode())
    assert backup_key(create=True) == KEY
    assert not (tmp_path / "backup.key").exists()

    monkeypatch.setenv("KEHU_BACKUP_KEY", "c2hvcnQ=")
    with pytest.raises(BackupError, match="KEHU_BACKUP_KEY is not 32 bytes"):
        backup_key(create=True)


def test_only_the_newest_backups_are_kept(tmp_path):
    names = [f"kehu-202611{day:02d}-031500-000000.kehubak" for day in range(1, 6)]
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("not a backup")

    removed = backups_prune(directory=tmp_path, keep=2)

    assert [path.name for path in removed] == names[:3]
    assert sorted(path.name for path in tmp_path.iterdir()) == [*names[3:], "notes.txt"]


def test_backup_is_scheduled_daily():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["backup-database"]
    assert entry["task"] == "kehu.core.tasks.backup_database"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({3}, {15})


# --- SQLite: real processes on their own data directory ----------------------------------
def kehu(data_dir, *args, stdin=None, **env):
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "kehu", *args],
        env=isolated_env(data_dir, **env),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def snapshot(database) -> dict[str, list]:
    """Every row of every table, in a stable order."""
    with contextlib.closing(sqlite3.connect(database)) as connection:
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {
            table: sorted(
                connection.execute(f'SELECT * FROM "{table}"').fetchall(),  # noqa: S608
                key=repr,
            )
            for table in tables
        }


def change(database) -> None:
    with contextlib.closing(sqlite3.connect(database)) as connection:
        connection.execute("DELETE FROM accounts_role WHERE code = 'marketing'")
        connection.execute("UPDATE accounts_role SET name = 'changed' WHERE code = 'admin'")
        connection.execute(
            "INSERT INTO accounts_department (name, sort_order) VALUES ('after the backup', 0)"
        )
        connection.commit()


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    """A data directory with a migrated database (presets loaded), made once."""
    data_dir = tmp_path_factory.mktemp("kehu-backup-template")
    result = kehu(data_dir, "migrate", "--no-input")
    assert result.returncode == 0, result.stderr
    result = kehu(
        data_dir,
        "shell",
        "-c",
        "from kehu.accounts.tests.factories import build_org; build_org()",
    )
    assert result.returncode == 0, result.stderr
    return data_dir


@pytest.fixture
def data_dir(migrated, tmp_path):
    target = tmp_path / "data"
    shutil.copytree(migrated, target)
    return target


def test_backup_change_restore_gives_back_every_row_of_every_table(data_dir):
    database = data_dir / "kehu.sqlite3"
    before = snapshot(database)
    assert len(before["accounts_user"]) == 8

    made = kehu(data_dir, "backup", "--output", str(data_dir / "out"))
    assert made.returncode == 0, made.stderr
    [backup] = (data_dir / "out").glob("*.kehubak")
    assert b"accounts_role" not in backup.read_bytes()  # nothing readable in the file
    change(database)
    assert snapshot(database) != before

    restored = kehu(data_dir, "restore", str(backup), "--yes")

    assert restored.returncode == 0, restored.stderr
    after = snapshot(database)
    assert after.keys() == before.keys()
    for table in before:
        assert after[table] == before[table], table


def test_restore_asks_first_and_no_leaves_everything(data_dir):
    database = data_dir / "kehu.sqlite3"
    kehu(data_dir, "backup", "--output", str(data_dir / "out"))
    [backup] = (data_dir / "out").glob("*.kehubak")
    change(database)
    changed = snapshot(database)

    answer = kehu(data_dir, "restore", str(backup), stdin="no\n")

    assert answer.returncode == 0
    assert 'Type "yes" to continue' in answer.stdout
    assert "Nothing changed." in answer.stdout
    assert snapshot(database) == changed


def test_restore_refuses_a_backup_of_another_key_and_a_tampered_one(data_dir):
    database = data_dir / "kehu.sqlite3"
    kehu(data_dir, "backup", "--output", str(data_dir / "out"))
    [backup] = (data_dir / "out").glob("*.kehubak")
    change(database)
    changed = snapshot(database)
    other = base64.b64encode(OTHER_KEY).decode()
    tampered = data_dir / "tampered.kehubak"
    blob = bytearray(backup.read_bytes())
    blob[len(blob) // 2] ^= 0x01
    tampered.write_bytes(bytes(blob))

    wrong_key = kehu(data_dir, "restore", str(backup), "--yes", KEHU_BACKUP_KEY=other)
    damaged = kehu(data_dir, "restore", str(tampered), "--yes")

    ours = key_id(base64.b64decode((data_dir / "backup.key").read_text()))
    assert wrong_key.returncode != 0
    assert ours in wrong_key.stderr
    assert key_id(OTHER_KEY) in wrong_key.stderr
    assert damaged.returncode != 0
    assert "damaged or has been tampered with" in damaged.stderr
    assert snapshot(database) == changed


def _key_file_kid(data_dir) -> str:
    text = (data_dir / "encryption.keys").read_text()
    keys = next(line for line in text.splitlines() if line.startswith("KEHU_ENCRYPTION_KEYS="))
    return keys.split("=", 1)[1].split(":", 1)[0]


def test_restore_refuses_a_backup_made_under_other_encryption_keys_and_changes_nothing(data_dir):
    """Another machine (or a lost key file): the backup opens with the backup key, but its
    encrypted fields need field keys this installation does not have."""
    database = data_dir / "kehu.sqlite3"
    kehu(data_dir, "backup", "--output", str(data_dir / "out"))
    [backup] = (data_dir / "out").glob("*.kehubak")
    change(database)
    changed = snapshot(database)
    kid = _key_file_kid(data_dir)
    secret = base64.b64encode(OTHER_KEY).decode()
    other_install = {"KEHU_BLIND_INDEX_SECRET": secret}

    missing = kehu(
        data_dir,
        "restore",
        str(backup),
        "--yes",
        KEHU_ENCRYPTION_KEYS=f"elsewhere:{secret}",
        **other_install,
    )
    same_id = kehu(
        data_dir,
        "restore",
        str(backup),
        "--yes",
        KEHU_ENCRYPTION_KEYS=f"{kid}:{secret}",
        **other_install,
    )

    assert missing.returncode != 0
    assert "made with other encryption keys" in missing.stderr
    assert f"keys not configured here: {kid}" in missing.stderr
    assert "Nothing was restored" in missing.stderr
    assert same_id.returncode != 0
    assert f"keys that differ under the same id: {kid}" in same_id.stderr
    assert snapshot(database) == changed  # nothing lost, nothing half-written
    restored = kehu(data_dir, "restore", str(backup), "--yes")  # with the right key file
    assert restored.returncode == 0, restored.stderr


def test_a_backup_names_the_encryption_keys_it_needs_but_holds_none_of_them(settings):
    from kehu.core.backup.crypto import key_fingerprint, read_manifest
    from kehu.core.backup.database import encryption_key_manifest
    from kehu.core.crypto.keys import keyring

    out = io.BytesIO()
    manifest = encryption_key_manifest()
    encrypt_stream(io.BytesIO(b"data"), out, key=KEY, engine="sqlite", manifest=manifest)
    ring = keyring()

    assert read_manifest(io.BytesIO(out.getvalue()), key=KEY) == manifest
    assert set(manifest["encryption_keys"]) == set(ring.keys)
    assert manifest["encryption_keys"][ring.current] == key_fingerprint(ring.keys[ring.current])
    for key in ring.keys.values():
        assert key not in out.getvalue()
        assert base64.b64encode(key) not in out.getvalue()


def test_scheduled_backup_task_keeps_the_newest_ones(data_dir):
    script = "from kehu.core.tasks import backup_database; print(backup_database())"
    for _ in range(3):
        result = kehu(data_dir, "shell", "-c", script, KEHU_BACKUP_KEEP="2")
        assert result.returncode == 0, result.stderr

    assert len(list((data_dir / "backups").glob("*.kehubak"))) == 2


# --- PostgreSQL ------------------------------------------------------------------------------
SCRATCH = "kehu_security_backup"


@pytest.fixture
def scratch_postgres():
    psycopg = pytest.importorskip("psycopg")
    if not shutil.which("pg_dump"):
        pytest.skip("pg_dump is not installed")
    server = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
    try:
        admin = psycopg.connect(**server, dbname="postgres", autocommit=True, connect_timeout=3)
    except psycopg.OperationalError:
        pytest.skip("no PostgreSQL server on 127.0.0.1:5432")
    with admin:
        admin.execute(f"DROP DATABASE IF EXISTS {SCRATCH}")
        admin.execute(f"CREATE DATABASE {SCRATCH}")
    database = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": SCRATCH,
        "HOST": "127.0.0.1",
        "PORT": 5432,
        "USER": "postgres",
        "PASSWORD": "",
    }
    with psycopg.connect(**server, dbname=SCRATCH, autocommit=True) as connection:
        yield database, connection
    with psycopg.connect(**server, dbname="postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {SCRATCH} WITH (FORCE)")


def pg_snapshot(connection) -> dict[str, list]:
    tables = [
        row[0]
        for row in connection.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
        )
    ]
    return {
        table: connection.execute(f'SELECT * FROM "{table}" ORDER BY 1').fetchall()  # noqa: S608
        for table in tables
    }


def test_postgresql_backup_change_restore(scratch_postgres, tmp_path, settings, monkeypatch):
    database, connection = scratch_postgres
    settings.DATA_DIR = tmp_path
    monkeypatch.delenv("KEHU_BACKUP_KEY", raising=False)
    connection.execute("CREATE TABLE customer (id serial PRIMARY KEY, name text, mobile text)")
    connection.execute("CREATE TABLE note (id serial PRIMARY KEY, customer_id int, body text)")
    for index in range(200):
        connection.execute(
            "INSERT INTO customer (name, mobile) VALUES (%s, %s)",
            (f"上海客户{index}", f"1391234{index:04d}"),
        )
        connection.execute(
            "INSERT INTO note (customer_id, body) VALUES (%s, %s)", (index + 1, "拜访" * index)
        )
    before = pg_snapshot(connection)

    backup = backup_create(output_dir=tmp_path / "out", database=database)
    assert b"13912340001" not in backup.read_bytes()
    connection.execute("DELETE FROM note WHERE id > 100")
    connection.execute("UPDATE customer SET name = 'changed'")
    connection.execute("CREATE TABLE extra (id int)")
    tampered = tmp_path / "tampered.kehubak"
    blob = bytearray(backup.read_bytes())
    blob[-10] ^= 0x01
    tampered.write_bytes(bytes(blob))
    changed = pg_snapshot(connection)

    with pytest.raises(BackupError, match="tampered"):
        backup_restore(path=tampered, database=database)
    assert pg_snapshot(connection) == changed
    keys_here = settings.KEHU_ENCRYPTION_KEYS, settings.KEHU_BLIND_INDEX_SECRET
    settings.KEHU_ENCRYPTION_KEYS = f"elsewhere:{base64.b64encode(OTHER_KEY).decode()}"
    settings.KEHU_BLIND_INDEX_SECRET = base64.b64encode(OTHER_KEY).decode()
    with pytest.raises(BackupError, match="made with other encryption keys"):
        backup_restore(path=backup, database=database)
    assert pg_snapshot(connection) == changed
    settings.KEHU_ENCRYPTION_KEYS, settings.KEHU_BLIND_INDEX_SECRET = keys_here
    assert backup_restore(path=backup, database=database)

    # Every table of the backup is back as it was; pg_restore --clean leaves a table that did
    # not exist at backup time alone.
    after = pg_snapshot(connection)
    assert {table: rows for table, rows in after.items() if table != "extra"} == before
