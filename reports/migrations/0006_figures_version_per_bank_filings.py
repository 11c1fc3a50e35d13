"""Filings replace a token of their own bank (``filings:<bank id>``) instead of one token for
all banks. An import commits up to 100,000 filings in one transaction: with a single token row
every other bank's filing waited on that row's lock until the import committed. A bank's
filings are already written one transaction at a time (under the bank's row lock), so a token
per bank adds no waiting. The ``filings`` row stays and is replaced by a truncation; the
performance view reads all of them as one fingerprint."""

from django.db import migrations

COLUMNS = ("bank_id", "scheme", "quarter", "amount_cny", "enterprise_id", "is_first_loan")
CHANGED_PG = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in COLUMNS)
CHANGED_SQLITE = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in COLUMNS)


def _pg_bump_function(name: str, banks: str) -> str:
    """A trigger function replacing the token of each bank in ``banks`` (a SELECT of bank ids
    named ``bank_id``). One function per transition table: PL/pgSQL names the table statically."""
    return f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$
BEGIN
  INSERT INTO reports_figuresversion (name, token)
  SELECT b.name, gen_random_uuid()::text
  FROM (SELECT DISTINCT 'filings:' || bank_id AS name FROM ({banks}) ids) b
  ORDER BY b.name
  ON CONFLICT (name) DO UPDATE SET token = EXCLUDED.token;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""


PG_FUNCTIONS = "".join((
    _pg_bump_function("reports_figures_bump_new_banks", "SELECT bank_id FROM new_rows"),
    _pg_bump_function("reports_figures_bump_old_banks", "SELECT bank_id FROM old_rows"),
    _pg_bump_function("reports_figures_bump_row_bank",
                      "SELECT unnest(ARRAY[OLD.bank_id, NEW.bank_id]) AS bank_id"),
))

PG_FORWARD = [
    "DROP TRIGGER IF EXISTS reports_fv_loans_loanfiling ON loans_loanfiling;",
    "DROP TRIGGER IF EXISTS reports_fv_loans_loanfiling_upd ON loans_loanfiling;",
    PG_FUNCTIONS,
    "CREATE TRIGGER reports_fv_loans_loanfiling_ins AFTER INSERT ON loans_loanfiling "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION reports_figures_bump_new_banks();",
    "CREATE TRIGGER reports_fv_loans_loanfiling_del AFTER DELETE ON loans_loanfiling "
    "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION reports_figures_bump_old_banks();",
    "CREATE TRIGGER reports_fv_loans_loanfiling_trunc AFTER TRUNCATE ON loans_loanfiling "
    "FOR EACH STATEMENT EXECUTE FUNCTION reports_figures_bump('filings');",
    f"CREATE TRIGGER reports_fv_loans_loanfiling_upd AFTER UPDATE ON loans_loanfiling "
    f"FOR EACH ROW WHEN ({CHANGED_PG}) EXECUTE FUNCTION reports_figures_bump_row_bank();",
]
PG_BACKWARD = [
    *(f"DROP TRIGGER IF EXISTS reports_fv_loans_loanfiling_{s} ON loans_loanfiling;"
      for s in ("ins", "del", "trunc", "upd")),
    "DROP FUNCTION IF EXISTS reports_figures_bump_new_banks();",
    "DROP FUNCTION IF EXISTS reports_figures_bump_old_banks();",
    "DROP FUNCTION IF EXISTS reports_figures_bump_row_bank();",
    "CREATE TRIGGER reports_fv_loans_loanfiling AFTER INSERT OR DELETE OR TRUNCATE ON "
    "loans_loanfiling FOR EACH STATEMENT EXECUTE FUNCTION reports_figures_bump('filings');",
    f"CREATE TRIGGER reports_fv_loans_loanfiling_upd AFTER UPDATE ON loans_loanfiling "
    f"FOR EACH ROW WHEN ({CHANGED_PG}) EXECUTE FUNCTION reports_figures_bump('filings');",
]


def _sqlite_bump(*names: str) -> str:
    return " ".join(
        "INSERT INTO reports_figuresversion (name, token) VALUES "
        f"({name}, lower(hex(randomblob(16)))) "
        "ON CONFLICT(name) DO UPDATE SET token = excluded.token;" for name in names)


SQLITE_FORWARD = [
    *(f"DROP TRIGGER IF EXISTS reports_fv_loans_loanfiling_{s};" for s in ("ins", "del", "upd")),
    "CREATE TRIGGER reports_fv_loans_loanfiling_ins AFTER INSERT ON loans_loanfiling BEGIN "
    + _sqlite_bump("'filings:' || NEW.bank_id") + " END;",
    "CREATE TRIGGER reports_fv_loans_loanfiling_del AFTER DELETE ON loans_loanfiling BEGIN "
    + _sqlite_bump("'filings:' || OLD.bank_id") + " END;",
    f"CREATE TRIGGER reports_fv_loans_loanfiling_upd AFTER UPDATE ON loans_loanfiling "
    f"WHEN {CHANGED_SQLITE} BEGIN "
    + _sqlite_bump("'filings:' || OLD.bank_id", "'filings:' || NEW.bank_id") + " END;",
]
SQLITE_BACKWARD = [
    *(f"DROP TRIGGER IF EXISTS reports_fv_loans_loanfiling_{s};" for s in ("ins", "del", "upd")),
    "CREATE TRIGGER reports_fv_loans_loanfiling_ins AFTER INSERT ON loans_loanfiling BEGIN "
    + _sqlite_bump("'filings'") + " END;",
    "CREATE TRIGGER reports_fv_loans_loanfiling_del AFTER DELETE ON loans_loanfiling BEGIN "
    + _sqlite_bump("'filings'") + " END;",
    f"CREATE TRIGGER reports_fv_loans_loanfiling_upd AFTER UPDATE ON loans_loanfiling "
    f"WHEN {CHANGED_SQLITE} BEGIN " + _sqlite_bump("'filings'") + " END;",
]


def _run(statements: dict[str, list[str]]):
    def run(apps, schema_editor):
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)
    return run


class Migration(migrations.Migration):

    dependencies = [("reports", "0005_figures_version_claim_updates_only")]

    operations = [migrations.RunPython(
        _run({"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD}),
        _run({"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD}))]
