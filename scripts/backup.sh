#!/usr/bin/env bash
# Back up the database named by DATABASE_URL: pg_dump's custom format (compressed, one file,
# restored table by table by scripts/restore.sh). The file is written under a temporary name,
# checked to be readable by pg_restore, then renamed: a backup that exists is whole.
#
#   DATABASE_URL=postgres://user:pass@host:5432/sp scripts/backup.sh [FILE]
#
# FILE defaults to backups/sp-<UTC time>.dump. Prints the file written.
set -euo pipefail
: "${DATABASE_URL:?set DATABASE_URL to the database to back up}"
out=${1:-backups/sp-$(date -u +%Y%m%dT%H%M%SZ).dump}
mkdir -p "$(dirname "$out")"
pg_dump --format=custom --no-owner --no-privileges --dbname="$DATABASE_URL" --file="$out.partial"
pg_restore --list "$out.partial" >/dev/null
mv "$out.partial" "$out"
echo "$out"
