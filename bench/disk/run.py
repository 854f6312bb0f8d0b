#!/usr/bin/env python3
"""Upload throughput with --sync full and --sync normal (make bench-disk).

For each mode a fresh server and database (in BENCH_DIR, default a
temporary directory under /var/tmp, so on a real disk rather than a tmpfs)
takes, one client at a time and then four at once:
  small: 300 uploads of a ~2 KiB profile (the commit dominates);
  large: 30 uploads of a ~1 MiB profile (the bytes dominate).
BENCH_ROUNDS rounds (default 5) alternate the two modes; prints the median
uploads/s (and range) and MB/s per case and the full/normal ratio. Never
asserts on timings; exits non-zero only if an upload fails.

Environment: FLAMEDEX_BIN (default build/server/flamedex), BENCH_DIR,
BENCH_ROUNDS.
"""

import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "api"))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))

import pb  # noqa: E402
from client import Client  # noqa: E402
from flamedex_server import free_port, healthy  # noqa: E402


def profile(i, kib):
    b = pb.Builder()
    b.sample_type("samples", "count").mapping(1)
    b.function(1, "main.f%d" % i).location(1, [(1, 1)], mapping_id=1).sample([1], [i + 1])
    return b.encode(extra_strings=[secrets.token_hex(512) for _ in range(kib)])


def start(binary, dbdir, sync):
    port = free_port()
    proc = subprocess.Popen([binary, "--listen", "127.0.0.1:%d" % port, "--db",
                             os.path.join(dbdir, "bench.db"), "--web", "web", "--sync", sync],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not healthy(port):
        time.sleep(0.05)
    return proc, Client("http://127.0.0.1:%d" % port)


def run_case(client, bodies, clients):
    def one(b):
        r = client.upload(b)
        if r.status != 201:
            raise SystemExit("upload failed: %r" % r)
    t0 = time.monotonic()
    with ThreadPoolExecutor(clients) as ex:
        list(ex.map(one, bodies))
    return time.monotonic() - t0


def main():
    binary = os.environ.get("FLAMEDEX_BIN") or os.path.join(ROOT, "build", "server", "flamedex")
    base = os.environ.get("BENCH_DIR") or "/var/tmp"
    cases = [("small", 2, 300), ("large", 1024, 30)]
    bodies = {name: [profile(i, kib) for i in range(n)] for name, kib, n in cases}
    rounds = int(os.environ.get("BENCH_ROUNDS", "5"))
    results = {}   # (sync, case, clients) -> [(uploads/s, MB/s)] one per round
    for _round in range(rounds):
        for sync in ("full", "normal"):   # alternated, so load drifts hit both
            dbdir = tempfile.mkdtemp(prefix="flamedex-bench-disk-", dir=base)
            proc, client = start(binary, dbdir, sync)
            try:
                for name, _kib, _n in cases:
                    for clients in (1, 4):
                        bs = bodies[name]
                        secs = run_case(client, bs, clients)
                        mb = sum(len(b) for b in bs) / 1e6
                        results.setdefault((sync, name, clients), []).append((len(bs) / secs, mb / secs))
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait()
                shutil.rmtree(dbdir, ignore_errors=True)

    def med(xs):
        xs = sorted(xs)
        return xs[len(xs) // 2]
    print("median of %d rounds (min-max in brackets)" % rounds)
    print("| case | clients | full: uploads/s | full: MB/s | normal: uploads/s | normal: MB/s | full/normal |")
    print("|---|---|---|---|---|---|---|")
    for name, kib, n in cases:
        for clients in (1, 4):
            f = [r[0] for r in results[("full", name, clients)]]
            o = [r[0] for r in results[("normal", name, clients)]]
            fm = [r[1] for r in results[("full", name, clients)]]
            om = [r[1] for r in results[("normal", name, clients)]]
            print("| %s (%d x %d KiB) | %d | %.0f [%.0f-%.0f] | %.1f | %.0f [%.0f-%.0f] | %.1f | %.2f |"
                  % (name, n, kib, clients, med(f), min(f), max(f), med(fm), med(o), min(o), max(o),
                     med(om), med(f) / med(o)))

if __name__ == "__main__":
    main()
