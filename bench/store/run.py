#!/usr/bin/env python3
"""The store at scale: list, label filter, name search, labels, functions
and timeline with 100,000 stored profiles (issue 13, "Speed").

How the database is made: the server stores a few real profiles over HTTP
(so every table, the function index included, is written by store.c),
then stops; this script copies those rows, as SQLite holds them, into
100,000 profiles with fresh ids, names and profile labels
(service:svc0..49, instance:i0..499, version:v0..9), all in one
transaction, and the server starts again on that database (the counters
of migration 008 are recomputed from the copied rows). Then each request
runs REPEAT times over HTTP and the median and worst are printed, plus
EXPLAIN QUERY PLAN of the list queries and the bytes of the function
index against the whole database (dbstat).

  FLAMEDEX_BIN=build/server/flamedex python3 bench/store/run.py [N]
"""

import os
import random
import shutil
import signal
import sqlite3
import statistics
import string
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
BIN = os.environ.get("FLAMEDEX_BIN", os.path.join(ROOT, "build", "server", "flamedex"))
N = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
REPEAT = 20
TEMPLATES = ["agent-insight/cpu.pb.gz", "agent-insight/goroutine.pb.gz", "agent-insight/heap.pb.gz",
             "go/devirt.pprof", "go/inline_hot.pprof"]
# mid-size real profiles for the index overhead on realistic data
OVERHEAD = ["pyroscope/cpu-big.pprof", "pyroscope/go.cpu.labels.pprof", "go/devirt.pprof",
            "apm-server/testdata-heap.pprof"]
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
PORT = 18000 + os.getpid() % 1000


def start(db):
    log = open(db + ".log", "ab")
    p = subprocess.Popen([BIN, "--listen", "127.0.0.1:%d" % PORT, "--db", db, "--web", os.path.join(ROOT, "web")],
                         stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    for _ in range(600):
        try:
            if OPENER.open("http://127.0.0.1:%d/healthz" % PORT, timeout=1).read().strip() == b"ok":
                return p
        except OSError:
            time.sleep(0.1)
    p.kill()
    p.wait()
    raise SystemExit("server did not start (log: %s.log)" % db)


def stop(p):
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=60)


def upload(path, params):
    with open(path, "rb") as f:
        data = f.read()
    url = "http://127.0.0.1:%d/api/v1/profiles?%s" % (PORT, urllib.parse.urlencode(params))
    req = urllib.request.Request(url, data=data, method="POST",
                                 headers={"Content-Type": "application/octet-stream"})
    return OPENER.open(req).read()


def data_path(rel):
    for base in (os.path.join(ROOT, "..", "shared", "corpus"), os.path.join(ROOT, "tests", "data")):
        p = os.path.join(base, rel)
        if os.path.isfile(p):
            return p
    raise SystemExit("missing profile " + rel)


def new_id(rnd):
    alpha = string.ascii_letters + string.digits + "-_"
    return "".join(rnd.choice(alpha) for _ in range(22))


def default_labels(i):
    return (("service", "svc%d" % (i % 50)), ("instance", "i%d" % (i % 500)), ("version", "v%d" % (i % 10)))


def clone(db, n, labels_of=default_labels, step_s=10):
    """Copy the profiles stored in db into n profiles (fresh ids, names
    svcS-profile-I, times step_s apart, profile labels labels_of(i)); the
    templates go."""
    con = sqlite3.connect(db)
    cols = [r[1] for r in con.execute("PRAGMA table_info(profiles)")]
    tmpl = con.execute("SELECT * FROM profiles ORDER BY seq").fetchall()
    seqs = [t[0] for t in tmpl]
    blobs = {s: con.execute("SELECT raw FROM blobs WHERE profile_seq=?", (s,)).fetchone()[0] for s in seqs}
    stacks = {s: con.execute("SELECT format, data FROM stacks WHERE profile_seq=?", (s,)).fetchone() for s in seqs}
    fxp = {s: con.execute("SELECT types, def_type, totals FROM profile_findex WHERE profile_seq=?", (s,)).fetchone()
           for s in seqs}
    fxr = {s: con.execute("SELECT function_id, vals FROM profile_functions WHERE profile_seq=?", (s,)).fetchall()
           for s in seqs}
    con.execute("DELETE FROM profile_labels")
    rnd = random.Random(1)
    t0 = 1700000000 * 10**9
    ci = {c: i for i, c in enumerate(cols)}
    base = max(seqs)
    for i in range(n):
        t = tmpl[i % len(tmpl)]
        seq = base + 1 + i
        row = list(t)
        row[ci["seq"]] = seq
        row[ci["id"]] = new_id(rnd)
        row[ci["name"]] = "svc%d-profile-%d" % (i % 50, i)
        row[ci["time_nanos"]] = t0 + i * step_s * 10**9
        con.execute("INSERT INTO profiles(%s) VALUES(%s)" % (",".join(cols), ",".join("?" * len(cols))), row)
        for k, v in labels_of(i):
            con.execute("INSERT INTO profile_labels(profile_seq,key,value) VALUES(?,?,?)", (seq, k, v))
        s = t[0]
        con.execute("INSERT INTO blobs(profile_seq,raw) VALUES(?,?)", (seq, blobs[s]))
        con.execute("INSERT INTO stacks(profile_seq,format,data) VALUES(?,?,?)", (seq,) + tuple(stacks[s]))
        con.execute("INSERT INTO profile_findex(profile_seq,types,def_type,totals) VALUES(?,?,?,?)", (seq,) + tuple(fxp[s]))
        con.executemany("INSERT INTO profile_functions(function_id,profile_seq,vals) VALUES(?,?,?)",
                        [(fid, seq, vals) for fid, vals in fxr[s]])
    for s in seqs:   # the templates go; only the copies stay
        for tbl, col in (("profile_functions", "profile_seq"), ("profile_findex", "profile_seq"),
                         ("blobs", "profile_seq"), ("stacks", "profile_seq"), ("profiles", "seq")):
            con.execute("DELETE FROM %s WHERE %s=?" % (tbl, col), (s,))
    con.commit()
    con.close()


def timed(path):
    url = "http://127.0.0.1:%d%s" % (PORT, path)
    times = []
    status = None
    for _ in range(REPEAT):
        t = time.perf_counter()
        try:
            with OPENER.open(url) as r:
                r.read()
                status = r.status
        except urllib.error.HTTPError as e:
            status = e.code
        times.append((time.perf_counter() - t) * 1000)
    return status, statistics.median(times), max(times)


def sizes(db):
    con = sqlite3.connect(db)
    rows = dict(con.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall())
    con.close()
    total = sum(rows.values())
    fx = sum(v for k, v in rows.items() if k in ("functions", "profile_functions", "profile_findex",
                                                  "profile_functions_seq") or k.startswith("sqlite_autoindex_functions"))
    raw = rows.get("blobs", 0)
    return total, fx, raw


def plans(db):
    con = sqlite3.connect(db)
    qs = {
        "list": "SELECT p.seq FROM profiles p ORDER BY p.seq DESC LIMIT 50",
        "label filter": "SELECT p.seq FROM profile_labels l JOIN profiles p ON p.seq=l.profile_seq "
                        "WHERE l.key='service' AND l.value='svc7' ORDER BY l.profile_seq DESC LIMIT 50",
        "label count": "SELECT n FROM label_counts WHERE key='service' AND value='svc7'",
        "labels": "SELECT key, count(DISTINCT value), sum(n) FROM label_counts GROUP BY key",
        "total": "SELECT n FROM profile_counts WHERE kind='*'",
        "functions rows": "SELECT profile_seq, vals FROM profile_functions WHERE function_id=1",
    }
    out = []
    for name, q in qs.items():
        try:
            plan = con.execute("EXPLAIN QUERY PLAN " + q).fetchall()
            out.append((name, q, [r[3] for r in plan]))
        except sqlite3.Error as e:
            out.append((name, q, ["(%s)" % e]))
    con.close()
    return out


def main():
    if not os.path.isfile(BIN):
        raise SystemExit("no server binary at %s" % BIN)
    d = tempfile.mkdtemp(prefix="flamedex-bench-store-")
    try:
        # 1. index overhead on mid-size real profiles, 25 copies each over HTTP
        db1 = os.path.join(d, "overhead.db")
        p = start(db1)
        for rel in OVERHEAD:
            for k in range(25):
                upload(data_path(rel), {"name": rel, "labels": "service:o%d" % k})
        stop(p)
        total, fx, raw = sizes(db1)
        print("index overhead, %d real profiles (%s): index %d bytes of %d (%.1f%%); raw bytes %d; "
              "without raw %.1f%%" % (25 * len(OVERHEAD), ", ".join(OVERHEAD), fx, total, 100.0 * fx / total, raw,
                                      100.0 * fx / max(1, total - raw)))
        # 2. 100k profiles
        db = os.path.join(d, "store.db")
        p = start(db)
        for rel in TEMPLATES:
            upload(data_path(rel), {"name": rel})
        stop(p)
        t = time.perf_counter()
        clone(db, N)
        print("cloned %d profiles in %.1f s" % (N, time.perf_counter() - t))
        t = time.perf_counter()
        p = start(db)
        print("server start on it (migrations, counters) %.1f s" % (time.perf_counter() - t))
        try:
            reqs = [
                ("list", "/api/v1/profiles"),
                ("list, type=cpu", "/api/v1/profiles?type=cpu"),
                ("list, offset=50000", "/api/v1/profiles?offset=50000"),
                ("label filter", "/api/v1/profiles?label=service:svc7"),
                ("label filter, rare", "/api/v1/profiles?label=instance:i17"),
                ("label filter + type", "/api/v1/profiles?label=service:svc7&type=heap"),
                ("name search, common", "/api/v1/profiles?q=svc7-"),
                ("name search, one", "/api/v1/profiles?q=profile-99999"),
                ("name search, none", "/api/v1/profiles?q=nosuchname"),
                ("labels", "/api/v1/labels"),
                ("labels?key=service", "/api/v1/labels?key=service"),
                ("functions, 200 profiles", "/api/v1/functions?match=main%5C.&label=instance:i15&type=cpu"),
                ("functions, 10000 profiles", "/api/v1/functions?match=%5Emain%5C.&label=version:v0"),
                ("timeline, 10000 profiles", "/api/v1/timeline?label=version:v0"),
                ("functions/top, all", "/api/v1/functions/top?match=%5Emain%5C.main%24&functions=1"),
            ]
            print("%-28s %6s %9s %9s" % ("request (%d profiles)" % N, "status", "median", "worst"))
            for name, path in reqs:
                st, med, worst = timed(path)
                print("%-28s %6d %7.2fms %7.2fms" % (name, st, med, worst))
        finally:
            stop(p)
        total, fx, raw = sizes(db)
        print("index overhead at %d small profiles: %d of %d bytes (%.1f%%)" % (N, fx, total, 100.0 * fx / total))
        for name, q, plan in plans(db):
            print("EXPLAIN QUERY PLAN %s: %s\n    %s" % (name, q, "\n    ".join(plan)))
    finally:
        if os.environ.get("BENCH_KEEP"):
            print("kept", d)
        else:
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
