"""Trigram indexes for the lists' "contains" search on PostgreSQL (``riskcomp.listing``
searches with ``icontains``, i.e. ``UPPER(column) LIKE UPPER('%…%')``, which a b-tree cannot
serve). Elsewhere, or without the pg_trgm extension, the search reads every row as before."""

from django.db import migrations

# (table, column): the search fields of the filing and claim lists.
INDEXED = (
    ("loans_enterprise", "name"),
    ("loans_enterprise", "credit_code"),
    ("loans_loanfiling", "iou_number"),
    ("loans_loanfiling", "contract_number"),
)


def _name(table: str, column: str) -> str:
    return f"{table}_{column}_trgm"


def create_indexes(apps, schema_editor):  # type: ignore[no-untyped-def]
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
        if cursor.fetchone() is None:
            return
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for table, column in INDEXED:
            cursor.execute(
                f'CREATE INDEX IF NOT EXISTS "{_name(table, column)}" ON "{table}" '
                f'USING gin (UPPER("{column}"::text) gin_trgm_ops)')


def drop_indexes(apps, schema_editor):  # type: ignore[no-untyped-def]
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table, column in INDEXED:
            cursor.execute(f'DROP INDEX IF EXISTS "{_name(table, column)}"')


class Migration(migrations.Migration):

    dependencies = [
        ("loans", "0003_list_order_indexes"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes),
    ]
