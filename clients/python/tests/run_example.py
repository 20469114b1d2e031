"""Runs examples/python/pipeline.py against a real `tally serve` started here, twice: the first
run must show a quote's breakdown, a capture, a release and the history; the second (same
seed, so the same jobs and Idempotency-Keys) must change nothing.

    python3 run_example.py PATH/TO/pipeline.py     (TALLY_BIN names the tally binary)
"""

from __future__ import annotations

import os
import subprocess
import sys

from tally_server import TallyServer


def run(example: str, server: TallyServer) -> str:
    env = dict(os.environ, TALLY_URL=server.url, TALLY_KEY=server.admin_key)
    done = subprocess.run([sys.executable, example, "--account", "ana", "--seed", "7"],
                          env=env, capture_output=True, text=True, timeout=120)
    print(done.stdout)
    if done.returncode != 0:
        print(done.stderr, file=sys.stderr)
        raise SystemExit(f"the example exited {done.returncode}")
    return done.stdout


def main() -> int:
    example = sys.argv[1]
    with TallyServer(manual_clock=False) as server:
        first = run(example, server)
        for wanted in ["quote ", "total", "held ", "captured ", "GPU failed", "released ", "== history of ana", " capture ", " release "]:
            if wanted not in first:
                raise SystemExit(f"the example's output lacks {wanted!r}")
        second = run(example, server)

    def tail(text: str) -> str:
        return text[text.index("== history"):]

    if tail(first) != tail(second):
        # Same seed, same keys: every change got its first answer, so the history is unchanged.
        raise SystemExit("running the example again changed the history")
    print("pipeline example: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
