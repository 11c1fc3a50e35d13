"""On PostgreSQL the database itself refuses UPDATE and DELETE on the audit trail
(``auditlog_logentry``), as it does on the ledger: not even raw SQL from the application can
rewrite who changed what. TRUNCATE (the test suite's flush) is not a row operation and stays
possible for the database owner.

Consequences: a user who appears in the trail cannot be deleted (auditlog would set the actor to
NULL); deactivate the account instead. An upgrade of django-auditlog whose migration rewrites
existing entries needs the trigger dropped for that migration and created again after it."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION auditlog_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'auditlog_logentry is append-only: the audit trail cannot be changed';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER auditlog_logentry_no_update BEFORE UPDATE OR DELETE ON auditlog_logentry
  FOR EACH ROW EXECUTE FUNCTION auditlog_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS auditlog_logentry_no_update ON auditlog_logentry;
DROP FUNCTION IF EXISTS auditlog_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("fund", "0003_ledger_append_only"),
        ("auditlog", "0017_add_actor_email"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
