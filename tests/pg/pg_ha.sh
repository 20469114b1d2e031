#!/usr/bin/env bash
# A PostgreSQL 15 primary with a synchronous streaming-replication standby, on 127.0.0.1 (issue
# 16, docs/deploy.md "PostgreSQL itself highly available"): what tests/server/pg_ha_test.cc
# runs Tally on, kills and promotes. The test starts it, and stops it, itself.
#   pg_ha.sh start STATE        initdb the primary, pg_basebackup -R the standby from it, start
#                               both; STATE/url is the multi-host URL Tally uses
#                               (target_session_attrs=read-write), STATE/primary_url and
#                               STATE/standby_url each server's own
#   pg_ha.sh kill-primary STATE SIGKILL the primary's postmaster and every backend of it (its
#                               process group: pg_ctl starts the postmaster in a session of its
#                               own), as if its machine died
#   pg_ha.sh promote STATE      pg_ctl promote the standby, waiting until it takes writes
#   pg_ha.sh stop STATE         stop what still runs (immediate) and remove the directory
# The primary waits for the standby's flush before a commit returns (synchronous_standby_names
# names it, synchronous_commit = on). The standby's own synchronous_standby_names is empty: once
# promoted it is a primary without a standby (as Patroni's default, synchronous_mode_strict off),
# rather than one whose every commit waits for ever. fsync = off, as pg_cluster.sh: the tests kill
# processes, never the machine, and the page cache outlives a process.
set -euo pipefail
cmd=${1:?start, kill-primary, promote or stop}
state=${2:?state directory}
. "$(dirname "$0")/pg_common.sh"

case "$cmd" in
start)
  new_cluster "$state" tally-pg-ha primary
  p1=$(free_port)
  { base_conf "$p1"; cat <<CONF; } >"$dir/primary/postgresql.auto.conf"
wal_level = replica
max_wal_senders = 4
synchronous_standby_names = 'tally_standby'
CONF
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$dir/primary" -l "$dir/primary.log" -w -t 60 start >/dev/null \
    || { tail -5 "$dir/primary.log" >&2; exit 1; }
  # The standby: a copy of the primary that follows its WAL (-R writes primary_conninfo and
  # standby.signal). Its application_name is the name the primary waits for.
  "${as_pg[@]}" "$pgbin/pg_basebackup" -h 127.0.0.1 -p "$p1" -U tally -D "$dir/standby" -R \
    -X stream -c fast >"$dir/basebackup.log" 2>&1 || { cat "$dir/basebackup.log" >&2; exit 1; }
  p2=$(free_port)
  cat >>"$dir/standby/postgresql.auto.conf" <<CONF
port = $p2
primary_conninfo = 'host=127.0.0.1 port=$p1 user=tally application_name=tally_standby'
synchronous_standby_names = ''
CONF
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$dir/standby" -l "$dir/standby.log" -w -t 60 start >/dev/null \
    || { tail -5 "$dir/standby.log" >&2; exit 1; }
  # Ready once the primary counts the standby as synchronous: before that, commits would wait.
  for _ in $(seq 1 100); do
    s=$("$pgbin/psql" -h 127.0.0.1 -p "$p1" -U tally -d postgres -Atc \
      "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'tally_standby'" || true)
    [ "$s" = "sync" ] && break
    sleep 0.1
  done
  [ "$s" = "sync" ] || { echo "pg_ha: the standby did not become synchronous" >&2; exit 1; }
  echo "postgresql://tally@127.0.0.1:$p1/postgres" >"$state/primary_url"
  echo "postgresql://tally@127.0.0.1:$p2/postgres" >"$state/standby_url"
  echo "postgresql://tally@127.0.0.1:$p1,127.0.0.1:$p2/postgres?target_session_attrs=read-write" \
    >"$state/url"
  echo "pg_ha: primary 127.0.0.1:$p1, synchronous standby 127.0.0.1:$p2 ($dir)"
  ;;
kill-primary)
  dir=$(cat "$state/dir")
  pid=$(head -1 "$dir/primary/postmaster.pid")
  # Its process group is its own (pg_ctl runs it under setsid): the postmaster and its backends.
  [ "$(awk '{print $5}' "/proc/$pid/stat")" = "$pid" ] || { echo "pg_ha: $pid leads no group" >&2; exit 1; }
  kill -KILL -- "-$pid"
  ;;
promote)
  dir=$(cat "$state/dir")
  (cd "$dir" && "${as_pg[@]}" "$pgbin/pg_ctl" -D "$dir/standby" -w -t 60 promote >/dev/null)
  ;;
stop)
  [ -f "$state/dir" ] || exit 0
  dir=$(cat "$state/dir")
  for d in primary standby; do
    if [ -f "$dir/$d/postmaster.pid" ]; then
      (cd "$dir" && "${as_pg[@]}" "$pgbin/pg_ctl" -D "$dir/$d" -m immediate -w -t 60 stop \
        >/dev/null 2>&1) || true
    fi
  done
  rm -rf "$dir"
  rm -f "$state/dir" "$state/url" "$state/primary_url" "$state/standby_url"
  ;;
*)
  echo "usage: pg_ha.sh start|kill-primary|promote|stop STATE" >&2
  exit 2
  ;;
esac
