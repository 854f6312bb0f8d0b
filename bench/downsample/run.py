#!/usr/bin/env python3
"""Downsampling benchmark: the space a day of 10 s scrapes takes, before and
after downsampling to one profile per hour.

    FLAMEDEX_BIN=build/server/flamedex python3 bench/downsample/run.py

1. Captures real profiles from bench/scrape/svc.go (a Go service with CPU
   work, a contended mutex, mutex and block profiling on): BENCH_CAPTURES
   (default 30) of each kind, as a scraper fetches them (process_cpu for
   1 s, heap and goroutine as is, block and mutex as 1 s deltas).
2. Fast-forwards a day of 10 s scrapes: BENCH_HOURS (24) x 360 profiles of
   each kind, cycling through the captures, each with its time_nanos
   rewritten to its slot of the day (which ended two hours ago). They are
   stored through the upload route with FLAMEDEX_TEST_UPLOAD_SCRAPE_JOB
   set, which stores an upload as scraped (scraping 8,640 profiles a kind
   at the 1 s minimum interval would take hours); the decoder and the
   store are the scraper's.
3. Restarts the server on that database with --downsample-after 1h
   --downsample-step 1h and waits until every profile is merged.
Before and after: profiles, the stored bytes (the scraped bodies), the
database file's size (every delete gives its pages back), the server's CPU
for the downsampling, and the latency of a day's timeline and of an hour's
merged top. Prints a Markdown table and writes bench/out/downsample.json.
Timings are reported, never asserted.

Environment: FLAMEDEX_BIN, BENCH_HOURS (24), BENCH_CAPTURES (30),
BENCH_KINDS (cpu,heap,goroutine,mutex,block), BENCH_OUT (bench/out).
"""

import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import socket
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))

BIN = os.environ.get("FLAMEDEX_BIN", os.path.join(REPO, "build", "server", "flamedex"))
HOURS = int(os.environ.get("BENCH_HOURS", "24"))
CAPTURES = int(os.environ.get("BENCH_CAPTURES", "30"))
KINDS = os.environ.get("BENCH_KINDS", "cpu,heap,goroutine,mutex,block").split(",")
OUT = os.environ.get("BENCH_OUT", os.path.join(REPO, "bench", "out"))
PATHS = {"cpu": "/debug/pprof/profile?seconds=1", "heap": "/debug/pprof/heap",
         "goroutine": "/debug/pprof/goroutine", "mutex": "/debug/pprof/mutex?seconds=1",
         "block": "/debug/pprof/block?seconds=1"}
PER_HOUR = 360


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


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
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


def proc_kib(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def get(url, timeout=600):
    t = time.perf_counter()
    with urllib.request.urlopen(url, timeout=timeout) as r:
        body = r.read()
    return (time.perf_counter() - t) * 1000, body


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def at_time(raw_gz, t_ns):
    """The profile with time_nanos t_ns: field 9 appended (protobuf: the
    last value of a scalar field wins), gzipped as Go gzips it."""
    raw = gzip.decompress(raw_gz) + varint(9 << 3) + varint(t_ns)
    return gzip.compress(raw, 6)


def capture(base):
    """CAPTURES real profiles of each kind, fetched as a scraper fetches them."""
    got = {k: [] for k in KINDS}

    def one(kind):
        for _ in range(CAPTURES):
            got[kind].append(get(base + PATHS[kind])[1])
            if not PATHS[kind].endswith("seconds=1"):
                time.sleep(0.2)
    ths = [threading.Thread(target=one, args=(k,)) for k in KINDS]
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    return got


def start_server(d, args, env=None):
    port = free_port()
    log = open(os.path.join(d, "server-%d.log" % port), "ab")
    p = subprocess.Popen([BIN, "--listen", "127.0.0.1:%d" % port, "--db", os.path.join(d, "f.db"),
                          "--web", os.path.join(REPO, "web"), "--sync", "normal"] + args,
                         stdout=log, stderr=subprocess.STDOUT, env=env or os.environ)
    wait_up(port)
    return p, "http://127.0.0.1:%d" % port


def stop(p):
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=60)


def upload_day(base, caps, day_start):
    """HOURS * 360 profiles of each kind, 10 s apart, 4 uploads at once."""
    jobs = []
    for kind in KINDS:
        for i in range(HOURS * PER_HOUR):
            jobs.append((kind, i))
    lock = threading.Lock()
    state = {"next": 0}

    def worker():
        while True:
            with lock:
                if state["next"] >= len(jobs):
                    return
                kind, i = jobs[state["next"]]
                state["next"] += 1
            body = at_time(caps[kind][i % len(caps[kind])], (day_start + 10 * i) * 10 ** 9)
            q = urllib.parse.urlencode({"name": "bench %s" % kind, "labels": "job:bench,instance:svc:6060"})
            req = urllib.request.Request(base + "/api/v1/profiles?" + q, data=body, method="POST",
                                         headers={"Content-Type": "application/octet-stream"})
            with urllib.request.urlopen(req, timeout=120) as r:
                assert r.status == 201
    ths = [threading.Thread(target=worker) for _ in range(4)]
    t0 = time.monotonic()
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    return time.monotonic() - t0


def metric(text, name, label=None):
    for line in text.splitlines():
        if line.startswith(name + (label or "") + " "):
            return int(float(line.split()[-1]))
    return 0


def state(base, d):
    """What the store holds: per kind the profiles and bytes, the db size."""
    series = json.loads(get(base + "/api/v1/series?label=job:bench")[1])["series"]
    by = {r["kind"]: {"profiles": r["profiles"], "bytes": r["bytes"]} for r in series}
    m = get(base + "/metrics")[1].decode()
    db = metric(m, "flamedex_database_bytes", '{file="db"}')
    return by, db, m


def view_times(base, day_start):
    out = {}
    q = urllib.parse.urlencode({"label": "instance:svc:6060", "type": "cpu"})
    out["timeline_day_ms"] = round(get(base + "/api/v1/timeline?" + q)[0], 1)
    frm, to = day_start + 3600 * (HOURS // 2), day_start + 3600 * (HOURS // 2 + 1) - 1
    q = urllib.parse.urlencode({"label": "job:bench", "type": "cpu", "from": frm, "to": to, "limit": 20})
    out["merge_hour_cold_ms"] = round(get(base + "/api/v1/merge/top?" + q)[0], 1)
    out["merge_hour_warm_ms"] = round(get(base + "/api/v1/merge/top?" + q)[0], 1)
    return out


def main():
    d = tempfile.mkdtemp(prefix="flamedex-bench-ds-")
    env = dict(os.environ, GO111MODULE="off", GOPATH="/usr/share/gocode", GOCACHE=os.path.join(d, "gocache"))
    svc = os.path.join(d, "svc")
    subprocess.run(["go", "build", "-o", svc, os.path.join(REPO, "bench", "scrape", "svc.go")], check=True,
                   env=env, cwd=d)
    port = free_port()
    gp = subprocess.Popen([svc, str(port), "1"])
    wait_up(port)
    time.sleep(2)
    caps = capture("http://127.0.0.1:%d" % port)
    gp.kill()
    gp.wait()
    cap_sizes = {k: round(sum(map(len, v)) / len(v)) for k, v in caps.items()}

    now = int(time.time())
    day_start = (now - 2 * 3600) // 3600 * 3600 - HOURS * 3600
    srv, base = start_server(d, [], dict(os.environ, FLAMEDEX_TEST_UPLOAD_SCRAPE_JOB="bench"))
    try:
        upload_s = upload_day(base, caps, day_start)
        before, db_before, _ = state(base, d)
        views_before = view_times(base, day_start)
    finally:
        stop(srv)
    n_before = sum(v["profiles"] for v in before.values())

    srv, base = start_server(d, ["--downsample-after", "1h", "--downsample-step", "1h"])
    try:
        cpu0, t0 = proc_cpu_s(srv.pid), time.monotonic()
        while True:
            m = get(base + "/metrics")[1].decode()
            if metric(m, "flamedex_downsampled_total") >= n_before:
                break
            if time.monotonic() - t0 > 7200:
                sys.exit("downsampling did not finish within 2 h")
            time.sleep(1)
        # the last members are deleted after their merged profile is stored
        while sum(v["profiles"] for v in state(base, d)[0].values()) > len(KINDS) * HOURS:
            time.sleep(0.5)
        ds_s = time.monotonic() - t0
        ds_cpu = proc_cpu_s(srv.pid) - cpu0
        hwm = proc_kib(srv.pid, "VmHWM")
        after, db_after, m = state(base, d)
        views_after = view_times(base, day_start)
    finally:
        stop(srv)
    res = {
        "hours": HOURS, "interval_s": 10, "kinds": KINDS, "captures_per_kind": CAPTURES,
        "capture_bytes_mean": cap_sizes, "upload_s": round(upload_s, 1),
        "before": before, "after": after, "db_bytes_before": db_before, "db_bytes_after": db_after,
        "downsample_s": round(ds_s, 1), "downsample_cpu_s": round(ds_cpu, 1), "peak_rss_mib": round(hwm / 1024, 1),
        "saved_bytes_metric": metric(m, "flamedex_downsample_saved_bytes_total"),
        "views_before": views_before, "views_after": views_after,
    }
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "downsample.json"), "w") as f:
        json.dump(res, f, indent=2)
    print("| kind | profiles before → after | stored bytes before → after | ratio |")
    print("|---|---|---|---|")
    for k in KINDS:
        b, a = before.get(k, {}), after.get(k, {})
        print("| %s | %d → %d | %d → %d | %.1f× |" % (k, b.get("profiles", 0), a.get("profiles", 0),
                                                     b.get("bytes", 0), a.get("bytes", 0),
                                                     b.get("bytes", 0) / max(1, a.get("bytes", 1))))
    tb, ta = sum(v["bytes"] for v in before.values()), sum(v["bytes"] for v in after.values())
    print("| all | %d → %d | %d → %d | %.1f× |" % (n_before, sum(v["profiles"] for v in after.values()), tb, ta,
                                                 tb / max(1, ta)))
    print()
    print("database file: %d → %d bytes (%.1f×); downsampling took %.1f s, %.1f s of CPU, peak RSS %.1f MiB"
          % (db_before, db_after, db_before / max(1, db_after), ds_s, ds_cpu, hwm / 1024))
    print("views before: %s; after: %s" % (views_before, views_after))
    shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
