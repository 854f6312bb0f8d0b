#!/usr/bin/env python3
"""PostgreSQL against SQLite (issue 15): the same server binary on both.

  FLAMEDEX_BIN=build/server/flamedex python3 bench/pg/run.py [PROFILE...]

Defaults to bench/out/large.pb.gz and bench/out/mid.pb.gz (bench/run.sh
makes them). A throwaway PostgreSQL 15 cluster (tests/lib/pgcluster.py,
as the postgres user when run as root; fsync off, as SQLite's --sync
normal does not fsync each commit either).

Per profile and backend: the median upload (POST, 201) of REPEAT uploads,
the cold top and flame graph (first request after a restart: read the
stored stacks and decode) and the warm ones (median of REPEAT), with go
tool pprof -top on the same file as the ratio's base (BENCH_PPROF_RUNS,
default 3, median). Then uploads a
second of the mid-size profile with 1, 2 and 3 replicas on one PostgreSQL
(CLIENTS concurrent uploaders spread over them) against one SQLite server,
and the top view's latency meanwhile. Never asserts on timings.
"""

import http.client
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
import pgcluster  # noqa: E402

BIN = os.environ.get("FLAMEDEX_BIN", os.path.join(ROOT, "build", "server", "flamedex"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "5"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "6"))
LOAD_S = float(os.environ.get("BENCH_LOAD_S", "15"))


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Srv:
    def __init__(self, db):
        self.db = db
        self.port = None
        self.proc = None
        self.dir = tempfile.mkdtemp(prefix="flamedex-benchpg-")

    def start(self):
        self.port = free_port()
        log = open(os.path.join(self.dir, "log"), "ab")
        self.proc = subprocess.Popen([BIN, "--listen", "127.0.0.1:%d" % self.port, "--db", self.db, "--web",
                                      os.path.join(ROOT, "web")], stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if self.req("GET", "/healthz")[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        raise SystemExit("server did not start: " + open(os.path.join(self.dir, "log")).read()[-2000:])

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)

    def req(self, method, path, body=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        try:
            t0 = time.perf_counter()
            c.request(method, path, body=body, headers={"Content-Type": "application/octet-stream"} if body else {})
            r = c.getresponse()
            data = r.read()
            return r.status, data, time.perf_counter() - t0
        finally:
            c.close()


def pprof_top_s(path):
    env = dict(os.environ, GO111MODULE="off", GOPATH="/usr/share/gocode", GOFLAGS="")
    ts = []
    for _ in range(int(os.environ.get("BENCH_PPROF_RUNS", "3"))):
        t0 = time.perf_counter()
        subprocess.run(["go", "tool", "pprof", "-top", "-symbolize=none", path], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, env=env, check=True)
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def per_backend(path, db):
    data = open(path, "rb").read()
    s = Srv(db).start()
    out = {}
    ups, ids = [], []
    for i in range(REPEAT):
        st, body, dt = s.req("POST", "/api/v1/profiles?name=b%d" % i, data)
        assert st == 201, (st, body[:300])
        ups.append(dt)
        ids.append(json.loads(body)["id"])
    out["upload_s"] = statistics.median(ups)
    for view in ("top", "flamegraph"):
        s.stop()
        s.start()   # nothing cached
        st, _, dt = s.req("GET", "/api/v1/profiles/%s/%s" % (ids[0], view))
        assert st == 200
        out[view + "_cold_s"] = dt
        warm = [s.req("GET", "/api/v1/profiles/%s/%s" % (ids[0], view))[2] for _ in range(REPEAT)]
        out[view + "_warm_s"] = statistics.median(warm)
    s.stop()
    shutil.rmtree(s.dir, ignore_errors=True)
    return out


def load(servers, data, seconds):
    """CLIENTS uploaders over servers for seconds; uploads/s and the top
    view's median latency on servers[0] meanwhile."""
    stop = threading.Event()
    done = [0]
    lock = threading.Lock()
    first = None
    st, body, _ = servers[0].req("POST", "/api/v1/profiles?name=seed", data)
    assert st == 201
    first = json.loads(body)["id"]

    def up(k):
        s = servers[k % len(servers)]
        while not stop.is_set():
            st, _, _ = s.req("POST", "/api/v1/profiles?name=l%d" % k, data)
            if st == 201:
                with lock:
                    done[0] += 1

    ts = [threading.Thread(target=up, args=(k,)) for k in range(CLIENTS)]
    t0 = time.perf_counter()
    for t in ts:
        t.start()
    lat = []
    while time.perf_counter() - t0 < seconds:
        lat.append(servers[-1].req("GET", "/api/v1/profiles/%s/top" % first)[2])
        time.sleep(0.2)
    stop.set()
    for t in ts:
        t.join()
    wall = time.perf_counter() - t0
    return done[0] / wall, statistics.median(lat)


def main():
    files = sys.argv[1:] or [os.path.join(ROOT, "bench", "out", f) for f in ("large.pb.gz", "mid.pb.gz")]
    cl = pgcluster.cluster()
    print("load average at start: %s" % open("/proc/loadavg").read().split()[:3])
    rows = []
    for f in files:
        tmp = tempfile.mkdtemp(prefix="flamedex-benchpg-sq-")
        sq = per_backend(f, os.path.join(tmp, "f.db"))
        shutil.rmtree(tmp, ignore_errors=True)
        pg = per_backend(f, cl.new_database())
        print(os.path.basename(f), "sqlite", sq, "pg", pg, flush=True)
        base = pprof_top_s(f)
        rows.append((os.path.basename(f), base, sq, pg))
    print("\n| profile | metric | SQLite | PostgreSQL | PG/SQLite | SQLite/pprof | PG/pprof |")
    print("|---|---|---|---|---|---|---|")
    for name, base, sq, pg in rows:
        for k in ("upload_s", "top_cold_s", "top_warm_s", "flamegraph_cold_s", "flamegraph_warm_s"):
            print("| %s | %s | %.3f s | %.3f s | %.2f | %.2f | %.2f |" % (
                name, k[:-2], sq[k], pg[k], pg[k] / sq[k], sq[k] / base, pg[k] / base))
        print("| %s | go tool pprof -top | %.3f s | | | | |" % (name, base))
    mid = [f for f in files if "mid" in os.path.basename(f)] or files[-1:]
    data = open(mid[0], "rb").read()
    print("\nuploads/s of %s, %d clients, %.0f s; top latency (median) meanwhile" % (
        os.path.basename(mid[0]), CLIENTS, LOAD_S))
    tmp = tempfile.mkdtemp(prefix="flamedex-benchpg-sq-")
    s = Srv(os.path.join(tmp, "f.db")).start()
    rate, lat = load([s], data, LOAD_S)
    s.stop()
    shutil.rmtree(tmp, ignore_errors=True)
    print("| SQLite, 1 server | %.1f uploads/s | top %.1f ms |" % (rate, lat * 1000), flush=True)
    base_rate = rate
    for n in (1, 2, 3):
        db = cl.new_database()
        ss = [Srv(db).start() for _ in range(n)]
        rate, lat = load(ss, data, LOAD_S)
        for x in ss:
            x.stop()
        print("| PostgreSQL, %d replica(s) | %.1f uploads/s (%.2fx SQLite) | top %.1f ms |" % (
            n, rate, rate / base_rate, lat * 1000), flush=True)
    print("load average at end: %s" % open("/proc/loadavg").read().split()[:3])


if __name__ == "__main__":
    main()
