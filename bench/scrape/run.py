#!/usr/bin/env python3
"""Scraper benchmark: 200 targets at a 10 s interval.

    FLAMEDEX_BIN=build/server/flamedex python3 bench/scrape/run.py

Starts bench/scrape/svc.go (one Go process serving net/http/pprof on
BENCH_TARGETS ports), a flamedex scraping all of them with the default
profiles but process_cpu (a Go process serves one CPU profile at a time,
and here one process is all 200 targets): heap, goroutine, and mutex and
block as 9 s deltas, four per target, the deltas holding a connection for
9 s of each 10), and for BENCH_SECONDS (default 60) measures the
server's CPU time (utime + stime from /proc), its peak RSS (VmHWM), the
scrapes by outcome (/metrics), the profiles stored, and the latency of
views while the scraper runs: the profile list (GET /api/v1/profiles) and
the flame graph of a scraped heap profile, sequentially, one a second. The
same views are timed once more with the scraper stopped (a second server on
a copy of the database, without --config) for the baseline. Prints a
Markdown table and writes bench/out/scrape.json. Timings are reported,
never asserted.

Environment: FLAMEDEX_BIN, BENCH_TARGETS (200), BENCH_SECONDS (60),
BENCH_OUT (bench/out).
"""

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
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
BIN = os.environ.get("FLAMEDEX_BIN", os.path.join(REPO, "build", "server", "flamedex"))
N = int(os.environ.get("BENCH_TARGETS", "200"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "60"))
OUT = os.environ.get("BENCH_OUT", os.path.join(REPO, "bench", "out"))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def get(url):
    t = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as r:
        body = r.read()
    return (time.perf_counter() - t) * 1000, body


def wait_up(port, timeout=30):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit("nothing listens on %d" % port)


def proc_cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        parts = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return (int(parts[11]) + int(parts[12])) / tick


def proc_kib(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")


def start_server(d, port, args):
    log = open(os.path.join(d, "server-%d.log" % port), "wb")
    p = subprocess.Popen([BIN, "--listen", "127.0.0.1:%d" % port, "--db", os.path.join(d, "f.db"),
                          "--web", os.path.join(REPO, "web")] + args, stdout=log, stderr=subprocess.STDOUT)
    wait_up(port)
    return p


def views(base, n, every):
    lat_list, lat_flame = [], []
    for _ in range(n):
        ms, body = get(base + "/api/v1/profiles?limit=50")
        lat_list.append(ms)
        cpu = json.loads(get(base + "/api/v1/profiles?type=heap&limit=1")[1])["profiles"]
        if cpu:
            ms, _ = get(base + "/api/v1/profiles/%s/flamegraph" % cpu[0]["id"])
            lat_flame.append(ms)
        time.sleep(every)
    return lat_list, lat_flame


def main():
    d = tempfile.mkdtemp(prefix="flamedex-bench-scrape-")
    env = dict(os.environ, GO111MODULE="off", GOPATH="/usr/share/gocode", GOCACHE=os.path.join(d, "gocache"))
    svc = os.path.join(d, "svc")
    subprocess.run(["go", "build", "-o", svc, os.path.join(HERE, "svc.go")], check=True, env=env, cwd=d)
    first = 20000 + (os.getpid() % 900) * 10   # below the ephemeral range
    targets = ["127.0.0.1:%d" % (first + i) for i in range(N)]
    gp = subprocess.Popen([svc, str(first), str(N)])
    wait_up(first + N - 1)
    cfg = os.path.join(d, "scrape.yaml")
    with open(cfg, "w") as f:
        f.write("scrape_configs:\n  - job_name: bench\n    scrape_interval: 10s\n    static_configs:\n"
                "      - targets: %s\n"
                "    profiling_config:\n      pprof_config:\n        process_cpu: {enabled: false}\n"
                % json.dumps(targets))
    port = free_port()
    srv = start_server(d, port, ["--config", cfg])
    base = "http://127.0.0.1:%d" % port
    try:
        time.sleep(2)
        cpu0, t0 = proc_cpu_s(srv.pid), time.monotonic()
        lat_list, lat_flame = views(base, SECONDS, 1.0)
        cpu1, t1 = proc_cpu_s(srv.pid), time.monotonic()
        hwm = proc_kib(srv.pid, "VmHWM")
        rss = proc_kib(srv.pid, "VmRSS")
        metrics = get(base + "/metrics")[1].decode()
        total = json.loads(get(base + "/api/v1/profiles?limit=1")[1])["total"]
        tg = json.loads(get(base + "/api/v1/targets")[1])
    finally:
        srv.send_signal(signal.SIGTERM)
        srv.wait(timeout=30)
    outcomes = {}
    for line in metrics.splitlines():
        if line.startswith("flamedex_scrapes_total{"):
            oc = line.split('outcome="')[1].split('"')[0]
            outcomes[oc] = int(line.split()[-1])
    up = sum(1 for t in tg["targets"] if t["health"] == "up")
    errors = {}
    for t in tg["targets"]:
        for p in t["profiles"]:
            if p["last_error"]:
                k = "%s: %s" % (p["name"], p["last_error"].split(" after ")[0][:80])
                errors[k] = errors.get(k, 0) + 1
    # baseline: the same database, no scraping
    port2 = free_port()
    srv2 = start_server(d, port2, [])
    try:
        b_list, b_flame = views("http://127.0.0.1:%d" % port2, 20, 0.05)
    finally:
        srv2.send_signal(signal.SIGTERM)
        srv2.wait(timeout=30)
    gp.kill()
    gp.wait()
    res = {
        "targets": N, "interval_s": 10, "profiles_per_target": 4, "seconds": round(t1 - t0, 1),
        "server_cpu_s": round(cpu1 - cpu0, 2), "server_cpu_pct_of_one_core": round(100 * (cpu1 - cpu0) / (t1 - t0), 1),
        "peak_rss_mib": round(hwm / 1024, 1), "rss_mib": round(rss / 1024, 1),
        "scrapes": outcomes, "profiles_stored": total, "targets_up": up, "last_errors": errors,
        "list_ms": {"p50": round(pct(lat_list, .5), 1), "p95": round(pct(lat_list, .95), 1)},
        "flame_ms": {"p50": round(pct(lat_flame, .5), 1), "p95": round(pct(lat_flame, .95), 1)},
        "baseline_list_ms": {"p50": round(pct(b_list, .5), 1), "p95": round(pct(b_list, .95), 1)},
        "baseline_flame_ms": {"p50": round(pct(b_flame, .5), 1), "p95": round(pct(b_flame, .95), 1)},
    }
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "scrape.json"), "w") as f:
        json.dump(res, f, indent=2)
    print("| targets × kinds | interval | run | server CPU | peak RSS | scrapes ok / failed | profiles stored | list p50 / p95 (idle) | flame graph p50 / p95 (idle) |")
    print("|---|---|---|---|---|---|---|---|---|")
    failed = sum(v for k, v in outcomes.items() if k != "ok")
    print("| %d × 4 | 10 s | %.0f s | %.2f s (%.1f%% of a core) | %.1f MiB | %d / %d | %d | %.1f / %.1f ms (%.1f / %.1f) | %.1f / %.1f ms (%.1f / %.1f) |" % (
        N, res["seconds"], res["server_cpu_s"], res["server_cpu_pct_of_one_core"], res["peak_rss_mib"],
        outcomes.get("ok", 0), failed, total, res["list_ms"]["p50"], res["list_ms"]["p95"],
        res["baseline_list_ms"]["p50"], res["baseline_list_ms"]["p95"], res["flame_ms"]["p50"],
        res["flame_ms"]["p95"], res["baseline_flame_ms"]["p50"], res["baseline_flame_ms"]["p95"]))
    shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
