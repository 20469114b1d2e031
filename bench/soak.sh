#!/usr/bin/env bash
# Soak (issue 7): a mixed workload (bench/soak.lua: holds then captures or releases, spends,
# grants, balance and history reads) against a `tally serve` it starts (release build, fresh
# data directory, 127.0.0.1, --sync full), for a given time at a constant account count
# (ACCOUNTS opened with LOTS lots each before the clock starts; none opened during the soak).
# Prints throughput, p50 and p99 per interval, the server's RSS (VmRSS from /proc, sampled
# every 5 s) over time, and at the end `tally verify` on the data directory.
#
# Memory must not grow with time at constant account count (issue 14: with the default
# windows, spends 90 days and keys 7 days). What the ledger keeps in memory is bounded by
# `memory_window` (one minute): older keys, spends and finished holds are only in the store.
# What may grow, by design and bounded: SQLite's page cache (64 MiB per shard) and the
# idempotency key filters (2-4 bytes per key, at most 144 MiB per shard, pruned after the
# retention). The soak flags a leak when the RSS at the end exceeds the RSS at the end of the
# first third of the run by more than GROWTH_MAX_PCT (default 5) percent, and prints the
# growth per request over the run. RETENTION=PT2M runs with both retention windows at 2
# minutes instead (as before issue 14).
#
#   bench/soak.sh [duration, e.g. 600 or 10m; default 10m]
# Environment: INTERVAL seconds (30), CONNS (16), ACCOUNTS (10000), LOTS (5), RETENTION
# (default | PT2M ...), GRANT_VALIDITY (PT2M), GROWTH_MAX_PCT (5), SKIP_BUILD=1, KEEP=1,
# TALLY_BIN (a tally binary to run instead of build/release/tally, e.g. an older build).
set -euo pipefail
cd "$(dirname "$0")/.."
dur=${1:-10m}
case "$dur" in *m) dur=$(( ${dur%m} * 60 ));; *s) dur=${dur%s};; esac
interval=${INTERVAL:-30}
conns=${CONNS:-16}
accounts=${ACCOUNTS:-10000}
lots=${LOTS:-5}
retention=${RETENTION:-default}
growth_max=${GROWTH_MAX_PCT:-5}
bin=${TALLY_BIN:-./build/release/tally}
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  ./scripts/setup.sh bench
  if ! command -v python3 >/dev/null; then  # the loader; a minimal Debian 12 may lack it
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends python3
  fi
  cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build/release --target tally -j "$(nproc)" >/dev/null
fi
[ -x "$bin" ] || { echo "no $bin" >&2; exit 1; }

work=$(mktemp -d /tmp/tally-soak-XXXXXX)
pid= sampler=
cleanup() {
  [ -n "$sampler" ] && kill "$sampler" 2>/dev/null
  [ -n "$pid" ] && { kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; }
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

config_args=()
if [ "$retention" != default ]; then
  # The built-in configuration with shorter retention windows.
  awk -v r="$retention" '{print} /^\[ledger\]$/ {print "spend_retention = \"" r "\""
    print "idempotency_retention = \"" r "\""}' config/default.toml >"$work/soak.toml"
  config_args=(--config "$work/soak.toml")
fi
export TALLY_ADMIN_KEY=tk_admin_soak TALLY_KEY=tk_admin_soak TALLY_ACCOUNTS=$accounts
export TALLY_GRANT_VALIDITY=${GRANT_VALIDITY:-PT2M}
"$bin" serve --data "$work/data" --listen 127.0.0.1:0 --sync full "${config_args[@]}" \
  >"$work/serve.out" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q "listening on" "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
url=$(grep -o 'http://[0-9.:]*' "$work/serve.out" | head -1)
[ -n "$url" ] || { cat "$work/serve.out" >&2; exit 1; }
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }

python3 bench/postgres_baseline/load_tally.py "$url" "$TALLY_KEY" "$accounts" "$lots"
rss_loaded=$(rss_kib)
start=$(date +%s)
( while kill -0 "$pid" 2>/dev/null; do
    echo "$(( $(date +%s) - start )) $(rss_kib)"; sleep 5
  done ) >"$work/rss" 2>/dev/null &
sampler=$!

echo "soak: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), ${dur}s in ${interval}s" \
  "intervals, $conns connections, $accounts accounts x $lots lots, retention $retention," \
  "grants valid for $TALLY_GRANT_VALIDITY, server pid $pid, RSS after load $((rss_loaded / 1024)) MiB"
# Server CPU per request (user + system, from /proc): steadier than the rate on a shared VM.
printf '%8s %10s %9s %9s %9s %11s %9s %10s  %s\n' "t (s)" "requests" "req/s" "p50 ms" "p99 ms" \
  "CPU/req us" "failed" "RSS MiB" "failures by kind"
hz=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
t=0 total=0 failed_total=0 cmds0=0
while [ "$t" -lt "$dur" ]; do
  d=$(( dur - t < interval ? dur - t : interval ))
  c0=$(ticks)
  out=$(wrk -t"$conns" -c"$conns" -d"${d}s" --timeout 30s -s bench/soak.lua "$url" | grep '^INTERVAL')
  read -r _ rate p50 p99 requests failed kinds <<<"$out"
  t=$(( $(date +%s) - start ))
  cpu=$(( ($(ticks) - c0) * 1000000 / hz / (requests > 0 ? requests : 1) ))
  total=$((total + requests)) failed_total=$((failed_total + failed))
  printf '%8d %10d %9.0f %9.2f %9.2f %11d %9d %10.1f  %s\n' "$t" "$requests" "$rate" "$p50" \
    "$p99" "$cpu" "$failed" "$(rss_kib | awk '{print $1 / 1024}')" "${kinds:-}"
  echo "$t $rate $p99" >>"$work/intervals"
done
kill "$sampler" 2>/dev/null; sampler=
rss_end=$(rss_kib)

# RSS over time: at the end of the first third, the maximum, the end.
third=$(awk -v d="$dur" '$1 <= d / 3 {v = $2} END {print v}' "$work/rss")
rss_max=$(awk '$2 > m {m = $2} END {print m}' "$work/rss")
echo "requests: $total in ${t}s ($((total / (t > 0 ? t : 1)))/s), failed $failed_total;" \
  "p99 per interval: $(awk '{print $3}' "$work/intervals" | sort -n | awk '{v[NR]=$1} END {print "min " v[1] " ms, median " v[int((NR+1)/2)] " ms, max " v[NR] " ms"}')"
echo "RSS (MiB): after load $((rss_loaded / 1024)), at t=$((dur / 3))s $((third / 1024)), max $((rss_max / 1024)), end $((rss_end / 1024))"
echo "RSS samples every 5 s (t s, MiB): $(awk 'NR % 6 == 1 {printf "%s:%.0f ", $1, $2 / 1024}' "$work/rss")"
status=0
[ "$retention" = PT2M ] && [ "$dur" -lt 450 ] &&
  echo "note: with 2-minute windows the first third must outlast them (>= 450 s) for a verdict"
echo "growth after load: $(( (rss_end - rss_loaded) * 1024 / (total > 0 ? total : 1) )) B per request;" \
  "from t=$((dur / 3))s to the end: $(( (rss_end - third) * 1024 / (total > 0 ? total * 2 / 3 : 1) )) B per request"
growth=$(awk -v a="$third" -v b="$rss_end" 'BEGIN {printf "%.1f", (b - a) * 100 / a}')
if awk -v g="$growth" -v m="$growth_max" 'BEGIN {exit !(g > m)}'; then
  echo "MEMORY GROWTH: RSS grew ${growth}% from t=$((dur / 3))s to the end (threshold ${growth_max}%)"
  status=1
else
  echo "memory: RSS changed ${growth}% from t=$((dur / 3))s to the end (threshold ${growth_max}%): steady"
fi
kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; pid=
"$bin" verify --data "$work/data" "${config_args[@]}" | tail -3
exit "$status"
