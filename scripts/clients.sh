#!/usr/bin/env bash
# Generated clients against the running service: starts Theater on a fresh SQLite data directory with a
# small synthetic catalog and an active user, fetches its /openapi.json, generates a TypeScript client
# (openapi-typescript + openapi-fetch, npm) and a Python client (openapi-python-client, PyPI), and runs
# tests/clients/{typescript/main.ts,python/main.py} with each: list, detail, login, a 401 and a 422
# parsed into their types. The TypeScript program must also type-check under `strict`. Tools are pinned
# (tests/clients/*) and cached outside the checkout.
#   scripts/clients.sh [typescript|python|all]      (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
ROOT="$PWD"
TOOLS_DIR="${THEATER_TOOLS_DIR:-$HOME/.cache/theater-tools}"
target="${1:-all}"

# --- tools, reinstalled only when their pinned versions change
ts_tools() {
  local dir="$TOOLS_DIR/clients-ts" want
  want="$(sha256sum tests/clients/typescript/package.json | cut -d' ' -f1)"
  if [ "$(cat "$dir/.theater-version" 2>/dev/null)" != "$want" ] || [ ! -x "$dir/node_modules/.bin/tsc" ]; then
    echo "clients: installing openapi-typescript, openapi-fetch and typescript from npm into $dir" >&2
    rm -rf "$dir" && mkdir -p "$dir"
    cp tests/clients/typescript/package.json "$dir/"
    (cd "$dir" && npm install --silent --no-audit --no-fund >/dev/null)
    echo "$want" >"$dir/.theater-version"
  fi
  echo "$dir"
}

py_tools() {
  local venv="$TOOLS_DIR/clients-venv" want
  want="$(sha256sum tests/clients/python/requirements.txt | cut -d' ' -f1)"
  if [ "$(cat "$venv/.theater-version" 2>/dev/null)" != "$want" ] || [ ! -x "$venv/bin/openapi-python-client" ]; then
    echo "clients: installing openapi-python-client from PyPI into $venv" >&2
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/clients/python/requirements.txt
    echo "$want" >"$venv/.theater-version"
  fi
  echo "$venv"
}

# --- the service
BIN="$(theater_bin)"
WORK="$(mktemp -d)"
SERVER_PID=""
trap stop_server EXIT

port="$(free_port)"
export DATA_DIR="$WORK/data" BIND_ADDRESS=127.0.0.1 PORT="$port" APP_BASE_URL="http://127.0.0.1:$port" \
  SECRET_KEY_ACCESS="$(random_secret)" SECRET_KEY_REFRESH="$(random_secret)" RUST_LOG=warn
unset DATABASE_URL POSTGRES_HOST EMAIL_HOST MINIO_HOST
"$BIN" seed --synthetic 30 >"$WORK/seed.log" 2>&1 || { cat "$WORK/seed.log" >&2; exit 1; }
export THEATER_URL="http://127.0.0.1:$port" THEATER_EMAIL="client@example.com" THEATER_PASSWORD="Cl1ent#Pass"
printf '%s\n' "$THEATER_PASSWORD" | "$BIN" users create --email "$THEATER_EMAIL" --active >/dev/null
"$BIN" serve >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
wait_healthy "$THEATER_URL" "$SERVER_PID" "$WORK/server.log"
curl -fsS "$THEATER_URL/openapi.json" -o "$WORK/openapi.json"

failed=0
if [ "$target" = typescript ] || [ "$target" = all ]; then
  echo "== TypeScript client (openapi-typescript + openapi-fetch)"
  tools="$(ts_tools)"
  mkdir -p "$WORK/ts"
  cp tests/clients/typescript/{main.ts,tsconfig.json,package.json} "$WORK/ts/"
  ln -s "$tools/node_modules" "$WORK/ts/node_modules"
  if (cd "$WORK/ts" &&
    node_modules/.bin/openapi-typescript "$WORK/openapi.json" -o schema.d.ts --silent &&
    node_modules/.bin/tsc -p tsconfig.json &&
    node out/main.js); then :; else failed=1; echo "TypeScript client: FAILED" >&2; fi
fi
if [ "$target" = python ] || [ "$target" = all ]; then
  echo "== Python client (openapi-python-client)"
  venv="$(py_tools)"
  if (cd "$WORK" &&
    "$venv/bin/openapi-python-client" generate --path openapi.json --output-path theater_client --meta none --overwrite >gen.log 2>&1 &&
    PYTHONPATH="$WORK" "$venv/bin/python" "$ROOT/tests/clients/python/main.py"); then :; else
    failed=1
    cat "$WORK/gen.log" >&2 2>/dev/null || true
    echo "Python client: FAILED" >&2
  fi
fi
if [ "$failed" -ne 0 ]; then
  echo "the service's log:" >&2
  tail -n 30 "$WORK/server.log" >&2
fi
exit "$failed"
