#!/usr/bin/env bash
# The Redis baseline's ledger.lua does the work it claims (ctest redis_baseline_ledger; exits
# 77, skipped, without redis-server): FEFO order, expired lots skipped, a spend crossing lots,
# a refusal that writes nothing, the hold+capture pair returning 0.5, and `check` catching a
# balance that disagrees with the lots. A private redis-server, removed at exit.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
command -v redis-server >/dev/null || { echo "no redis-server (scripts/setup.sh bench): skipped"; exit 77; }
dir=$(mktemp -d /tmp/tally-redis-ledger-test-XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --save '' --appendonly yes \
  --appendfsync always --logfile "$dir/server.log" &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
cli=(redis-cli -h 127.0.0.1 -p "$port")
for _ in $(seq 100); do "${cli[@]}" ping >/dev/null 2>&1 && break; sleep 0.1; done
sha=$("${cli[@]}" script load "$(cat "$here/ledger.lua")")
fails=0
expect() { # $1 = what, $2 = expected, $3 = got
  if [ "$2" = "$3" ]; then echo "ok: $1"; else echo "FAIL: $1: expected '$2', got '$3'"; fails=$((fails + 1)); fi
}
rem() { "${cli[@]}" hmget "rem:$1" 0 1 2 3 4 | tr '\n' ' ' | sed 's/ $//'; }

expect "load: 3 accounts" 3 "$("${cli[@]}" evalsha "$sha" 0 load 3 5)"
expect "lots of 20, 80, 320, 1280, 5120 credits" \
  "20000000 80000000 320000000 1280000000 5120000000" "$(rem 1)"
# Account 1 (__rand_int__ 0): 1 credit from the earliest-expiring lot.
"${cli[@]}" evalsha "$sha" 0 spend 0 1 >/dev/null
expect "a spend takes from the earliest-expiring lot" \
  "19000000 80000000 320000000 1280000000 5120000000" "$(rem 1)"
# Account 2: its first lot expired a minute ago; the spend takes from the next.
"${cli[@]}" zadd lots:2 "$(( $(date +%s) * 1000 - 60000 ))" 0 >/dev/null
"${cli[@]}" evalsha "$sha" 0 spend 1 1 >/dev/null
expect "an expired lot is skipped" \
  "20000000 79000000 320000000 1280000000 5120000000" "$(rem 2)"
# Account 3: 25 credits cross from lot 0 into lot 1, one journal item per lot.
"${cli[@]}" evalsha "$sha" 0 spend 2 25 >/dev/null
expect "a spend crosses into the next lot" \
  "0 75000000 320000000 1280000000 5120000000" "$(rem 3)"
expect "one journal item per lot taken from" "spend 0 -20000000 6800000000|spend 1 -5000000 6795000000" \
  "$("${cli[@]}" lrange j:3 5 -1 | paste -sd'|')"
# More than account 3 has: refused, nothing written.
got=$("${cli[@]}" evalsha "$sha" 0 spend 2 100000 2>&1)
expect "a spend beyond the lots is refused" "insufficient_credits: account 3" "${got#ERR }"
expect "a refusal takes nothing" "0 75000000 320000000 1280000000 5120000000" "$(rem 3)"
expect "a refusal writes no spend" 3 "$("${cli[@]}" get next_spend)"
# Account 1: hold 2 (all from lot 0, 19 left there), capture 1.5, 0.5 back.
"${cli[@]}" evalsha "$sha" 0 pair 0 >/dev/null
expect "a pair takes 1.5 credits and returns 0.5" \
  "17500000 80000000 320000000 1280000000 5120000000" "$(rem 1)"
expect "the hold is captured with its portions" "captured 0:2000000" \
  "$("${cli[@]}" hmget hold:1 state portions | paste -sd' ')"
expect "nothing stays held; the balance follows the lots" "6817500000 0" \
  "$("${cli[@]}" hmget acct:1 available held | paste -sd' ')"
# Account 2 again, lot 0 expired: a pair crossing lot 1's last credit into lot 2 (lot 1 cut
# to 1 credit by hand, with the balance and what was granted to match).
"${cli[@]}" hset rem:2 1 1000000 >/dev/null
"${cli[@]}" hset acct:2 available 6741000000 granted 6742000000 >/dev/null
"${cli[@]}" evalsha "$sha" 0 pair 1 >/dev/null
expect "a pair's capture consumes portions in order, the rest back to its lot" \
  "20000000 0 319500000 1280000000 5120000000" "$(rem 2)"
expect "check: consistent" "3 0 5 2" "$("${cli[@]}" evalsha "$sha" 0 check | head -4 | paste -sd' ')"
# A cached balance that disagrees with the lots is caught.
"${cli[@]}" hincrby acct:3 available 1 >/dev/null
expect "check: a wrong balance is caught" "3 1" "$("${cli[@]}" evalsha "$sha" 0 check | head -2 | paste -sd' ')"
[ "$fails" = 0 ] || { echo "$fails failed"; exit 1; }
