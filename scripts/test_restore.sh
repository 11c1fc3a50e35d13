#!/usr/bin/env bash
# Prove a backup restores: build a scratch PostgreSQL database with the demo data and its
# documents, back it up with scripts/backup.sh, restore it with scripts/restore.sh into a second
# scratch database and media directory, and compare every table (row count and a checksum of its
# rows) and every file (SHA-256). The scratch databases and files are removed at the end.
#
#   scripts/test_restore.sh            (make restore-test)
#
# PostgreSQL: $RISKCOMP_TEST_PG_URL's server (default postgres://postgres@127.0.0.1:5432); the
# scratch databases are riskcomp_restore_src_<pid> and riskcomp_restore_dst_<pid>.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
PY=${PY:-$ROOT/.venv/bin/python}
SERVER=${RISKCOMP_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/riskcomp}
SERVER=${SERVER%/*}
SRC_DB=riskcomp_restore_src_$$
DST_DB=riskcomp_restore_dst_$$
SCRATCH=$(mktemp -d)
started=$(date +%s)

cleanup() {
  psql -q -d "$SERVER/postgres" -c "DROP DATABASE IF EXISTS $SRC_DB" \
       -c "DROP DATABASE IF EXISTS $DST_DB" >/dev/null 2>&1 || true
  rm -rf "$SCRATCH"
}
trap cleanup EXIT

psql -q -d "$SERVER/postgres" -c "CREATE DATABASE $SRC_DB" -c "CREATE DATABASE $DST_DB"
export DJANGO_SETTINGS_MODULE=riskcomp.settings.local
unset REDIS_URL

echo "== source: migrate and load the demo data =="
DATABASE_URL=$SERVER/$SRC_DB RISKCOMP_VAR_DIR=$SCRATCH/src \
  "$PY" manage.py migrate --noinput -v0
DATABASE_URL=$SERVER/$SRC_DB RISKCOMP_VAR_DIR=$SCRATCH/src \
  "$PY" manage.py load_demo >/dev/null
# A generated report and a nested, oddly named upload, beside the demo's documents.
mkdir -p "$SCRATCH/src/media/reports/2026" "$SCRATCH/src/media/claims/空格 目录"
head -c 300000 /dev/urandom > "$SCRATCH/src/media/reports/2026/annual.pdf"
echo "扫描件" > "$SCRATCH/src/media/claims/空格 目录/合同 1.pdf"

echo "== backup =="
backup=$(DATABASE_URL=$SERVER/$SRC_DB RISKCOMP_VAR_DIR=$SCRATCH/src RISKCOMP_BACKUP_KEEP=0 \
  scripts/backup.sh "$SCRATCH/backups")
ls -l "$backup"

echo "== a damaged backup is refused and restores nothing =="
cp -r "$backup" "$SCRATCH/damaged"
printf 'x' >> "$SCRATCH/damaged/media.tar.gz"
if DATABASE_URL=$SERVER/$DST_DB RISKCOMP_VAR_DIR=$SCRATCH/dst \
    scripts/restore.sh "$SCRATCH/damaged" --yes 2>/dev/null; then
  echo "FAIL: a damaged backup was restored"; exit 1
fi

echo "== restore into $DST_DB =="
DATABASE_URL=$SERVER/$DST_DB RISKCOMP_VAR_DIR=$SCRATCH/dst scripts/restore.sh "$backup" --yes

echo "== compare =="
"$PY" - "$SERVER/$SRC_DB" "$SERVER/$DST_DB" "$SCRATCH/src/media" "$SCRATCH/dst/media" <<'PY'
import hashlib, sys
from pathlib import Path

import psycopg

src_url, dst_url, src_media, dst_media = sys.argv[1:5]


def tables(url):
    """Every table of the public schema: (row count, MD5 of its rows in a fixed order)."""
    out = {}
    with psycopg.connect(url) as conn:
        names = [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")]
        for name in names:
            count, digest = conn.execute(
                f'SELECT count(*), md5(coalesce(string_agg(t::text, \'|\' ORDER BY t::text), \'\')) '
                f'FROM public."{name}" t').fetchone()
            out[name] = (count, digest)
        sequences = dict(conn.execute(
            "SELECT sequencename, coalesce(last_value, 0) FROM pg_sequences "
            "WHERE schemaname = 'public'").fetchall())
    return out, sequences


def files(root):
    base = Path(root)
    return {str(p.relative_to(base)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(base.rglob("*")) if p.is_file()}


(src, src_seq), (dst, dst_seq) = tables(src_url), tables(dst_url)
src_files, dst_files = files(src_media), files(dst_media)
rows = sum(c for c, _ in src.values())
bad = [n for n in sorted(set(src) | set(dst)) if src.get(n) != dst.get(n)]
bad_seq = [n for n in src_seq if src_seq[n] != dst_seq.get(n)]
bad_files = sorted(n for n in set(src_files) | set(dst_files) if src_files.get(n) != dst_files.get(n))
print(f"tables: {len(src)} compared, {rows} rows, {len(bad)} differ {bad[:5]}")
print(f"sequences: {len(src_seq)} compared, {len(bad_seq)} differ {bad_seq[:5]}")
print(f"media files: {len(src_files)} compared, {len(bad_files)} differ {bad_files[:5]}")
assert rows > 100 and len(src_files) > 2, "the scratch database should hold the demo data"
sys.exit(1 if bad or bad_seq or bad_files else 0)
PY

echo "== the restored database is at the code's schema =="
DATABASE_URL=$SERVER/$DST_DB RISKCOMP_VAR_DIR=$SCRATCH/dst "$PY" manage.py migrate --check -v0

echo "restore test passed in $(( $(date +%s) - started )) s"
