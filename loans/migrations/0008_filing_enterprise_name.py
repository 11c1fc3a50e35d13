"""Each filing keeps the borrower's name as its bank filed it (``LoanFiling.enterprise_name``):
the existing filings take the enterprise's current name, and on PostgreSQL the lists' search on
it gets the same trigram index the enterprise's name had."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery

INDEX = "loans_loanfiling_enterprise_name_trgm"


def copy_names(apps, schema_editor):  # type: ignore[no-untyped-def]
    LoanFiling = apps.get_model("loans", "LoanFiling")
    Enterprise = apps.get_model("loans", "Enterprise")
    LoanFiling.objects.update(enterprise_name=Subquery(
        Enterprise.objects.filter(pk=OuterRef("enterprise_id")).values("name")[:1]))


def create_index(apps, schema_editor):  # type: ignore[no-untyped-def]
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cursor.fetchone() is None:
            return
        cursor.execute(f'CREATE INDEX IF NOT EXISTS "{INDEX}" ON "loans_loanfiling" '
                       'USING gin (UPPER("enterprise_name"::text) gin_trgm_ops)')


def drop_index(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(f'DROP INDEX IF EXISTS "{INDEX}"')


class Migration(migrations.Migration):

    dependencies = [
        ("loans", "0007_import_chunks"),
    ]

    operations = [
        migrations.AddField(
            model_name="loanfiling",
            name="enterprise_name",
            field=models.CharField(default="", max_length=200,
                                   verbose_name="企业名称（备案时）"),
            preserve_default=False,
        ),
        migrations.RunPython(copy_names, migrations.RunPython.noop),
        migrations.RunPython(create_index, drop_index),
    ]
