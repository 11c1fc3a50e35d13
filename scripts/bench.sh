#!/usr/bin/env bash
# `make bench`: the benchmarks, on PostgreSQL (each in its own throw-away database).
# Every figure is printed on a line of its own as `name: value`.
set -uo pipefail
cd "$(dirname "$0")/.."
PG_URL=${RISKCOMP_BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/riskcomp}
unset REDIS_URL
rc=0
for script in scripts/bench_*.py; do
  echo "== $script =="
  DATABASE_URL=$PG_URL .venv/bin/python "$script" || rc=1
done
exit $rc
