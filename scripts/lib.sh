# Shell helpers shared by the project's scripts (sourced, not run).

# Prints a TCP port on 127.0.0.1 that nothing listens on right now (the kernel picks it).
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# e2e_exports NAME=VALUE...: prints one `export THEATER_E2E_NAME=VALUE` line each, the settings the
# end-to-end tests read (values hold no spaces).
e2e_exports() {
  local pair
  for pair in "$@"; do printf 'export THEATER_E2E_%s\n' "$pair"; done
}

# A random 64-hex-digit secret (for SECRET_KEY_* and throwaway passwords).
random_secret() { python3 -c 'import secrets; print(secrets.token_hex(32))'; }

# wait_healthy URL PID LOG: waits up to 30 s for URL/health to answer 200; fails, printing LOG, as
# soon as the process PID has exited.
wait_healthy() {
  local url="$1" pid="$2" log="$3"
  for _ in $(seq 1 60); do
    curl -fsS "$url/health" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; return 1; }
    sleep 0.5
  done
  echo "no answer from $url/health after 30 s" >&2
  return 1
}

# Prints the path of the service's debug build, building it first (a no-op when the tests built it;
# honours CARGO_TARGET_DIR). Run from the repository root.
theater_bin() {
  cargo build --locked --quiet && echo "${CARGO_TARGET_DIR:-$PWD/target}/debug/theater"
}

# Stops the service a script started in the background (its pid in SERVER_PID) and removes the
# script's scratch directory (WORK); both may be empty. For `trap stop_server EXIT`.
stop_server() {
  if [ -n "${SERVER_PID:-}" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  SERVER_PID=""
  if [ -n "${WORK:-}" ]; then rm -rf "$WORK"; fi
  WORK=""
}
