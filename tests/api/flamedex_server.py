"""Start and stop one flamedex server process for the tests.

The binary comes from $FLAMEDEX_BIN (default build/server/flamedex under
the repository root).  Each server gets a fresh temporary database
directory and a free port on 127.0.0.1, is ready when GET /healthz answers
200 "ok" (10 s at most), and is stopped with SIGTERM.
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

import catalog
from client import Client

SERVER_START_TIMEOUT = 10.0


def server_binary():
    b = os.environ.get("FLAMEDEX_BIN") or "build/server/flamedex"
    if not os.path.isabs(b):
        b = os.path.join(catalog.REPO_ROOT, b)
    return b


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One flamedex process with its own database directory and log."""

    def __init__(self, extra_args=()):
        self.dir = tempfile.mkdtemp(prefix="flamedex-api-")
        self.log_path = os.path.join(self.dir, "server.log")
        self.extra_args = list(extra_args)
        self.proc = None
        self.url = None

    def start(self):
        binary = server_binary()
        if not os.access(binary, os.X_OK):
            pytest.skip("flamedex binary not found at %s (set FLAMEDEX_BIN)" % binary)
        last_err = None
        for _attempt in range(3):  # a free port can be taken between bind and listen
            port = free_port()
            self.url = "http://127.0.0.1:%d" % port
            log = open(self.log_path, "ab")
            self.proc = subprocess.Popen(
                [binary, "--listen", "127.0.0.1:%d" % port,
                 "--db", os.path.join(self.dir, "flamedex.db"), "--web", "web"] + self.extra_args,
                cwd=catalog.REPO_ROOT, stdout=log, stderr=subprocess.STDOUT)
            log.close()
            client = Client(self.url)
            deadline = time.monotonic() + SERVER_START_TIMEOUT
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    last_err = "server exited with %s" % self.proc.returncode
                    break
                if client.healthy():
                    return self
                time.sleep(0.05)
            else:
                last_err = "no 200 ok from /healthz within %.0fs" % SERVER_START_TIMEOUT
                self._kill()
        pytest.fail("flamedex did not start: %s\n%s" % (last_err, self.log_tail()))

    def log_tail(self, n=4000):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-n:].decode("utf-8", "replace")
        except OSError:
            return ""

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def _kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self):
        """SIGTERM, then wait; returns an error text if it did not stop cleanly."""
        problem = None
        if self.proc is None:
            return None
        if self.proc.poll() is not None:
            problem = "server had already exited with status %s" % self.proc.returncode
        else:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(timeout=10)
                if rc != 0:
                    problem = "server exited with status %d after SIGTERM" % rc
            except subprocess.TimeoutExpired:
                problem = "server did not exit within 10s of SIGTERM"
                self._kill()
        if problem:
            problem += "\n" + self.log_tail()
        else:
            shutil.rmtree(self.dir, ignore_errors=True)
        return problem
