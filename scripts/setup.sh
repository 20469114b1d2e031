#!/usr/bin/env bash
# Installs every Debian 12 package Tally builds, tests or runs with.
# Called by both README commands (`make run`, `make test`) and by the benchmark scripts;
# safe to run again: it only calls apt-get when a package is missing.
#   setup.sh          everything (`make test`, `make release`)
#   setup.sh server   only what the server's own build needs (`make run`, `make deb`)
#   setup.sh bench    everything, and what the benchmark comparisons need
set -euo pipefail

packages=(
  g++ cmake ninja-build ccache make
  libgtest-dev libgmock-dev librapidcheck-dev libbenchmark-dev
  libabsl-dev libtomlplusplus-dev libcli11-dev libfmt-dev libsqlite3-dev libpq-dev
  libboost-dev rapidjson-dev libssl-dev wrk curl
  postgresql-15  # the PostgreSQL store's tests start a server of their own (tests/pg)
  nodejs chromium  # the dashboard's browser tests (tests/web)
  python3 python3-yaml  # the Python client's tests and example (clients/python)
  node-typescript node-js-yaml  # the TypeScript client (clients/typescript): tsc, spec test
  clang-16 libclang-rt-16-dev  # libFuzzer targets (fuzz/); Debian 12's g++ has no libFuzzer
)
# `setup.sh bench`: also what bench/compare.sh and bench/soak.sh need (the PostgreSQL
# baseline runs a real PostgreSQL 15 server and pgbench; the Redis baseline a private
# redis-server 7 that the script starts itself, with redis-benchmark from redis-tools).
if [ "${1:-}" = bench ]; then
  packages+=(postgresql postgresql-contrib procps redis-server redis-tools)
fi
# npm: Debian's package on a fresh system; a nodejs from elsewhere (NodeSource) bundles it.
command -v npm >/dev/null 2>&1 || packages+=(npm)
# `setup.sh server`: the `tally` target alone (CMake's TALLY_TESTS and TALLY_BENCH off): no test,
# benchmark, fuzzing or browser packages.
if [ "${1:-}" = server ]; then
  packages=(
    g++ cmake ninja-build ccache make
    libabsl-dev libtomlplusplus-dev libcli11-dev libfmt-dev libsqlite3-dev libpq-dev
    libboost-dev rapidjson-dev libssl-dev
  )
fi
# curl and jq: the README's API examples (tests/install/readme_test.sh runs them).
packages+=(curl jq)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
