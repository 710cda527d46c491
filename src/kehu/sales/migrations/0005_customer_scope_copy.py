"""Opportunities, contracts and payments keep a copy of their customer's owner and department
(and payments their contract's customer), kept by triggers (kehu.sales.scope_copy).

The tables are locked against writes while the copy is filled and the triggers are created,
so no row written meanwhile is left without one."""

from django.db import migrations, models

CUSTOMER = "customers_customer"

POSTGRESQL = [
    # The copy of a new or re-pointed row, read from its customer. FOR SHARE: an owner change
    # running at the same time finishes first (and this row sees it) or waits for this one
    # (and its own update then rewrites this row too).
    """
    CREATE FUNCTION kehu_scope_from_customer() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        SELECT owner_id, department_id INTO NEW.scope_owner_id, NEW.scope_department_id
        FROM customers_customer WHERE id = NEW.customer_id FOR SHARE;
        RETURN NEW;
    END $$
    """,
    """
    CREATE FUNCTION kehu_scope_from_contract() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        SELECT c.id, c.owner_id, c.department_id
        INTO NEW.scope_customer_id, NEW.scope_owner_id, NEW.scope_department_id
        FROM sales_contract k JOIN customers_customer c ON c.id = k.customer_id
        WHERE k.id = NEW.contract_id FOR SHARE OF c;
        RETURN NEW;
    END $$
    """,
    # A customer's new owner or department, onto its rows (their own triggers read it back).
    """
    CREATE FUNCTION kehu_scope_customer_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE sales_opportunity SET scope_owner_id = NEW.owner_id,
            scope_department_id = NEW.department_id WHERE customer_id = NEW.id;
        UPDATE sales_contract SET scope_owner_id = NEW.owner_id,
            scope_department_id = NEW.department_id WHERE customer_id = NEW.id;
        UPDATE sales_payment SET scope_owner_id = NEW.owner_id,
            scope_department_id = NEW.department_id
        WHERE contract_id IN (SELECT id FROM sales_contract WHERE customer_id = NEW.id);
        RETURN NULL;
    END $$
    """,
    # A contract moved to another customer (a merge) takes its payments along.
    """
    CREATE FUNCTION kehu_scope_contract_moved() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE sales_payment SET scope_customer_id = NEW.customer_id
        WHERE contract_id = NEW.id;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER kehu_scope_copy BEFORE INSERT OR UPDATE OF
        customer_id, scope_owner_id, scope_department_id ON sales_opportunity
    FOR EACH ROW EXECUTE FUNCTION kehu_scope_from_customer()
    """,
    """
    CREATE TRIGGER kehu_scope_copy BEFORE INSERT OR UPDATE OF
        customer_id, scope_owner_id, scope_department_id ON sales_contract
    FOR EACH ROW EXECUTE FUNCTION kehu_scope_from_customer()
    """,
    """
    CREATE TRIGGER kehu_scope_copy BEFORE INSERT OR UPDATE OF
        contract_id, scope_customer_id, scope_owner_id, scope_department_id ON sales_payment
    FOR EACH ROW EXECUTE FUNCTION kehu_scope_from_contract()
    """,
    """
    CREATE TRIGGER kehu_scope_copy AFTER UPDATE OF owner_id, department_id
    ON customers_customer FOR EACH ROW
    WHEN (OLD.owner_id IS DISTINCT FROM NEW.owner_id
          OR OLD.department_id IS DISTINCT FROM NEW.department_id)
    EXECUTE FUNCTION kehu_scope_customer_changed()
    """,
    """
    CREATE TRIGGER kehu_scope_contract_moved AFTER UPDATE OF customer_id
    ON sales_contract FOR EACH ROW
    WHEN (OLD.customer_id IS DISTINCT FROM NEW.customer_id)
    EXECUTE FUNCTION kehu_scope_contract_moved()
    """,
]

POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS kehu_scope_copy ON sales_opportunity",
    "DROP TRIGGER IF EXISTS kehu_scope_copy ON sales_contract",
    "DROP TRIGGER IF EXISTS kehu_scope_copy ON sales_payment",
    "DROP TRIGGER IF EXISTS kehu_scope_copy ON customers_customer",
    "DROP TRIGGER IF EXISTS kehu_scope_contract_moved ON sales_contract",
    "DROP FUNCTION IF EXISTS kehu_scope_from_customer()",
    "DROP FUNCTION IF EXISTS kehu_scope_from_contract()",
    "DROP FUNCTION IF EXISTS kehu_scope_customer_changed()",
    "DROP FUNCTION IF EXISTS kehu_scope_contract_moved()",
]

POSTGRESQL_FILL = [
    """
    UPDATE sales_opportunity o SET scope_owner_id = c.owner_id,
        scope_department_id = c.department_id
    FROM customers_customer c WHERE c.id = o.customer_id
    """,
    """
    UPDATE sales_contract k SET scope_owner_id = c.owner_id,
        scope_department_id = c.department_id
    FROM customers_customer c WHERE c.id = k.customer_id
    """,
    """
    UPDATE sales_payment p SET scope_customer_id = c.id, scope_owner_id = c.owner_id,
        scope_department_id = c.department_id
    FROM sales_contract k JOIN customers_customer c ON c.id = k.customer_id
    WHERE k.id = p.contract_id
    """,
]


def _sqlite_row_triggers(table: str, key: str, select: str, columns: str) -> list[str]:
    """SQLite cannot change the row being written: an AFTER trigger rewrites it (a trigger
    does not fire itself again while recursive triggers are off, SQLite's default)."""
    fill = f"UPDATE {table} SET ({columns}) = ({select}) WHERE id = NEW.id;"  # noqa: S608
    return [
        f"CREATE TRIGGER kehu_scope_copy_{table}_insert AFTER INSERT ON {table} BEGIN {fill} END",
        f"CREATE TRIGGER kehu_scope_copy_{table}_update AFTER UPDATE OF {key}, {columns} "
        f"ON {table} BEGIN {fill} END",
    ]


FROM_CUSTOMER = "SELECT owner_id, department_id FROM customers_customer WHERE id = NEW.customer_id"
FROM_CONTRACT = (
    "SELECT c.id, c.owner_id, c.department_id FROM sales_contract k "
    "JOIN customers_customer c ON c.id = k.customer_id WHERE k.id = NEW.contract_id"
)
OWNER_COLUMNS = "scope_owner_id, scope_department_id"
PAYMENT_COLUMNS = "scope_customer_id, scope_owner_id, scope_department_id"

SQLITE = [
    *_sqlite_row_triggers("sales_opportunity", "customer_id", FROM_CUSTOMER, OWNER_COLUMNS),
    *_sqlite_row_triggers("sales_contract", "customer_id", FROM_CUSTOMER, OWNER_COLUMNS),
    *_sqlite_row_triggers("sales_payment", "contract_id", FROM_CONTRACT, PAYMENT_COLUMNS),
    """
    CREATE TRIGGER kehu_scope_copy_customer AFTER UPDATE OF owner_id, department_id
    ON customers_customer
    WHEN OLD.owner_id IS NOT NEW.owner_id OR OLD.department_id IS NOT NEW.department_id
    BEGIN
        UPDATE sales_opportunity SET scope_owner_id = NEW.owner_id,
            scope_department_id = NEW.department_id WHERE customer_id = NEW.id;
        UPDATE sales_contract SET scope_owner_id = NEW.owner_id,
            scope_department_id = NEW.department_id WHERE customer_id = NEW.id;
        UPDATE sales_payment SET scope_owner_id = NEW.owner_id,
            scope_department_id = NEW.department_id
        WHERE contract_id IN (SELECT id FROM sales_contract WHERE customer_id = NEW.id);
    END
    """,
    """
    CREATE TRIGGER kehu_scope_copy_contract_moved AFTER UPDATE OF customer_id
    ON sales_contract WHEN OLD.customer_id IS NOT NEW.customer_id
    BEGIN
        UPDATE sales_payment SET scope_customer_id = NEW.customer_id
        WHERE contract_id = NEW.id;
    END
    """,
]

# Touching the key of every existing row makes its update trigger fill the copy (the tables
# are small where SQLite is used; PostgreSQL fills them in one join each, above).
SQLITE_FILL = [
    "UPDATE sales_opportunity SET customer_id = customer_id",
    "UPDATE sales_contract SET customer_id = customer_id",
    "UPDATE sales_payment SET contract_id = contract_id",
]


def _sqlite_trigger_names() -> list[str]:
    tables = ("sales_opportunity", "sales_contract", "sales_payment")
    return [f"kehu_scope_copy_{t}_{when}" for t in tables for when in ("insert", "update")] + [
        "kehu_scope_copy_customer",
        "kehu_scope_copy_contract_moved",
    ]


def create_copy(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            cursor.execute(
                f"LOCK TABLE {CUSTOMER}, sales_opportunity, sales_contract, sales_payment "
                "IN SHARE ROW EXCLUSIVE MODE"
            )
            statements = POSTGRESQL_FILL + POSTGRESQL
        else:
            statements = SQLITE + SQLITE_FILL
        for statement in statements:
            cursor.execute(statement)


def drop_copy(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            statements = POSTGRESQL_DROP
        else:
            statements = [f"DROP TRIGGER IF EXISTS {name}" for name in _sqlite_trigger_names()]
        for statement in statements:
            cursor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("sales", "0004_encrypt_lead_mobile"),
    ]

    operations = [
        migrations.AddField(
            model_name="contract",
            name="scope_department_id",
            field=models.BigIntegerField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="contract",
            name="scope_owner_id",
            field=models.BigIntegerField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="opportunity",
            name="scope_department_id",
            field=models.BigIntegerField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="opportunity",
            name="scope_owner_id",
            field=models.BigIntegerField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="payment",
            name="scope_customer_id",
            field=models.BigIntegerField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="payment",
            name="scope_department_id",
            field=models.BigIntegerField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="payment",
            name="scope_owner_id",
            field=models.BigIntegerField(editable=False, null=True),
        ),
        migrations.RunPython(create_copy, drop_copy, elidable=False),
    ]
