#!/usr/bin/env bash
# The PostgreSQL peer baseline: starts a private PostgreSQL 15 cluster in a temporary directory
# (127.0.0.1 on a free port, fsync, synchronous_commit and full_page_writes on: the defaults,
# stated explicitly), loads ACCOUNTS accounts with LOTS lots each, runs pgbench with
# hold_capture.sql (mode pair) or spend.sql (mode spend) and prints one line:
#   RESULT pg <pairs/s> <p50 ms> <p99 ms> <server CPU µs/pair> <pairs> <failed> <pgbench CPU µs/pair>
# (mode spend: RESULT pg-spend, per spend). p50/p99 are of the pair (hold call + capture call)
# or the spend, from pgbench's per-transaction log.
# The cluster is stopped and removed at exit. Works as root (PostgreSQL runs as the
# `postgres` user) and as a normal user.
#   bench/postgres_baseline/run.sh [seconds] [clients] [pair|spend, default pair]
# Environment: ACCOUNTS (10000), LOTS (5), WARMUP seconds (5), PG_SHARED_BUFFERS (512MB),
# PG_CONF (extra postgresql.conf lines, for diagnosis only, e.g. "synchronous_commit = off"),
# PG_KEEP=1 keeps the directory for a look afterwards.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
secs=${1:-30}
clients=${2:-16}
mode=${3:-pair}
case $mode in
  pair) script=hold_capture.sql name=pg ;;
  spend) script=spend.sql name=pg-spend ;;
  *) echo "unknown mode $mode" >&2; exit 1 ;;
esac
accounts=${ACCOUNTS:-10000}
lots=${LOTS:-5}
warmup=${WARMUP:-5}
pgbin=${PGBIN:-/usr/lib/postgresql/15/bin}
[ -x "$pgbin/initdb" ] || { echo "no PostgreSQL 15 in $pgbin: scripts/setup.sh bench" >&2; exit 1; }

as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || { echo "root needs the postgres user (package postgresql)" >&2; exit 1; }
  as_pg=(runuser -u postgres --)
fi
dir=$(mktemp -d /tmp/tally-pg-baseline-XXXXXX)
chmod 755 "$dir"
[ ${#as_pg[@]} -eq 0 ] || chown postgres: "$dir"
cleanup() {
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  [ "${PG_KEEP:-0}" = 1 ] && { echo "kept $dir" >&2; return; }
  rm -rf "$dir"
}
trap cleanup EXIT
cd "$dir"  # a directory the postgres user may enter (the caller's may be private)

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"${as_pg[@]}" "$pgbin/initdb" -D "$dir/data" -U bench --auth=trust -E UTF8 --no-instructions \
  >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
shared_buffers = ${PG_SHARED_BUFFERS:-512MB}
max_connections = 100
# Equal durability with Tally's synchronous=FULL: every commit is fsynced before it returns.
fsync = on
synchronous_commit = on
full_page_writes = on
wal_sync_method = fdatasync
# Room for a whole run without a forced checkpoint (in PostgreSQL's favour).
max_wal_size = 8GB
checkpoint_timeout = 15min
${PG_CONF:-}
CONF
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w start >/dev/null
psql=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U bench -d postgres)
"${psql[@]}" -f "$here/schema.sql" -f "$here/functions.sql"
"${psql[@]}" -v accounts="$accounts" -v lots="$lots" -f "$here/load.sql"
"${psql[@]}" -c 'VACUUM ANALYZE' -c 'CHECKPOINT'
echo "pg: $accounts accounts x $lots lots loaded; $("${psql[@]}" -Atc 'SHOW server_version')," \
  "fsync=$("${psql[@]}" -Atc 'SHOW fsync')," \
  "synchronous_commit=$("${psql[@]}" -Atc 'SHOW synchronous_commit')," \
  "full_page_writes=$("${psql[@]}" -Atc 'SHOW full_page_writes')" >&2

pgbench=(pgbench -n -M prepared -h 127.0.0.1 -p "$port" -U bench -c "$clients" -j $((clients < 2 ? 1 : 2))
  -D accounts="$accounts" -f "$here/$script" postgres)
[ "$warmup" -gt 0 ] && "${pgbench[@]}" -T "$warmup" >/dev/null 2>&1

# Server CPU: the postmaster's reaped children (the pgbench backends exit with their
# connections) plus its live processes (WAL writer, checkpointer, autovacuum ...), in ticks.
pm=$(head -1 "$dir/data/postmaster.pid")
server_ticks() {
  local t=0 p
  t=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$pm/stat")
  for p in $(pgrep -P "$pm"); do
    t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$t"
}
t0=$(server_ticks)
TIMEFORMAT='%U %S'
{ time ("${pgbench[@]}" -T "$secs" -r -l --log-prefix=pairs >"$dir/pgbench.out" 2>&1); } \
  2>"$dir/pgbench.time" || { cat "$dir/pgbench.out" >&2; exit 1; }
t1=$(server_ticks)
cat "$dir/pgbench.out" >&2
pairs=$(awk '/number of transactions actually processed/ {print $NF}' "$dir/pgbench.out" | cut -d/ -f1)
failed=$(awk '/number of failed transactions/ {print $5}' "$dir/pgbench.out")
tps=$(awk '/^tps = / {print $3}' "$dir/pgbench.out")
# Pair latencies (µs, third field of pgbench's log), sorted for the percentiles.
read -r p50 p99 < <(cat "$dir"/pairs.* | awk '{print $3}' | sort -n |
  awk '{v[NR] = $1} END {printf "%.2f %.2f\n", v[int(NR * 0.50) + 1] / 1000, v[int(NR * 0.99) + 1] / 1000}')
cpu=$(( (t1 - t0) * 1000000 / $(getconf CLK_TCK) / (pairs > 0 ? pairs : 1) ))
"${psql[@]}" -Atc "SELECT 'pg check: holds ' || count(*) FILTER (WHERE state = 'captured') || ' captured, ' ||
  count(*) FILTER (WHERE state = 'active') || ' active; lots consistent with accounts: ' ||
  (SELECT bool_and(a.available = l.r AND a.held = l.h) FROM accounts a JOIN
    (SELECT account_id, sum(remaining) r, sum(held) h FROM lots GROUP BY account_id) l
    ON l.account_id = a.id) FROM holds" >&2
client=$(awk -v p="$pairs" '{printf "%.0f", ($1 + $2) * 1e6 / (p > 0 ? p : 1)}' "$dir/pgbench.time")
echo "RESULT $name $tps $p50 $p99 $cpu $pairs ${failed:-0} $client"
