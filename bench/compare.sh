#!/usr/bin/env bash
# Tally against its two peer baselines (issues 7 and 15, DESIGN §7), PostgreSQL and Redis, side
# by side in one run on one machine, at equal durability (every acknowledged change fsynced:
# PostgreSQL with fsync and synchronous_commit on, Redis with appendonly yes and appendfsync
# always, Tally with `--sync full`, i.e. SQLite synchronous=FULL), on the same data (ACCOUNTS
# accounts with LOTS lots of varied expiries).
#
# Two operations, on every side, each on a random account, FEFO over its lots:
#   spend  a one-shot spend of 1 credit: one API call, one durable command
#   pair   a hold+capture pair: hold 2 credits, then capture 1.5 of them (0.5 goes back to the
#          lots): two API calls, two durable commands, two PostgreSQL transactions (Redis: one
#          Lua script call doing both, one AOF write, in Redis's favour)
# by:
#   pg          pgbench, CLIENTS connections, bench/postgres_baseline/{spend,hold_capture}.sql
#   redis       redis-benchmark, CLIENTS connections, EVALSHA of bench/redis_baseline/ledger.lua
#   tally spend wrk, CLIENTS connections, one POST /v1/spends per request (bench/hold_capture.lua)
#   tally http  wrk, CLIENTS connections, one request per call (bench/hold_capture.lua)
#   tally batch wrk, CLIENTS connections, /v1/batch of BATCH holds then a batch of their captures
# Latency is the operation's: for a pair from sending the hold to the capture's answer (for
# batch: the batch of holds to the batch of captures). Each side's server CPU and load
# generator CPU per operation are printed, to show the load generator is not the bottleneck.
#
#   bench/compare.sh [seconds per run, default 30]
# Environment: CLIENTS (16), ACCOUNTS (10000), LOTS (5), BATCH (256), WARMUP seconds (5),
# ROUNDS (1: the runs are repeated ROUNDS times, interleaved; the table shows each round and
# the median), TALLY_BIN (default ./build/release/tally; another build, e.g. one made
# elsewhere, with SKIP_BUILD=1), SKIP_SETUP=1 / SKIP_BUILD=1 to reuse what is there.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-30}
clients=${CLIENTS:-16}
accounts=${ACCOUNTS:-10000}
lots=${LOTS:-5}
batch=${BATCH:-256}
warmup=${WARMUP:-5}
rounds=${ROUNDS:-1}
export ACCOUNTS=$accounts LOTS=$lots WARMUP=$warmup

if [ "${SKIP_SETUP:-0}" != 1 ]; then
  ./scripts/setup.sh bench
  # The loader and a free-port lookup are Python; a minimal Debian 12 may lack it.
  if ! command -v python3 >/dev/null; then
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends python3
  fi
fi
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build/release --target tally -j "$(nproc)"
fi
bin=${TALLY_BIN:-./build/release/tally}
[ -x "$bin" ] || { echo "no $bin" >&2; exit 1; }

work=$(mktemp -d /tmp/tally-compare-XXXXXX)
pid=
stop_tally() {
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=
}
trap 'stop_tally; rm -rf "$work"' EXIT

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
TIMEFORMAT='%U %S'

# Runs one Tally mode on a fresh server; appends "tally-<mode> ops/s p50 p99 cpu client".
run_tally() { # $1 = spend | http | batch
  local mode=$1 data="$work/tally-$1" url t0 t1 res client
  export TALLY_ADMIN_KEY=tk_admin_compare TALLY_KEY=tk_admin_compare TALLY_ACCOUNTS=$accounts
  # Removed first: the background job truncates it only once it runs, and the grep below
  # must not find the previous server's address.
  rm -f "$work/serve-$mode.out"
  "$bin" serve --data "$data" --listen 127.0.0.1:0 --sync full >"$work/serve-$mode.out" 2>&1 &
  pid=$!
  for _ in $(seq 100); do grep -q "listening on" "$work/serve-$mode.out" 2>/dev/null && break; sleep 0.1; done
  url=$(grep -o 'http://[0-9.:]*' "$work/serve-$mode.out" | head -1)
  [ -n "$url" ] || { cat "$work/serve-$mode.out" >&2; exit 1; }
  python3 bench/postgres_baseline/load_tally.py "$url" "$TALLY_KEY" "$accounts" "$lots"
  local wrk_args=(-t"$clients" -c"$clients" --timeout 30s -s bench/hold_capture.lua "$url")
  export TALLY_MODE=$mode TALLY_BATCH=$batch
  [ "$warmup" -gt 0 ] && wrk -d"${warmup}s" "${wrk_args[@]}" >/dev/null
  t0=$(ticks "$pid")
  { time wrk -d"${secs}s" "${wrk_args[@]}" >"$work/wrk.out"; } 2>"$work/wrk.time"
  t1=$(ticks "$pid")
  grep -v '^RESULT' "$work/wrk.out" | tail -1 >&2
  res=$(grep '^RESULT' "$work/wrk.out")
  local name rate p50 p99 pairs errors
  read -r _ name rate p50 p99 pairs errors <<<"$res"
  [ "$errors" = 0 ] || echo "warning: tally $mode: $errors failed requests" >&2
  client=$(awk -v p="$pairs" '{printf "%.0f", ($1 + $2) * 1e6 / (p > 0 ? p : 1)}' "$work/wrk.time")
  echo "RESULT $name $rate $p50 $p99 $(( (t1 - t0) * 1000000 / hz / (pairs > 0 ? pairs : 1) ))" \
    "$pairs $errors $client" >>"$work/results"
  stop_tally
  rm -rf "$data"
}

run_pg() { # $1 = spend | pair
  bench/postgres_baseline/run.sh "$secs" "$clients" "$1" >"$work/pg.out" 2>"$work/pg.err" ||
    { cat "$work/pg.err" >&2; exit 1; }
  grep -E '^tps|^latency|pg check|SELECT tally_' "$work/pg.err" >&2 || true
  grep '^RESULT' "$work/pg.out" >>"$work/results"
}

run_redis() { # both modes on one fresh server
  bench/redis_baseline/run.sh "$secs" "$clients" "spend pair" >"$work/redis.out" 2>"$work/redis.err" ||
    { cat "$work/redis.err" >&2; exit 1; }
  grep -E '^redis' "$work/redis.err" >&2 || true
  grep '^RESULT' "$work/redis.out" >>"$work/results"
}

echo "compare: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $accounts accounts x" \
  "$lots lots, $clients clients, ${secs}s per run, $rounds round(s), batch $batch" >&2
for r in $(seq "$rounds"); do
  echo "--- round $r: PostgreSQL spends" >&2; run_pg spend
  echo "--- round $r: Redis spends and pairs" >&2; run_redis
  echo "--- round $r: Tally spends" >&2; run_tally spend
  echo "--- round $r: PostgreSQL pairs" >&2; run_pg pair
  echo "--- round $r: Tally HTTP pairs" >&2; run_tally http
  echo "--- round $r: Tally /v1/batch" >&2; run_tally batch
done

# RESULT name ops/s p50 p99 server-CPU-µs/op ops errors client-CPU-µs/op
sort -s -k2,2 "$work/results" | awk -v rounds="$rounds" -v clients="$clients" -v batch="$batch" '
  { name = $2; n[name]++; rate[name, n[name]] = $3; p50[name, n[name]] = $4; p99[name, n[name]] = $5
    cpu[name, n[name]] = $6; cli[name, n[name]] = $9 }
  function median(a, name, k,   i, j, v, t) {
    for (i = 1; i <= k; i++) v[i] = a[name, i]
    for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
    return k % 2 ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2
  }
  function ratio(r, b) { return b > 0 ? sprintf("%7.2fx", r / b) : sprintf("%8s", "-") }
  # One table: its rows (names), what each operation counts as durable commands, and the
  # PostgreSQL and Redis rows the ratios are against.
  function table(title, names, per, pg, redis,   order, o, name, k, i, r, bp, br) {
    split(names, order, " ")
    bp = median(rate, pg, n[pg]); br = median(rate, redis, n[redis])
    printf "\n%-50s %10s %11s %8s %8s %11s %11s %8s %8s\n", title, "ops/s", "commands/s", "p50 ms",
      "p99 ms", "srv CPU/op", "cli CPU/op", "vs PG", "vs Redis"
    for (o = 1; o in order; o++) {
      name = order[o]; k = n[name]
      if (k == 0) continue
      if (k > 1) for (i = 1; i <= k; i++)
        printf "  %-48s %10.0f %11.0f %8.2f %8.2f %8d us %8d us %s %s\n", label[name] " #" i,
          rate[name, i], per[name] * rate[name, i], p50[name, i], p99[name, i], cpu[name, i],
          cli[name, i], ratio(rate[name, i], bp), ratio(rate[name, i], br)
      r = median(rate, name, k)
      printf "%-50s %10.0f %11.0f %8.2f %8.2f %8d us %8d us %s %s\n", label[name] (k > 1 ? " (median)" : ""),
        r, per[name] * r, median(p50, name, k), median(p99, name, k), median(cpu, name, k),
        median(cli, name, k), ratio(r, bp), ratio(r, br)
    }
  }
  END {
    label["pg-spend"] = sprintf("PostgreSQL 15, pgbench, %d clients", clients)
    label["redis-spend"] = sprintf("Redis 7 Lua, redis-benchmark, %d clients", clients)
    label["tally-spend"] = sprintf("Tally HTTP, 1 call per request, %d conns", clients)
    label["pg"] = label["pg-spend"]
    label["redis-pair"] = sprintf("Redis 7 Lua (1 call per pair), %d clients", clients)
    label["tally-http"] = label["tally-spend"]
    label["tally-batch"] = sprintf("Tally /v1/batch of %d, %d conns", batch, clients)
    per["pg-spend"] = per["redis-spend"] = per["tally-spend"] = 1
    per["pg"] = per["redis-pair"] = per["tally-http"] = per["tally-batch"] = 2
    table("single-request spends of 1 credit", "pg-spend redis-spend tally-spend", per,
      "pg-spend", "redis-spend")
    table("hold+capture pairs (2 durable commands each)", "pg redis-pair tally-http tally-batch",
      per, "pg", "redis-pair")
  }'
