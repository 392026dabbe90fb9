#!/usr/bin/env bash
# Makes sure the machine's PostgreSQL runs and creates a fresh, uniquely named database for one test
# run; prints its URL. `scripts/ci-postgres.sh drop URL` removes it again.
set -euo pipefail

ADMIN_URL="${CI_POSTGRES_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"

if [ "${1:-}" = "drop" ]; then
  db="${2##*/}"
  psql "$ADMIN_URL" -qAt -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
  exit 0
fi

if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  echo "ci-postgres: PostgreSQL is not running; starting it" >&2
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start >&2
  fi
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432 -q || { echo "ci-postgres: PostgreSQL did not start" >&2; exit 1; }

db="theater_ci_$(date +%Y%m%d%H%M%S)_$$"
psql "$ADMIN_URL" -qAt -c "CREATE DATABASE \"$db\"" >/dev/null
echo "${ADMIN_URL%/*}/$db"
