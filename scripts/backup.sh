#!/usr/bin/env bash
# Back up the portal: the PostgreSQL database (pg_dump custom format) and the media directory
# (uploaded documents, import files, generated reports), with their SHA-256 sums.
#
#   DATABASE_URL=postgres://riskcomp:…@127.0.0.1:5432/riskcomp scripts/backup.sh [DEST]
#
# DEST (default: $RISKCOMP_BACKUP_DIR, else var/backups) receives one directory per run,
# riskcomp-YYYYmmdd-HHMMSS/ with db.dump, media.tar.gz, SHA256SUMS and INFO. The newest
# $RISKCOMP_BACKUP_KEEP runs are kept (default 14; 0 keeps all). The media directory is
# $RISKCOMP_MEDIA_ROOT, else $RISKCOMP_VAR_DIR/media, else var/media (as in the settings).
#
# The database is dumped first and the files second: a document saved in between is in the
# archive without its row (harmless), never a row without its document.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)

: "${DATABASE_URL:?DATABASE_URL (postgres://…) must name the database to back up}"
case "$DATABASE_URL" in
  postgres://*|postgresql://*) ;;
  *) echo "backup.sh: DATABASE_URL is not a PostgreSQL URL" >&2; exit 2 ;;
esac
VAR_DIR=${RISKCOMP_VAR_DIR:-$ROOT/var}
MEDIA=${RISKCOMP_MEDIA_ROOT:-$VAR_DIR/media}
DEST=${1:-${RISKCOMP_BACKUP_DIR:-$VAR_DIR/backups}}
KEEP=${RISKCOMP_BACKUP_KEEP:-14}

stamp=$(date +%Y%m%d-%H%M%S)
out="$DEST/riskcomp-$stamp"
mkdir -p "$DEST"
work=$(mktemp -d "$DEST/.riskcomp-$stamp.XXXXXX")
trap 'rm -rf "$work"' EXIT
umask 077  # the dump holds every bank's data

pg_dump --format=custom --no-owner --no-privileges --file="$work/db.dump" "$DATABASE_URL"
mkdir -p "$MEDIA"
tar -C "$MEDIA" -czf "$work/media.tar.gz" .
(cd "$work" && sha256sum db.dump media.tar.gz > SHA256SUMS)
{
  echo "created_at=$(date -Iseconds)"
  echo "database=${DATABASE_URL##*/}"
  echo "media_files=$(find "$MEDIA" -type f | wc -l)"
  echo "code=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "pg_dump=$(pg_dump --version)"
} > "$work/INFO"
mv "$work" "$out"
trap - EXIT
echo "$out"

if [ "$KEEP" -gt 0 ]; then
  # Oldest first by name (the name is the time); keep the newest $KEEP.
  mapfile -t runs < <(find "$DEST" -maxdepth 1 -type d -name 'riskcomp-*' | sort)
  excess=$(( ${#runs[@]} - KEEP ))
  for (( i = 0; i < excess; i++ )); do rm -rf "${runs[$i]}"; done
fi
