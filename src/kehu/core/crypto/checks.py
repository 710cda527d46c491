"""Start-up refuses without a usable key (a system check: runserver, migrate, `kehu run`, the
Celery worker and every management command run it), instead of failing on the first write.

With a database to look at (migrate, and so `kehu run`, pass one), one stored value of each
encrypted column is decrypted too: a wrong key then stops start-up with a message naming the
column, not a page that fails later.
"""

from __future__ import annotations

import stat

from django.core.checks import Error, Tags, Warning, register
from django.db import DatabaseError, connections
from django.utils.translation import gettext as _

from kehu.core.crypto import DecryptionError, decrypt_text
from kehu.core.crypto.keys import KeyConfigurationError, key_file, keyring


def _sample_errors(database: str) -> list[Error]:
    from kehu.core.crypto.fields import encrypted_columns

    connection = connections[database]
    errors = []
    try:
        tables = set(connection.introspection.table_names())
        for model, field in encrypted_columns():
            table = model._meta.db_table
            if table not in tables:
                continue
            quote = connection.ops.quote_name
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT {quote(field.column)} FROM {quote(table)} "  # noqa: S608 (names from the models)
                    f"WHERE {quote(field.column)} <> '' ORDER BY {quote(model._meta.pk.column)} "
                    "DESC LIMIT 1"
                )
                row = cursor.fetchone()
            if row is None:
                continue
            try:
                decrypt_text(row[0], context=field.purpose)
            except DecryptionError as exc:
                errors.append(
                    Error(
                        _("Stored values of %(column)s cannot be decrypted: %(error)s")
                        % {"column": f"{table}.{field.column}", "error": exc},
                        hint=_(
                            "Check KEHU_ENCRYPTION_KEYS or the key file: every key that values "
                            "were written under must be configured."
                        ),
                        id="kehu.E102",
                    )
                )
    except DatabaseError:
        return []  # no database yet (migrate will make it): nothing stored to check
    return errors


@register(Tags.security, Tags.database)
def check_encryption_keys(app_configs=None, databases=None, **kwargs):
    try:
        ring = keyring()
    except KeyConfigurationError as exc:
        return [Error(str(exc), id="kehu.E101")]
    messages = []
    path = key_file()
    if ring.source == str(path):
        try:
            mode = path.stat().st_mode
        except OSError:
            mode = 0
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            messages.append(
                Warning(
                    _("The encryption key file %(path)s can be read by other users.")
                    % {"path": path},
                    hint=_("chmod 600 %(path)s") % {"path": path},
                    id="kehu.W101",
                )
            )
    for database in databases or ():
        messages += _sample_errors(database)
    return messages
