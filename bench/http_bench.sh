#!/usr/bin/env bash
# HTTP end to end (DESIGN §7): durable one-shot spends and holds, one per request, with
# keep-alive (wrk), and spends through /v1/batch. Starts its own `tally serve` (release build,
# synchronous=FULL, 2 shards) on a fresh data directory and stops it.
#   bench/http_bench.sh [seconds] [connections]
# TALLY_SERVE_ARGS: more options for `tally serve` (e.g. "--http-threads 1"), to compare layouts.
# TALLY_DURING: a shell command run over and over while each mode runs, with $data the server's
# data directory and $n a counter (e.g. 'rm -rf /tmp/b; "$bin" backup --data "$data" --to /tmp/b'),
# to measure what it costs the server.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
conns=${2:-64}
bin=${TALLY_BIN:-./build/release/tally}  # TALLY_BIN: another build, to compare
[ -x "$bin" ] || { echo "build first: make release" >&2; exit 1; }
data=$(mktemp -d /tmp/tally-http-bench-XXXXXX)
export TALLY_KEY=tk_admin_bench TALLY_ADMIN_KEY=tk_admin_bench TALLY_ACCOUNTS=1000
# shellcheck disable=SC2086  # TALLY_SERVE_ARGS is a list of words
"$bin" serve --data "$data" --listen 127.0.0.1:0 --shards 2 ${TALLY_SERVE_ARGS:-} > "$data/out" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 50); do grep -q "listening on" "$data/out" 2>/dev/null && break; sleep 0.1; done
url=$(grep -o 'http://[0-9.:]*' "$data/out" | head -1)

# Accounts with plenty of credits, 500 per batch.
body() { # $1 = first, $2 = last
  local items=()
  for i in $(seq "$1" "$2"); do
    items+=("{\"method\":\"POST\",\"path\":\"/v1/accounts\",\"idempotency_key\":\"open-$i\",\"body\":{\"id\":\"bench-$i\",\"plan\":null}}")
    items+=("{\"method\":\"POST\",\"path\":\"/v1/accounts/bench-$i/grants\",\"idempotency_key\":\"grant-$i\",\"body\":{\"amount\":\"1000000\",\"reason\":\"bench\",\"never_expires\":true}}")
  done
  local IFS=,
  echo "{\"requests\":[${items[*]}]}"
}
for start in $(seq 0 250 $((TALLY_ACCOUNTS - 1))); do
  body "$start" $((start + 249)) | curl -sf -o /dev/null -X POST "$url/v1/batch" \
    -H "Authorization: Bearer $TALLY_KEY" -H 'Content-Type: application/json' --data-binary @-
done

# Context switches of every server thread so far (voluntary and not), from /proc.
switches() { cat /proc/$pid/task/*/status 2>/dev/null | awk '/ctxt_switches/ { n += $2 } END { print n }'; }
# CPU ticks so far by thread kind (the threads' names without their number: http, shard,
# commit, project; docs/operations.md), one "kind ticks" line each.
threads_cpu() {
  for t in /proc/$pid/task/*; do
    echo "$(sed 's/-[0-9]*$//' "$t/comm" 2>/dev/null) $(awk '{print $14 + $15}' "$t/stat" 2>/dev/null)"
  done | awk 'NF == 2 { n[$1] += $2 } END { for (k in n) print k, n[k] }' | sort
}
echo "tally http bench: $(nproc) cores, $conns connections, ${secs}s each, synchronous=FULL"
echo "server pid $pid"
for mode in ${MODES:-spend hold batch}; do
  c=$conns
  [ "$mode" = batch ] && c=16
  # Server CPU time per command (user + system, from /proc): steadier than wall-clock rates
  # on a shared machine.
  t0=$(awk '{print $14 + $15}' /proc/$pid/stat)
  cs0=$(switches)
  threads_cpu > "$data/cpu0"
  during=
  if [ -n "${TALLY_DURING:-}" ]; then
    (n=0; while [ ! -e "$data.stop" ]; do n=$((n + 1)); eval "$TALLY_DURING"; done) &
    during=$!
  fi
  out=$(TALLY_MODE=$mode TALLY_BATCH=256 wrk -t2 -c"$c" -d"${secs}s" -s bench/http_spend.lua "$url")
  t1=$(awk '{print $14 + $15}' /proc/$pid/stat)
  cs1=$(switches)
  threads_cpu > "$data/cpu1"
  if [ -n "$during" ]; then touch "$data.stop"; wait "$during" || true; rm -f "$data.stop"; fi
  requests=$(grep -o '[0-9]* requests in' <<< "$out" | grep -o '^[0-9]*')
  per=1; [ "$mode" = batch ] && per=256
  echo "$(grep -m1 Latency <<< "$out" | tr -s ' ')"
  echo "$(tail -1 <<< "$out")  server CPU/command $(( (t1 - t0) * 1000000 / $(getconf CLK_TCK) * 1000 / (requests * per) )) ns, context switches/request $(awk -v d=$((cs1 - cs0)) -v r="$requests" 'BEGIN { printf "%.2f", d / r }')"
  # Where the server's CPU went, µs per command by thread kind.
  echo "  by thread (µs/command): $(join "$data/cpu0" "$data/cpu1" | awk -v hz="$(getconf CLK_TCK)" \
    -v n=$((requests * per)) '{ printf "%s %.1f  ", $1, ($3 - $2) * 1e6 / hz / n }')"
done
