#!/usr/bin/env bash
# The Redis peer baseline: starts a private redis-server 7 (Debian 12's) in a temporary
# directory on 127.0.0.1 and a free port, with `appendonly yes` and `appendfsync always` (every
# acknowledged change fsynced to the AOF before the reply, as Tally's synchronous=FULL and
# PostgreSQL's synchronous_commit), loads ACCOUNTS accounts with LOTS lots each through
# ledger.lua (the data load.sql gives PostgreSQL), runs redis-benchmark against the Lua script
# (EVALSHA, one random account per call) for each mode, and prints one line per mode:
#   RESULT redis-<mode> <ops/s> <p50 ms> <p99 ms> <server CPU µs/op> <ops> <errors> <redis-benchmark CPU µs/op>
# Modes: spend (a FEFO spend of 1 credit) and pair (hold 2 credits FEFO, capture 1.5: one
# script call per pair, so one AOF write where Tally and PostgreSQL commit twice).
# The server is stopped and its directory removed at exit; no system-wide Redis is used.
#   bench/redis_baseline/run.sh [seconds] [clients] [modes, default "spend pair"]
# Environment: ACCOUNTS (10000), LOTS (5), WARMUP seconds (5), REDIS_KEEP=1 keeps the directory.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
secs=${1:-30}
clients=${2:-16}
modes=${3:-spend pair}
accounts=${ACCOUNTS:-10000}
lots=${LOTS:-5}
warmup=${WARMUP:-5}
if ! command -v redis-server >/dev/null || ! command -v redis-benchmark >/dev/null; then
  echo "no redis-server/redis-benchmark: scripts/setup.sh bench" >&2; exit 1
fi

dir=$(mktemp -d /tmp/tally-redis-baseline-XXXXXX)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  [ "${REDIS_KEEP:-0}" = 1 ] && { echo "kept $dir" >&2; return; }
  rm -rf "$dir"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --daemonize no --save '' \
  --appendonly yes --appendfsync always --logfile "$dir/server.log" &
pid=$!
cli=(redis-cli -h 127.0.0.1 -p "$port")
for _ in $(seq 100); do "${cli[@]}" ping >/dev/null 2>&1 && break; sleep 0.1; done
sha=$("${cli[@]}" script load "$(cat "$here/ledger.lua")")
"${cli[@]}" evalsha "$sha" 0 load "$accounts" "$lots" >/dev/null
echo "redis: $accounts accounts x $lots lots loaded; $(redis-server --version | cut -d' ' -f3)," \
  "appendonly=$("${cli[@]}" config get appendonly | tail -1)," \
  "appendfsync=$("${cli[@]}" config get appendfsync | tail -1)" >&2

ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
TIMEFORMAT='%U %S'
for mode in $modes; do
  case $mode in
    spend) command=(evalsha "$sha" 0 spend __rand_int__ 1) ;;
    pair) command=(evalsha "$sha" 0 pair __rand_int__) ;;
    *) echo "unknown mode $mode" >&2; exit 1 ;;
  esac
  # redis-benchmark runs a number of requests, not a duration: the warmup measures the rate
  # and the run asks for secs of it.
  bench=(redis-benchmark -h 127.0.0.1 -p "$port" -c "$clients" -r "$accounts" --csv)
  n=$(( warmup > 0 ? warmup * 500 : 2000 ))
  rate=$("${bench[@]}" -n "$n" "${command[@]}" | awk -F'"' 'NR == 2 {printf "%.0f", $4}')
  n=$(( ${rate:-1000} * secs ))
  t0=$(ticks)
  # redis-benchmark stops at the first error reply (e.g. insufficient_credits): a failed run.
  { time "${bench[@]}" -n "$n" "${command[@]}" >"$dir/bench.out" 2>"$dir/bench.err"; } \
    2>"$dir/bench.time" || { echo "redis $mode failed:" >&2; cat "$dir/bench.err" >&2; exit 1; }
  t1=$(ticks)
  # "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
  read -r rps p50 p99 < <(awk -F'"' 'NR == 2 {print $4, $10, $14}' "$dir/bench.out")
  client=$(awk -v p="$n" '{printf "%.0f", ($1 + $2) * 1e6 / p}' "$dir/bench.time")
  echo "redis $mode: $n calls, $rps/s, p50 $p50 ms, p99 $p99 ms" >&2
  echo "RESULT redis-$mode $rps $p50 $p99 $(( (t1 - t0) * 1000000 / $(getconf CLK_TCK) / n )) $n" \
    "0 $client"
done
read -r -d '' naccounts bad spends holds consumed < <("${cli[@]}" evalsha "$sha" 0 check; printf '\0') || true
echo "redis check: $naccounts accounts, $spends spends, $holds holds, $consumed micro-credits" \
  "consumed; lots consistent with accounts and spends: $([ "$bad" = 0 ] && echo t || echo "f ($bad bad)")" >&2
