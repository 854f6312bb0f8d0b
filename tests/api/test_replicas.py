"""Several flamedex servers on one PostgreSQL database (docs/DESIGN.md,
"Replicas"): what one replica stores every other serves, a delete on one
is a 404 on every other at once (their decoded-profile caches included),
a replica killed with SIGKILL mid-upload loses nothing it acknowledged
and leaves nothing half-stored, scrape targets are leased to one replica
at a time and move to the others when it dies, and a PostgreSQL restart
is a 503 database_unavailable while it lasts, after which the replicas
go on by themselves.

Runs only on PostgreSQL (make check-api-pg, FLAMEDEX_TEST_DB=pg): SQLite
is one process's database.
"""

import http.server
import json
import os
import signal
import socketserver
import sys
import threading
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from client import Client  # noqa: E402
from flamedex_server import AUTH, PG, REPO_ROOT, Server, auth_file, db_query, new_token  # noqa: E402

pytestmark = pytest.mark.skipif(not PG, reason="replicas share a PostgreSQL database (FLAMEDEX_TEST_DB=pg)")

PROFILES = ["tests/data/agent-insight/goroutine.pb.gz", "tests/data/agent-insight/heap.pb.gz",
            "tests/data/go-torch/pprof.1.pb.gz"]


def read(path):
    with open(os.path.join(REPO_ROOT, path), "rb") as f:
        return f.read()


def wait_for(cond, what, timeout=30.0, every=0.2):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = cond()
        if last:
            return last
        time.sleep(every)
    pytest.fail("timed out after %.0fs waiting for %s (last: %r)" % (timeout, what, last))


class Replicas:
    """n servers on one fresh database; stop() stops them and drops it."""

    def __init__(self, n, extra_args=()):
        import pgcluster
        import tempfile
        self.db = pgcluster.new_database()
        extra_args = list(extra_args)
        token = None
        if AUTH:   # one --auth-file for all, as a deployment has
            token = new_token()
            self.auth_dir = tempfile.mkdtemp(prefix="flamedex-replicas-")
            extra_args += ["--auth-file", auth_file(os.path.join(self.auth_dir, "auth"),
                                                    [("admin", "test-suite", token)])]
        self.servers = [Server(extra_args, db=self.db) for _ in range(n)]
        for s in self.servers:
            s.token = token
            s.start()
        self.clients = [Client(s.url) for s in self.servers]

    def stop(self):
        problems = [p for p in (s.stop() for s in self.servers) if p]
        import pgcluster
        pgcluster.cluster().drop_database(self.db)
        return problems


@pytest.fixture
def three():
    r = Replicas(3)
    yield r
    problems = r.stop()
    assert not problems, problems


def test_upload_on_one_view_on_the_others_delete_everywhere(three):
    a, b, c = three.clients
    ids = []
    for i, path in enumerate(PROFILES):
        meta = three.clients[i % 3].upload_ok(read(path), {"name": "r%d" % i, "labels": "replica:%d" % i})
        ids.append(meta["id"])
    for i, pid in enumerate(ids):
        metas = [cl.get_json("/api/v1/profiles/" + pid) for cl in three.clients]
        assert metas[0] == metas[1] == metas[2]
        assert metas[0]["name"] == "r%d" % i and metas[0]["labels"] == {"replica": str(i)}
        # the same views from every replica (each decodes it into its cache)
        tops = [cl.get("/api/v1/profiles/%s/top" % pid) for cl in three.clients]
        assert all(t.status == 200 for t in tops), [t.status for t in tops]
        assert tops[0].body == tops[1].body == tops[2].body
        flames = [cl.get("/api/v1/profiles/%s/flamegraph" % pid).body for cl in three.clients]
        assert flames[0] == flames[1] == flames[2]
        raws = [cl.get("/api/v1/profiles/%s/raw" % pid).body for cl in three.clients]
        assert raws[0] == raws[1] == raws[2] == read(PROFILES[i])
    lists = [cl.get_json("/api/v1/profiles") for cl in three.clients]
    assert lists[0] == lists[1] == lists[2] and lists[0]["total"] == len(ids)
    # a label selection (merge) answered and kept by a, then one of its
    # profiles deleted on b: a answers from the database, not its caches
    victim = ids[0]
    assert a.get("/api/v1/profiles/%s/top" % victim).status == 200
    r = b.request("DELETE", "/api/v1/profiles/" + victim)
    assert r.status == 204
    for cl in (a, b, c):
        r = cl.get("/api/v1/profiles/%s/top" % victim)
        assert r.status == 404 and r.error_code() == "not_found", (r.status, r.body[:200])
        assert cl.get("/api/v1/profiles/" + victim).status == 404
        assert cl.get_json("/api/v1/profiles")["total"] == len(ids) - 1
    # deleting it again on c: one delete happened, this one finds it gone
    assert c.request("DELETE", "/api/v1/profiles/" + victim).status == 404
    assert db_query(three.servers[0], "SELECT count(*) FROM profiles")[0][0] == len(ids) - 1


def test_sigkill_mid_uploads_loses_nothing_acknowledged():
    reps = Replicas(2)
    try:
        a, b = reps.clients
        bodies = [read(p) for p in PROFILES]
        acked = {}   # id -> body
        lock = threading.Lock()
        stop = threading.Event()

        def uploader(cl, k):
            i = 0
            while not stop.is_set():
                body = bodies[(i + k) % len(bodies)]
                i += 1
                try:
                    r = cl.upload(body, {"name": "u%d-%d" % (k, i)}, timeout=30)
                except OSError:
                    continue   # the killed replica: not acknowledged
                if r.status == 201:
                    with lock:
                        acked[r.json()["id"]] = body

        threads = [threading.Thread(target=uploader, args=(cl, k)) for k, cl in enumerate([a, a, b, b])]
        for t in threads:
            t.start()
        wait_for(lambda: len(acked) >= 20, "20 acknowledged uploads", timeout=120)
        reps.servers[0].proc.send_signal(signal.SIGKILL)
        reps.servers[0].proc.wait(timeout=30)
        time.sleep(1.0)
        stop.set()
        for t in threads:
            t.join(timeout=60)
        # every acknowledged upload is there, byte for byte, through b
        for pid, body in acked.items():
            r = b.get("/api/v1/profiles/%s/raw" % pid)
            assert r.status == 200 and r.body == body, pid
        # nothing half-stored: every row has its blobs, labels' counters agree
        srv = reps.servers[1]
        n = db_query(srv, "SELECT count(*) FROM profiles")[0][0]
        assert n >= len(acked)
        assert db_query(srv, "SELECT count(*) FROM blobs")[0][0] == n
        assert db_query(srv, "SELECT count(*) FROM stacks")[0][0] == n
        assert db_query(srv, "SELECT count(*) FROM profile_findex")[0][0] == n
        assert db_query(srv, "SELECT coalesce(sum(n), 0) FROM profile_counts")[0][0] == n
        assert b.get_json("/api/v1/profiles")["total"] == n
        # and every stored one is whole: its views answer
        # (pages of 1000: a fast machine stores more than one page here)
        listed = []
        while True:
            page = b.get_json("/api/v1/profiles", {"limit": "1000", "offset": str(len(listed))})["profiles"]
            listed += page
            if len(page) < 1000:
                break
        assert len(listed) == n and len({p["id"] for p in listed}) == n
        for p in listed[:10]:
            assert b.get("/api/v1/profiles/%s/top" % p["id"]).status == 200
    finally:
        if reps.servers[0].proc is not None and reps.servers[0].proc.poll() is not None:
            reps.servers[0].proc = None   # killed on purpose
        problems = reps.stop()
    assert not problems, problems


# ---- scrape leases --------------------------------------------------------


GOROUTINE = None


class Target(http.server.BaseHTTPRequestHandler):
    """A service's /debug/pprof/goroutine: a fixed profile; counts fetches."""
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_GET(self):
        self.server.fetches += 1
        body = GOROUTINE
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class TargetServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    fetches = 0


def leased(cl):
    """{instance: leased} of the goroutine slot of every target in cl."""
    out = {}
    for t in cl.get_json("/api/v1/targets")["targets"]:
        for p in t["profiles"]:
            out[t["instance"]] = p["leased"]
    return out


def test_scrape_targets_leased_to_one_replica_and_handed_over(tmp_path):
    global GOROUTINE
    GOROUTINE = read("tests/data/agent-insight/goroutine.pb.gz")
    targets = []
    for _ in range(4):
        ts = TargetServer(("127.0.0.1", 0), Target)
        threading.Thread(target=ts.serve_forever, daemon=True).start()
        targets.append(ts)
    addrs = ["127.0.0.1:%d" % t.server_address[1] for t in targets]
    off = {k: {"enabled": False} for k in ("process_cpu", "memory", "goroutine", "mutex", "block")}
    off["goroutine"] = {"enabled": True}
    cfg = tmp_path / "scrape.yaml"
    cfg.write_text(json.dumps({"scrape_configs": [{
        "job_name": "svc", "scrape_interval": "1s", "static_configs": [{"targets": addrs}],
        "profiling_config": {"pprof_config": off}}]}))
    reps = Replicas(2, ["--config", str(cfg)])
    try:
        a, b = reps.clients

        def one_owner_each():
            la, lb = leased(a), leased(b)
            if set(la) != set(addrs) or set(lb) != set(addrs):
                return None
            return all(la[x] != lb[x] for x in addrs) and (la, lb)

        la, lb = wait_for(one_owner_each, "every target leased by exactly one replica")
        # scraped once an interval, not once per replica: over 5 s each
        # target is fetched about 5 times (a lease moving can add one)
        before = [t.fetches for t in targets]
        time.sleep(5.0)
        got = [t.fetches - b0 for t, b0 in zip(targets, before)]
        assert all(2 <= g <= 8 for g in got), got
        # every scraped profile stored once: the database's count per target
        # is what the target saw
        # the replica holding a lease dies: the other takes its targets
        # within the lease time (3 s) and a renewal
        reps.servers[0].proc.send_signal(signal.SIGKILL)
        reps.servers[0].proc.wait(timeout=30)
        wait_for(lambda: all(leased(b).values()) and len(leased(b)) == len(addrs),
                 "the surviving replica holding every lease", timeout=15)
        before = [t.fetches for t in targets]
        time.sleep(4.0)
        got = [t.fetches - b0 for t, b0 in zip(targets, before)]
        assert all(g >= 2 for g in got), got
    finally:
        if reps.servers[0].proc is not None and reps.servers[0].proc.poll() is not None:
            reps.servers[0].proc = None
        problems = reps.stop()
        for t in targets:
            t.shutdown()
    assert not problems, problems


# ---- PostgreSQL going away ------------------------------------------------


def test_postgres_restart_is_a_503_then_recovers():
    import pgcluster
    cl = pgcluster.cluster()
    if cl.dir is None:
        pytest.skip("FLAMEDEX_TEST_PG names a cluster this test does not own")
    reps = Replicas(2)
    try:
        a, b = reps.clients
        pid = a.upload_ok(read(PROFILES[0]), {"name": "before"})["id"]
        cl._run(["pg_ctl", "-D", cl.data, "-m", "fast", "-w", "stop"])
        try:
            r = b.get("/api/v1/profiles/" + pid)
            assert r.status == 503 and r.error_code() == "database_unavailable", (r.status, r.body[:300])
            r = a.upload(read(PROFILES[1]), {"name": "during"})
            assert r.status == 503 and r.error_code() == "database_unavailable", (r.status, r.body[:300])
        finally:
            cl._run(["pg_ctl", "-D", cl.data, "-l", cl.log, "-w", "start"])
        # both go on by themselves
        wait_for(lambda: b.get("/api/v1/profiles/" + pid).status == 200, "b reading again")
        meta = wait_for(lambda: (lambda r: r.status == 201 and r)(a.upload(read(PROFILES[1]), {"name": "after"})),
                        "a storing again")
        assert b.get_json("/api/v1/profiles/" + meta.json()["id"])["name"] == "after"
    finally:
        problems = reps.stop()
    assert not problems, problems


# ---- behind nginx (deploy/nginx-replicas.conf.example) --------------------


def test_two_replicas_behind_the_nginx_example(tmp_path):
    """The example as shipped, its upstream pointed at two replicas: what is
    uploaded through nginx every replica serves, and nginx's answers are
    theirs."""
    import re
    import shutil as sh
    import subprocess
    nginx = sh.which("nginx") or "/usr/sbin/nginx"
    if not os.access(nginx, os.X_OK):
        pytest.fail("no nginx: apt-get install nginx-light (or nginx)", pytrace=False)
    reps = Replicas(2)
    proc = None
    try:
        with open(os.path.join(REPO_ROOT, "deploy", "nginx-replicas.conf.example")) as f:
            example = f.read()
        ports = [s.port for s in reps.servers]
        servers = "".join("    server 127.0.0.1:%d max_fails=2 fail_timeout=5s;\n" % p for p in ports)
        conf, n = re.subn(r"(?m)^    server 127\.0\.0\.1:808[1-9][^\n]*\n", "", example)
        assert n == 3, "the example's upstream lists three replicas"
        conf = conf.replace("    least_conn;\n", "    least_conn;\n" + servers)
        from flamedex_server import free_port
        front = free_port()
        conf, n = re.subn(r"listen 127\.0\.0\.1:8080;", "listen 127.0.0.1:%d;" % front, conf)
        assert n == 1
        d = str(tmp_path)
        with open(os.path.join(d, "nginx.conf"), "w") as f:
            f.write("pid %s/nginx.pid;\nerror_log %s/error.log;\nevents {}\nhttp {\n"
                    "access_log %s/access.log;\nclient_body_temp_path %s/body;\nproxy_temp_path %s/proxy;\n"
                    "%s\n}\n" % (d, d, d, d, d, conf))
        if os.geteuid() == 0:
            os.chmod(d, 0o777)
        proc = subprocess.Popen([nginx, "-p", d, "-c", os.path.join(d, "nginx.conf"), "-g", "daemon off;"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        token = reps.servers[0].token
        url = "http://%s127.0.0.1:%d" % ("flamedex:%s@" % token if token else "", front)
        via = Client(url)
        wait_for(lambda: proc.poll() is None and via.healthy(), "nginx answering", timeout=20)
        ids = [via.upload_ok(read(p), {"name": "n%d" % i})["id"] for i, p in enumerate(PROFILES * 2)]
        assert len(set(ids)) == len(ids)
        for i, pid in enumerate(ids):
            metas = [cl.get_json("/api/v1/profiles/" + pid) for cl in reps.clients + [via]]
            assert metas[0] == metas[1] == metas[2], pid
            tops = [cl.get("/api/v1/profiles/%s/top" % pid).body for cl in reps.clients + [via]]
            assert tops[0] == tops[1] == tops[2]
        # both replicas stored some of them (least_conn among idle ones
        # goes round them)
        stored = [s.log_tail(400000).count("msg=stored") for s in reps.servers]
        assert sum(stored) == len(ids) and all(stored), stored
        assert via.request("DELETE", "/api/v1/profiles/" + ids[0]).status == 204
        for cl in reps.clients + [via]:
            assert cl.get("/api/v1/profiles/" + ids[0]).status == 404
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
        problems = reps.stop()
    assert not problems, problems


def test_replicas_starting_together_migrate_once():
    import glob
    import pgcluster
    db = pgcluster.new_database()
    servers = [Server(db=db) for _ in range(3)]
    threads = [threading.Thread(target=s.start) for s in servers]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert all(s.alive() for s in servers)
        n = len(glob.glob(os.path.join(REPO_ROOT, "schema", "pg", "*.sql")))
        assert n >= 3
        rows = db_query(servers[0], "SELECT version FROM schema_migrations ORDER BY version")
        assert rows == [(v,) for v in range(1, n + 1)], rows
        migrated = sum(s.log_tail(200000).count("msg=\"migrated database\"") for s in servers)
        assert migrated == n, migrated   # each migration once, by one of them
    finally:
        problems = [p for p in (s.stop() for s in servers) if p]
        pgcluster.cluster().drop_database(db)
    assert not problems, problems


def test_a_kept_merge_answer_sees_a_delete_on_another_replica(three):
    a, b, c = three.clients
    body = read(PROFILES[2])
    ids = [a.upload_ok(body, {"name": "m%d" % i, "labels": "svc:m"})["id"] for i in range(3)]
    q = "/api/v1/merge/top?ids=" + ",".join(ids)
    first = a.get(q)
    assert first.status == 200, first.body[:300]
    assert a.get(q).body == first.body   # answered again (kept)
    assert c.get(q).body == first.body   # the same from another replica
    assert b.request("DELETE", "/api/v1/profiles/" + ids[1]).status == 204
    for cl in (a, c):
        r = cl.get(q)
        assert r.status == 404 and r.error_code() == "not_found", (r.status, r.body[:300])
    # the label selection simply no longer has it, on every replica
    sel = [cl.get_json("/api/v1/merge/top", {"label": "svc:m"})["merge"]["profiles"] for cl in (a, b, c)]
    assert sel == [2, 2, 2], sel


@pytest.mark.parametrize("pool", ["0", "257", "lots"])
def test_db_pool_out_of_range_is_refused_at_start(pool, tmp_path):
    import subprocess
    from flamedex_server import free_port, server_binary
    import pgcluster
    db = pgcluster.new_database()
    try:
        r = subprocess.run([server_binary(), "--listen", "127.0.0.1:%d" % free_port(), "--db", db,
                            "--db-pool", pool], capture_output=True, text=True, timeout=60)
        assert r.returncode != 0 and "db-pool" in r.stderr, (r.returncode, r.stderr[-500:])
        # nothing was made in the database
        rows = db_query(Server(db=db), "SELECT count(*) FROM pg_tables WHERE tablename='profiles'")
        assert rows == [(0,)], rows
    finally:
        pgcluster.cluster().drop_database(db)


def test_db_pool_bounds_the_connections_of_a_replica():
    reps = Replicas(1, ["--db-pool", "2"])
    try:
        (a,) = reps.clients
        body = read(PROFILES[2])
        errors = []

        def work(k):
            for i in range(4):
                r = a.upload(body, {"name": "p%d-%d" % (k, i)})
                if r.status != 201:
                    errors.append(r.status)

        ts = [threading.Thread(target=work, args=(k,)) for k in range(6)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        assert not errors, errors
        # the connections of this database: the pool's, plus the lock
        # connection retention may hold (db_pg_trylock), plus the query's own
        n = db_query(reps.servers[0], "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                      "AND pid <> pg_backend_pid()")[0][0]
        assert n <= 2 + 2, n
        assert a.get_json("/api/v1/profiles")["total"] == 24
    finally:
        problems = reps.stop()
    assert not problems, problems
