"""A claim added or removed changes no figure of the ``payments`` group (a claim enters it only
through its payment, whose own trigger replaces the token; deleting a claim deletes its payment
with it), so only an update of a claim's bank, scheme, principal or submission time replaces the
token: submitting claims no longer waits on the token row behind a payment being made."""

from django.db import migrations


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER IF EXISTS reports_fv_claims_claim ON claims_claim;")
    elif vendor == "sqlite":
        for suffix in ("ins", "del"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS reports_fv_claims_claim_{suffix};")


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    bump_pg = "EXECUTE FUNCTION reports_figures_bump('payments');"
    if vendor == "postgresql":
        schema_editor.execute("CREATE TRIGGER reports_fv_claims_claim AFTER INSERT OR DELETE OR "
                              f"TRUNCATE ON claims_claim FOR EACH STATEMENT {bump_pg}")
    elif vendor == "sqlite":
        bump = ("INSERT INTO reports_figuresversion (name, token) VALUES ('payments', "
                "lower(hex(randomblob(16)))) ON CONFLICT(name) DO UPDATE SET "
                "token = excluded.token;")
        for suffix, event in (("ins", "INSERT"), ("del", "DELETE")):
            schema_editor.execute(f"CREATE TRIGGER reports_fv_claims_claim_{suffix} AFTER "
                                  f"{event} ON claims_claim BEGIN {bump} END;")


class Migration(migrations.Migration):

    dependencies = [("reports", "0004_figures_version_reference")]

    operations = [migrations.RunPython(forwards, backwards)]
