#!/usr/bin/env bash
# Discovery benchmark (issue 11): the database paths of search, filters, deep pages, suggestions,
# similar movies and the movie detail, with the response cache OFF (CATALOG_CACHE_TTL_SECONDS=0) and
# RANDOM inputs on every request (oha --rand-regex-url: random words, genres, pages, ids, prefixes),
# beside the trivial axum service of bench/trivial measured in the same run. Seeds a synthetic
# catalog per size and backend with the release binary and times the seed (wall clock, peak RSS).
#
#   bench/discovery.sh                                   # sqlite+postgres, 100,000 movies, c=64
#   BENCH_SIZES="10000 100000" BENCH_BACKENDS=sqlite BENCH_DURATION=5s bench/discovery.sh
#
# Environment: BENCH_SIZES, BENCH_BACKENDS, BENCH_DURATION (per cell, default 8s), BENCH_CONCURRENCY
# (default 64), BENCH_SCENARIOS, BENCH_PG_ADMIN_URL, BENCH_BIN (a binary built elsewhere),
# BENCH_OUT (default bench/DISCOVERY.md), BENCH_COMMUNITY=1 (seed with `--community`: ~10 ratings
# per movie, reviews, movie 1 with 10,000 reviews; default scenarios then the community ones):
#
#   BENCH_COMMUNITY=1 BENCH_OUT=bench/COMMUNITY.md bench/discovery.sh
#
# The words are the synthetic catalog's own (src/movies/import/synthetic_words.txt): every one of them
# is common (the generator's vocabulary is small), so each search matches a large share of the
# catalog — a hard case for relevance ranking and counts, not a long tail of rare words.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

DURATION="${BENCH_DURATION:-8s}"
BACKENDS="${BENCH_BACKENDS:-sqlite postgres}"
SIZES="${BENCH_SIZES:-100000}"
CONCURRENCY="${BENCH_CONCURRENCY:-64}"
COMMUNITY="${BENCH_COMMUNITY:-}"
if [ -n "$COMMUNITY" ]; then
  DEFAULT_SCENARIOS="trivial summary busy_reviews movie_reviews rating_page score_page"
else
  DEFAULT_SCENARIOS="trivial search_word genre_page search2_genre suggest deep_page similar detail"
fi
SCENARIOS="${BENCH_SCENARIOS:-$DEFAULT_SCENARIOS}"
PG_ADMIN_URL="${BENCH_PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
WORK="$ROOT/bench/work"
OUT="${BENCH_OUT:-$ROOT/bench/DISCOVERY.md}"
TOOLS_DIR="${THEATER_TOOLS_DIR:-$HOME/.cache/theater-tools}"

if [ -n "${BENCH_BIN:-}" ]; then
  BIN="$BENCH_BIN"
else
  echo "== building the release binaries" >&2
  cargo build --release --quiet
  BIN="$ROOT/target/release/theater"
fi
cargo build --release --quiet --manifest-path bench/trivial/Cargo.toml
TRIVIAL="${CARGO_TARGET_DIR:-$ROOT/bench/trivial/target}/release/trivial-axum"
scripts/tools.sh oha
OHA="$TOOLS_DIR/bin/oha"
mkdir -p "$WORK"

# shellcheck source=scripts/lib.sh
. scripts/lib.sh

server_pid="" trivial_pid="" pg_db=""
cleanup() {
  for pid in "$server_pid" "$trivial_pid"; do
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  done
  [ -n "$pg_db" ] && psql "$PG_ADMIN_URL" -qAt -c "DROP DATABASE IF EXISTS \"$pg_db\" WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# Word lists of the synthetic catalog, as regex alternations.
section() { # name -> lines of that section
  awk -v s="[$1]" '$0 == s {on=1; next} /^\[/ {on=0} on && NF && !/^#/' src/movies/import/synthetic_words.txt
}
alternation() { paste -sd'|' | sed 's/ /%20/g'; }
WORDS=$( { section adjectives; section nouns; section places; } | tr 'A-Z' 'a-z' | alternation)
GENRES=$(section genres | alternation)
PREFIXES=$( { section nouns; section first_names; section last_names; } | tr 'A-Z' 'a-z' \
  | cut -c1-3 | sort -u | grep -E '^[a-z]{3}$' | alternation)

trivial_port=$(free_port)
PORT=$trivial_port "$TRIVIAL" >/dev/null 2>&1 &
trivial_pid=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$trivial_port/" >/dev/null && break; sleep 0.1; done

# A regex of the numbers 1..n (oha draws uniformly among the regex's strings of each length class,
# close enough to uniform for ids and pages).
upto() { python3 -c "
n=$1; parts=[]
d=len(str(n))
for k in range(1, d):
    parts.append('[1-9]' + '[0-9]' * (k - 1))
s=str(n)
# numbers with d digits up to n: first digit below, then the rest free; then equal prefixes
for i, ch in enumerate(s):
    lo = 1 if i == 0 else 0
    if int(ch) > lo:
        parts.append(s[:i] + '[%d-%d]' % (lo, int(ch) - 1) + '[0-9]' * (d - i - 1))
parts.append(s)
print('(' + '|'.join(parts) + ')')"; }

run_cell() { # scenario concurrency base size
  local scenario=$1 c=$2 base=$3 size=$4 url
  local api="$base/api/v1/theater"
  case "$scenario" in
    trivial) url="http://127.0.0.1:$trivial_port/" ;;
    # A regex: the query's `?` is escaped.
    search_word) url="$api/movies/\\?search=($WORDS)&page=[1-3]" ;;
    genre_page) url="$api/movies/\\?genre=($GENRES)&page=$(upto 50)&per_page=20" ;;
    search2_genre) url="$api/movies/\\?search=($WORDS)%20($WORDS)&genre=($GENRES)" ;;
    suggest) url="$api/search/suggest/\\?q=($PREFIXES)" ;;
    deep_page) url="$api/movies/\\?page=$(upto $((size / 20)))&per_page=20" ;;
    similar) url="$api/movies/$(upto "$size")/similar/" ;;
    detail) url="$api/movies/$(upto "$size")/" ;;
    # With BENCH_COMMUNITY: a random movie's community summary; the busy movie's (id 1, 10,000
    # reviews) random review page in a random order; a random movie's reviews; a random page of the
    # catalog by mean rating, and the same by score for the ratio.
    summary) url="$api/movies/$(upto "$size")/community/" ;;
    busy_reviews) url="$api/movies/1/reviews/\\?page=$(upto 500)&per_page=20&sort=(newest|oldest|top)" ;;
    movie_reviews) url="$api/movies/$(upto "$size")/reviews/" ;;
    rating_page) url="$api/movies/\\?sort=-rating&page=$(upto $((size / 20)))&per_page=20" ;;
    score_page) url="$api/movies/\\?sort=-score&page=$(upto $((size / 20)))&per_page=20" ;;
  esac
  local json
  json=$("$OHA" -z "$DURATION" -c "$c" -w --no-tui --output-format json --rand-regex-url "$url" 2>/dev/null)
  python3 - "$json" <<'PY'
import json, sys
d = json.loads(sys.argv[1])
s = d["summary"]; lat = d.get("latencyPercentiles", {})
codes = d.get("statusCodeDistribution", {})
bad = sum(v for k, v in codes.items() if not (k.startswith("2") or k == "404"))
errors = sum(d.get("errorDistribution", {}).values()) + bad
p50 = (lat.get("p50") or 0) * 1000; p99 = (lat.get("p99") or 0) * 1000
n404 = codes.get("404", 0)
print(f"{s['requestsPerSec']:.0f} | {p50:.2f} | {p99:.2f} | {n404} | {errors}")
PY
}

rows=() seeds=()
for backend in $BACKENDS; do
  for size in $SIZES; do
    echo "== $backend, $size movies" >&2
    data_dir="$WORK/discovery-$backend-$size"
    rm -rf "$data_dir"; mkdir -p "$data_dir"
    if [ "$backend" = sqlite ]; then
      db_url="sqlite://$data_dir/theater.db"
    else
      pg_db="theater_discovery_$size"
      psql "$PG_ADMIN_URL" -qAt -c "DROP DATABASE IF EXISTS \"$pg_db\" WITH (FORCE)" >/dev/null
      psql "$PG_ADMIN_URL" -qAt -c "CREATE DATABASE \"$pg_db\"" >/dev/null
      db_url="${PG_ADMIN_URL%/*}/$pg_db"
    fi
    export DATABASE_URL="$db_url" DATA_DIR="$data_dir" RUST_LOG=warn CATALOG_CACHE_TTL_SECONDS=0 \
      SECRET_KEY_ACCESS="$(openssl rand -hex 32)" SECRET_KEY_REFRESH="$(openssl rand -hex 32)"
    start=$(date +%s.%N)
    seed_flags=(seed --synthetic "$size")
    [ -n "$COMMUNITY" ] && seed_flags+=(--community)
    /usr/bin/time -f '%M' -o "$data_dir/seed.rss" "$BIN" "${seed_flags[@]}" >"$data_dir/seed.log" 2>&1
    seconds=$(python3 -c "import time; print(f'{time.time() - $start:.1f}')")
    rss_mb=$(( $(tail -1 "$data_dir/seed.rss") / 1024 ))
    seeds+=("| $backend | $size | $seconds | $rss_mb |")
    echo "seed: $seconds s, peak RSS $rss_mb MB" >&2
    port=$(free_port)
    BIND_ADDRESS=127.0.0.1 PORT=$port "$BIN" serve >"$data_dir/serve.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
    for scenario in $SCENARIOS; do
      for c in $CONCURRENCY; do
        result=$(run_cell "$scenario" "$c" "http://127.0.0.1:$port" "$size")
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

table=$(printf '%s\n' "| backend | movies | scenario | conc | req/s | p50 ms | p99 ms | 404s | errors |" \
  "|---|---|---|---|---|---|---|---|---|" "${rows[@]}")
seed_table=$(printf '%s\n' "| backend | movies | seed s | peak RSS MB |" "|---|---|---|---|" "${seeds[@]}")
echo "$table"; echo; echo "$seed_table"
{
  echo "# Discovery benchmark"
  echo
  echo "Produced by \`bench/discovery.sh\` on $(date -u +%Y-%m-%d) (each cell: oha for $DURATION, random inputs, CATALOG_CACHE_TTL_SECONDS=0)."
  echo
  echo "- Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(free -g | awk '/Mem:/ {print $2}') GiB RAM; load generator on the same cores"
  echo "- trivial = bench/trivial (axum answering a constant), measured in the same run"
  echo "- search_word: one random word of the synthetic vocabulary, pages 1-3; genre_page: one random genre, a random page of the first 50 (20 per page);"
  echo "  search2_genre: two random words and a genre; suggest: a random 3-letter prefix; deep_page: a random page of all (20 per page);"
  echo "  similar: a random movie's similar movies; detail: a random movie. 404s (no match) are answers, not errors."
  if [ -n "$COMMUNITY" ]; then
    echo "- Seeded with \`--community\` (~10 ratings and ~3 reactions per movie, a review per 10 movies, movie 1 with 10,000 reviews + 2,000 replies):"
    echo "  summary: a random movie's community summary; busy_reviews: a random page (1-500) of movie 1's reviews, random sort;"
    echo "  movie_reviews: a random movie's reviews; rating_page / score_page: a random page of the catalog by -rating / -score."
  fi
  echo
  echo "$table"
  echo
  echo "Seeding (\`theater seed --synthetic N${COMMUNITY:+ --community}\`, whole command, fresh database):"
  echo
  echo "$seed_table"
} > "$OUT"
echo "written to $OUT" >&2
