#!/usr/bin/env python3
"""Regex benchmark: what a hostile filter costs (issue 10).

    FLAMEDEX_BIN=build/server/flamedex python3 bench/regex/run.py

Starts a server (FLAMEDEX_BIN; and, when BENCH_BASE_BIN names another
build, that one too, e.g. a PCRE2 build of an older commit, for
comparison), uploads the profile of tests/api/test_hostile_regex.py
(20,000-char function names, long label values) and times GET /top with
each pattern below as `focus`, BENCH_RUNS times (best kept), and
`go tool pprof -top -focus=` on the same file. Prints a Markdown table
and writes bench/out/regex.json. Timings are reported, never asserted;
a request that fails or times out (BENCH_TIMEOUT, default 120 s) is
reported as such.
"""

import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
sys.path.insert(0, os.path.join(ROOT, "tests", "api"))
import flamedex_server  # noqa: E402
from client import Client  # noqa: E402
from test_hostile_regex import hostile_profile  # noqa: E402

PATTERNS = [
    r"main\.",
    r"(a|a)*b",
    r"(x+x+)+y",
    r"^(.|.)*$\d|runtime",
    r"(.*a){20}",
    r"(\w+\s?)+$",
    r"(*NO_JIT)^(a|a)*$",
    r"a.{999}x",  # RE2's worst case here: the DFA gives up, the NFA runs
]
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
TIMEOUT = float(os.environ.get("BENCH_TIMEOUT", "120"))


def time_server(binary, data):
    os.environ["FLAMEDEX_BIN"] = binary
    srv = flamedex_server.Server().start()
    try:
        c = Client(srv.url, timeout=TIMEOUT)
        pid = c.upload_ok(data, {"name": "bench-regex"})["id"]
        out = {}
        for p in PATTERNS:
            best, status = None, None
            for _ in range(RUNS):
                t = time.monotonic()
                try:
                    r = c.get("/api/v1/profiles/%s/top" % pid, {"focus": p})
                    status = r.status
                except OSError as e:
                    status = "error: %s" % e.__class__.__name__
                    break
                dt = time.monotonic() - t
                best = dt if best is None else min(best, dt)
            out[p] = {"status": status, "seconds": best}
        return out
    finally:
        srv.stop()


def time_pprof(path):
    out = {}
    env = dict(os.environ, PPROF_BINARY_PATH="/nonexistent", HOME=tempfile.gettempdir())
    for p in PATTERNS:
        best, ok = None, None
        for _ in range(RUNS):
            t = time.monotonic()
            r = subprocess.run(["go", "tool", "pprof", "-symbolize=none", "-top", "-focus=" + p, path],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
            dt = time.monotonic() - t
            ok = "refused" if b"parsing focus regexp" in r.stderr else ("ok" if r.returncode == 0 else "failed")
            best = dt if best is None else min(best, dt)
        out[p] = {"status": ok, "seconds": best}
    return out


def main():
    data = hostile_profile()
    tmp = tempfile.mkdtemp(prefix="flamedex-bench-regex-")
    path = os.path.join(tmp, "hostile.pb.gz")
    with open(path, "wb") as f:
        f.write(data)
    cols = [("flamedex", flamedex_server.server_binary())]
    if os.environ.get("BENCH_BASE_BIN"):
        cols.append(("base", os.environ["BENCH_BASE_BIN"]))
    results = {name: time_server(b, data) for name, b in cols}
    results["pprof"] = time_pprof(path)
    print("| focus | " + " | ".join(results) + " |")
    print("|---|" + "---|" * len(results))
    for p in PATTERNS:
        cells = []
        for name in results:
            x = results[name][p]
            s = "-" if x["seconds"] is None else "%.3f s" % x["seconds"]
            cells.append("%s (%s)" % (s, x["status"]))
        print("| `%s` | %s |" % (p, " | ".join(cells)))
    out_dir = os.environ.get("BENCH_OUT") or os.path.join(ROOT, "bench", "out")
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "regex.json"), "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
