"""Runs the Python snippet of README.md ("The API in one minute") as a reader would after
`make run`: in a directory holding `tally-data/` of a real `tally serve` whose admin key was
generated there. Only the address changes (the test's server listens on a free port, not
8080). Fails when the snippet is gone, raises, or prints no history.

    python3 run_readme_snippet.py PATH/TO/README.md     (TALLY_BIN names the tally binary)
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

from tally_server import TallyServer


def snippet(readme: str) -> str:
    with open(readme, encoding="utf-8") as f:
        text = f.read()
    section = text[text.index("## The API in one minute"):]
    section = section[:section.index("\n## ", 1)]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    if len(blocks) != 1:
        raise SystemExit(f"expected one python block in 'The API in one minute', found {len(blocks)}")
    return blocks[0]


def main() -> int:
    code = snippet(sys.argv[1])
    if "http://localhost:8080" not in code:
        raise SystemExit("the snippet no longer talks to http://localhost:8080 (make run's address)")
    with TallyServer(manual_clock=False, generated_key=True) as server:
        done = subprocess.run([sys.executable, "-c", code.replace("http://localhost:8080", server.url)],
                              cwd=server.temp_dir, env=os.environ, capture_output=True, text=True, timeout=60)
    print(done.stdout, done.stderr)
    if done.returncode != 0:
        raise SystemExit(f"the README's Python snippet failed ({done.returncode})")
    lines = done.stdout.splitlines()
    if not re.fullmatch(r"[0-9]+ 20", lines[0]):
        raise SystemExit(f"the snippet's first line should be '<hold id> 20', is {lines[0]!r}")
    kinds = {line.split()[1] for line in lines[1:]}
    if not {"grant", "hold", "release"} <= kinds:
        raise SystemExit(f"the history lacks a grant, a hold or a release: {sorted(kinds)}")
    print("README Python snippet: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
