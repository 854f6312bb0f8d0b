#!/usr/bin/env python3
"""Storage of many profiles of one service (issue 13): series storage against
profiles stored alone, and a merge of them all against go tool pprof.

The profiles are BENCH_N (default 100) consecutive CPU profiles of one
real service under steady load: bench/series/svc.go (HTTP handlers doing
JSON, regexps, sorting, hashing and gzip, called without pause by a client
in the same process), captured from its net/http/pprof with
/debug/pprof/profile?seconds=BENCH_SECONDS (default 1) into BENCH_OUT
(default bench/out/series) when missing.

Stored three ways, each on a fresh SQLite database:
  one     the first profile alone (--series-storage off);
  alone   all N, each alone (--series-storage off, labels service:svc);
  series  all N against their series' dictionary (the default,
          labels service:svc).
The bytes are SQLite's pages per table (dbstat) after a clean stop, the
original bytes (table blobs) excluded: the issue's "stored in <= 15x the
bytes of one, raw bytes excluded". Printed split into the stacks (the
stacks rows and the dictionary chunks), the function index and the rest.

Then GET /api/v1/merge/top?label=service:svc&type=cpu cold (a restarted
server, --cache-bytes 1: every profile read from the database) on the
series and the alone databases, against go tool pprof -top over the N
files, and the totals compared. Never asserts on timings; exits non-zero
only when something fails (a total that differs from pprof's).

Environment: FLAMEDEX_BIN, BENCH_OUT, BENCH_N, BENCH_SECONDS, BENCH_ROUNDS
(cold merges, default 3).
"""

import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "api"))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))

from client import Client  # noqa: E402
from flamedex_server import free_port, healthy  # noqa: E402

BIN = os.path.abspath(os.environ.get("FLAMEDEX_BIN", os.path.join(ROOT, "build", "server", "flamedex")))
OUT = os.path.abspath(os.environ.get("BENCH_OUT", os.path.join(ROOT, "bench", "out", "series")))
N = int(os.environ.get("BENCH_N", "100"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "1"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))


def go_env():
    env = dict(os.environ, GO111MODULE="off", GOPATH=os.environ.get("GOPATH", "/usr/share/gocode"), GOFLAGS="")
    env.setdefault("GOCACHE", os.path.join(OUT, ".gocache"))
    return env


def capture():
    os.makedirs(OUT, exist_ok=True)
    paths = [os.path.join(OUT, "cpu-%03d.pb.gz" % i) for i in range(1, N + 1)]
    if all(os.path.exists(p) for p in paths):
        return paths
    svc = os.path.join(OUT, "svc")
    subprocess.run(["go", "build", "-o", svc, os.path.join(ROOT, "bench", "series", "svc.go")], env=go_env(),
                   check=True)
    port = free_port()
    proc = subprocess.Popen([svc, "127.0.0.1:%d" % port], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.0)
        c = Client("http://127.0.0.1:%d" % port, timeout=SECONDS + 30)
        for p in paths:
            if os.path.exists(p):
                continue
            r = c.get("/debug/pprof/profile", {"seconds": SECONDS})
            if r.status != 200:
                sys.exit("bench: capture -> %d" % r.status)
            with open(p + ".tmp", "wb") as f:
                f.write(r.body)
            os.rename(p + ".tmp", p)
    finally:
        proc.kill()
        proc.wait()
    return paths


def start(db, extra):
    port = free_port()
    proc = subprocess.Popen([BIN, "--listen", "127.0.0.1:%d" % port, "--db", db, "--web", "web",
                             "--max-request-time", "0"] + extra,
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not healthy(port):
        time.sleep(0.05)
    if not healthy(port):
        proc.kill()
        sys.exit("bench: the server did not start")
    return proc, Client("http://127.0.0.1:%d" % port, timeout=600)


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)


def proc_cpu(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def table_bytes(db):
    """{table: bytes of its pages and its indexes' pages} (sqlite3's dbstat)."""
    p = subprocess.run(["sqlite3", db, "SELECT m.tbl_name, SUM(d.pgsize) FROM dbstat d "
                        "JOIN sqlite_master m ON m.name=d.name GROUP BY m.tbl_name"],
                       capture_output=True, text=True, check=True)
    out = {}
    for line in p.stdout.splitlines():
        t, n = line.rsplit("|", 1)
        out[t] = int(n)
    return out


def logical(db):
    """(bytes of the stacks rows, of the dictionary chunks, profiles stored
    against a series) as stored, without page overhead."""
    q = ("SELECT (SELECT coalesce(sum(length(data)), 0) FROM stacks), "
         "(SELECT coalesce(sum(length(data)), 0) FROM dict_chunks), "
         "(SELECT count(*) FROM stacks WHERE format=16)")
    p = subprocess.run(["sqlite3", db, q], capture_output=True, text=True, check=True)
    a, b, n = (int(x) for x in p.stdout.strip().split("|"))
    return a, b, n


def parts(tb):
    stacks = tb.get("stacks", 0) + tb.get("dict_chunks", 0) + tb.get("dict_groups", 0)
    index = sum(v for k, v in tb.items() if k in ("profile_functions", "profile_findex", "functions"))
    answers = tb.get("view_answers", 0)
    rest = sum(v for k, v in tb.items() if k != "blobs") - stacks - index - answers
    return stacks, index, answers, rest


def store(paths, mode, labels, tmp, name):
    db = os.path.join(tmp, name + ".db")
    proc, c = start(db, ["--series-storage", mode])
    try:
        for p in paths:
            with open(p, "rb") as f:
                data = f.read()
            r = c.upload(data, params={"labels": labels} if labels else None)
            if r.status != 201:
                sys.exit("bench: upload %s -> %d %r" % (p, r.status, r.body[:200]))
    finally:
        stop(proc)
    return db


def cold_merge(db, rounds):
    walls, cpus, total = [], [], None
    for _ in range(rounds):
        proc, c = start(db, ["--cache-bytes", "1"])
        try:
            c0 = proc_cpu(proc.pid)
            t0 = time.monotonic()
            r = c.get("/api/v1/merge/top", {"label": "service:svc", "type": "cpu", "limit": 20})
            walls.append(time.monotonic() - t0)
            cpus.append(proc_cpu(proc.pid) - c0)
            if r.status != 200:
                sys.exit("bench: merge/top -> %d %r" % (r.status, r.body[:300]))
            total = r.json()["total"]
        finally:
            stop(proc)
    return statistics.median(walls), statistics.median(cpus), total


def pprof_top(paths):
    import resource
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    p = subprocess.run(["go", "tool", "pprof", "-top", "-symbolize=none", "-sample_index=cpu", "-unit=ns",
                        "-nodecount=1"] + paths, capture_output=True, text=True, env=go_env())
    dt = time.monotonic() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        sys.exit("bench: pprof: %s" % p.stderr[-500:])
    m = re.search(r"of ([0-9.]+)ns total", p.stdout)
    return dt, r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime, int(float(m.group(1))) if m else None


def kib(n):
    return "%.1f KiB" % (n / 1024)


def main():
    if not shutil.which("sqlite3"):
        sys.exit("bench series: needs the sqlite3 command (Debian package sqlite3)")
    paths = capture()
    tmp = tempfile.mkdtemp(prefix="flamedex-bench-series-")
    try:
        one_db = store(paths[:1], "labelled", "service:svc", tmp, "one")
        one = table_bytes(one_db)
        alone_db = store(paths, "off", "service:svc", tmp, "alone")
        series_db = store(paths, "labelled", "service:svc", tmp, "series")
        alone, series = table_bytes(alone_db), table_bytes(series_db)
        raw = sum(os.path.getsize(p) for p in paths)
        print("bench series: %d consecutive %d s CPU profiles of bench/series/svc.go, %s of uploads "
              "(first %s)" % (N, SECONDS, kib(raw), kib(os.path.getsize(paths[0]))))
        r1, c1, _ = logical(one_db)
        rn, cn, nn = logical(series_db)
        ra, _, _ = logical(alone_db)
        print("stored model (stacks rows + dictionary chunks, bytes as stored): one profile %s (its row %s, "
              "chunk %s); %d in a series %s (rows %s, chunks %s, %d of them in the series) = %.1fx one; "
              "the %d stored alone keep %s of stacks rows (format 0 rows are empty: those are read back from "
              "their original bytes)" % (kib(r1 + c1), kib(r1), kib(c1), N, kib(rn + cn), kib(rn), kib(cn), nn,
                                         (rn + cn) / (r1 + c1), N, kib(ra)))
        # the view answers primed at upload (answers.c) are a cache of the
        # first two views, written for uploads (a scraped profile has none
        # until it is viewed): shown apart, and the ratio given without them
        print("| SQLite pages, blobs (raw) excluded | stacks + chunks | function index | kept view answers | rest "
              "| total | / one | without answers / one |")
        print("|---|---|---|---|---|---|---|---|")
        o = parts(one)
        for name, tb in (("one profile (first of a series)", one), ("%d alone" % N, alone),
                         ("%d in a series" % N, series)):
            s_, i, a, r = parts(tb)
            t = s_ + i + a + r
            print("| %s | %s | %s | %s | %s | %s | %.1fx | %.1fx |" % (name, kib(s_), kib(i), kib(a), kib(r), kib(t),
                                                                   t / sum(o), (t - a) / (sum(o) - o[2])))
        w, cpu, total = cold_merge(series_db, ROUNDS)
        wa, cpua, total_a = cold_merge(alone_db, ROUNDS)
        pw, pcpu, ptotal = pprof_top(paths)
        print("| cold merge/top of all %d | wall (median of %d) | CPU |" % (N, ROUNDS))
        print("|---|---|---|")
        print("| flamedex, series storage | %.3f s | %.3f s |" % (w, cpu))
        print("| flamedex, stored alone | %.3f s | %.3f s |" % (wa, cpua))
        print("| go tool pprof -top, %d files | %.3f s | %.3f s |" % (N, pw, pcpu))
        print("pprof / flamedex series: %.1fx wall, %.1fx CPU" % (pw / w, pcpu / max(cpu, 0.001)))
        print("totals: series %s, alone %s, pprof %s" % (total, total_a, ptotal))
        if ptotal is not None and not (total == total_a == ptotal):
            sys.exit("bench: merged totals differ")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
