"""On PostgreSQL the database refuses UPDATE and DELETE on the security trail, as it does on the
audit trail and the ledger. TRUNCATE (the test suite's flush) is not a row operation."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION accounts_securityevent_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'accounts_securityevent is append-only: the security trail cannot be changed';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER accounts_securityevent_no_update BEFORE UPDATE OR DELETE ON accounts_securityevent
  FOR EACH ROW EXECUTE FUNCTION accounts_securityevent_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS accounts_securityevent_no_update ON accounts_securityevent;
DROP FUNCTION IF EXISTS accounts_securityevent_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_security_event")]
    operations = [migrations.RunPython(forwards, backwards)]
