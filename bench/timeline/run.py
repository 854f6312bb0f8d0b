#!/usr/bin/env python3
"""bench/timeline/run.py: the timeline page (/s) of one series of N
profiles (default 10,000), drawn in headless Chromium (issue 13, "the
timeline of a series of 10,000 profiles draws within 1 s").

The database is made as bench/store/run.py makes its own: the server
stores a few real CPU profiles over HTTP, stops, and their rows are
copied into N profiles of one series (service:checkout, type cpu), 10 s
apart; then the server starts again on it and bench/timeline/draw.mjs
opens /s?label=service:checkout&type=cpu (and the same with a function
plotted, fn=) RUNS times in a fresh browser and once more warm in each.
Prints the medians; the JSON of every run goes to bench/out/timeline.json.

  FLAMEDEX_BIN=build/server/flamedex python3 bench/timeline/run.py [N]
"""

import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import shutil
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
spec = importlib.util.spec_from_file_location("bench_store", os.path.join(ROOT, "bench", "store", "run.py"))
store = importlib.util.module_from_spec(spec)
spec.loader.exec_module(store)

N = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
CPU_TEMPLATES = ["agent-insight/cpu.pb.gz", "pyroscope/go.cpu.labels.pprof", "go/devirt.pprof"]
PAGES = [("timeline", "/s?label=service:checkout&type=cpu"),
         ("timeline + fn=^main\\.", "/s?label=service:checkout&type=cpu&fn=%5Emain%5C.")]


def get_json(path):
    with store.OPENER.open("http://127.0.0.1:%d%s" % (store.PORT, path), timeout=120) as r:
        return json.loads(r.read())


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def main():
    if not os.path.isfile(store.BIN):
        raise SystemExit("no server binary at %s" % store.BIN)
    d = tempfile.mkdtemp(prefix="flamedex-bench-timeline-")
    out = []
    try:
        db = os.path.join(d, "tl.db")
        p = store.start(db)
        for rel in CPU_TEMPLATES:
            store.upload(store.data_path(rel), {"name": rel})
        kinds = {q["kind"] for q in get_json("/api/v1/profiles")["profiles"]}
        store.stop(p)
        if kinds != {"cpu"}:
            raise SystemExit("templates are not all cpu profiles: %s" % kinds)
        t = time.perf_counter()
        store.clone(db, N, labels_of=lambda i: (("service", "checkout"), ("instance", "i%d" % (i % 20))))
        print("cloned %d profiles in %.1f s" % (N, time.perf_counter() - t))
        p = store.start(db)
        try:
            pts = get_json("/api/v1/timeline?label=service:checkout&type=cpu")["points"]
            if len(pts) != N:
                raise SystemExit("timeline has %d points, not %d" % (len(pts), N))
            print("| page (%d profiles) | cold browser: drawn / painted (ms) | warm: drawn / painted | API request (ms) | bytes on the wire / decoded |" % N)
            print("|---|---|---|---|---|")
            for name, path in PAGES:
                r = subprocess.run(["node", os.path.join(HERE, "draw.mjs"), "--url", "http://127.0.0.1:%d" % store.PORT,
                                    "--path", path, "--points", str(N), "--runs", str(RUNS),
                                    "--shots", os.path.join(ROOT, "bench", "out", "timeline-shots")],
                                   capture_output=True, text=True, timeout=1800)
                if r.returncode != 0:
                    raise SystemExit("draw.mjs failed: %s" % r.stderr[-2000:])
                j = json.loads(r.stdout.strip().splitlines()[-1])
                if "skipped" in j:
                    print("skipped: %s" % j["skipped"])
                    return
                j["name"] = name
                out.append(j)
                api = [a["end"] - a["start"] for run in j["cold"] for a in run["api"]]
                wire = [a["wire"] for run in j["cold"] for a in run["api"]]
                dec = [a["decoded"] for run in j["cold"] for a in run["api"]]
                print("| %s | %.0f / %.0f | %.0f / %.0f | %.0f | %d / %d |" % (
                    name, med([x["drawn"] for x in j["cold"]]), med([x["painted"] for x in j["cold"]]),
                    med([x["drawn"] for x in j["warm"]]), med([x["painted"] for x in j["warm"]]),
                    med(api), med(wire), med(dec)))
        finally:
            store.stop(p)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.join(ROOT, "bench", "out"), exist_ok=True)
    with open(os.path.join(ROOT, "bench", "out", "timeline.json"), "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
