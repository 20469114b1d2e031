#!/usr/bin/env python3
"""Loads a running `tally serve` with the baseline's data through /v1/batch: ACCOUNTS accounts
`bench-1` .. `bench-N`, each with LOTS admin grants of 20 * 4^k credits (k = 0 ..), lot k
expiring (k + 1) weeks + (account mod 60) minutes from now: the lots load.sql gives PostgreSQL.
  load_tally.py URL KEY ACCOUNTS LOTS [PREFIX]
Exits non-zero if any request is not answered 201."""
import datetime
import json
import sys
import urllib.request


def main():
    url, key, accounts, lots = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    prefix = sys.argv[5] if len(sys.argv) > 5 else "bench-"
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    items = []

    def flush():
        if not items:
            return
        body = json.dumps({"requests": items}).encode()
        req = urllib.request.Request(url + "/v1/batch", data=body, method="POST", headers={
            "Authorization": "Bearer " + key, "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=120) as r:
            answers = json.load(r)["responses"]
        bad = [a for a in answers if a["status"] != 201]
        if bad:
            sys.exit("load_tally: %d refused, first: %s" % (len(bad), json.dumps(bad[0])))
        items.clear()

    for a in range(1, accounts + 1):
        # An account's open and grants stay in one batch: they run in order on its shard.
        if len(items) + 1 + lots > 1000:
            flush()
        items.append({"method": "POST", "path": "/v1/accounts", "idempotency_key": "open-%d" % a,
                      "body": {"id": "%s%d" % (prefix, a), "plan": None}})
        for k in range(lots):
            expires = now + datetime.timedelta(weeks=k + 1, minutes=a % 60)
            items.append({"method": "POST", "path": "/v1/accounts/%s%d/grants" % (prefix, a),
                          "idempotency_key": "grant-%d-%d" % (a, k),
                          "body": {"amount": str(20 * 4 ** k), "reason": "bench",
                                   "expires_at": expires.strftime("%Y-%m-%dT%H:%M:%SZ")}})
    flush()


main()
