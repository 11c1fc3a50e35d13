"""What the benchmarks share: a throw-away PostgreSQL database beside the one ``DATABASE_URL``
names, and Django set up on it as in production (no query log kept in memory, tasks eager in
this process). Each ``scripts/bench_*.py`` creates its database (named after the script, with a
suffix of the run's own), measures, and drops it."""

import logging
import os
import secrets
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from urllib.parse import urlparse, urlunparse

BASE = Path(__file__).resolve().parent.parent


def database_urls(db_name: str) -> tuple[str, str]:
    """(the server's maintenance database, the benchmark's own database)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit(f"{Path(sys.argv[0]).stem}: DATABASE_URL must point at PostgreSQL, e.g. "
                 "postgres://postgres@127.0.0.1:5432/riskcomp")
    parts = urlparse(url)
    return (urlunparse(parts._replace(path="/postgres")),
            urlunparse(parts._replace(path=f"/{db_name}")))


def recreate_database(admin_url: str, db_name: str, *, drop_only: bool = False) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{db_name}"')


def bench_environment(bench_url: str) -> None:
    sys.path.insert(0, str(BASE))
    os.environ["DJANGO_SETTINGS_MODULE"] = "riskcomp.settings.local"
    os.environ["DATABASE_URL"] = bench_url
    os.environ["REDIS_URL"] = ""  # tasks eager, in this process
    os.environ["DJANGO_DEBUG"] = "0"  # as in production: no query log kept in memory


def setup_django(bench_url: str) -> None:
    """Django on the benchmark's database, migrated; the figures are the output, so the logs
    below WARNING (each eager task, each start-up notice) are silenced."""
    bench_environment(bench_url)
    import django

    django.setup()
    logging.disable(logging.WARNING)
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


# The seeding scripts' common start, on the server side: banks B01..B<banks> with names as long
# as real ones (the report's tables lay them out), and enterprises whose every third is a medium
# tech company. Parameters: %(banks)s, %(enterprises)s.
SEED_BANKS_AND_ENTERPRISES = """
INSERT INTO banks_bank (name, short_name, code, is_active, created_at)
SELECT '基准测试银行' || g || '经开区支行', '基准银行' || g, 'B' || lpad(g::text, 2, '0'), true,
       now()
FROM generate_series(1, %(banks)s) g;

INSERT INTO loans_enterprise (credit_code, name, kind, size, is_in_bda, industry,
                              is_micro_conduct_ok, is_tech_conduct_ok, is_tech_scope, created_at,
                              updated_at)
SELECT '91110302' || lpad(g::text, 10, '0'), '北京亦庄基准科技企业' || g || '有限公司', 'company',
       CASE WHEN g %% 3 = 0 THEN 'medium' ELSE 'small' END, true, '', true, true, g %% 3 = 0, now(),
       now()
FROM generate_series(1, %(enterprises)s) g;
"""
# The head of each script's own filings, followed by the script's ``SELECT``, which gives every
# column in this order.
INSERT_FILINGS = """
INSERT INTO loans_loanfiling (
    iou_number, contract_number, drawdown_date, maturity_date, amount, currency, amount_cny,
    rate_percent, loan_type, has_natural_person_guarantee, has_other_cover,
    guarantee_institution, credit_report_outstanding, credit_report_date,
    bank_outstanding_to_enterprise, is_first_loan, filed_on, quarter, scheme, ratio,
    policy_version, snapshot, late_exception_reason, outstanding_principal, status, created_at,
    bank_id, enterprise_id, filed_by_id, enterprise_name)
"""
# The officer the seeded filings are filed by, for the scripts that need no logged-in users.
SEED_OFFICER = """
INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, is_staff,
                       is_active, date_joined)
VALUES ('!', false, 'bench_officer', '', '', '', false, true, now());
"""


def load_sql(script: str, params: Mapping[str, int]) -> None:
    """Run a seeding script (statements ending with ``;`` at a line's end) in one transaction."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        for statement in script.split(";\n"):
            if statement.strip():
                cursor.execute(statement, params)


def analyze_and_count(tables: tuple[str, ...], started: float, *, vacuum: bool = False) -> None:
    """Statistics after a bulk load (``vacuum`` also merges the GIN indexes' pending entries, as
    autovacuum would), then print how many rows each table holds and how long seeding took."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")
        counts = {}
        for table in tables:
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed names
            counts[table] = cursor.fetchone()[0]
    print(f"# data: {counts} in {time.perf_counter() - started:.1f} s", flush=True)


class QueryCounter:
    """Counts the statements sent to the database (cheaper than logging them); install it with
    ``connection.execute_wrapper``."""

    def __init__(self) -> None:
        self.queries = 0

    def __call__(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        self.queries += 1
        return execute(sql, params, many, context)


def unique_name(db_name: str) -> str:
    """``db_name`` with this run's own suffix: two runs at once on one server (two people, or two
    checkouts) must never create, fill or drop each other's database."""
    return f"{db_name}_{os.getpid()}_{secrets.token_hex(3)}"


def keep_database() -> bool:
    """``BENCH_KEEP_DB=1``: the benchmarks that support it (the screens and the load run) keep
    their database between runs and fill it only once, to measure a change again in seconds
    instead of minutes."""
    return os.environ.get("BENCH_KEEP_DB", "") not in ("", "0")


def database_exists(admin_url: str, db_name: str) -> bool:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                            (db_name,)).fetchone() is not None


def run(db_name: str, setup: Callable[[str], None], bench: Callable[[], None], *,
        keep: bool = False) -> None:
    """Create the benchmark's database (``db_name`` with a suffix of its own), set Django up on
    it, measure, and drop it whatever happens. With ``keep`` the database is named
    ``<db_name>_keep``, created only if missing and left in place; the benchmark decides whether
    it is already filled."""
    db_name = f"{db_name}_keep" if keep else unique_name(db_name)
    admin_url, bench_url = database_urls(db_name)
    if not (keep and database_exists(admin_url, db_name)):
        recreate_database(admin_url, db_name)
    try:
        setup(bench_url)
        bench()
    finally:
        from django.db import connections

        connections.close_all()
        if not keep:
            recreate_database(admin_url, db_name, drop_only=True)
