#!/usr/bin/env bash
# A private PostgreSQL 15 server for the tests (issue 16), on 127.0.0.1 only, a free port.
#   pg_cluster.sh start STATE   initdb into a new temporary directory, start the server, write
#                               its URL to STATE/url (and the directory to STATE/dir)
#   pg_cluster.sh stop STATE    stop it (fast shutdown) and remove its directory
# STATE is a directory of the caller's (the build tree); the cluster itself lives under /tmp so
# that the `postgres` user can reach it. As root (CI), PostgreSQL runs as `postgres` (it refuses
# to run as root): the Debian package postgresql-15 creates that user. ctest runs start and stop
# as the setup and cleanup of the fixture `pg` (tests/pg/CMakeLists.txt).
#
# The tests kill Tally, never the machine: the cluster runs with fsync = off to spare the shared
# disk; synchronous_commit is on, as Tally sets it for its own sessions. PG_CONF adds lines to
# postgresql.auto.conf (later lines win): PG_CONF=$'fsync = on\nshared_buffers = 512MB' for a
# benchmark at full durability (docs/BENCHMARKS.md).
set -euo pipefail
cmd=${1:?start or stop}
state=${2:?state directory}
. "$(dirname "$0")/pg_common.sh"

case "$cmd" in
start)
  new_cluster "$state" tally-pg-test data
  # Another process may take the free port before the server binds it: tried again.
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    { base_conf "$port"; echo "${PG_CONF:-}"; } >"$dir/data/postgresql.auto.conf"
    if "${as_pg[@]}" "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null; then
      echo "postgresql://tally@127.0.0.1:$port/postgres" >"$state/url"
      echo "pg_cluster: PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port ($dir)"
      exit 0
    fi
    tail -5 "$dir/server.log" >&2 || true
  done
  echo "pg_cluster: could not start PostgreSQL" >&2
  exit 1
  ;;
stop)
  [ -f "$state/dir" ] || exit 0
  dir=$(cat "$state/dir")
  if [ -d "$dir/data" ]; then
    (cd "$dir" && "${as_pg[@]}" "$pgbin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1) || true
  fi
  rm -rf "$dir"
  rm -f "$state/dir" "$state/url"
  ;;
*)
  echo "usage: pg_cluster.sh start|stop STATE" >&2
  exit 2
  ;;
esac
