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
pgbin=${PGBIN:-/usr/lib/postgresql/15/bin}
as_pg=()
if [ "$(id -u)" -eq 0 ]; then as_pg=(runuser -u postgres --); fi

case "$cmd" in
start)
  [ -x "$pgbin/initdb" ] || { echo "no PostgreSQL 15 in $pgbin (scripts/setup.sh installs postgresql-15)" >&2; exit 1; }
  if [ ${#as_pg[@]} -gt 0 ] && ! id postgres >/dev/null 2>&1; then
    echo "running as root needs the postgres user (package postgresql-15)" >&2; exit 1
  fi
  mkdir -p "$state"
  # A server left by an earlier run that was interrupted before its cleanup.
  [ -f "$state/dir" ] && "$0" stop "$state" || true
  dir=$(mktemp -d /tmp/tally-pg-test-XXXXXX)
  chmod 755 "$dir"
  [ ${#as_pg[@]} -eq 0 ] || chown postgres: "$dir"
  echo "$dir" >"$state/dir"
  cd "$dir"
  "${as_pg[@]}" "$pgbin/initdb" -D "$dir/data" -U tally --auth=trust -E UTF8 --no-instructions \
    >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
  # A free port: the kernel's choice for a socket bound to port 0. Another process may take it
  # before the server binds it; the start then fails and says so, and is tried again.
  for attempt in 1 2 3 4 5; do
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    cat >"$dir/data/postgresql.auto.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 200
fsync = off
synchronous_commit = on
shared_buffers = 64MB
${PG_CONF:-}
CONF
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
