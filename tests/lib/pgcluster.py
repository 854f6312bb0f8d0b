"""A throwaway PostgreSQL cluster for the tests (FLAMEDEX_TEST_DB=pg).

One cluster per test process, made on first use and stopped at exit:
initdb into a fresh temporary directory, pg_ctl start listening on
127.0.0.1 at a free port (and a Unix socket in that directory), trust
authentication for local connections only. PostgreSQL refuses to run as
root: as root (CI) the cluster runs as the user `postgres` (Debian's
package makes it) through runuser, its directory owned by that user.
The binaries are PostgreSQL 15's of Debian (/usr/lib/postgresql/15/bin) or
$FLAMEDEX_PG_BIN; a missing one fails the test that needs the cluster,
naming the Debian package (postgresql), rather than skipping it.

FLAMEDEX_TEST_PG=postgresql://user@host:port names a cluster that is
already running instead (each server still gets a database of its own).

new_database() creates an empty database and returns its libpq URI: every
Server gets one, so tests do not see each other's profiles, as they do
not with SQLite's per-server files.
"""

import atexit
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time

import pytest

PG_BIN = os.environ.get("FLAMEDEX_PG_BIN") or "/usr/lib/postgresql/15/bin"
START_TIMEOUT = 30.0

_lock = threading.Lock()
_cluster = None
_names = itertools.count(1)


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self):
        self.dir = None
        self.port = None
        self.user = None
        self.base = os.environ.get("FLAMEDEX_TEST_PG")
        if self.base:
            self.base = self.base.rstrip("/")
            return
        for tool in ("initdb", "pg_ctl", "psql"):
            if not os.access(os.path.join(PG_BIN, tool), os.X_OK):
                pytest.fail("no %s in %s: install Debian's postgresql (apt-get install postgresql) "
                            "or set FLAMEDEX_PG_BIN" % (tool, PG_BIN), pytrace=False)
        self.dir = tempfile.mkdtemp(prefix="flamedex-pg-")
        os.chmod(self.dir, 0o755)
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "pg.log")
        self.as_root = os.geteuid() == 0
        self.user = "postgres" if self.as_root else None
        if self.as_root:
            shutil.chown(self.dir, user="postgres")
        self._run(["initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "-E", "UTF8",
                   "--locale=C", "--no-sync"])
        self.port = _free_port()
        # settings in the cluster's own file, so that restart() keeps them
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write("\n# tests/lib/pgcluster.py\nlisten_addresses = '127.0.0.1'\nport = %d\n"
                    "unix_socket_directories = '%s'\nfsync = off\nsynchronous_commit = off\n"
                    "full_page_writes = off\nmax_connections = 400\nshared_buffers = 64MB\n"
                    % (self.port, self.dir))
        self._run(["pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", str(int(START_TIMEOUT)), "start"])
        self.base = "postgresql://postgres@127.0.0.1:%d" % self.port
        atexit.register(self.stop)

    def _cmd(self, argv):
        argv = [os.path.join(PG_BIN, argv[0])] + argv[1:]
        if self.as_root:
            argv = ["runuser", "-u", "postgres", "--"] + argv
        return argv

    def _run(self, argv):
        p = subprocess.run(self._cmd(argv), capture_output=True, text=True, cwd=self.dir)
        if p.returncode != 0:
            tail = ""
            try:
                with open(self.log) as f:
                    tail = f.read()[-2000:]
            except OSError:
                pass
            pytest.fail("%s failed (%d): %s%s\n%s" % (argv[0], p.returncode, p.stdout, p.stderr, tail),
                        pytrace=False)
        return p

    def sql(self, statement, db="postgres"):
        """Run one statement with psql; its output (unaligned, tuples only)."""
        psql = os.path.join(PG_BIN, "psql")
        p = subprocess.run([psql, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", "%s/%s" % (self.base, db),
                            "-c", statement], capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            pytest.fail("psql: %s: %s" % (statement, p.stderr), pytrace=False)
        return p.stdout

    def new_database(self):
        name = "fdx_%d_%d" % (os.getpid(), next(_names))
        self.sql('CREATE DATABASE "%s"' % name)
        return "%s/%s" % (self.base, name)

    def drop_database(self, uri):
        name = uri.rsplit("/", 1)[1]
        # the server has stopped; WITH (FORCE) ends anything left over
        self.sql('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)

    def stop(self):
        if self.dir and os.path.isdir(self.data):
            subprocess.run(self._cmd(["pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop"]),
                           capture_output=True, cwd=self.dir)
            shutil.rmtree(self.dir, ignore_errors=True)

    def restart(self, down_seconds=0.0):
        """Stop the cluster (fast), wait, start it again on the same port."""
        self._run(["pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop"])
        time.sleep(down_seconds)
        self._run(["pg_ctl", "-D", self.data, "-l", self.log, "-w", "start"])


def cluster():
    global _cluster
    with _lock:
        if _cluster is None:
            _cluster = Cluster()
        return _cluster


def new_database():
    return cluster().new_database()
