#!/usr/bin/env python3
"""bench/budget: peak memory under N concurrent worst-case requests of
every kind, against a 4 GiB budget (--cache-bytes 1g + --max-inflight 3g).

    FLAMEDEX_BIN=build/server/flamedex python3 bench/budget/run.py [--quick] [--only WORD]

--only WORD runs the phases whose name contains WORD (e.g. --only leaks;
large.pb.gz is then needed only if one of them uses it).

Needs bench/out/large.pb.gz (bench/run.sh makes it with bench/gen; or
GO111MODULE=off GOPATH=/usr/share/gocode go run ./bench/gen -size large
-out bench/out/large.pb.gz). Goroutine profiles for /leaks are generated
here (tests/api/test_budget.py's big_profile, deterministic).

Each phase runs against a fresh server on one prepared database (so its
peak is its own) and prints: the requests, their statuses, the wall time,
the process's peak RSS (VmHWM) and the memory account's peak (from the
server's "memory account" log line at stop). Never asserts: it prints.
"""
import gzip
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "api"))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
from test_budget import big_profile  # noqa: E402

BIN = os.environ.get("FLAMEDEX_BIN", os.path.join(ROOT, "build", "server", "flamedex"))
LARGE = os.path.join(ROOT, "bench", "out", "large.pb.gz")
QUICK = "--quick" in sys.argv
ONLY = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None
# The budget, and no per-address connection limit: every client here is
# 127.0.0.1, and the last phase opens more than --max-conns-per-ip (64).
FLAGS = ["--cache-bytes", "1g", "--max-inflight", "3g", "--max-conns-per-ip", "0"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Srv:
    def __init__(self, db, flags):
        self.port = free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="flamedex-bench-budget-", suffix=".log", delete=False)
        self.proc = subprocess.Popen([BIN, "--listen", "127.0.0.1:%d" % self.port, "--db", db,
                                      "--web", os.path.join(ROOT, "web")] + flags,
                                     stdout=self.log, stderr=subprocess.STDOUT, cwd=ROOT)
        for _ in range(200):
            try:
                if urllib.request.urlopen(self.url("/healthz"), timeout=2).status == 200:
                    break
            except OSError:
                time.sleep(0.05)
        self.start_hwm = self.hwm()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def hwm(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
        return 0

    def stop(self):
        peak = self.hwm()
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(60)
        self.log.close()
        acct = ""
        with open(self.log.name) as f:
            for line in f:
                if "memory account" in line:
                    acct = line
        os.unlink(self.log.name)
        fields = dict(kv.split("=", 1) for kv in acct.split() if "=" in kv)
        return peak, int(fields.get("peak", "0"))


def request(port, method, path, body=None, ctype="application/octet-stream"):
    import http.client
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    try:
        c.request(method, path, body=body, headers={"Content-Type": ctype} if body is not None else {})
        r = c.getresponse()
        r.read()
        return r.status
    except OSError:
        return "err"
    finally:
        c.close()


def slow_read(port, path, rate, seconds):
    """GET path and read it at rate bytes/s for at most seconds."""
    s = socket.create_connection(("127.0.0.1", port), timeout=600)
    try:
        s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % path).encode())
        first = s.recv(4096)
        status = int(first.split(b" ", 2)[1]) if first.startswith(b"HTTP/") else "err"
        got, t0 = len(first), time.monotonic()
        while time.monotonic() - t0 < seconds:
            chunk = s.recv(4096)
            if not chunk:
                break
            got += len(chunk)
            ahead = got / rate - (time.monotonic() - t0)
            if ahead > 0:
                time.sleep(ahead)
        return status
    except OSError:
        return "err"
    finally:
        s.close()


def burst(fns):
    out = [None] * len(fns)
    gate = threading.Barrier(len(fns))

    def run(i):
        gate.wait()
        out[i] = fns[i]()
    ts = [threading.Thread(target=run, args=(i,)) for i in range(len(fns))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return out


def summary(statuses):
    counts = {}
    for s in statuses:
        counts[s] = counts.get(s, 0) + 1
    return " ".join("%s×%d" % (k, v) for k, v in sorted(counts.items(), key=lambda kv: str(kv[0])))


def main():
    need_large = not ONLY or ONLY not in "leaks?ids= goroutine profiles"
    if need_large and not os.path.isfile(LARGE):
        sys.exit("bench/budget: %s is missing (see the docstring)" % LARGE)
    work = tempfile.mkdtemp(prefix="flamedex-bench-budget-")
    db = os.path.join(work, "db")
    large = open(LARGE, "rb").read() if need_large else b""
    n_gor = 4 if QUICK else 16
    gors = [big_profile(seed=100 + i, goroutine=True) for i in range(n_gor)]
    # A gzip bomb that inflates past --max-inflated (128 MiB): read, held, refused.
    bomb = gzip.compress(b"\0" * (160 << 20), 9)
    srv = Srv(db, [])
    ids = {"large": json.loads(urllib.request.urlopen(urllib.request.Request(
        srv.url("/api/v1/profiles"), data=large, method="POST")).read())["id"] if need_large else ""}
    ids["gor"] = [json.loads(urllib.request.urlopen(urllib.request.Request(
        srv.url("/api/v1/profiles"), data=g, method="POST")).read())["id"] for g in gors]
    srv.stop()
    L = ids["large"]
    many = ",".join(ids["gor"])
    n = 4 if QUICK else 8
    phases = [
        ("uploads: %d profiles (9.4 MiB gz) + %d gzip bombs" % (n, n),
         [lambda: request(P, "POST", "/api/v1/profiles", large)] * n +
         [lambda: request(P, "POST", "/api/v1/profiles", bomb)] * n),
        ("leaks?ids= %d goroutine profiles × %d" % (n_gor, n),
         [lambda: request(P, "GET", "/api/v1/leaks?ids=" + many)] * n),
        ("leaks?ids= %d goroutine profiles × %d, --heavy-wait 600 --max-request-time 900" % (n_gor, n),
         [lambda: request(P, "GET", "/api/v1/leaks?ids=" + many)] * n, ["--heavy-wait", "600", "--max-request-time", "900"]),
        ("leaks?ids= one id × 256, × %d" % n,
         [lambda: request(P, "GET", "/api/v1/leaks?ids=" + ",".join([ids["gor"][0]] * 256))] * n),
        ("top?hide=runtime × %d" % n,
         [lambda: request(P, "GET", "/api/v1/profiles/%s/top?hide=runtime" % L)] * n),
        ("flamegraph?hide=runtime × %d" % (2 * n),
         [lambda: request(P, "GET", "/api/v1/profiles/%s/flamegraph?hide=runtime" % L)] * (2 * n)),
        ("slow readers (64 KiB/s, 20 s) of flamegraph?max_nodes=0 × %d" % (30 if QUICK else 60),
         [lambda: slow_read(P, "/api/v1/profiles/%s/flamegraph?max_nodes=0" % L, 64 << 10, 20)] *
         (30 if QUICK else 60)),
    ]
    everything = []
    for ph in phases:
        if len(ph) == 2:
            everything += ph[1]
    phases.append(("all of the above at once (%d requests)" % len(everything), everything))
    print("budget: %s; machine: %d CPUs" % (" ".join(FLAGS), os.cpu_count()))
    print("| phase | statuses | s | peak RSS MB | account peak MB |")
    print("|---|---|---|---|---|")
    for ph in phases:
        name, fns, extra = ph[0], ph[1], (ph[2] if len(ph) > 2 else [])
        if ONLY and ONLY not in name:
            continue
        global P
        srv = Srv(db, FLAGS + extra)
        P = srv.port
        t0 = time.monotonic()
        st = burst(fns)
        dt = time.monotonic() - t0
        peak, acct = srv.stop()
        print("| %s | %s | %.1f | %d | %d |" % (name, summary(st), dt, peak >> 20, acct >> 20), flush=True)
    subprocess.run(["rm", "-rf", work])


P = 0
if __name__ == "__main__":
    main()
