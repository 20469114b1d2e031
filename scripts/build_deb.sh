#!/usr/bin/env bash
# build_deb.sh TALLY_BINARY OUT_DIR: a Debian package of the server, OUT_DIR/tally_<version>_<arch>.deb,
# built with dpkg-deb alone (no network, no debhelper, no root: --root-owner-group).
#   /usr/bin/tally                            the binary (stripped)
#   /lib/systemd/system/tally.service         the service (packaging/deb/tally.service)
#   /usr/lib/sysusers.d/tally.conf            its system user, created by postinst
#   /etc/tally/tally.toml                     conffile: config/default.toml
#   /etc/default/tally                        conffile: listen address, extra options
#   /usr/share/doc/tally/                     README.md, docs/, config/examples/
# TALLY_VERSION overrides the version (default 0.1.0, plus the commit when built from git);
# TALLY_DEB_COMPRESS the compression (default xz; the tests use none, for speed).
# Prints the package's path. Called by `make deb`; tests/install/deb_test.sh checks the result.
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 TALLY_BINARY OUT_DIR" >&2; exit 2; }
binary=$1
out=$2
src=$(cd "$(dirname "$0")/.." && pwd)
[ -x "$binary" ] || { echo "build_deb: $binary: no such executable (make server)" >&2; exit 1; }

version=${TALLY_VERSION:-}
if [ -z "$version" ]; then
  version=0.1.0
  if commit=$(git -C "$src" log -1 --format=%cd.%h --date=format:%Y%m%d 2>/dev/null); then
    version="$version+git$commit"
  fi
fi
arch=$(dpkg --print-architecture)

umask 022
mkdir -p "$out"
stage=$(mktemp -d "${TMPDIR:-/tmp}/tally-deb.XXXXXX")
trap 'rm -rf "$stage"' EXIT
root=$stage/tally

install -d "$root/DEBIAN" "$root/usr/bin" "$root/lib/systemd/system" "$root/usr/lib/sysusers.d" \
  "$root/etc/tally" "$root/etc/default" "$root/usr/share/doc/tally/examples"
install -m 0755 "$binary" "$root/usr/bin/tally"
if command -v strip >/dev/null 2>&1; then strip --strip-unneeded "$root/usr/bin/tally"; fi
install -m 0644 "$src/packaging/deb/tally.service" "$root/lib/systemd/system/tally.service"
install -m 0644 "$src/packaging/deb/tally.sysusers" "$root/usr/lib/sysusers.d/tally.conf"
install -m 0644 "$src/config/default.toml" "$root/etc/tally/tally.toml"
install -m 0644 "$src/packaging/deb/default" "$root/etc/default/tally"
install -m 0644 "$src/README.md" "$src"/docs/*.md "$src/docs/openapi.yaml" "$root/usr/share/doc/tally/"
install -m 0644 "$src"/config/examples/*.toml "$root/usr/share/doc/tally/examples/"
for s in postinst prerm postrm; do
  install -m 0755 "$src/packaging/deb/$s" "$root/DEBIAN/$s"
done
printf '/etc/tally/tally.toml\n/etc/default/tally\n' > "$root/DEBIAN/conffiles"

# The shared libraries' packages, from dpkg-shlibdeps when dpkg-dev is there (it wants a
# debian/control to run in), else from the package owning each library the binary needs.
depends=""
if command -v dpkg-shlibdeps >/dev/null 2>&1; then
  mkdir -p "$stage/src/debian"
  printf 'Source: tally\n\nPackage: tally\nArchitecture: any\n' > "$stage/src/debian/control"
  depends=$(cd "$stage/src" && dpkg-shlibdeps -O -e"$root/usr/bin/tally" 2>/dev/null |
            sed -n 's/^shlibs:Depends=//p')
fi
if [ -z "$depends" ]; then
  depends=$(ldd "$root/usr/bin/tally" | awk '/=> \// {print $3}' |
            while read -r lib; do dpkg -S "$(realpath "$lib")" 2>/dev/null || dpkg -S "$lib"; done |
            cut -d: -f1 | sort -u | paste -sd, | sed 's/,/, /g')
fi

cat > "$root/DEBIAN/control" <<CONTROL
Package: tally
Version: $version
Architecture: $arch
Maintainer: Tally developers <tally@localhost>
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: $depends
Recommends: systemd
Section: net
Priority: optional
Description: credit ledger and pricing engine for AI generation platforms
 Tally prices every generation job before it runs, holds the credits, captures
 them when the job succeeds and returns them when it fails, and keeps an exact,
 double-entry account of every credit from grant or purchase to spend or expiry.
 This package runs it as a systemd service (tally.service) under its own user,
 with its data in /var/lib/tally and its configuration in /etc/tally/tally.toml.
CONTROL

deb="$out/tally_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Z"${TALLY_DEB_COMPRESS:-xz}" --build "$root" "$deb" >/dev/null
echo "$deb"
