#!/usr/bin/env python3
"""A generation pipeline on Tally: for each job, quote it and show the breakdown, hold its
cost, run it on a (fake) GPU that sometimes fails, then capture the actual usage or release
the hold; at the end, print the account's history.

    python3 examples/python/pipeline.py --url http://127.0.0.1:8080 \
        --key "$(cat tally-data/admin.key)" --account ana --seed 7

Every change carries an Idempotency-Key made from the job's own id (`<account>-job-<n>-hold`...),
so running the same jobs again (same account and seed) changes nothing: each call gets its
first answer back. Needs only the standard library and clients/python on PYTHONPATH.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from decimal import Decimal

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "clients", "python"))

import tally_client as tc  # noqa: E402


def fake_gpu_job(rng: random.Random, seconds: int) -> int:
    """Renders the video: the seconds actually produced, or raises when the GPU fails."""
    if rng.random() < 0.3:
        raise RuntimeError("CUDA error: an illegal memory access was encountered")
    return rng.randint(max(1, seconds - 2), seconds)  # the model may stop early


def run_job(client: tc.TallyClient, rng: random.Random, account: str, n: int) -> None:
    params = {"resolution": rng.choice(["480p", "720p"]), "seconds": rng.randint(2, 6)}
    job = f"{account}-job-{n}"
    print(f"\n== job {n}: video {params}")
    quote = client.quote("video", params, account=account)
    print(f"quote {quote.total} credits (price book {quote.price_book_version}):")
    print(quote.format_breakdown())
    try:
        hold = client.create_hold(account, tool="video", params=params, ttl_s=600, idempotency_key=f"{job}-hold")
    except tc.InsufficientCredits as e:
        print(f"refused: {e.shortfall} credits short")
        return
    print(f"held {hold.amount} credits (hold {hold.id}, expires {hold.expires_at:%H:%M:%S} UTC)")
    try:
        produced = fake_gpu_job(rng, params["seconds"])
    except RuntimeError as failure:
        released = client.release(hold.id, reason=f"job failed: {failure}", idempotency_key=f"{job}-release")
        print(f"GPU failed ({failure}); released {released.released} credits")
        return
    captured = client.capture(hold.id, usage={"seconds": produced}, idempotency_key=f"{job}-capture")
    print(f"rendered {produced}s of {params['seconds']}s; captured {captured.captured}, "
          f"released {captured.released} (spend {captured.spend})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("TALLY_URL", "http://127.0.0.1:8080"))
    parser.add_argument("--key", default=os.environ.get("TALLY_KEY"), help="admin key (default $TALLY_KEY)")
    parser.add_argument("--account", default="pipeline-demo")
    parser.add_argument("--jobs", type=int, default=6)
    parser.add_argument("--seed", type=int, default=7, help="the fake GPU's luck")
    args = parser.parse_args()
    if not args.key:
        parser.error("--key or TALLY_KEY: the admin key (tally-data/admin.key under `make run`)")

    rng = random.Random(args.seed)
    with tc.TallyClient(args.url, args.key) as client:
        try:
            client.open_account(args.account)
            print(f"opened account {args.account}")
        except tc.AccountExists:
            print(f"account {args.account} exists")
        client.grant(args.account, Decimal(100), "pipeline example top-up", idempotency_key=f"{args.account}-topup")
        print(f"available: {client.get_account(args.account).balance.available} credits")

        for n in range(1, args.jobs + 1):
            run_job(client, rng, args.account, n)

        print(f"\n== history of {args.account}")
        print(f"{'seq':>5} {'at':<20} {'kind':<8} {'amount':>9} {'held':>9} {'balance':>9}  tool / reason")
        for e in client.iter_entries(args.account, page_size=50):
            print(f"{e.seq:>5} {e.at:%Y-%m-%d %H:%M:%S} {e.kind:<8} {e.amount:>9} {e.held:>9} "
                  f"{e.balance_after:>9}  {e.tool or e.reason}")
        balance = client.get_account(args.account).balance
        print(f"\navailable {balance.available}, held {balance.held}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
