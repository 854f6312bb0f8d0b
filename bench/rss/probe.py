#!/usr/bin/python3
"""bench/rss/probe.py: peak memory of a fresh server that takes one upload.

    /usr/bin/python3 bench/rss/probe.py --bin build/server/flamedex FILE...

Per file: a fresh server on an empty database, one upload, the first flame
graph, top, the flame graph again; prints VmHWM (the peak resident set) as
MiB and as a multiple of the inflated profile, VmRSS after each step, the
server's CPU for the upload, the trie's nodes (from the server's log), and a digest of every answer (the same digests
from two binaries mean the same answers). Uses bench/bench.py's Server.
Never asserts on figures.
"""
import argparse
import hashlib
import json
import re
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from bench import Server, inflated_size  # noqa: E402


def status_kb(srv, field):
    with open("/proc/%d/status" % srv.proc.pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def probe(binary, web, path):
    data = open(path, "rb").read()
    infl = inflated_size(data)
    tmp = tempfile.mkdtemp(prefix="fdx-rss-")
    srv = Server(binary, os.path.join(tmp, "db.sqlite"), web, os.path.join(tmp, "log"))
    out = {"file": os.path.basename(path), "inflated": infl, "rss_kb": {}, "digest": {}}
    try:
        srv.start()
        out["rss_kb"]["start"] = status_kb(srv, "VmRSS")
        c0 = srv.cpu_s()
        st, body, dt = srv.checked("POST", "/api/v1/profiles?name=probe", body=data,
                                   headers={"Content-Type": "application/octet-stream"})
        if st != 201:
            raise SystemExit("upload of %s: %d %s" % (path, st, body[:200]))
        out["upload_cpu"] = srv.cpu_s() - c0
        out["upload_wall"] = dt
        out["rss_kb"]["upload"] = status_kb(srv, "VmRSS")
        out["hwm_upload_kb"] = status_kb(srv, "VmHWM")
        pid = json.loads(body)["id"]
        for step, view in (("flame", "flamegraph"), ("top", "top"), ("flame2", "flamegraph")):
            st, body, _ = srv.checked("GET", "/api/v1/profiles/%s/%s" % (pid, view))
            if st != 200:
                raise SystemExit("%s of %s: %d" % (view, path, st))
            out["rss_kb"][step] = status_kb(srv, "VmRSS")
            out["digest"][step] = hashlib.sha256(body).hexdigest()[:16]
        out["hwm_kb"] = status_kb(srv, "VmHWM")
        srv.stop()
        with open(os.path.join(tmp, "log"), errors="replace") as f:
            m = re.search(r"msg=stored .* nodes=(\d+)", f.read())
        out["nodes"] = int(m.group(1)) if m else None
    finally:
        if srv.proc is not None:
            srv.proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--web", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "web"))
    ap.add_argument("--json", action="store_true")
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    with open("/proc/loadavg") as f:
        print("load average:", " ".join(f.read().split()[:3]))
    for path in a.files:
        r = probe(os.path.abspath(a.bin), a.web, path)
        if a.json:
            print(json.dumps(r))
            continue
        mib = r["hwm_kb"] / 1024
        print("%-22s nodes %s  inflated %6.1f MB  peak %6.1f MiB = %4.1fx  (after upload %6.1f MiB)  upload CPU %.2f s  "
              "rss MiB %s  digests %s" % (
                  r["file"], r["nodes"], r["inflated"] / 1e6, mib, r["hwm_kb"] * 1024 / r["inflated"], r["hwm_upload_kb"] / 1024,
                  r["upload_cpu"], {k: round(v / 1024) for k, v in r["rss_kb"].items()},
                  ",".join(r["digest"].values())))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
