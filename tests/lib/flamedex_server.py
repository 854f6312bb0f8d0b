"""Start and stop one flamedex server process for a test suite.

Shared by tests/api and tests/leaks (each puts this directory on sys.path).
The binary is $FLAMEDEX_BIN (default build/server/flamedex under the
repository root); a missing one fails the test that needs the server, with
the path it looked at, rather than skipping it.  Each server gets a fresh
temporary database directory and a free port on 127.0.0.1, runs with the
repository root as its working directory and --web web, is ready when
GET /healthz answers 200 "ok" (10 s at most), and is stopped with SIGTERM;
stop() says what went wrong when it does not then exit 0 (under ASan that
includes leaked memory).

Tokens: with FLAMEDEX_TEST_AUTH=1 (make check-api-auth) every server that
is not given an --auth-file of its own gets one holding a fresh admin
token, and its url carries that token as userinfo
(http://flamedex:TOKEN@127.0.0.1:PORT): tests/api/client.py sends it as
"Authorization: Bearer TOKEN", and go tool pprof, given such a URL, sends
it as Basic auth, which the server also takes. So the whole API suite
runs unchanged with and without --auth-file. auth_file() writes an auth
file for the tests that want their own tokens.

Backends: with FLAMEDEX_TEST_DB=pg (make check-api-pg) every server that
is not given a --db of its own runs on a fresh database of a throwaway
PostgreSQL cluster (tests/lib/pgcluster.py) instead of a SQLite file;
self.db is what --db got either way. Tests that look inside the SQLite
file or at its disk accounting are marked sqlite_only.
"""

import hashlib
import http.client
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
SERVER_START_TIMEOUT = 10.0


AUTH = os.environ.get("FLAMEDEX_TEST_AUTH") == "1"
PG = os.environ.get("FLAMEDEX_TEST_DB") == "pg"
# FLAMEDEX_TEST_SERIES=all (check-api-pg, check-api-tsan): every upload is
# stored against its series' dictionary (--series-storage all,
# server/series.h), so every test of tests/api also checks that path.
SERIES = os.environ.get("FLAMEDEX_TEST_SERIES", "")

# A test (or module: pytestmark = sqlite_only) about the SQLite file itself.
sqlite_only = pytest.mark.skipif(PG, reason="reads or sizes the SQLite file (FLAMEDEX_TEST_DB=pg)")


def new_token():
    """A token as `flamedex token` makes them (the server takes any string)."""
    return "fdx_" + secrets.token_urlsafe(32)


def auth_file(path, tokens):
    """Write an auth file: tokens is [(role, name, token)]; returns path."""
    with open(path, "w") as f:
        f.write("# written by tests/lib/flamedex_server.py\n")
        for role, name, token in tokens:
            f.write("%s %s %s\n" % (role, name, hashlib.sha256(token.encode()).hexdigest()))
    return path


def server_binary():
    b = os.environ.get("FLAMEDEX_BIN") or "build/server/flamedex"
    if not os.path.isabs(b):
        b = os.path.join(REPO_ROOT, b)
    return b


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(port):
    """GET /healthz answers 200 "ok"."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/healthz")
        r = conn.getresponse()
        return r.status == 200 and r.read().strip() == b"ok"
    except OSError:
        return False
    finally:
        conn.close()


class Server:
    """One flamedex process with its own database directory and log."""

    def __init__(self, extra_args=(), db=None):
        self.dir = tempfile.mkdtemp(prefix="flamedex-test-")
        self.log_path = os.path.join(self.dir, "server.log")
        self.extra_args = list(extra_args)
        self.token = None  # the admin token of FLAMEDEX_TEST_AUTH, in url
        if AUTH and "--auth-file" not in self.extra_args:
            self.token = new_token()
            path = auth_file(os.path.join(self.dir, "auth"), [("admin", "test-suite", self.token)])
            self.extra_args += ["--auth-file", path]
        if SERIES and "--series-storage" not in self.extra_args:
            self.extra_args += ["--series-storage", SERIES]
        self.proc = None
        self.url = None
        self.port = None
        # db: a database to share (replicas); else a fresh one
        self.own_db = None
        if db is not None:
            self.db = db
        elif PG and "--db" not in self.extra_args:
            import pgcluster
            self.db = self.own_db = pgcluster.new_database()
        else:
            self.db = os.path.join(self.dir, "flamedex.db")

    def start(self):
        binary = server_binary()
        if not os.path.isfile(binary) or not os.access(binary, os.X_OK):
            pytest.fail("no flamedex server binary at %s: build it (deploy/dev.sh build) "
                        "or point FLAMEDEX_BIN at one" % binary, pytrace=False)
        last_err = None
        for _attempt in range(3):  # a free port can be taken between bind and listen
            port = free_port()
            self.port = port
            self.url = "http://%s127.0.0.1:%d" % ("flamedex:%s@" % self.token if self.token else "", port)
            with open(self.log_path, "ab") as log:
                self.proc = subprocess.Popen(
                    [binary, "--listen", "127.0.0.1:%d" % port,
                     "--db", self.db, "--web", "web"] + self.extra_args,
                    cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT)
            deadline = time.monotonic() + SERVER_START_TIMEOUT
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    last_err = "server exited with %s" % self.proc.returncode
                    break
                if healthy(port):
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
        """SIGTERM, then wait; returns an error text if it did not stop
        cleanly (the database directory is then kept for a look)."""
        problem = None
        if self.proc is None:
            os.environ.get("FLAMEDEX_TEST_KEEP") or shutil.rmtree(self.dir, ignore_errors=True)
            if self.own_db:
                import pgcluster
                pgcluster.cluster().drop_database(self.own_db)
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
            problem += " (log and database in %s)\n%s" % (self.dir, self.log_tail())
        else:
            os.environ.get("FLAMEDEX_TEST_KEEP") or shutil.rmtree(self.dir, ignore_errors=True)
            if self.own_db:
                import pgcluster
                pgcluster.cluster().drop_database(self.own_db)
        return problem


def session_server(extra_args=()):
    """A generator for a session fixture: yields a started Server, stops it
    afterwards and fails the session's teardown if it did not stop cleanly."""
    srv = Server(extra_args).start()
    yield srv
    problem = srv.stop()
    if problem:
        pytest.fail(problem)


def _pg_literal(v):
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    return "'" + str(v).replace("'", "''") + "'"


def db_query(srv, sql, params=()):
    """Rows of one statement (? placeholders) on srv's database, whichever
    backend it is: the SQLite file through sqlite3, PostgreSQL through
    psql (values as literals: test data only). Integers come back as int,
    everything else as str, on both."""
    if srv.db.startswith("postgres"):
        import pgcluster
        parts = sql.split("?")
        assert len(parts) == len(params) + 1, (sql, params)
        text = parts[0] + "".join(_pg_literal(v) + rest for v, rest in zip(params, parts[1:]))
        c = pgcluster.cluster()
        psql = os.path.join(pgcluster.PG_BIN, "psql")
        p = subprocess.run([psql, "-X", "-q", "-A", "-t", "-F", "\x1f", "-v", "ON_ERROR_STOP=1", "-d", srv.db,
                            "-c", text], capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, "psql: %s: %s" % (text, p.stderr)
        del c
        rows = []
        for line in p.stdout.splitlines():
            if line == "" and "\x1f" not in line and not rows and not p.stdout.strip():
                continue
            rows.append(tuple(int(v) if v.lstrip("-").isdigit() else v for v in line.split("\x1f")))
        return rows
    import sqlite3
    con = sqlite3.connect(srv.db)
    try:
        rows = con.execute(sql, params).fetchall()
        con.commit()
        return rows
    finally:
        con.close()
