# shellcheck shell=bash
# Shared by the install tests: start a `tally serve` on 127.0.0.1, port 0 (the kernel picks a
# free one), and read the address it prints; stop it on exit.
#   start_server LOG tally serve ... --listen 127.0.0.1:0   sets SERVER_PID and SERVER_URL
# The caller's EXIT trap must call stop_server.

SERVER_PID=""
SERVER_URL=""

start_server() {
  local log=$1
  shift
  # Made here, not by the background redirect: the first sed below may run before the
  # background shell opens it, and a sed that cannot read it ends a `set -e` script.
  : >"$log"
  "$@" >"$log" 2>&1 &
  SERVER_PID=$!
  local _
  for _ in $(seq 1 600); do  # up to 60 s: --demo seeds three months of history first
    SERVER_URL=$(sed -n 's/^tally: listening on //p' "$log")
    [ -n "$SERVER_URL" ] && return 0
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      echo "FAIL: the server exited before listening:" >&2
      cat "$log" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "FAIL: the server did not listen within 60 s:" >&2
  cat "$log" >&2
  return 1
}

stop_server() {
  [ -n "$SERVER_PID" ] || return 0
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}
