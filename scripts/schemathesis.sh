#!/usr/bin/env bash
# Property-based API testing with schemathesis (from PyPI, pinned, cached in a venv outside the
# checkout): the service is started on a fresh SQLite data directory and on a fresh PostgreSQL
# database, and schemathesis runs every check (`--checks all`) over every operation of its own
# /openapi.json, bounded in examples and time. Any failure fails the script: the document must say
# exactly what the service does.
#   scripts/schemathesis.sh [sqlite|postgres|all]      (default: all)
# ST_MAX_EXAMPLES (per operation, default 30), ST_MAX_TIME (seconds per backend, default 150),
# ST_SEED (default 1; a fixed seed keeps CI reproducible, set another to explore).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

VERSION=4.32.5
TOOLS_DIR="${THEATER_TOOLS_DIR:-$HOME/.cache/theater-tools}"
VENV="$TOOLS_DIR/schemathesis-venv"
MAX_EXAMPLES="${ST_MAX_EXAMPLES:-30}"
MAX_TIME="${ST_MAX_TIME:-150}"
SEED="${ST_SEED:-1}"

# Python 3.12 or later when the machine has one: under 3.11, hypothesis's lambda descriptions hit
# CPython's "AST constructor recursion depth mismatch" and schemathesis reports runtime errors.
PYTHON=""
for candidate in python3.13 python3.12 "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python3 python3; do
  if command -v "$candidate" >/dev/null 2>&1 &&
    "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
    PYTHON="$candidate"
    break
  fi
done
PYTHON="${PYTHON:-python3}"
WANT="schemathesis $VERSION on $("$PYTHON" -c 'import sys; print(sys.version.split()[0])')"

if [ "$(cat "$VENV/.theater-version" 2>/dev/null)" != "$WANT" ] ||
  ! "$VENV/bin/schemathesis" --version >/dev/null 2>&1; then
  echo "schemathesis: installing $WANT from PyPI into $VENV" >&2
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$VERSION"
  echo "$WANT" >"$VENV/.theater-version"
fi

BIN="$(theater_bin)"
SERVER_PID=""
WORK=""
trap stop_server EXIT

# run_backend NAME [DATABASE_URL]
run_backend() {
  local name="$1" database_url="${2:-}"
  WORK="$(mktemp -d)"
  local port
  port="$(free_port)"
  # CATALOG_WRITES=staff and the admin token: catalog writes are tested whichever default the
  # service has. No login, account-request or community-write limits: schemathesis sends thousands
  # of logins, registrations and ratings from one address and user, and a 429 would hide the answer
  # it checks (the limits have their own tests, and their 429 is in the document).
  export DATA_DIR="$WORK/data" BIND_ADDRESS=127.0.0.1 PORT="$port" \
    APP_BASE_URL="http://127.0.0.1:$port" CATALOG_WRITES=staff LOGIN_RATE_LIMIT=0 \
    ACCOUNT_EMAIL_RATE_LIMIT=0 ACCOUNT_ADDRESS_RATE_LIMIT=0 COMMUNITY_RATE_LIMIT=0 \
    SECRET_KEY_ACCESS="$(random_secret)" SECRET_KEY_REFRESH="$(random_secret)" \
    RUST_LOG="${RUST_LOG:-warn}" BACKGROUND_JOBS=true
  if [ -n "$database_url" ]; then export DATABASE_URL="$database_url"; else unset DATABASE_URL; fi
  unset EMAIL_HOST MINIO_HOST

  echo "== schemathesis ($name): service on port $port"
  "$BIN" serve >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  wait_healthy "http://127.0.0.1:$port" "$SERVER_PID" "$WORK/server.log" || return 1
  local email="schemathesis-admin@example.com" password
  password="Adm1n#$(random_secret | cut -c1-16)"
  "$BIN" users create --email "$email" --password "$password" --group admin --active >/dev/null
  local token
  token="$(curl -fsS -X POST "http://127.0.0.1:$port/api/v1/accounts/login/" \
    -H 'Content-Type: application/json' \
    -d "{\"email\": \"$email\", \"password\": \"$password\"}" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')"

  local status=0
  (cd "$WORK" && "$VENV/bin/schemathesis" --config-file "$OLDPWD/scripts/schemathesis.toml" \
    run "http://127.0.0.1:$port/openapi.json" \
    --checks all \
    -H "Authorization: Bearer $token" \
    --max-examples "$MAX_EXAMPLES" \
    --max-time "$MAX_TIME" \
    --seed "$SEED" \
    --workers 2 \
    --request-timeout 20 \
    --no-color) || status=$?
  if [ "$status" -ne 0 ]; then
    echo "schemathesis ($name) failed; the service's log:" >&2
    tail -n 50 "$WORK/server.log" >&2
  fi
  stop_server
  return "$status"
}

target="${1:-all}"
failed=0
if [ "$target" = sqlite ] || [ "$target" = all ]; then
  run_backend sqlite || failed=1
fi
if [ "$target" = postgres ] || [ "$target" = all ]; then
  url="$(scripts/ci-postgres.sh)"
  run_backend postgres "$url" || failed=1
  scripts/ci-postgres.sh drop "$url"
fi
exit "$failed"
