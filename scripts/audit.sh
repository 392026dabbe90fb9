#!/usr/bin/env bash
# Dependency audit with cargo-deny (installed once from crates.io into the tools cache): licenses,
# banned crates and sources always; RustSec advisories when the advisory database can be fetched
# (it lives on GitHub, which some build machines cannot reach — then the skip is said out loud).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/tools.sh cargo-deny
DENY="${THEATER_TOOLS_DIR:-$HOME/.cache/theater-tools}/bin/cargo-deny"

"$DENY" --log-level error check licenses bans sources

if timeout 30 "$DENY" --log-level error fetch db >/dev/null 2>&1; then
  "$DENY" --log-level error check advisories
else
  echo "audit: skipped the RustSec advisory check: its database (github.com/rustsec/advisory-db) is unreachable from this machine"
fi
