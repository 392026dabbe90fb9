#!/usr/bin/env bash
# A/B of release binaries on the same data, alternating, in one session: for each round, each binary
# is started on the same SQLite catalog and measured on the same scenarios with oha; a trivial axum
# service (bench/trivial) is measured in every round as the yardstick. Prints a table of
# req/s per round and the mean of each.
#
#   bench/ab.sh NAME=BINARY [NAME=BINARY ...]
#   AB_ROUNDS (default 3), AB_DURATION (per cell, default 8s), AB_CONCURRENCY (default 64),
#   AB_SIZE (movies, default 10000), AB_SCENARIOS (docs list_first detail), AB_CACHE_TTL (default 2)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
ROUNDS="${AB_ROUNDS:-3}"
DURATION="${AB_DURATION:-8s}"
CONC="${AB_CONCURRENCY:-64}"
SIZE="${AB_SIZE:-10000}"
SCENARIOS="${AB_SCENARIOS:-docs list_first detail}"
CACHE_TTL="${AB_CACHE_TTL:-2}"
TOOLS_DIR="${THEATER_TOOLS_DIR:-$HOME/.cache/theater-tools}"
scripts/tools.sh oha
OHA="$TOOLS_DIR/bin/oha"
[ "$#" -ge 1 ] || { echo "usage: bench/ab.sh NAME=BINARY ..." >&2; exit 2; }

cargo build --release --quiet --manifest-path bench/trivial/Cargo.toml
TRIVIAL="${CARGO_TARGET_DIR:-$ROOT/bench/trivial/target}/release/trivial-axum"
WORK="$(mktemp -d)"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

export RUST_LOG=warn LOGIN_RATE_LIMIT=0 CATALOG_CACHE_TTL_SECONDS="$CACHE_TTL" \
  SECRET_KEY_ACCESS="$(openssl rand -hex 32)" SECRET_KEY_REFRESH="$(openssl rand -hex 32)"
# Each binary seeds its own copy of the same deterministic catalog (an older binary cannot open a
# database a newer one has migrated).
for spec in "$@"; do
  name="${spec%%=*}" bin="${spec#*=}"
  mkdir -p "$WORK/$name"
  DATA_DIR="$WORK/$name" DATABASE_URL="sqlite://$WORK/$name/theater.db" \
    "$bin" seed --synthetic "$SIZE" >"$WORK/$name-seed.log" 2>&1 || { cat "$WORK/$name-seed.log" >&2; exit 1; }
done

cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }  # utime + stime of the server, in ticks
# req/s, and the server's CPU time per request in µs (much steadier than req/s on a shared machine:
# what one request costs, not how much of the machine the service got)
rps() { # url-args...
  local before after json
  before=$(cpu_ticks)
  json=$("$OHA" -z "$DURATION" -c "$CONC" -w --no-tui --output-format json "$@" 2>/dev/null)
  after=$(cpu_ticks)
  python3 -c 'import json,sys,os
d=json.loads(sys.argv[1]); n=sum(d["statusCodeDistribution"].values())
tick=os.sysconf("SC_CLK_TCK"); cpu=(int(sys.argv[3])-int(sys.argv[2]))/tick
print(round(d["summary"]["requestsPerSec"]), round(cpu*1e6/max(n,1),1))' "$json" "$before" "$after"
}
cell() { # scenario base
  case "$1" in
    docs) rps "$2/docs/" ;;
    list_first) rps "$2/api/v1/theater/movies/?page=1&per_page=10" ;;
    detail) rps --rand-regex-url "$2/api/v1/theater/movies/[1-9][0-9]{0,3}/" ;;
    trivial) rps "$2/" ;;
  esac
}

declare -A sum cpu
results=()
for round in $(seq 1 "$ROUNDS"); do
  port=$(free_port)
  PORT=$port "$TRIVIAL" & pid=$!
  sleep 0.5
  read -r r us < <(cell trivial "http://127.0.0.1:$port")
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
  results+=("| $round | trivial axum | / | $r | $us |")
  sum["trivial/trivial"]=$(( ${sum["trivial/trivial"]:-0} + r ))
  cpu["trivial/trivial"]="${cpu["trivial/trivial"]:-} $us"
  for spec in "$@"; do
    name="${spec%%=*}" bin="${spec#*=}"
    port=$(free_port)
    DATA_DIR="$WORK/$name" DATABASE_URL="sqlite://$WORK/$name/theater.db" BIND_ADDRESS=127.0.0.1 \
      PORT=$port "$bin" serve >"$WORK/$name.log" 2>&1 & pid=$!
    wait_healthy "http://127.0.0.1:$port" "$pid" "$WORK/$name.log"
    for scenario in $SCENARIOS; do
      read -r r us < <(cell "$scenario" "http://127.0.0.1:$port")
      results+=("| $round | $name | $scenario | $r | $us |")
      sum["$name/$scenario"]=$(( ${sum["$name/$scenario"]:-0} + r ))
      cpu["$name/$scenario"]="${cpu["$name/$scenario"]:-} $us"
      echo "round $round: $name $scenario $r req/s, $us µs CPU/request" >&2
    done
    kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
  done
done
echo "| round | binary | scenario | req/s | server CPU µs/request |"
echo "|---|---|---|---|---|"
printf '%s\n' "${results[@]}"
echo
echo "| binary | scenario | mean req/s over $ROUNDS rounds | median CPU µs/request |"
echo "|---|---|---|---|"
for key in $(printf '%s\n' "${!sum[@]}" | sort); do
  median=$(printf '%s\n' ${cpu[$key]} | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  echo "| ${key%%/*} | ${key#*/} | $(( ${sum[$key]} / ROUNDS )) | $median |"
done
echo
echo "c=$CONC, $DURATION per cell, $SIZE movies (SQLite), CATALOG_CACHE_TTL_SECONDS=$CACHE_TTL, $(nproc) cores shared with oha"
