"""A fourth version group, ``reference``: the banks, their suspension states, the policy
versions and the fund sizes, which the performance view's page reads beside the figures (the
names, the positions against the thresholds, the leverage). Any change to them replaces the
token, in the writing transaction, as migration 0003 does for the figures."""

import importlib
import uuid

from django.db import migrations

first = importlib.import_module("reports.migrations.0003_figures_version")

WATCHED: tuple[tuple[str, str, tuple[str, ...] | None], ...] = (
    ("reference", "banks_bank", None),
    ("reference", "banks_suspensionstate", None),
    ("reference", "fund_policyversion", None),
    ("reference", "fund_fundsize", None),
)


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": first._pg_statements,
                  "sqlite": first._sqlite_statements}.get(vendor)
    if statements is not None:
        for group, table, columns in WATCHED:
            for sql in statements(group, table, columns):
                schema_editor.execute(sql)
    FiguresVersion = apps.get_model("reports", "FiguresVersion")
    FiguresVersion.objects.update_or_create(name="reference",
                                            defaults={"token": uuid.uuid4().hex})


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for _group, table, _columns in WATCHED:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS reports_fv_{table} ON {table};")
        elif vendor == "sqlite":
            for suffix in ("ins", "del", "upd"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS reports_fv_{table}_{suffix};")
    apps.get_model("reports", "FiguresVersion").objects.filter(name="reference").delete()


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0003_figures_version"),
        ("banks", "0002_roles"),
        ("fund", "0008_history_truncate_guard"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
