#!/usr/bin/env bash
# The Debian package installs, runs and goes away cleanly, without a container and without
# touching the machine it runs on: scripts/build_deb.sh packages the given binary, dpkg installs
# the package into a scratch root (dpkg --root, maintainer scripts run outside a chroot with
# DPKG_ROOT set, which keeps the user they create in the scratch root), the installed binary
# starts with the installed configuration and the unit's own command line on 127.0.0.1 and a
# free port and answers /healthz; then remove keeps the conffiles, purge drops them.
# Without root (dpkg --root needs it) the package is unpacked with dpkg-deb -x instead, and the
# maintainer scripts are not run.
#   deb_test.sh TALLY_BINARY SOURCE_DIR
set -euo pipefail
tally=$(realpath "$1")
src=$(realpath "$2")
. "$(dirname "$0")/lib.sh"

fail() { echo "FAIL: $*"; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/tally-deb-test.XXXXXX")
trap 'stop_server; rm -rf "$work"' EXIT

deb=$(TALLY_VERSION=0.0.1~test TALLY_DEB_COMPRESS=none "$src/scripts/build_deb.sh" "$tally" "$work/out")
[ -f "$deb" ] || fail "build_deb.sh made no package"
echo "--- $deb"
dpkg-deb --info "$deb"

# What the package holds and declares.
dpkg-deb --contents "$deb" | awk '{print $NF}' > "$work/contents"
for f in ./usr/bin/tally ./lib/systemd/system/tally.service ./usr/lib/sysusers.d/tally.conf \
         ./etc/tally/tally.toml ./etc/default/tally ./usr/share/doc/tally/install.md; do
  grep -qx "$f" "$work/contents" || fail "the package lacks $f"
done
dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles > "$work/conffiles"
grep -qx /etc/tally/tally.toml "$work/conffiles" || fail "/etc/tally/tally.toml is not a conffile"
[ "$(dpkg-deb --field "$deb" Package)" = tally ] || fail "package name"
dpkg-deb --field "$deb" Depends | grep -q libc6 || fail "Depends does not name the libraries"

root=$work/root
dpkg_root() { dpkg --root="$root" --force-script-chrootless "$@"; }
if [ "$(id -u)" -eq 0 ]; then
  mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
  touch "$root/var/lib/dpkg/status" "$root/var/lib/dpkg/available"
  host_before=$(cat /etc/passwd /etc/group /var/lib/dpkg/status | md5sum)
  # --force-depends: the scratch root's database holds no libc6; the binary uses the host's.
  dpkg_root --force-depends -i "$deb"
  dpkg-query --root="$root" -W -f='${Status}\n' tally | grep -qx "install ok installed" ||
    fail "dpkg does not list tally as installed"
  grep -q '^tally:x:[0-9]*:[0-9]*:.*:/var/lib/tally:' "$root/etc/passwd" ||
    fail "postinst created no tally user in the scratch root"
  [ "$(cat /etc/passwd /etc/group /var/lib/dpkg/status | md5sum)" = "$host_before" ] ||
    fail "installing into the scratch root changed the host's users or dpkg database"
else
  echo "(not root: unpacking with dpkg-deb -x, maintainer scripts not run)"
  dpkg-deb -x "$deb" "$root"
fi

# The unit: its own user, its state directory, the installed configuration.
unit=$root/lib/systemd/system/tally.service
for line in User=tally StateDirectory=tally StateDirectoryMode=0700 EnvironmentFile=-/etc/default/tally \
            WantedBy=multi-user.target; do
  grep -qx "$line" "$unit" || fail "tally.service lacks $line"
done
grep -q '^u tally ' "$root/usr/lib/sysusers.d/tally.conf" || fail "sysusers.d declares no tally user"

# Start the installed binary as the unit does: its ExecStart with the environment it reads
# (/etc/default/tally), the paths moved into the scratch root, a free port.
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
[ -n "$exec_start" ] || fail "tally.service has no ExecStart"
# shellcheck disable=SC2034  # read by the eval below, as systemd expands them
TALLY_OPTIONS=""
. "$root/etc/default/tally"
# shellcheck disable=SC2034
TALLY_LISTEN=127.0.0.1:0
cmd=$(printf '%s\n' "$exec_start" |
      sed -e "s#/usr/bin/tally#$root/usr/bin/tally#" -e "s# /etc/tally/# $root/etc/tally/#" \
          -e "s# /var/lib/tally# $root/var/lib/tally#")
mkdir -p "$root/var/lib"
mkdir -m 0700 "$root/var/lib/tally"  # what StateDirectory=tally does
eval "set -- $cmd"
echo "--- $*"
start_server "$work/server.log" "$@"
cat "$work/server.log"
code=$(curl -s -o "$work/healthz" -w '%{http_code}' "$SERVER_URL/healthz")
echo "--- /healthz: $code $(cat "$work/healthz")"
[ "$code" = 200 ] || fail "/healthz answered $code"
grep -q "$root/var/lib/tally" "$work/server.log" || fail "the server does not use the installed data directory"
stop_server

if [ "$(id -u)" -eq 0 ]; then
  # An operator's change to a conffile survives a reinstall, remove keeps it, purge drops it.
  echo '# changed by the operator' >> "$root/etc/tally/tally.toml"
  dpkg_root --force-depends -i "$deb"
  grep -q 'changed by the operator' "$root/etc/tally/tally.toml" || fail "reinstall overwrote a changed conffile"
  dpkg_root -r tally
  [ ! -e "$root/usr/bin/tally" ] || fail "remove left /usr/bin/tally"
  [ -f "$root/etc/tally/tally.toml" ] || fail "remove deleted the conffile"
  dpkg_root -P tally
  [ ! -e "$root/etc/tally/tally.toml" ] || fail "purge left /etc/tally/tally.toml"
  [ -d "$root/var/lib/tally" ] || fail "purge deleted the data directory"
fi
echo "PASS: the package installs, serves /healthz, and removes cleanly"
