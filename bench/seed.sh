#!/usr/bin/env bash
# Times `theater seed` on deterministic synthetic catalogs of 10,000 and 100,000 movies, on a fresh
# SQLite file and on a fresh PostgreSQL database each, with the release binary.
# Targets (issue 2): 10,000 movies under 3 s and 100,000 under 30 s on both backends (2 cores).
#
#   bench/seed.sh                      # both sizes, both backends
#   BENCH_SIZES="10000" bench/seed.sh  # other sizes
#   BENCH_POSTGRES_ADMIN_URL=postgres://user@host:5432/postgres bench/seed.sh
#
# The time is the whole command (start-up, migrations, parsing, loading), as an operator sees it.
set -euo pipefail
cd "$(dirname "$0")/.."

ADMIN_URL="${BENCH_POSTGRES_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
SIZES="${BENCH_SIZES:-10000 100000}"
SEED="${BENCH_SEED:-42}"

echo "building the release binary..." >&2
cargo build --release --quiet
BIN="$PWD/target/release/theater"

work="$(mktemp -d)"
pg_dbs=()
cleanup() {
  for db in "${pg_dbs[@]:-}"; do
    [ -n "$db" ] && psql "$ADMIN_URL" -qAt -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

have_postgres=false
if command -v psql >/dev/null 2>&1 && psql "$ADMIN_URL" -qAt -c "SELECT 1" >/dev/null 2>&1; then
  have_postgres=true
else
  echo "PostgreSQL is not reachable at $ADMIN_URL: its rows are skipped" >&2
fi

# Runs one seed; prints the wall-clock seconds, or FAILED (with the log on stderr).
time_seed() {
  local url="$1" csv="$2" log="$work/seed.log" start end
  start="$(date +%s.%N)"
  if ! DATABASE_URL="$url" "$BIN" seed "$csv" >"$log" 2>&1; then
    cat "$log" >&2
    echo FAILED
    return
  fi
  end="$(date +%s.%N)"
  awk -v s="$start" -v e="$end" 'BEGIN { printf "%.2f", e - s }'
}

verdict() { # seconds target
  if [ "$1" = FAILED ] || [ "$1" = skipped ]; then echo "$1"; return; fi
  awk -v t="$1" -v max="$2" 'BEGIN { print (t < max) ? "ok" : "SLOW" }'
}

rows=()
for n in $SIZES; do
  csv="$work/synthetic-$n.csv"
  "$BIN" seed --synthetic "$n" --seed "$SEED" "$csv" >/dev/null
  target=$(( n <= 10000 ? 3 : 30 ))

  sqlite_s="$(time_seed "sqlite://$work/bench-$n.db" "$csv")"
  rows+=("$(printf '%-10s %9s %9s s %8s s  %s' sqlite "$n" "$sqlite_s" "$target" "$(verdict "$sqlite_s" "$target")")")

  if $have_postgres; then
    db="theater_bench_seed_$$_$n"
    pg_dbs+=("$db")
    psql "$ADMIN_URL" -qAt -c "CREATE DATABASE \"$db\"" >/dev/null
    pg_s="$(time_seed "${ADMIN_URL%/*}/$db" "$csv")"
    psql "$ADMIN_URL" -qAt -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
  else
    pg_s=skipped
  fi
  rows+=("$(printf '%-10s %9s %9s s %8s s  %s' postgresql "$n" "$pg_s" "$target" "$(verdict "$pg_s" "$target")")")
done

printf '%-10s %9s %11s %10s  %s\n' backend movies time target verdict
for row in "${rows[@]}"; do echo "$row"; done
