"""On PostgreSQL the ledger, the audit trail and the security trail also refuse TRUNCATE, which
empties a table without touching its rows one by one (so the row triggers of migrations 0003,
0004 and accounts 0003 never fire). A TRUNCATE of another table that CASCADEs into one of them is
refused too.

Only a session that has set ``riskcomp.allow_truncate = on`` passes: the test settings do, since
pytest-django empties the database with TRUNCATE after each transactional test. Any role can set
such a variable, so it is a guard against mistakes, not against the application: in production
the application connects as a role that neither owns these tables nor holds TRUNCATE on them
(``manage.py grant_app_role``, README 运维手册), and that role cannot disable the triggers."""

from django.db import migrations

HISTORY_TABLES = ("fund_ledgerentry", "auditlog_logentry", "accounts_securityevent")

CREATE_FUNCTION = """
CREATE OR REPLACE FUNCTION riskcomp_history_no_truncate() RETURNS trigger AS $$
BEGIN
  IF coalesce(current_setting('riskcomp.allow_truncate', true), '') = 'on' THEN
    RETURN NULL;
  END IF;
  RAISE EXCEPTION USING MESSAGE =
    TG_TABLE_NAME || ' is append-only: the history cannot be truncated';
END;
$$ LANGUAGE plpgsql;
"""
CREATE_TRIGGER = """
CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
  FOR EACH STATEMENT EXECUTE FUNCTION riskcomp_history_no_truncate();
"""
DROP_TRIGGER = "DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};"
DROP_FUNCTION = "DROP FUNCTION IF EXISTS riskcomp_history_no_truncate();"


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE_FUNCTION)
    for table in HISTORY_TABLES:
        schema_editor.execute(CREATE_TRIGGER.format(table=table))


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in HISTORY_TABLES:
        schema_editor.execute(DROP_TRIGGER.format(table=table))
    schema_editor.execute(DROP_FUNCTION)


class Migration(migrations.Migration):
    dependencies = [
        ("fund", "0007_policy_version_articles_seed_and_no_overlap"),
        ("accounts", "0003_security_event_append_only"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
