# Sourced by pg_cluster.sh and pg_ha.sh: where PostgreSQL 15 is, whom it runs as, and a new
# cluster directory for a test server.
pgbin=${PGBIN:-/usr/lib/postgresql/15/bin}
as_pg=()
if [ "$(id -u)" -eq 0 ]; then as_pg=(runuser -u postgres --); fi

# A free port: the kernel's choice for a socket bound to port 0. Another process may take it
# before the server binds it; the start then fails and says so.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# new_cluster STATE PREFIX DATA: stops what an earlier interrupted run left in STATE ($0 stop),
# makes a directory /tmp/PREFIX-XXXXXX the postgres user can reach (named in STATE/dir; $dir),
# and initdb's a cluster into $dir/DATA (user tally, trust on loopback). Leaves the shell in $dir.
new_cluster() {
  local state=$1 prefix=$2 data=$3
  [ -x "$pgbin/initdb" ] || { echo "no PostgreSQL 15 in $pgbin (scripts/setup.sh installs postgresql-15)" >&2; exit 1; }
  if [ ${#as_pg[@]} -gt 0 ] && ! id postgres >/dev/null 2>&1; then
    echo "running as root needs the postgres user (package postgresql-15)" >&2; exit 1
  fi
  mkdir -p "$state"
  # A server left by an earlier run that was interrupted before its cleanup.
  [ -f "$state/dir" ] && "$0" stop "$state" || true
  dir=$(mktemp -d "/tmp/$prefix-XXXXXX")
  chmod 755 "$dir"
  [ ${#as_pg[@]} -eq 0 ] || chown postgres: "$dir"
  echo "$dir" >"$state/dir"
  cd "$dir"
  "${as_pg[@]}" "$pgbin/initdb" -D "$dir/$data" -U tally --auth=trust -E UTF8 --no-instructions \
    >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
}

# base_conf PORT: the lines every test server's postgresql.auto.conf starts with (loopback only,
# its socket in $dir, fsync off: the tests kill processes, never the machine).
base_conf() {
  cat <<CONF
listen_addresses = '127.0.0.1'
port = $1
unix_socket_directories = '$dir'
max_connections = 200
fsync = off
shared_buffers = 64MB
synchronous_commit = on
CONF
}
