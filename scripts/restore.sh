#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into a NEW database, then check it:
#   1. creates the database (refuses if it exists: never restores over a database),
#   2. pg_restore, stopping at the first error,
#   3. `manage.py migrate --check` (fails if the code has migrations the backup lacks),
#   4. `manage.py smoke_check` (row counts, /healthz in-process; --min-referrals N optional).
#
#   scripts/restore.sh FILE postgres://user:pass@host:5432/sp_restored [--min-referrals N]
#
# Then point DATABASE_URL at the new database (README, "Backups and restore").
set -euo pipefail
file=${1:?usage: scripts/restore.sh FILE TARGET_DATABASE_URL [--min-referrals N]}
target=${2:?usage: scripts/restore.sh FILE TARGET_DATABASE_URL [--min-referrals N]}
shift 2
[ -r "$file" ] || { echo "restore: cannot read $file" >&2; exit 2; }
file=$(realpath "$file")
cd "$(dirname "$0")/.."
python=${PYTHON:-$([ -x .venv/bin/python ] && echo .venv/bin/python || echo python)}

name=${target##*/}
name=${name%%\?*}
if ! [[ $name =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]]; then
  echo "restore: the target database name '$name' must be letters, digits and _" >&2
  exit 2
fi
admin=${target%/*}/postgres
if [ -n "$(psql "$admin" -Atc "SELECT 1 FROM pg_database WHERE datname = '$name'")" ]; then
  echo "restore: database $name already exists; restore into a new one" >&2
  exit 2
fi
psql "$admin" -qc "CREATE DATABASE \"$name\""
pg_restore --no-owner --no-privileges --exit-on-error --dbname="$target" "$file"
DATABASE_URL=$target "$python" manage.py migrate --check
DATABASE_URL=$target "$python" manage.py smoke_check "$@"
echo "restore: $file restored into $name and checked"
