"""Test support: runs a real `tally serve` on 127.0.0.1 (a free port: `--listen 127.0.0.1:0`)
with its own temporary data directory, and stops it (SIGTERM, then the directory is removed).
The binary comes from $TALLY_BIN (ctest passes $<TARGET_FILE:tally>). Like
tests/server/server_process.cc, it reads the port from the first line the server prints,
"tally: listening on http://127.0.0.1:PORT".
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import unittest

ADMIN_KEY = "tk_admin_python_test"


def tally_binary() -> str:
    path = os.environ.get("TALLY_BIN")
    if not path:
        sys.exit("TALLY_BIN is not set: run through ctest, or set it to the tally binary")
    return path


class TallyServer:
    def __init__(self, manual_clock: bool = True, shards: int = 2, extra_args: tuple = (), generated_key: bool = False):
        """`generated_key`: no TALLY_ADMIN_KEY; the server makes one in DATA/admin.key, as under
        `make run`, and the data directory is named tally-data inside a temporary one."""
        self.temp_dir = tempfile.mkdtemp(prefix="tally-python-test-")
        self.data_dir = os.path.join(self.temp_dir, "tally-data") if generated_key else self.temp_dir
        args = [tally_binary(), "serve", "--data", self.data_dir, "--listen", "127.0.0.1:0", "--shards", str(shards)]
        if manual_clock:
            args += ["--clock", "manual"]
        args += list(extra_args)
        env = dict(os.environ, TALLY_ADMIN_KEY=ADMIN_KEY)
        if generated_key:
            del env["TALLY_ADMIN_KEY"]
        try:
            self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        except OSError:
            shutil.rmtree(self.temp_dir, ignore_errors=True)
            raise
        line = self.process.stdout.readline().decode(errors="replace").strip()
        if "listening on" not in line:
            self.process.kill()
            rest = self.process.stderr.read().decode(errors="replace")
            shutil.rmtree(self.temp_dir, ignore_errors=True)
            raise RuntimeError(f"tally serve did not start: {line!r}\n{rest}")
        self.url = line[line.index("http://"):]
        self.port = int(self.url.rsplit(":", 1)[1])
        if generated_key:
            with open(os.path.join(self.data_dir, "admin.key"), encoding="utf-8") as f:
                self.admin_key = f.read().strip()
        else:
            self.admin_key = ADMIN_KEY
        self.output: list[str] = []
        # Keep reading so the server never blocks on a full pipe.
        self._drains = [threading.Thread(target=self._read_rest, args=(f,), daemon=True) for f in (self.process.stdout, self.process.stderr)]
        for t in self._drains:
            t.start()

    def _read_rest(self, stream) -> None:
        for raw in stream:
            self.output.append(raw.decode(errors="replace"))

    def stop(self) -> int:
        """SIGTERM and wait; the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for t in self._drains:
            t.join(timeout=5)
        self.process.stdout.close()
        self.process.stderr.close()
        shutil.rmtree(self.temp_dir, ignore_errors=True)
        return self.process.returncode

    def __enter__(self) -> "TallyServer":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


class ServerTestCase(unittest.TestCase):
    """Tests against one real server for the whole class: `cls.server`, and `cls.client` (a
    `TallyClient` with the admin key). The server must exit 0 when the class is done."""

    @classmethod
    def setUpClass(cls):
        import tally_client  # here: the client's own tests import this module without a server

        cls.server = TallyServer()
        cls.client = tally_client.TallyClient(cls.server.url, cls.server.admin_key, retries=2)

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        status = cls.server.stop()
        assert status == 0, f"tally serve exited {status}:\n{''.join(cls.server.output)}"
