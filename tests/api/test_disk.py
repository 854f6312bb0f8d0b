"""A full disk and durable acknowledgements (issue 10; docs/DESIGN.md,
"Storage: durability and a full disk").

The store is made full two ways, and every test below runs on both:
  tmpfs      the database on a small tmpfs mounted for the test (root);
             a real ENOSPC. Where mount is refused (no CAP_SYS_ADMIN) the
             test says so on stderr and uses the database cap instead, so
             the case is still run, never skipped.
  db-cap     the database capped with --max-db-bytes (SQLite's
             max_page_count): SQLITE_FULL at the cap.
Filled until an upload gets 507 insufficient_storage, which must store
nothing; every earlier profile must still read back byte for byte (/raw);
a DELETE must succeed and give the space back (the database file shrinks
and the next upload fits), also after a restart; kill -9 while uploads run
on the full store loses no acknowledged profile; and a random walk of
uploads, deletes, restarts and kills keeps all of that true at every step.

--sync full (the default) must fsync the WAL before a 201: checked with
strace on the running server (fdatasync/fsync of the -wal file).
"""

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

import pytest

import pb
from client import Client
from flamedex_server import Server, server_binary, sqlite_only

PROFILE_KIB = 300          # each upload ~300 KiB of incompressible strings
TMPFS_SIZE = "12m"
RESERVE = "2m"             # --disk-reserve on the tmpfs
DB_CAP = "6m"              # --max-db-bytes
MAX_FILL = 200             # uploads before the store must have been full


def profile(seed):
    """A valid, uncompressed profile of ~PROFILE_KIB KiB, distinct per seed."""
    return profile_kib(seed, PROFILE_KIB)


def profile_kib(seed, kib):
    rnd = random.Random(seed)
    b = pb.Builder()
    b.sample_type("samples", "count").mapping(1)
    b.function(1, "main.f%d" % seed).location(1, [(1, 1)], mapping_id=1).sample([1], [seed + 1])
    extra = ["%0256x" % rnd.getrandbits(1024) for _ in range(kib * 4)]
    return b.encode(extra_strings=extra)


class Store:
    """Where the database lives and how it is made full."""

    def __init__(self, kind, root):
        self.kind = kind
        self.root = root
        self.mounted = False
        self.servers = []
        self.dir = os.path.join(root, "db")
        os.makedirs(self.dir)
        if kind == "tmpfs":
            try:
                r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=" + TMPFS_SIZE, "tmpfs", self.dir],
                                   capture_output=True, text=True)
            except OSError as e:   # no mount(8) at all
                r = subprocess.CompletedProcess([], 1, "", str(e))
            if r.returncode == 0:
                self.mounted = True
            else:
                sys.stderr.write("test_disk: mount -t tmpfs refused (%s); using --max-db-bytes instead\n"
                                 % (r.stderr.strip() or r.returncode))
        self.db = os.path.join(self.dir, "flamedex.db")

    def args(self):
        if self.mounted:
            return ["--db", self.db, "--disk-reserve", RESERVE]
        return ["--db", self.db, "--max-db-bytes", DB_CAP]

    def pages(self):
        """(page_count, freelist_count, page_size) of the database as the
        server has committed it (a read-only look beside the server)."""
        con = sqlite3.connect("file:%s?mode=ro" % self.db, uri=True)
        try:
            return tuple(con.execute("PRAGMA %s" % p).fetchone()[0]
                         for p in ("page_count", "freelist_count", "page_size"))
        finally:
            con.close()

    def close(self):
        for srv in self.servers:   # a failed test may leave one running
            srv._kill()
        if self.mounted:
            subprocess.run(["umount", "-l", self.dir])


@pytest.fixture(params=["tmpfs", "db-cap"])
def store(request):
    root = tempfile.mkdtemp(prefix="flamedex-disk-")
    s = Store(request.param, root)
    yield s
    s.close()
    shutil.rmtree(root, ignore_errors=True)


def start(store):
    srv = Server(store.args())
    store.servers.append(srv)
    srv.start()
    return srv, Client(srv.url)


def stop(srv):
    problem = srv.stop()
    assert problem is None, problem


def fill(c, stored, seed0):
    """Upload distinct profiles until one gets 507; returns the next seed.
    stored: {id: bytes} of the acknowledged ones (updated)."""
    for k in range(MAX_FILL):
        data = profile(seed0 + k)
        r = c.upload(data)
        if r.status == 507:
            assert r.error_code() == "insufficient_storage", r
            return seed0 + k + 1
        assert r.status == 201, "upload -> %r" % r
        stored[r.json()["id"]] = data
    pytest.fail("%d uploads of %d KiB and the store was never full" % (MAX_FILL, PROFILE_KIB))


def check_all(c, stored):
    """Every acknowledged profile is listed and reads back byte for byte,
    and nothing else is stored."""
    assert c.list_total() == len(stored)
    for pid, data in stored.items():
        r = c.get("/api/v1/profiles/%s/raw" % pid)
        assert r.status == 200, (pid, r)
        assert r.body == data, "profile %s changed (%d bytes, want %d)" % (pid, len(r.body), len(data))


def full_then_free(c, store, stored, seed):
    """On a full store: 507 stores nothing, DELETE frees space, the next
    upload fits. Returns the next seed."""
    seed = fill(c, stored, seed)
    assert len(stored) >= 3, "store full after %d uploads: make it bigger" % len(stored)
    before = c.list_total()
    r = c.upload(profile(seed))   # still full: a second 507, nothing stored
    assert r.status == 507 and r.error_code() == "insufficient_storage", r
    seed += 1
    assert c.list_total() == before
    check_all(c, stored)

    pages_before, _, page = store.pages()
    victim = next(iter(stored))
    r = c.request("DELETE", "/api/v1/profiles/" + victim)
    assert r.status == 204, "DELETE on a full store -> %r" % r
    del stored[victim]
    assert c.get("/api/v1/profiles/" + victim).status == 404
    pages_after, free_after, _ = store.pages()
    assert free_after == 0, "%d free pages left in the file after a DELETE" % free_after
    shrunk = (pages_before - pages_after) * page
    assert shrunk >= PROFILE_KIB * 1024 // 2, \
        "DELETE gave back %d bytes of the database (a profile is ~%d KiB)" % (shrunk, PROFILE_KIB)

    data = profile(seed)
    seed += 1
    r = c.upload(data)
    assert r.status == 201, "upload after a DELETE on a full store -> %r" % r
    stored[r.json()["id"]] = data
    check_all(c, stored)
    return seed


def test_full_store_507_delete_frees_restart(store):
    stored = {}
    srv, c = start(store)
    try:
        seed = full_then_free(c, store, stored, 0)
        seed = fill(c, stored, seed)     # full again, then stopped
    finally:
        stop(srv)
    # Restarted on the full store: everything is there, the first request,
    # a DELETE, works and frees room for an upload; then it all works again
    # (fill, 507, DELETE, the next upload fits).
    srv, c = start(store)
    try:
        victim = next(iter(stored))
        r = c.request("DELETE", "/api/v1/profiles/" + victim)
        assert r.status == 204, "DELETE after a restart on a full store -> %r" % r
        del stored[victim]
        data = profile(seed)
        seed += 1
        r = c.upload(data)
        assert r.status == 201, "upload after DELETE after restart -> %r" % r
        stored[r.json()["id"]] = data
        check_all(c, stored)
        full_then_free(c, store, stored, seed)
    finally:
        stop(srv)


def test_kill9_during_uploads_on_full_store_keeps_acknowledged(store):
    stored = {}
    srv, c = start(store)
    seed = fill(c, stored, 1000)
    # Free room for a few, then four clients upload (201s and 507s) and
    # one deletes while the server is killed.
    victims = list(stored)[:3]
    for v in victims:
        assert c.request("DELETE", "/api/v1/profiles/" + v).status == 204
        del stored[v]
    lock = threading.Lock()
    statuses = []
    stop_flag = threading.Event()
    killed = threading.Event()

    def uploader(t):
        k = 0
        while not stop_flag.is_set():
            data = profile(seed + 100000 * (t + 1) + k)
            k += 1
            try:
                r = c.upload(data, timeout=30)
            except Exception:
                if killed.is_set():
                    return   # the server was killed under this request
                raise
            with lock:
                statuses.append(r.status)
                if r.status == 201:
                    stored[r.json()["id"]] = data
            assert r.status in (201, 507), r

    threads = [threading.Thread(target=uploader, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with lock:
            if statuses.count(507) >= 8 and statuses.count(201) >= 1:
                break
        time.sleep(0.02)
    with lock:
        acked = dict(stored)
        seen = list(statuses)
    killed.set()
    srv.proc.send_signal(signal.SIGKILL)
    srv.proc.wait()
    stop_flag.set()
    for t in threads:
        t.join(60)
    assert seen.count(201) >= 1 and seen.count(507) >= 8, \
        "within 120 s the uploads did not both succeed and hit the full store: %r" % seen[-40:]
    shutil.rmtree(srv.dir, ignore_errors=True)

    srv, c = start(store)
    try:
        total = c.list_total()
        for pid, data in acked.items():
            r = c.get("/api/v1/profiles/%s/raw" % pid)
            assert r.status == 200, "acknowledged profile %s lost after kill -9: %r" % (pid, r)
            assert r.body == data
        # only the (at most four) uploads in flight at the kill may have
        # committed unacknowledged
        assert len(acked) <= total <= len(acked) + 4, (len(acked), total)
        # and the store still frees space after the crash
        victim = next(iter(acked))
        assert c.request("DELETE", "/api/v1/profiles/" + victim).status == 204
        r = c.upload(profile(seed + 999))
        assert r.status == 201, r
    finally:
        stop(srv)


def test_random_uploads_deletes_restarts_and_kills_on_full_store(store):
    """A seeded random walk over uploads of 50 KiB to 2 MiB, deletes,
    clean restarts and kill -9 on the full store: every DELETE is a 204,
    every upload a 201 or a 507, and what was acknowledged is what is
    stored, byte for byte, at every check."""
    rnd = random.Random(20261202)
    stored = {}
    srv, c = start(store)
    seed = 50000
    statuses = []
    try:
        for step in range(150):
            op = rnd.random()
            if op < 0.6:
                data = profile_kib(seed, rnd.choice([50, 200, 800, 2000]))
                seed += 1
                r = c.upload(data)
                statuses.append(r.status)
                assert r.status in (201, 507), "step %d: upload -> %r" % (step, r)
                if r.status == 201:
                    stored[r.json()["id"]] = data
                else:
                    assert r.error_code() == "insufficient_storage"
            elif op < 0.9 and stored:
                victim = rnd.choice(sorted(stored))
                r = c.request("DELETE", "/api/v1/profiles/" + victim)
                assert r.status == 204, "step %d: DELETE -> %r" % (step, r)
                del stored[victim]
            else:
                if rnd.random() < 0.5:
                    stop(srv)
                else:
                    srv._kill()
                    shutil.rmtree(srv.dir, ignore_errors=True)
                srv, c = start(store)
            if step % 30 == 29:
                check_all(c, stored)
        check_all(c, stored)
        assert statuses.count(507) >= 5, "the store was never full: %r" % statuses
    finally:
        stop(srv)


# ---------------------------------------------------------------- --sync

def wal_syncs(extra_args, uploads=3):
    """Start a server, trace it while it takes `uploads` small uploads, and
    return how many fsync/fdatasync calls were made on its -wal file."""
    if not shutil.which("strace"):
        pytest.fail("strace not found (Debian package: strace; deploy/dev.sh check installs it)",
                    pytrace=False)
    srv = Server(extra_args).start()
    trace = os.path.join(srv.dir, "strace.out")
    st = subprocess.Popen(["strace", "-f", "-y", "-qq", "-e", "trace=fsync,fdatasync", "-o", trace,
                           "-p", str(srv.proc.pid)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        c = Client(srv.url)
        time.sleep(1.0)  # let strace attach to every thread
        for k in range(uploads):
            c.upload_ok(pb.simple_profile({("main.main", "main.f%d" % k): [1, 2]}))
    finally:
        st.send_signal(signal.SIGINT)
        _, err = st.communicate(timeout=30)
    with open(trace) as f:
        lines = f.read().splitlines()
    stop(srv)
    assert st.returncode in (0, -signal.SIGINT, 130), "strace failed: %s" % err.decode()[-500:]
    return sum(1 for ln in lines if "-wal>" in ln and ("fsync(" in ln or "fdatasync(" in ln))


@sqlite_only   # --sync is SQLite's; PostgreSQL's commit is its synchronous_commit
def test_sync_full_fsyncs_every_acknowledged_upload():
    n = wal_syncs([])              # the default is --sync full
    assert n >= 3, "with --sync full, 3 uploads made %d fsyncs of the WAL" % n


@sqlite_only   # --sync is SQLite's; PostgreSQL's commit is its synchronous_commit
def test_sync_normal_does_not_fsync_each_commit():
    n = wal_syncs(["--sync", "normal"])
    assert n == 0, "with --sync normal, 3 small uploads made %d fsyncs of the WAL" % n


def test_sync_bad_value_refused():
    r = subprocess.run([server_binary(), "--sync", "maybe", "--db", "/nonexistent/x.db"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2, r
    assert "--sync" in r.stderr and "full or normal" in r.stderr, r.stderr


# ------------------------------------------------------- migration 005

def test_older_database_gets_incremental_vacuum_and_keeps_its_rows(tmp_path):
    """A database made by migrations 001-004 (auto_vacuum off) is VACUUMed
    into auto_vacuum=INCREMENTAL at start, its rows intact."""
    schema = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "schema")
    old = ["001_init.sql", "003_access.sql", "004_client_time.sql"]
    db = str(tmp_path / "old.db")
    con = sqlite3.connect(db)
    for f in old:
        with open(os.path.join(schema, f)) as fh:
            con.executescript(fh.read())
    con.execute("INSERT INTO sessions VALUES('h','t','n',1,2)")
    con.execute("PRAGMA user_version=%d" % len(old))
    con.commit()
    assert con.execute("PRAGMA auto_vacuum").fetchone()[0] == 0
    con.close()
    srv = Server(["--db", db]).start()
    try:
        assert srv.alive()
    finally:
        stop(srv)
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA auto_vacuum").fetchone()[0] == 2   # INCREMENTAL
        assert con.execute("PRAGMA user_version").fetchone()[0] > len(old)
        assert con.execute("SELECT id_hash, name FROM sessions").fetchall() == [("h", "n")]
    finally:
        con.close()
