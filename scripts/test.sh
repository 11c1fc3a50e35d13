#!/usr/bin/env bash
# The whole suite: lint, type check, migrations, then pytest on SQLite with eager tasks and, when PostgreSQL
# (127.0.0.1:5432) and Redis (127.0.0.1:6379) answer, again on PostgreSQL with a real
# Redis-backed Celery worker for the task tests.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export DJANGO_SETTINGS_MODULE=riskcomp.settings.test
unset DATABASE_URL REDIS_URL
PG_URL=${RISKCOMP_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/riskcomp}
REDIS_TEST_URL=${RISKCOMP_TEST_REDIS_URL:-redis://127.0.0.1:6379/15}

echo "== ruff =="
$BIN/ruff check . || exit 1
echo "== mypy =="
$BIN/mypy . || exit 1
echo "== manage.py check / makemigrations --check =="
$BIN/python manage.py check || exit 1
$BIN/python manage.py makemigrations --check --dry-run || exit 1

echo "== pytest: SQLite, eager Celery tasks =="
$BIN/python -m pytest "$@"
sqlite_rc=$?

pg_ok=0; redis_ok=0
$BIN/python - "$PG_URL" <<'PY' && pg_ok=1
import sys, psycopg
from urllib.parse import urlsplit
try:
    # Reach the server through its maintenance database: the test database may not exist yet.
    psycopg.connect(urlsplit(sys.argv[1])._replace(path="/postgres").geturl(),
                    connect_timeout=3).close()
except Exception as exc:
    print(f"PostgreSQL not reachable: {exc}"); sys.exit(1)
PY
$BIN/python - "$REDIS_TEST_URL" <<'PY' && redis_ok=1
import sys, redis
try:
    redis.Redis.from_url(sys.argv[1], socket_connect_timeout=3).ping()
except Exception as exc:
    print(f"Redis not reachable: {exc}"); sys.exit(1)
PY

pg_rc=0
if [ "$pg_ok" = 1 ] && [ "$redis_ok" = 1 ]; then
  echo "== pytest: PostgreSQL + Redis-backed Celery worker =="
  DATABASE_URL=$PG_URL REDIS_URL=$REDIS_TEST_URL $BIN/python -m pytest "$@"
  pg_rc=$?
elif [ "$pg_ok" = 1 ]; then
  echo "== pytest: PostgreSQL (Redis NOT reachable: worker tests skipped) =="
  DATABASE_URL=$PG_URL $BIN/python -m pytest "$@"
  pg_rc=$?
else
  echo "!! PostgreSQL NOT reachable at 127.0.0.1:5432: the PostgreSQL run was NOT done."
fi

echo "== summary: SQLite run exit $sqlite_rc; PostgreSQL run $( [ "$pg_ok" = 1 ] && echo "exit $pg_rc" || echo 'not run') =="
[ "$sqlite_rc" = 0 ] && [ "$pg_rc" = 0 ]
