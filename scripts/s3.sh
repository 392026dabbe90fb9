#!/usr/bin/env bash
# A local S3-compatible server for the end-to-end suite: s3s-fs (from crates.io, installed by
# scripts/tools.sh) serving a temporary directory, with credentials and one bucket.
#
#   eval "$(scripts/s3.sh start)"   # start it; prints the THEATER_E2E_S3_* export lines
#   scripts/s3.sh stop [STATE_DIR]  # stop it and remove its data (default: $THEATER_E2E_S3_STATE)
#
# Progress and errors go to stderr; stdout carries only the export lines.
set -euo pipefail
cd "$(dirname "$0")/.."

TOOLS_DIR="${THEATER_TOOLS_DIR:-$HOME/.cache/theater-tools}"
BIN="$TOOLS_DIR/bin/s3s-fs"
HOST=127.0.0.1

# shellcheck source=scripts/lib.sh
. scripts/lib.sh

# True once the server answers HTTP (any status: anonymous requests are refused with 403).
answers() {
  local code
  code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://$HOST:$1/" || true)
  [ -n "$code" ] && [ "$code" != "000" ]
}

start() {
  scripts/tools.sh s3s-fs >&2
  local state bucket access_key secret_key port pid
  state=$(mktemp -d "${TMPDIR:-/tmp}/theater-s3.XXXXXX")
  bucket="${THEATER_E2E_S3_BUCKET:-theater-e2e}"
  access_key="theater-e2e"
  secret_key=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  # s3s-fs maps each directory of its root to a bucket: this creates the bucket.
  mkdir -p "$state/root/$bucket"

  for _attempt in 1 2 3; do
    port=$(free_port)
    "$BIN" --host "$HOST" --port "$port" --access-key "$access_key" --secret-key "$secret_key" \
      "$state/root" >"$state/log" 2>&1 &
    pid=$!
    echo "$pid" >"$state/pid"
    for _ in $(seq 1 100); do
      if ! kill -0 "$pid" 2>/dev/null; then break; fi
      if answers "$port"; then
        echo "s3.sh: s3s-fs (pid $pid) serving $state/root on http://$HOST:$port, bucket $bucket" >&2
        e2e_exports S3_HOST="$HOST" S3_PORT="$port" S3_ACCESS_KEY="$access_key" \
          S3_SECRET_KEY="$secret_key" S3_BUCKET="$bucket" S3_BIN="$BIN" S3_STATE="$state"
        return
      fi
      sleep 0.1
    done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    echo "s3.sh: s3s-fs did not come up on port $port:" >&2
    tail -n 20 "$state/log" >&2 || true
  done
  rm -rf "$state"
  echo "s3.sh: giving up" >&2
  return 1
}

stop() {
  local state="${1:-${THEATER_E2E_S3_STATE:-}}"
  if [ -z "$state" ] || [ ! -d "$state" ]; then
    echo "s3.sh: nothing to stop (no state directory)" >&2
    return 0
  fi
  if [ -f "$state/pid" ]; then
    local pid
    pid=$(cat "$state/pid")
    if kill "$pid" 2>/dev/null; then
      for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
      if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
    fi
    echo "s3.sh: stopped s3s-fs (pid $pid)" >&2
  fi
  rm -rf "$state"
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  *) echo "usage: $0 start | stop [STATE_DIR]" >&2; exit 2 ;;
esac
