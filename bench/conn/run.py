#!/usr/bin/env python3
"""Connection benchmark: is the server still quick for normal clients while
hundreds of slow ones hold sockets open?

    make bench-conn          # or: FLAMEDEX_BIN=build/server/flamedex python3 bench/conn/run.py

For each number of slow sockets (default 0 and 500), starts a fresh server
(default flags unless FLAMEDEX_ARGS adds some), uploads one profile (the
largest profile.proto of the corpus, or BENCH_PROFILE), opens the slow
sockets from 127.0.0.2.. (50 per address, under the per-address limit),
each sending one header byte every 2 s, and then measures from 127.0.0.1:
REQUESTS sequential GET /healthz, each on a new connection (plaintext
connections carry one request), and VIEWS views of the profile
(/top and /flamegraph). Prints a Markdown table and writes
bench/out/conn.json. Timings are reported, never asserted; a request
that fails is counted and reported.

Environment: FLAMEDEX_BIN, FLAMEDEX_CORPUS, BENCH_PROFILE, BENCH_SLOW
(comma-separated socket counts, default "0,500"), BENCH_REQUESTS (1000),
BENCH_VIEWS (20), BENCH_OUT (bench/out), FLAMEDEX_ARGS (extra server flags).
"""

import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
from slowclients import Drippers  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port, path, timeout=30):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def biggest_profile():
    if os.environ.get("BENCH_PROFILE"):
        return os.environ["BENCH_PROFILE"]
    corpus = os.environ.get("FLAMEDEX_CORPUS") or os.path.join(ROOT, "..", "shared", "corpus")
    best = None
    with open(os.path.join(corpus, "MANIFEST.tsv")) as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if len(cols) > 6 and cols[6] == "proto":
                p = os.path.join(corpus, cols[0])
                if os.path.isfile(p) and (best is None or os.path.getsize(p) > os.path.getsize(best)):
                    best = p
    if not best:
        sys.exit("bench-conn: no profile.proto in %s (set BENCH_PROFILE)" % corpus)
    return best


class Server:
    def __init__(self, binary):
        self.dir = tempfile.mkdtemp(prefix="flamedex-bench-conn-")
        self.port = free_port()
        self.log = open(os.path.join(self.dir, "server.log"), "wb")
        args = os.environ.get("FLAMEDEX_ARGS", "").split()
        self.proc = subprocess.Popen([binary, "--listen", "127.0.0.1:%d" % self.port, "--db",
                                      os.path.join(self.dir, "db"), "--web", os.path.join(ROOT, "web")] + args,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if get(self.port, "/healthz", 2)[0] == 200:
                    return
            except OSError:
                time.sleep(0.05)
        sys.exit("bench-conn: the server did not start (log in %s)" % self.dir)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))] if xs else float("nan")


def measure(binary, profile, n_slow, n_req, n_views):
    srv = Server(binary)
    try:
        with open(profile, "rb") as f:
            c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
            c.request("POST", "/api/v1/profiles?name=bench", body=f.read(),
                      headers={"Content-Type": "application/octet-stream"})
            r = c.getresponse()
            pid = json.loads(r.read())["id"]
            c.close()
        sources = ["127.0.0.%d" % (2 + i) for i in range(n_slow // 50 + 1)]
        slow = Drippers(srv.port, n_slow, sources, every=2.0, per_source=50) if n_slow else None
        time.sleep(1.0)
        lat, fails = [], 0
        t_all = time.monotonic()
        for _ in range(n_req):
            t = time.monotonic()
            try:
                ok = get(srv.port, "/healthz", 10) == (200, b"ok\n")
            except OSError:
                ok = False
            lat.append((time.monotonic() - t) * 1000)
            fails += not ok
        t_all = time.monotonic() - t_all
        views, vfails = [], 0
        for i in range(n_views):
            path = "/api/v1/profiles/%s/%s" % (pid, "top?limit=20" if i % 2 == 0 else "flamegraph")
            t = time.monotonic()
            try:
                ok = get(srv.port, path, 60)[0] == 200
            except OSError:
                ok = False
            views.append((time.monotonic() - t) * 1000)
            vfails += not ok
        still_open = n_slow - (slow.n_closed() if slow else 0)
        if slow:
            slow.close()
        return {
            "slow_sockets": n_slow, "slow_still_open": still_open, "requests": n_req, "failed": fails,
            "healthz_p50_ms": round(pct(lat, 50), 2), "healthz_p99_ms": round(pct(lat, 99), 2),
            "healthz_max_ms": round(max(lat), 2), "healthz_per_s": round(n_req / t_all, 1),
            "views": n_views, "views_failed": vfails, "view_median_ms": round(statistics.median(views), 1),
        }
    finally:
        srv.stop()


def main():
    binary = os.environ.get("FLAMEDEX_BIN") or os.path.join(ROOT, "build", "server", "flamedex")
    if not os.access(binary, os.X_OK):
        sys.exit("bench-conn: no server binary at %s (build it, or set FLAMEDEX_BIN)" % binary)
    profile = biggest_profile()
    slows = [int(x) for x in os.environ.get("BENCH_SLOW", "0,500").split(",")]
    n_req = int(os.environ.get("BENCH_REQUESTS", "1000"))
    n_views = int(os.environ.get("BENCH_VIEWS", "20"))
    rows = [measure(binary, profile, n, n_req, n_views) for n in slows]
    print("profile: %s (%d bytes); server flags: %s" % (os.path.relpath(profile, ROOT), os.path.getsize(profile),
                                                         os.environ.get("FLAMEDEX_ARGS") or "defaults"))
    print("| slow sockets | still open at the end | /healthz p50 | p99 | max | req/s | failed | "
          "view median (%d: top, flamegraph) | views failed |" % n_views)
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print("| %d | %d | %.2f ms | %.2f ms | %.2f ms | %.0f | %d / %d | %.1f ms | %d |" % (
            r["slow_sockets"], r["slow_still_open"], r["healthz_p50_ms"], r["healthz_p99_ms"],
            r["healthz_max_ms"], r["healthz_per_s"], r["failed"], r["requests"], r["view_median_ms"],
            r["views_failed"]))
    out = os.environ.get("BENCH_OUT") or os.path.join(ROOT, "bench", "out")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "conn.json"), "w") as f:
        json.dump({"profile": profile, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
