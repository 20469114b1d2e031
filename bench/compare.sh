#!/usr/bin/env bash
# Tally against the PostgreSQL peer baseline (issue 7, DESIGN §7), side by side in one run on
# one machine, at equal durability (every acknowledged change fsynced: PostgreSQL with fsync
# and synchronous_commit on, Tally with `--sync full`, i.e. SQLite synchronous=FULL), on the
# same data (ACCOUNTS accounts with LOTS lots of varied expiries).
#
# One operation, on every side, is a hold+capture pair: hold 2 credits on a random account
# (FEFO over its lots), then capture 1.5 of them (0.5 goes back to the lots). That is two API
# calls, two durable commands, two PostgreSQL transactions:
#   pg          pgbench, CLIENTS connections, bench/postgres_baseline/hold_capture.sql
#   tally http  wrk, CLIENTS connections, one request per call (bench/hold_capture.lua)
#   tally batch wrk, CLIENTS connections, /v1/batch of BATCH holds then a batch of their captures
# Latency is the pair's: from sending the hold to the capture's answer (for batch: the batch
# of holds to the batch of captures).
#
#   bench/compare.sh [seconds per run, default 30]
# Environment: CLIENTS (16), ACCOUNTS (10000), LOTS (5), BATCH (256), WARMUP seconds (5),
# ROUNDS (1: the three runs are repeated ROUNDS times, interleaved; the table shows each round
# and the median), SKIP_SETUP=1 / SKIP_BUILD=1 to reuse what is there.
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
bin=./build/release/tally
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

# Runs one Tally mode on a fresh server; appends "tally-<mode> pairs/s p50 p99 cpu client".
run_tally() { # $1 = http | batch
  local mode=$1 data="$work/tally-$1" url t0 t1 out res client
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

run_pg() {
  bench/postgres_baseline/run.sh "$secs" "$clients" >"$work/pg.out" 2>"$work/pg.err" ||
    { cat "$work/pg.err" >&2; exit 1; }
  grep -E '^tps|^latency|pg check|SELECT tally_' "$work/pg.err" >&2 || true
  grep '^RESULT' "$work/pg.out" >>"$work/results"
}

echo "compare: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $accounts accounts x" \
  "$lots lots, $clients clients, ${secs}s per run, $rounds round(s), batch $batch" >&2
for r in $(seq "$rounds"); do
  echo "--- round $r: PostgreSQL" >&2; run_pg
  echo "--- round $r: Tally HTTP" >&2; run_tally http
  echo "--- round $r: Tally /v1/batch" >&2; run_tally batch
done

# RESULT name pairs/s p50 p99 server-CPU-µs/pair pairs errors client-CPU-µs/pair
sort -s -k2,2 "$work/results" | awk -v rounds="$rounds" -v clients="$clients" -v batch="$batch" '
  { name = $2; n[name]++; rate[name, n[name]] = $3; p50[name, n[name]] = $4; p99[name, n[name]] = $5
    cpu[name, n[name]] = $6; cli[name, n[name]] = $9 }
  function median(a, name, k,   i, j, v, t) {
    for (i = 1; i <= k; i++) v[i] = a[name, i]
    for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
    return k % 2 ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2
  }
  END {
    label["pg"] = sprintf("PostgreSQL 15, pgbench, %d clients", clients)
    label["tally-http"] = sprintf("Tally HTTP, 1 call per request, %d conns", clients)
    label["tally-batch"] = sprintf("Tally /v1/batch of %d, %d conns", batch, clients)
    split("pg tally-http tally-batch", order, " ")
    base = median(rate, "pg", n["pg"])
    printf "\n%-50s %12s %12s %9s %9s %13s %13s %8s\n", "hold+capture pairs (2 durable commands each)",
      "pairs/s", "commands/s", "p50 ms", "p99 ms", "srv CPU/pair", "cli CPU/pair", "vs PG"
    for (o = 1; o <= 3; o++) {
      name = order[o]; k = n[name]
      if (k > 1) for (i = 1; i <= k; i++)
        printf "  %-48s %12.0f %12.0f %9.2f %9.2f %10d us %10d us %7.1fx\n", label[name] " #" i,
          rate[name, i], 2 * rate[name, i], p50[name, i], p99[name, i], cpu[name, i], cli[name, i],
          rate[name, i] / base
      r = median(rate, name, k)
      printf "%-50s %12.0f %12.0f %9.2f %9.2f %10d us %10d us %7.1fx\n", label[name] (k > 1 ? " (median)" : ""),
        r, 2 * r, median(p50, name, k), median(p99, name, k), median(cpu, name, k), median(cli, name, k), r / base
    }
  }'
