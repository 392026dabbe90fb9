#!/usr/bin/env bash
# Theater benchmark: builds the release binary, seeds synthetic catalogs, serves them from SQLite and
# PostgreSQL, and drives the service with oha (a real HTTP load generator from crates.io) at several
# concurrencies. Prints one table and writes it, with the machine's description, to bench/RESULTS.md.
#
#   bench/run.sh                      # full run: sqlite+postgres, 10k+100k movies, c = 1 16 64 256
#   BENCH_BACKENDS=sqlite BENCH_SIZES=10000 BENCH_CONCURRENCY="64" BENCH_DURATION=5s bench/run.sh
#
# Environment: BENCH_DURATION (per cell, default 8s), BENCH_BACKENDS, BENCH_SIZES, BENCH_CONCURRENCY,
# BENCH_SCENARIOS (detail list_first list_deep search login), BENCH_PG_ADMIN_URL, BENCH_CACHE_TTL
# (the service's CATALOG_CACHE_TTL_SECONDS; 0 measures the database path), BENCH_OUT (the report file,
# default bench/RESULTS.md, which also gets bench/NOTES.md appended), BENCH_BIN (measure this binary
# instead of building target/release/theater).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

DURATION="${BENCH_DURATION:-8s}"
BACKENDS="${BENCH_BACKENDS:-sqlite postgres}"
SIZES="${BENCH_SIZES:-10000 100000}"
CONCURRENCY="${BENCH_CONCURRENCY:-1 16 64 256}"
SCENARIOS="${BENCH_SCENARIOS:-detail list_first list_deep search login}"
PG_ADMIN_URL="${BENCH_PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
WORK="$ROOT/bench/work"
OUT="${BENCH_OUT:-$ROOT/bench/RESULTS.md}"
CACHE_TTL="${BENCH_CACHE_TTL:-2}"
TOOLS_DIR="${THEATER_TOOLS_DIR:-$HOME/.cache/theater-tools}"

if [ -n "${BENCH_BIN:-}" ]; then
  BIN="$BENCH_BIN"   # a binary built elsewhere, e.g. an older commit measured in the same run
else
  echo "== building the release binary" >&2
  cargo build --release --quiet
  BIN="$ROOT/target/release/theater"
fi
scripts/tools.sh oha
OHA="$TOOLS_DIR/bin/oha"
mkdir -p "$WORK"

server_pid=""
pg_db=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  [ -n "$pg_db" ] && psql "$PG_ADMIN_URL" -qAt -c "DROP DATABASE IF EXISTS \"$pg_db\" WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# shellcheck source=scripts/lib.sh
. scripts/lib.sh

rows=()
header="| backend | movies | scenario | conc | req/s | p50 ms | p99 ms | errors | peak RSS MB |"

run_cell() { # scenario concurrency base_url
  local scenario=$1 c=$2 base=$3 args=()
  case "$scenario" in
    detail) args=(--rand-regex-url "$base/api/v1/theater/movies/[1-9][0-9]{0,3}/") ;;
    list_first) args=("$base/api/v1/theater/movies/?page=1&per_page=10") ;;
    list_deep) args=("$base/api/v1/theater/movies/?page=$((size / 20 - 1))&per_page=20") ;;
    search) args=("$base/api/v1/theater/movies/?search=family&genre=Drama&min_score=50&sort=-score") ;;
    login) args=(-m POST -T application/json -d '{"email":"bench@example.com","password":"Bench-Pass1!"}' "$base/api/v1/accounts/login/") ;;
  esac
  # Reset the peak-RSS counter so each cell reports its own peak.
  echo 5 > "/proc/$server_pid/clear_refs" 2>/dev/null || true
  local json
  json=$("$OHA" -z "$DURATION" -c "$c" -w --no-tui --output-format json "${args[@]}" 2>/dev/null)
  local rss_kb
  rss_kb=$(awk '/VmHWM/ {print $2}' "/proc/$server_pid/status")
  python3 - "$json" "$rss_kb" <<'PY'
import json, sys
d = json.loads(sys.argv[1]); rss = int(sys.argv[2]) / 1024
s = d["summary"]; lat = d.get("latencyPercentiles", {})
codes = d.get("statusCodeDistribution", {})
ok = sum(v for k, v in codes.items() if k.startswith("2"))
errors = sum(d.get("errorDistribution", {}).values()) + sum(v for k, v in codes.items() if not k.startswith("2"))
p50 = (lat.get("p50") or 0) * 1000; p99 = (lat.get("p99") or 0) * 1000
print(f"{s['requestsPerSec']:.0f} | {p50:.2f} | {p99:.2f} | {errors} | {rss:.1f}")
PY
}

for backend in $BACKENDS; do
  for size in $SIZES; do
    echo "== $backend, $size movies" >&2
    data_dir="$WORK/$backend-$size"
    rm -rf "$data_dir"; mkdir -p "$data_dir"
    if [ "$backend" = sqlite ]; then
      db_url="sqlite://$data_dir/theater.db"
    else
      pg_db="theater_bench_$size"
      psql "$PG_ADMIN_URL" -qAt -c "DROP DATABASE IF EXISTS \"$pg_db\" WITH (FORCE)" >/dev/null
      psql "$PG_ADMIN_URL" -qAt -c "CREATE DATABASE \"$pg_db\"" >/dev/null
      db_url="${PG_ADMIN_URL%/*}/$pg_db"
    fi
    export DATABASE_URL="$db_url" DATA_DIR="$data_dir" RUST_LOG=warn LOGIN_RATE_LIMIT=0 \
      CATALOG_CACHE_TTL_SECONDS="$CACHE_TTL" \
      SECRET_KEY_ACCESS="$(openssl rand -hex 32)" SECRET_KEY_REFRESH="$(openssl rand -hex 32)"
    "$BIN" seed --synthetic "$size" >&2
    "$BIN" users create --email bench@example.com --password 'Bench-Pass1!' --active >/dev/null
    port=$(free_port)
    BIND_ADDRESS=127.0.0.1 PORT=$port "$BIN" serve >"$data_dir/serve.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
    for scenario in $SCENARIOS; do
      for c in $CONCURRENCY; do
        result=$(run_cell "$scenario" "$c" "http://127.0.0.1:$port")
        row="| $backend | $size | $scenario | $c | $result |"
        echo "$row" >&2
        rows+=("$row")
      done
    done
    kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
    if [ -n "$pg_db" ]; then
      psql "$PG_ADMIN_URL" -qAt -c "DROP DATABASE IF EXISTS \"$pg_db\" WITH (FORCE)" >/dev/null; pg_db=""
    fi
  done
done

table=$(printf '%s\n' "$header" "|---|---|---|---|---|---|---|---|---|" "${rows[@]}")
echo "$table"
{
  echo "# Benchmark results"
  echo
  echo "Produced by \`bench/run.sh\` on $(date -u +%Y-%m-%d) (each cell: oha for $DURATION)."
  echo
  echo "- Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(free -g | awk '/Mem:/ {print $2}') GiB RAM, $(uname -sr)"
  echo "- Toolchain: $(rustc --version); load generator: $("$OHA" --version)"
  echo "- Service: release build, RUST_LOG=warn, LOGIN_RATE_LIMIT=0, CATALOG_CACHE_TTL_SECONDS=$CACHE_TTL; PostgreSQL $(psql --version | awk '{print $3}') on the same machine"
  echo "- The load generator runs on the same two cores as the service (and PostgreSQL): it takes a good part of the CPU"
  echo "- Scenarios: detail = GET /movies/{random id}/; list_first = page 1; list_deep = the last full page of 20;"
  echo "  search = search+genre+min_score+sort; login = POST /login/ (argon2id, OWASP parameters)"
  echo
  echo "$table"
  if [ -f "$ROOT/bench/NOTES.md" ]; then
    echo
    cat "$ROOT/bench/NOTES.md"
  fi
} > "$OUT"
echo "written to $OUT" >&2
