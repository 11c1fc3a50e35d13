"""The version tokens of cached figures, and the triggers that replace a token whenever the
records behind it change, in the same transaction as the change: whatever writes them (a
service, an import's COPY, the admin, raw SQL, a restore), a figure cached under the old token
is never read again once the change is committed.

Groups and what changes them:
- ``filings``: a filing added, deleted, or its bank, scheme, quarter, amount, enterprise or
  first-loan mark changed (the figures read nothing else of a filing; its status and balance
  change daily and leave the token alone);
- ``payments``: any change to a payment, or to the bank, scheme, principal or submission time
  of a claim (read through its payment; migration 0005 leaves a claim's insert and delete
  alone);
- ``recoveries``: any change to a recovery or a return.

On PostgreSQL inserts, deletes and truncations bump once per statement (an import of thousands
of rows takes the token row's lock once); updates once per row whose watched columns changed.
SQLite has row triggers only. A later migration that rebuilds one of these tables on SQLite
(Django's table remake) drops its triggers: recreate them there."""

from django.db import migrations, models

# (group, table, the columns whose update changes the group; None: any update)
WATCHED: tuple[tuple[str, str, tuple[str, ...] | None], ...] = (
    ("filings", "loans_loanfiling",
     ("bank_id", "scheme", "quarter", "amount_cny", "enterprise_id", "is_first_loan")),
    ("payments", "claims_payment", None),
    ("payments", "claims_claim", ("bank_id", "scheme", "base", "submitted_at")),
    ("recoveries", "claims_recovery", None),
    ("recoveries", "claims_returnpayment", None),
)
GROUPS = sorted({group for group, _table, _columns in WATCHED})

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION reports_figures_bump() RETURNS trigger AS $$
BEGIN
  INSERT INTO reports_figuresversion (name, token) VALUES (TG_ARGV[0], gen_random_uuid()::text)
  ON CONFLICT (name) DO UPDATE SET token = EXCLUDED.token;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""


def _pg_statements(group: str, table: str, columns: tuple[str, ...] | None) -> list[str]:
    name = f"reports_fv_{table}"
    if columns is None:
        return [f"CREATE TRIGGER {name} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION reports_figures_bump('{group}');"]
    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in columns)
    return [
        f"CREATE TRIGGER {name} AFTER INSERT OR DELETE OR TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION reports_figures_bump('{group}');",
        f"CREATE TRIGGER {name}_upd AFTER UPDATE ON {table} FOR EACH ROW WHEN ({changed}) "
        f"EXECUTE FUNCTION reports_figures_bump('{group}');",
    ]


def _sqlite_statements(group: str, table: str, columns: tuple[str, ...] | None) -> list[str]:
    bump = (f"INSERT INTO reports_figuresversion (name, token) VALUES ('{group}', "
            "lower(hex(randomblob(16)))) ON CONFLICT(name) DO UPDATE SET token = excluded.token;")
    when = ("" if columns is None else
            " WHEN " + " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns))
    return [
        f"CREATE TRIGGER reports_fv_{table}_ins AFTER INSERT ON {table} BEGIN {bump} END;",
        f"CREATE TRIGGER reports_fv_{table}_del AFTER DELETE ON {table} BEGIN {bump} END;",
        f"CREATE TRIGGER reports_fv_{table}_upd AFTER UPDATE ON {table}{when} BEGIN {bump} END;",
    ]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION)
        for group, table, columns in WATCHED:
            for sql in _pg_statements(group, table, columns):
                schema_editor.execute(sql)
    elif vendor == "sqlite":
        for group, table, columns in WATCHED:
            for sql in _sqlite_statements(group, table, columns):
                schema_editor.execute(sql)
    FiguresVersion = apps.get_model("reports", "FiguresVersion")
    import uuid

    for group in GROUPS:
        FiguresVersion.objects.update_or_create(name=group, defaults={"token": uuid.uuid4().hex})


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for _group, table, _columns in WATCHED:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS reports_fv_{table} ON {table};")
            schema_editor.execute(f"DROP TRIGGER IF EXISTS reports_fv_{table}_upd ON {table};")
        schema_editor.execute("DROP FUNCTION IF EXISTS reports_figures_bump();")
    elif vendor == "sqlite":
        for _group, table, _columns in WATCHED:
            for suffix in ("ins", "del", "upd"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS reports_fv_{table}_{suffix};")


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0002_operations_report_kind"),
        ("loans", "0009_filing_quarter_drawdown_index"),
        ("claims", "0006_claim_review_age"),
    ]

    operations = [
        migrations.CreateModel(
            name="FiguresVersion",
            fields=[
                ("name", models.CharField(max_length=20, primary_key=True, serialize=False,
                                          verbose_name="数据类别")),
                ("token", models.CharField(max_length=40, verbose_name="版本标记")),
            ],
            options={"verbose_name": "统计数据版本", "verbose_name_plural": "统计数据版本"},
        ),
        migrations.RunPython(forwards, backwards),
    ]
