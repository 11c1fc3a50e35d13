"""What the benchmarks share: a throw-away PostgreSQL database beside the one ``DATABASE_URL``
names, and Django set up on it as in production (no query log kept in memory, tasks eager in
this process). Each ``scripts/bench_*.py`` creates its database, measures, and drops it."""

import logging
import os
import sys
from collections.abc import Callable
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


class QueryCounter:
    """Counts the statements sent to the database (cheaper than logging them); install it with
    ``connection.execute_wrapper``."""

    def __init__(self) -> None:
        self.queries = 0

    def __call__(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        self.queries += 1
        return execute(sql, params, many, context)


def run(db_name: str, setup: Callable[[str], None], bench: Callable[[], None]) -> None:
    """Create the benchmark's database, set Django up on it, measure, and drop it whatever
    happens."""
    admin_url, bench_url = database_urls(db_name)
    recreate_database(admin_url, db_name)
    try:
        setup(bench_url)
        bench()
    finally:
        from django.db import connections

        connections.close_all()
        recreate_database(admin_url, db_name, drop_only=True)
