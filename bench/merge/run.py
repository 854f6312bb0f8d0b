#!/usr/bin/env python3
"""Merging 100 mid-size CPU profiles: flamedex against go tool pprof.

The series is 100 profiles of one synthetic service (bench/gen -size mid
-walk-seed N: the same call graph of 3,000 functions, 20,000 samples each,
other walks), generated into BENCH_OUT (default bench/out/merge) when
missing. They are uploaded with the label service:bench to a fresh server,
then timed:

  cold   GET /api/v1/merge/top?label=service:bench&type=cpu on a server
         started with --cache-bytes 1 (no decoded profile is kept: every
         request decodes all 100 stored profiles);
  refold the 100 ids in a new order each time (ids=…) on a server with the
         default cache: every decoded profile is cached, the merge is not
         (its key is the ordered id list), so this is the folding itself;
  warm   the label request again: the merge itself is cached;
  pprof  go tool pprof -top -symbolize=none over the 100 files
         (BENCH_PPROF_RUNS runs, default 1; 0 skips it);
  proto  go tool pprof -proto -symbolize=none over the 100 files: pprof's
         merge alone, written as one profile.proto (BENCH_PPROF_PROTO_RUNS
         runs, default 1; 0 skips it), side by side with flamedex's cold
         merge; its output is read back with pprof's parser (bench/gen
         -stats) to check that its total is the server's.
BENCH_PPROF_TIMEOUT (seconds, default 0: none) stops a pprof run that takes
longer; the table then marks it "(stopped)" (its CPU time is then not
counted).

BENCH_ROUNDS rounds (default 5); prints the median and range of each and
the ratios, in wall time and in CPU time (the server's from /proc, pprof's
from the child's rusage): on a shared machine the CPU times are the fairer
comparison. Also checks that the merged total equals pprof's. Never
asserts on timings; exits non-zero only when something fails.

Environment: FLAMEDEX_BIN (default build/server/flamedex), BENCH_OUT,
BENCH_ROUNDS, BENCH_N (profiles, default 100), BENCH_SERVER_ARGS (more
server flags, space-separated, for the refold/warm server).
"""

import os
import resource
import re
import shutil
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
OUT = os.path.abspath(os.environ.get("BENCH_OUT", os.path.join(ROOT, "bench", "out", "merge")))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
N = int(os.environ.get("BENCH_N", "100"))


def go_env():
    env = dict(os.environ, GO111MODULE="off", GOPATH=os.environ.get("GOPATH", "/usr/share/gocode"), GOFLAGS="")
    env.setdefault("GOCACHE", os.path.join(OUT, ".gocache"))
    env["PPROF_TMPDIR"] = tempfile.gettempdir()
    return env


def generate():
    os.makedirs(OUT, exist_ok=True)
    gen = os.path.join(OUT, "gen")
    if not os.path.exists(gen):
        subprocess.run(["go", "build", "-o", gen, "./gen"], cwd=os.path.join(ROOT, "bench"), env=go_env(), check=True)
    paths = []
    for i in range(1, N + 1):
        p = os.path.join(OUT, "p%03d.pb.gz" % i)
        if not os.path.exists(p):
            subprocess.run([gen, "-size", "mid", "-walk-seed", str(i), "-out", p], check=True)
        paths.append(p)
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


def proc_cpu(pid):
    """user + system CPU seconds of process pid so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed_merge(c, pid, cpu=None, ids=None):
    c0 = proc_cpu(pid)
    t0 = time.monotonic()
    q = {"ids": ",".join(ids)} if ids else {"label": "service:bench", "type": "cpu"}
    q["limit"] = 20
    r = c.get("/api/v1/merge/top", q)
    dt = time.monotonic() - t0
    if r.status != 200:
        sys.exit("bench: merge/top -> %d %r" % (r.status, r.body[:300]))
    if cpu is not None:
        cpu.append(proc_cpu(pid) - c0)
    return dt, r.json()


TIMEOUT = float(os.environ.get("BENCH_PPROF_TIMEOUT", "0")) or None


def run_pprof(args, cpu, stdout=subprocess.PIPE):
    """go tool pprof ARGS: (wall seconds, its output (None when it went to
    a file), stopped by BENCH_PPROF_TIMEOUT); its CPU (the children's
    rusage) appended to cpu.
    The go command runs pprof as its child: the whole group is stopped."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    p = subprocess.Popen(["go", "tool", "pprof"] + args, env=go_env(), stdout=stdout, stderr=subprocess.PIPE,
                         start_new_session=True)
    stopped = False
    try:
        out, err = p.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, 9)
        p.communicate()
        out, stopped = None, True
    dt = time.monotonic() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu.append(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
    if not stopped and p.returncode != 0:
        sys.exit("bench: go tool pprof %s failed: %s" % (" ".join(args[:3]), err.decode()[-500:]))
    return dt, out, stopped


def pprof_top(paths, cpu):
    dt, out, stopped = run_pprof(["-symbolize=none", "-top", "-nodecount=20", "-unit=ns"] + paths, cpu)
    m = re.search(r"of (\d+)ns total", out.decode()) if not stopped else None
    return dt, int(m.group(1)) if m else None, stopped


def pprof_proto(paths, cpu, dest):
    """pprof's merge of paths written to dest; (wall, total of dest by
    go tool pprof -top, stopped)."""
    with open(dest, "wb") as f:
        dt, _, stopped = run_pprof(["-symbolize=none", "-proto"] + paths, cpu, stdout=f)
    if stopped:
        return dt, None, True
    # read back with pprof's own parser (bench/gen -stats: profile.Parse),
    # faster than -top over pprof's merged output (> 10 min here)
    st = subprocess.run([os.path.join(OUT, "gen"), "-stats", dest], stdout=subprocess.PIPE, check=True)
    m = re.search(r"total cpu/nanoseconds = (\d+)", st.stdout.decode())
    return dt, int(m.group(1)) if m else None, False


def fmt(xs):
    return "%.3f s (%.3f-%.3f)" % (statistics.median(xs), min(xs), max(xs))


def main():
    paths = generate()
    tmp = tempfile.mkdtemp(prefix="flamedex-bench-merge-")
    try:
        db = os.path.join(tmp, "bench.db")
        proc, c = start(db, os.environ.get("BENCH_SERVER_ARGS", "").split())
        ids = []
        for p in paths:
            with open(p, "rb") as f:
                ids.append(c.upload_ok(f.read(), {"labels": "service:bench", "name": os.path.basename(p)})["id"])
        warm, warm_cpu, cold_cpu, pp_cpu, refold, refold_cpu = [], [], [], [], [], []
        _, j = timed_merge(c, proc.pid)  # fills the caches
        for _ in range(ROUNDS):
            warm.append(timed_merge(c, proc.pid, warm_cpu)[0])
        for k in range(ROUNDS):
            order = ids[k + 1:] + ids[:k + 1]
            dt, jr = timed_merge(c, proc.pid, refold_cpu, ids=order)
            refold.append(dt)
            if jr["total"] != j["total"]:
                sys.exit("bench: a reordered merge has another total")
        proc.terminate()
        proc.wait()
        proc, c = start(db, ["--cache-bytes", "1"])
        cold = [timed_merge(c, proc.pid, cold_cpu)[0] for _ in range(ROUNDS)]
        proc.terminate()
        proc.wait()
        pp = []
        total = None
        stopped = False
        for _ in range(int(os.environ.get("BENCH_PPROF_RUNS", "1"))):
            dt, total, stopped = pprof_top(paths, pp_cpu)
            pp.append(dt)
            if stopped:
                break
        if not pp:
            pp, pp_cpu, total = [float("nan")], [float("nan")], j["total"]
        if stopped:
            total = j["total"]
        px, px_cpu = [], []
        px_total, px_stopped = j["total"], False
        for _ in range(int(os.environ.get("BENCH_PPROF_PROTO_RUNS", "1"))):
            dt, px_total, px_stopped = pprof_proto(paths, px_cpu, os.path.join(tmp, "pprof-merged.pb.gz"))
            px.append(dt)
            if px_stopped:
                px_total = j["total"]
                break
        if not px:
            px, px_cpu = [float("nan")], [float("nan")]
        same = total == j["total"]
        same_proto = px_total == j["total"]
        med = statistics.median
        print("merge of %d profiles (%s each), %d rounds; wall time, then CPU time" % (
            len(paths), "bench/gen -size mid", ROUNDS))
        print("  flamedex cold  %s   cpu %s" % (fmt(cold), fmt(cold_cpu)))
        print("  flamedex refold %s  cpu %s" % (fmt(refold), fmt(refold_cpu)))
        print("  flamedex warm  %s   cpu %s" % (fmt(warm), fmt(warm_cpu)))
        print("  go tool pprof -top   %s%s   cpu %s" % (fmt(pp), " (stopped)" if stopped else "", fmt(pp_cpu)))
        print("  go tool pprof -proto %s%s   cpu %s" % (fmt(px), " (stopped)" if px_stopped else "", fmt(px_cpu)))
        print("  side by side, the merge alone: pprof -proto / flamedex cold %.1fx (cpu %.1fx), "
              "/ refold %.1fx (cpu %.1fx); totals equal: %s" % (
                  med(px) / med(cold), med(px_cpu) / max(med(cold_cpu), 1e-3), med(px) / med(refold),
                  med(px_cpu) / max(med(refold_cpu), 1e-3), same_proto))
        print("  pprof/cold %.1fx (cpu %.1fx), pprof/refold %.1fx (cpu %.1fx), pprof/warm %.1fx (cpu %.1fx); "
              "totals equal: %s (%d)" % (
                  med(pp) / med(cold), med(pp_cpu) / max(med(cold_cpu), 1e-3), med(pp) / med(refold),
                  med(pp_cpu) / max(med(refold_cpu), 1e-3), med(pp) / med(warm),
                  med(pp_cpu) / max(med(warm_cpu), 1e-3), same, j["total"]))
        if not same:
            sys.exit("bench: merged total %d differs from pprof's %s" % (j["total"], total))
        if not same_proto:
            sys.exit("bench: merged total %d differs from pprof -proto's %s" % (j["total"], px_total))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
