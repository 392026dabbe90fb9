#!/usr/bin/env bash
# The project's one test command (README "Run the tests"; .ci/run calls it too):
#
#   scripts/test.sh [nextest arguments …]      e.g. scripts/test.sh -E 'test(/login/)'
#
# Runs `cargo nextest run` so that every test either runs or is reported as *skipped* in nextest's
# summary, never as a pass that tested nothing:
# - PostgreSQL variants (`…::postgres::…`): run against `TEST_DATABASE_URL` when it is set; otherwise
#   against a throwaway database on a local PostgreSQL (127.0.0.1:5432, or CI_POSTGRES_ADMIN_URL)
#   when one answers, dropped again at exit; otherwise filtered out, with the reason printed.
# - End-to-end suites (`e2e_mail::…`, `e2e_s3::…`): run when the services' variables are set
#   (`eval "$(scripts/maildev.sh start)"`, `eval "$(scripts/s3.sh start)"`, as .ci/run does);
#   otherwise filtered out, with the reason printed.
# - Tests on the shared IMDb samples (`…::shared_…`): run when ../shared/data exists.
# With CI=true nothing may be skipped: a missing service fails the run instead.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! cargo nextest --version >/dev/null 2>&1; then
  echo "test.sh: cargo-nextest is not installed: cargo install cargo-nextest --locked" >&2
  exit 1
fi

skips=()
reasons=()
skip() {
  skips+=("$1")
  reasons+=("$2")
}

created_db=""
cleanup() {
  if [ -n "$created_db" ]; then scripts/ci-postgres.sh drop "$created_db"; fi
}
trap cleanup EXIT

if [ -z "${TEST_DATABASE_URL:-}" ]; then
  admin_url="${CI_POSTGRES_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
  if command -v psql >/dev/null 2>&1 && psql "$admin_url" -qAt -c 'SELECT 1' >/dev/null 2>&1; then
    created_db="$(scripts/ci-postgres.sh)"
    export TEST_DATABASE_URL="$created_db"
    echo "test.sh: PostgreSQL variants run on a throwaway database ($TEST_DATABASE_URL)" >&2
  else
    skip 'test(/::postgres::/)' \
      "PostgreSQL variants: TEST_DATABASE_URL is not set and no PostgreSQL answers at $admin_url"
  fi
fi
if [ -z "${THEATER_E2E_SMTP_HOST:-}" ] || [ -z "${THEATER_E2E_MAILDEV_URL:-}" ]; then
  skip 'test(/^e2e_mail::/)' \
    "end-to-end mail suite: no SMTP capture server (eval \"\$(scripts/maildev.sh start)\" first)"
fi
if [ -z "${THEATER_E2E_S3_HOST:-}" ]; then
  skip 'test(/^e2e_s3::/)' \
    "end-to-end S3 suite: no S3 server (eval \"\$(scripts/s3.sh start)\" first)"
fi
if [ ! -d ../shared/data ]; then
  skip 'test(/::shared_/)' "tests on the shared IMDb samples: ../shared/data is not present"
fi

# nextest ORs several -E expressions, so the caller's own filters are folded into one expression
# with the exclusions rather than passed beside them.
user_exprs=()
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    -E | --filterset | --filter-expr)
      [ $# -ge 2 ] || { echo "test.sh: $1 needs an expression" >&2; exit 2; }
      user_exprs+=("($2)")
      shift 2
      ;;
    -E?* ) user_exprs+=("(${1#-E})"); shift ;;
    --filterset=* | --filter-expr=*) user_exprs+=("(${1#*=})"); shift ;;
    *) args+=("$1"); shift ;;
  esac
done

expr=""
if [ ${#user_exprs[@]} -gt 0 ]; then
  expr="($(IFS='|'; echo "${user_exprs[*]}"))"
fi
if [ ${#skips[@]} -gt 0 ]; then
  for i in "${!skips[@]}"; do echo "test.sh: skipped: ${reasons[$i]}" >&2; done
  if [ "${CI:-}" = "true" ]; then
    echo "test.sh: CI=true and tests would be skipped; start the services (.ci/run does)" >&2
    exit 1
  fi
  excluded="not ($(IFS='|'; echo "${skips[*]}"))"
  expr="${expr:+$expr & }$excluded"
fi
filter=()
[ -n "$expr" ] && filter=(-E "$expr")

status=0
cargo nextest run "${filter[@]}" "${args[@]}" || status=$?
if [ ${#skips[@]} -gt 0 ]; then
  echo "test.sh: the skipped count above includes:" >&2
  for i in "${!skips[@]}"; do echo "  - ${reasons[$i]}" >&2; done
fi
exit $status
