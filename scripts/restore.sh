#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into the database named by DATABASE_URL and the
# media directory, after checking the files' SHA-256 sums.
#
#   DATABASE_URL=postgres://…/riskcomp scripts/restore.sh var/backups/riskcomp-20261205-020000 --yes
#
# Stop gunicorn, the Celery workers and beat first. The database's tables are replaced
# (pg_restore --clean, in one transaction: on any error nothing changes). The current media
# directory is kept beside the restored one as media.before-restore-<time>. Without --yes the
# script only says what it would do.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)

backup=${1:?usage: restore.sh BACKUP_DIR [--yes]}
confirm=${2:-}
: "${DATABASE_URL:?DATABASE_URL (postgres://…) must name the database to restore into}"
VAR_DIR=${RISKCOMP_VAR_DIR:-$ROOT/var}
MEDIA=${RISKCOMP_MEDIA_ROOT:-$VAR_DIR/media}

for f in db.dump media.tar.gz SHA256SUMS; do
  [ -f "$backup/$f" ] || { echo "restore.sh: $backup/$f is missing" >&2; exit 2; }
done
(cd "$backup" && sha256sum --quiet -c SHA256SUMS) \
  || { echo "restore.sh: checksum mismatch, the backup is damaged; nothing restored" >&2; exit 3; }

if [ "$confirm" != "--yes" ]; then
  echo "Would restore $backup into database ${DATABASE_URL##*/} and media $MEDIA."
  echo "Stop gunicorn, workers and beat, then run again with --yes."
  exit 1
fi

pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction \
  --exit-on-error --dbname="$DATABASE_URL" "$backup/db.dump"

if [ -d "$MEDIA" ] && [ -n "$(ls -A "$MEDIA")" ]; then
  mv "$MEDIA" "$MEDIA.before-restore-$(date +%Y%m%d-%H%M%S)"
fi
mkdir -p "$MEDIA"
tar -C "$MEDIA" -xzf "$backup/media.tar.gz"
echo "restored $backup into ${DATABASE_URL##*/} and $MEDIA"
