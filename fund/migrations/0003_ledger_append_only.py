"""On PostgreSQL the database itself refuses UPDATE and DELETE on the ledger, so that not even
raw SQL from the application can rewrite the fund's history."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION fund_ledger_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'fund_ledgerentry is append-only; post a reversal instead';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER fund_ledger_no_update BEFORE UPDATE OR DELETE ON fund_ledgerentry
  FOR EACH ROW EXECUTE FUNCTION fund_ledger_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS fund_ledger_no_update ON fund_ledgerentry;
DROP FUNCTION IF EXISTS fund_ledger_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("fund", "0002_seed_policy_data")]
    operations = [migrations.RunPython(forwards, backwards)]
