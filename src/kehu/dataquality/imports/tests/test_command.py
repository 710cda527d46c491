import pytest
from django.core.management import CommandError, call_command

from kehu.customers.models import Customer
from kehu.dataquality.imports.tests.files import csv_bytes, row, xlsx_bytes


def test_command_imports_a_file_as_the_given_user(owner, tmp_path, capsys):
    path = tmp_path / "customers.xlsx"
    path.write_bytes(xlsx_bytes([row(), row(name="乙科技有限公司", 手机="1")]))
    errors = tmp_path / "errors.xlsx"

    call_command("import_customers", str(path), user="owner", mode="create", errors=str(errors))

    assert Customer.objects.get().owner == owner
    out = capsys.readouterr().out
    assert "created 1" in out
    assert "errors 1" in out
    assert errors.stat().st_size > 0


def test_command_dry_run_writes_nothing(owner, tmp_path, capsys):
    path = tmp_path / "customers.csv"
    path.write_bytes(csv_bytes([row()], encoding="gbk"))

    call_command("import_customers", str(path), user="owner", dry_run=True)

    assert not Customer.objects.exists()
    assert "would create 1" in capsys.readouterr().out


def test_command_refuses_an_unknown_user_or_file(owner, tmp_path):
    with pytest.raises(CommandError, match="nobody"):
        call_command("import_customers", str(tmp_path / "x.csv"), user="nobody")
    with pytest.raises(CommandError, match="No file"):
        call_command("import_customers", str(tmp_path / "x.csv"), user="owner")
