#!/usr/bin/env bash
# The README's "The API in one minute" works as printed: its sh blocks, pasted into a shell
# after `make run`, succeed. This starts the server as `make run` does (`tally serve --data
# tally-data --demo`, in a scratch directory) but on 127.0.0.1 and a free port, points the
# blocks' localhost:8080 at it, and runs them with every curl failing on an HTTP error.
#   readme_test.sh TALLY_BINARY README
set -euo pipefail
tally=$(realpath "$1")
readme=$(realpath "$2")
. "$(dirname "$0")/lib.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/tally-readme.XXXXXX")
trap 'stop_server; rm -rf "$work"' EXIT
cd "$work"

# The section's ```sh blocks, in order.
awk '/^## /{on = ($0 == "## The API in one minute")} on && /^```/{inblk = !inblk && ($0 == "```sh"); next}
     on && inblk' "$readme" > blocks.sh
grep -q 'curl' blocks.sh || { echo "FAIL: no sh block with curl under \"The API in one minute\""; exit 1; }
if grep -nE '/v1/[a-z]+/[0-9]{6,}' blocks.sh; then
  echo "FAIL: the README's examples use a hard-coded id; take ids from the replies"
  exit 1
fi

start_server server.log "$tally" serve --data tally-data --demo --listen 127.0.0.1:0
port=${SERVER_URL##*:}
sed -i "s/localhost:8080/127.0.0.1:$port/g" blocks.sh
grep -q "127.0.0.1:$port" blocks.sh || { echo "FAIL: the blocks do not call localhost:8080"; exit 1; }

# As pasted into bash, except that a failed command stops the run and curl fails on a 4xx/5xx
# (after printing the problem it got).
{
  echo 'set -euo pipefail'
  echo 'curl() { command curl --fail-with-body --show-error "$@"; }'
  cat blocks.sh
} > run.sh
echo "--- the README's blocks (port $port)"
cat blocks.sh
echo "--- their output"
if ! bash run.sh > out.txt 2>&1; then
  cat out.txt
  echo "FAIL: a README command failed"
  exit 1
fi
cat out.txt
# The walk-through's end: the hold was placed and released (the entries say so), nothing failed.
grep -q '"state":"active"' out.txt || { echo "FAIL: no active hold in the output"; exit 1; }
grep -q '"state":"released"' out.txt || { echo "FAIL: the hold was not released"; exit 1; }
grep -q '"kind":"release"' out.txt || { echo "FAIL: no release entry in the history"; exit 1; }
if grep -q 'problem+json\|"status":4\|"status":5' out.txt; then
  echo "FAIL: a problem in the output"
  exit 1
fi
echo "PASS: the README's API examples ran against a real server"
