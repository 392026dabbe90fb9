#!/usr/bin/env bash
# An SMTP capture server (maildev, from npm) for the end-to-end e-mail tests: SMTP with AUTH, and an
# HTTP API (GET /email) to read what arrived.
#
#   eval "$(scripts/maildev.sh start)"   # installs maildev if needed, starts it on free ports and
#                                        # prints the THEATER_E2E_* export lines the tests read
#   scripts/maildev.sh stop              # stops the instance this checkout started
#
# A second `start` while the instance runs prints the same lines again.
set -euo pipefail
cd "$(dirname "$0")/.."

TOOLS_DIR="${THEATER_TOOLS_DIR:-$HOME/.cache/theater-tools}"
MAILDEV_BIN="$TOOLS_DIR/maildev/node_modules/.bin/maildev"
STATE_DIR="$PWD/target/maildev"
PID_FILE="$STATE_DIR/pid"
ENV_FILE="$STATE_DIR/env"

# shellcheck source=scripts/lib.sh
. scripts/lib.sh

running() {
  [ -f "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null
}

http_ok() {
  node -e 'require("http").get(process.argv[1], r => process.exit(r.statusCode === 200 ? 0 : 1))
             .on("error", () => process.exit(1));' "$1"
}

start() {
  if running && [ -f "$ENV_FILE" ]; then
    cat "$ENV_FILE"
    return
  fi
  scripts/tools.sh maildev >&2
  mkdir -p "$STATE_DIR"
  local smtp web user pass
  smtp="$(free_port)"
  web="$(free_port)"
  while [ "$web" = "$smtp" ]; do web="$(free_port)"; done
  user="theater@example.com"
  pass="pw-$RANDOM$RANDOM"
  # Detached (own session, no terminal, output to a file) so it outlives this script and never holds
  # the caller's `$(...)` open.
  setsid "$MAILDEV_BIN" --ip 127.0.0.1 --smtp "$smtp" --web "$web" \
    --incoming-user "$user" --incoming-pass "$pass" \
    >"$STATE_DIR/maildev.log" 2>&1 </dev/null &
  echo $! >"$PID_FILE"
  local url="http://127.0.0.1:$web"
  for _ in $(seq 1 100); do
    http_ok "$url/email" && break
    if ! running; then
      echo "maildev: exited during start-up; see $STATE_DIR/maildev.log" >&2
      cat "$STATE_DIR/maildev.log" >&2 || true
      exit 1
    fi
    sleep 0.2
  done
  if ! http_ok "$url/email"; then
    echo "maildev: not ready after 20 s; see $STATE_DIR/maildev.log" >&2
    stop
    exit 1
  fi
  e2e_exports SMTP_HOST=127.0.0.1 SMTP_PORT="$smtp" SMTP_USER="$user" SMTP_PASSWORD="$pass" \
    MAILDEV_URL="$url" MAILDEV_BIN="$MAILDEV_BIN" >"$ENV_FILE"
  echo "maildev: SMTP on 127.0.0.1:$smtp (AUTH $user), web API on $url" >&2
  cat "$ENV_FILE"
}

stop() {
  if running; then
    local pid
    pid="$(cat "$PID_FILE")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$PID_FILE" "$ENV_FILE"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
