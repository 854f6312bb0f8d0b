#!/usr/bin/env python3
"""flamedex benchmark driver (python3 standard library only).

Called by bench/run.sh. For each profile file it starts a flamedex server on a
free port with a fresh database and measures:

  upload    POST /api/v1/profiles, time to the 201 (median of 3 uploads; the
            first one also interns every function and stack, so it is shown
            too)
  top/flame GET .../top and .../flamegraph, cold (first request after a
            server restart) and warm (median of 5)
  rss       peak RSS of the server (VmHWM) per server run: the target is
            for runs that hold one profile (one upload; views after a
            restart); the run with two more uploads caches both and is
            shown as "whole run"
  db        growth of the database per profile after a clean stop (the
            server checkpoints its WAL on exit), first upload and repeats
  pprof     `go tool pprof -symbolize=none -top -nodecount=1000000 FILE`
            wall time (median of 3), interleaved with the uploads (the
            server idle meanwhile) so that both see the same machine load;
            CPU times of both are reported too, as they are steadier than
            wall times on a shared machine

It prints a table with the ratios against the targets and writes
results.json and results.md to the output directory. No assertions: the exit
status is 0 unless the server crashes or a tool cannot run.
"""

import argparse
import gzip
import http.client
import json
import os
import platform
import resource
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

TARGET_SPEEDUP = 15.0     # ingest vs go tool pprof -top, at least
TARGET_WARM_FLAME_MS = 50.0
TARGET_RSS_X = 3.0        # peak RSS / inflated profile, under
TARGET_DB_X = 1.5         # database growth / gzipped upload, under
TARGET_FLOOR_X = 4.0      # upload / decode floor, under


class Crash(Exception):
    pass


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One flamedex process on a database; start() and stop() may repeat."""

    def __init__(self, binary, db, web, log):
        self.binary, self.db, self.web, self.log = binary, db, web, log
        self.proc = None
        self.port = None
        self.peak_kb = 0
        self.phase_kb = {}  # VmHWM per server run

    def start(self):
        self.port = free_port()
        logf = open(self.log, "ab")
        self.proc = subprocess.Popen(
            [self.binary, "--listen", "127.0.0.1:%d" % self.port, "--db", self.db, "--web", self.web],
            stdout=logf, stderr=logf, stdin=subprocess.DEVNULL)
        logf.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise Crash("server exited with status %s at start (log: %s)" % (self.proc.returncode, self.log))
            try:
                status, _, _ = self.request("GET", "/healthz", timeout=2)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise Crash("server did not answer /healthz within 30s (log: %s)" % self.log)

    def hwm_kb(self):
        try:
            with open("/proc/%d/status" % self.proc.pid) as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    def cpu_s(self):
        """User+system CPU seconds the server has used so far."""
        try:
            with open("/proc/%d/stat" % self.proc.pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return float("nan")

    def stop(self, phase=None):
        if self.proc is None:
            return
        if self.proc.poll() is not None:
            raise Crash("server died (status %s; log: %s)" % (self.proc.returncode, self.log))
        hwm = self.hwm_kb()
        self.peak_kb = max(self.peak_kb, hwm)
        if phase:
            self.phase_kb[phase] = hwm
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise Crash("server did not stop within 30s of SIGTERM (log: %s)" % self.log)
        self.proc = None

    def request(self, method, path, body=None, headers=None, timeout=600, resp_headers=None):
        """Returns (status, body bytes as sent on the wire, seconds); the
        response headers go into resp_headers (a dict) when given."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            t0 = time.perf_counter()
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            data = resp.read()
            dt = time.perf_counter() - t0
            if resp_headers is not None:
                resp_headers.update((k.lower(), v) for k, v in resp.getheaders())
            return resp.status, data, dt
        finally:
            conn.close()

    def checked(self, method, path, **kw):
        try:
            status, data, dt = self.request(method, path, **kw)
        except OSError as e:
            if self.proc is not None and self.proc.poll() is not None:
                raise Crash("server died during %s %s (log: %s)" % (method, path, self.log))
            raise Crash("%s %s failed: %s" % (method, path, e))
        return status, data, dt


def db_bytes(db):
    total = 0
    for suffix in ("", "-wal", "-shm"):
        try:
            total += os.path.getsize(db + suffix)
        except OSError:
            pass
    return total


def table_sizes(db):
    """Bytes per table/index via the dbstat virtual table, if compiled in."""
    try:
        con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
        try:
            rows = con.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC").fetchall()
        finally:
            con.close()
        return [(n, int(b)) for n, b in rows]
    except sqlite3.Error:
        return []


def inflated_size(data):
    if data[:2] == b"\x1f\x8b":
        try:
            return len(gzip.decompress(data))
        except (OSError, EOFError):
            return len(data)
    return len(data)


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def run_floor(binary, path):
    """bench/floor.c on path: (inflate s, walk s, location refs) or None."""
    if not binary:
        return None
    r = subprocess.run([binary, path], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=600)
    if r.returncode != 0:
        return None
    f = r.stdout.split()
    return float(f[0]), float(f[1]), int(f[4])


def run_pprof(path):
    """One go tool pprof -top run: (wall s, cpu s) or raises Crash."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    r = subprocess.run(["go", "tool", "pprof", "-symbolize=none", "-top", "-nodecount=1000000", path],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=1800)
    dt = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        raise PprofError(r.stderr.decode(errors="replace").strip()[:300])
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return dt, cpu


class PprofError(Exception):
    pass


def bench_file(path, args):
    name = os.path.basename(path)
    parent = os.path.basename(os.path.dirname(path))
    label = name if parent in ("out", "") else parent + "/" + name
    with open(path, "rb") as f:
        data = f.read()
    res = {"file": label, "path": path, "bytes": len(data), "inflated": inflated_size(data)}
    print("== %s (%.1f MB, %.1f MB inflated)" % (label, len(data) / 1e6, res["inflated"] / 1e6), flush=True)
    fl = run_floor(args.floor, path)
    if fl:
        res["floor_inflate_s"], res["floor_walk_s"], res["locrefs"] = fl

    tmp = tempfile.mkdtemp(prefix="flamedex-bench-")
    db = os.path.join(tmp, "f.db")
    srv = Server(args.bin, db, args.web, os.path.join(tmp, "server.log"))
    try:
        srv.start()
        res["rss_idle_kb"] = srv.hwm_kb()
        srv.stop()
        srv.peak_kb = 0
        size0 = db_bytes(db)

        hdr = {"Content-Type": "application/octet-stream"}
        uploads, upload_cpu, ids = [], [], []
        pprof_wall, pprof_cpu = [], []

        def upload(i):
            c0 = srv.cpu_s()
            status, body, dt = srv.checked("POST", "/api/v1/profiles?name=bench-%d" % i, body=data, headers=hdr)
            if status != 201:
                return status, body
            uploads.append(dt)
            upload_cpu.append(srv.cpu_s() - c0)
            ids.append(json.loads(body)["id"])
            return status, body

        def pprof():
            # Interleaved with the uploads, so that both see the same load
            # on a shared machine; the server is idle meanwhile.
            if args.pprof_runs > len(pprof_wall) and "pprof_error" not in res:
                try:
                    w, c = run_pprof(path)
                    pprof_wall.append(w)
                    pprof_cpu.append(c)
                except PprofError as e:
                    res["pprof_error"] = str(e)

        srv.start()
        status, body = upload(1)
        if status != 201:
            res["error"] = "upload: HTTP %d %s" % (status, body[:300].decode(errors="replace"))
            print("   " + res["error"], flush=True)
            srv.stop()
            return res
        meta = json.loads(body)
        for k in ("samples", "functions", "locations"):
            res[k] = meta.get(k)
        # The first flame graph after the upload, on the same server (the
        # decoded profile may be cached, the name tree not yet built).
        status, _, dt = srv.checked("GET", "/api/v1/profiles/%s/flamegraph" % meta["id"])
        if status == 200:
            res["flame_first_ms"] = dt * 1000
        srv.stop("one upload")
        res["rss_upload_kb"] = srv.peak_kb
        size1 = db_bytes(db)
        res["tables_one"] = table_sizes(db)

        pprof()
        srv.start()
        for i in (2, 3):
            status, _ = upload(i)
            if status != 201:
                raise Crash("repeat upload: HTTP %d" % status)
            pprof()
        srv.stop("two more uploads")
        while len(pprof_wall) < args.pprof_runs and "pprof_error" not in res:
            pprof()
        size2 = db_bytes(db)
        res["upload_s"] = uploads
        res["upload_cpu_s"] = upload_cpu
        if pprof_wall:
            res["pprof_s"] = pprof_wall
            res["pprof_cpu_s"] = pprof_cpu
        res["db_empty"] = size0
        res["db_first"] = size1 - size0
        res["db_repeat"] = (size2 - size1) / 2

        pid = ids[0]
        views = {"top": "/api/v1/profiles/%s/top" % pid, "flame": "/api/v1/profiles/%s/flamegraph" % pid}
        for view, url in views.items():
            srv.start()  # a restart: nothing cached
            status, body, dt = srv.checked("GET", url)
            if status != 200:
                raise Crash("%s: HTTP %d %s" % (view, status, body[:200]))
            res[view + "_cold_ms"] = dt * 1000
            res[view + "_bytes"] = len(body)
            if view == "flame":
                res["flame_nodes"] = len(json.loads(body).get("nodes", []))
            warm = []
            for _ in range(args.warm):
                status, body, dt = srv.checked("GET", url)
                if status != 200:
                    raise Crash("%s: HTTP %d" % (view, status))
                warm.append(dt * 1000)
            res[view + "_warm_ms"] = warm
            # Bytes on the wire with Accept-Encoding: gzip, and whether a
            # revalidation with the ETag costs a 304.
            hd = {}
            status, body, dt = srv.checked("GET", url, headers={"Accept-Encoding": "gzip"}, resp_headers=hd)
            res[view + "_wire_bytes"] = len(body)
            res[view + "_encoding"] = hd.get("content-encoding", "identity")
            if hd.get("etag"):
                status, body, dt = srv.checked("GET", url, headers={"Accept-Encoding": "gzip", "If-None-Match": hd["etag"]})
                res[view + "_revalidate"] = "%d, %d bytes, %.1f ms" % (status, len(body), dt * 1000)
            srv.stop(view + " cold+warm")
        res["rss_peak_kb"] = srv.peak_kb
        res["rss_phases_kb"] = srv.phase_kb
    finally:
        if srv.proc is not None:
            try:
                srv.stop()
            except Crash:
                pass
        if args.keep:
            print("   kept " + tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    report_one(res)
    return res


def fmt_ratio(x, target, better_high):
    ok = (x >= target) if better_high else (x < target)
    return "%.1fx %s" % (x, "ok" if ok else "MISS")


def derived(r):
    d = {}
    if "upload_s" in r:
        d["upload"] = median(r["upload_s"])
        d["upload_first"] = r["upload_s"][0]
    if "pprof_s" in r and "upload" in d:
        d["pprof"] = median(r["pprof_s"])
        d["speedup"] = d["pprof"] / d["upload"]
        d["speedup_first"] = d["pprof"] / d["upload_first"]
        d["cpu_speedup"] = median(r["pprof_cpu_s"]) / max(median(r["upload_cpu_s"]), 0.01)
    if "floor_walk_s" in r and "upload" in d:
        d["floor"] = r["floor_inflate_s"] + r["floor_walk_s"]
        d["floor_x"] = d["upload"] / d["floor"]
    for v in ("top", "flame"):
        if v + "_warm_ms" in r:
            d[v + "_warm"] = median(r[v + "_warm_ms"])
    if "rss_peak_kb" in r:
        # The target is for one profile: the server runs that held one
        # upload or served the views. The run with two more uploads keeps
        # both decoded profiles in its cache and is reported beside it.
        ph = r.get("rss_phases_kb") or {}
        one = [v for k, v in ph.items() if k != "two more uploads"]
        d["rss_one_kb"] = max(one) if one else r["rss_peak_kb"]
        d["rss_x"] = d["rss_one_kb"] * 1024 / r["inflated"]
    if "db_first" in r:
        d["db_x"] = r["db_first"] / r["bytes"]
        d["db_repeat_x"] = r["db_repeat"] / r["bytes"]
    return d


def report_one(r):
    d = derived(r)
    if "upload" not in d:
        return
    print("   upload %.3f s (median of %d; first %.3f s)" % (d["upload"], len(r["upload_s"]), d["upload_first"]))
    if "floor" in d:
        print("   decode floor %.3f s (inflate %.3f + walk %.3f; %d location refs) -> upload/floor %.1fx" % (
            d["floor"], r["floor_inflate_s"], r["floor_walk_s"], r["locrefs"], d["floor_x"]))
    if "flame_first_ms" in r:
        print("   first flame graph after the upload %.1f ms" % r["flame_first_ms"])
    if "pprof" in d:
        print("   go tool pprof -top %.2f s -> speedup %s (first upload %.1fx; CPU time %.1f s vs %.2f s = %.1fx)" % (
            d["pprof"], fmt_ratio(d["speedup"], TARGET_SPEEDUP, True), d["speedup_first"],
            median(r["pprof_cpu_s"]), median(r["upload_cpu_s"]), d["cpu_speedup"]))
    elif "pprof_error" in r:
        print("   go tool pprof failed: " + r["pprof_error"])
    print("   top   cold %.1f ms, warm %.1f ms (%d bytes)" % (r["top_cold_ms"], d["top_warm"], r["top_bytes"]))
    for v in ("top", "flame"):
        if v + "_wire_bytes" in r:
            print("   %s on the wire with Accept-Encoding gzip: %d bytes (%s)%s" % (
                v, r[v + "_wire_bytes"], r[v + "_encoding"],
                "; revalidation " + r[v + "_revalidate"] if v + "_revalidate" in r else "; no ETag"))
    print("   flame cold %.1f ms, warm %.1f ms (%d nodes, %d bytes) %s" % (
        r["flame_cold_ms"], d["flame_warm"], r.get("flame_nodes", 0), r["flame_bytes"],
        "ok" if d["flame_warm"] <= TARGET_WARM_FLAME_MS else "MISS"))
    print("   peak RSS with one profile %.1f MiB = %s inflated (whole run %.1f MiB, idle server %.1f MiB)" % (
        d["rss_one_kb"] / 1024, fmt_ratio(d["rss_x"], TARGET_RSS_X, False), r["rss_peak_kb"] / 1024,
        r["rss_idle_kb"] / 1024))
    if r.get("rss_phases_kb"):
        print("   peak RSS per server run: " + ", ".join(
            "%s %.0f MiB" % (k, v / 1024) for k, v in r["rss_phases_kb"].items()))
    print("   db +%.2f MB first = %s gz, +%.2f MB per repeat (%.2fx)" % (
        r["db_first"] / 1e6, fmt_ratio(d["db_x"], TARGET_DB_X, False), r["db_repeat"] / 1e6, d["db_repeat_x"]))
    if r.get("tables_one"):
        top = ", ".join("%s %.1f MB" % (n, b / 1e6) for n, b in r["tables_one"][:6])
        print("   largest tables after one upload: " + top)
    sys.stdout.flush()


def markdown(results):
    lines = [
        "| profile | gz / inflated | samples | functions | upload (median) | go tool pprof -top (median) | "
        "ingest speedup (>= %.0fx) | top cold / warm | flame graph cold / warm (<= %.0f ms) | "
        "peak RSS, one profile (< %.0fx inflated) / whole run | DB growth, first (< %.1fx gz; the WAL "
        "included) | DB growth, repeat |" % (TARGET_SPEEDUP, TARGET_WARM_FLAME_MS, TARGET_RSS_X, TARGET_DB_X),
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        d = derived(r)
        if "upload" not in d:
            lines.append("| %s | %.1f / %.1f MB | | | %s | | | | | | | |" % (
                r["file"], r["bytes"] / 1e6, r["inflated"] / 1e6, r.get("error", "failed")))
            continue
        pp = "%.2f s" % d["pprof"] if "pprof" in d else "n/a"
        sp = ("%s (CPU time %.0fx)" % (fmt_ratio(d["speedup"], TARGET_SPEEDUP, True), d["cpu_speedup"])
              if "speedup" in d else "n/a")
        lines.append(
            "| %s | %.1f / %.1f MB | %s | %s | %.3f s (first %.3f s) | %s | %s | %.0f / %.0f ms | %.0f / %.0f ms %s | "
            "%.0f MiB = %s / %.0f MiB | %.1f MB = %s | %.1f MB = %.2fx |" % (
                r["file"], r["bytes"] / 1e6, r["inflated"] / 1e6, r.get("samples"), r.get("functions"),
                d["upload"], d["upload_first"], pp, sp, r["top_cold_ms"], d["top_warm"],
                r["flame_cold_ms"], d["flame_warm"], "ok" if d["flame_warm"] <= TARGET_WARM_FLAME_MS else "MISS",
                d["rss_one_kb"] / 1024, fmt_ratio(d["rss_x"], TARGET_RSS_X, False), r["rss_peak_kb"] / 1024,
                r["db_first"] / 1e6, fmt_ratio(d["db_x"], TARGET_DB_X, False),
                r["db_repeat"] / 1e6, d["db_repeat_x"]))
    lines += [
        "",
        "| profile | location refs | decode floor (inflate + walk) | upload / floor (<= 4x) | "
        "first flame graph after the upload | flame graph bytes: plain / on the wire (gzip) | revalidation |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        d = derived(r)
        if "upload" not in d:
            continue
        fl = ("%.3f s (%.3f + %.3f)" % (d["floor"], r["floor_inflate_s"], r["floor_walk_s"])
              if "floor" in d else "n/a")
        fx = fmt_ratio(d["floor_x"], TARGET_FLOOR_X, False) if "floor" in d else "n/a"
        first = "%.0f ms" % r["flame_first_ms"] if "flame_first_ms" in r else "n/a"
        wire = "%d / %d (%s)" % (r["flame_bytes"], r.get("flame_wire_bytes", 0), r.get("flame_encoding", "?"))
        lines.append("| %s | %s | %s | %s | %s | %s | %s |" % (
            r["file"], r.get("locrefs", "?"), fl, fx, first, wire, r.get("flame_revalidate", "no ETag")))
    scaled = [r for r in results if "-x" in r["file"] and "upload" in derived(r)]
    if scaled:
        lines += ["", "| scaled profile | location refs | upload | server CPU | ns per location ref | peak RSS, one profile |",
                  "|---|---|---|---|---|---|"]
        for r in scaled:
            d = derived(r)
            cpu = median(r["upload_cpu_s"])
            lines.append("| %s | %s | %.3f s | %.2f s | %.1f | %.0f MiB |" % (
                r["file"], r.get("locrefs", "?"), d["upload"], cpu,
                1e9 * d["upload"] / max(r.get("locrefs", 0), 1), d["rss_one_kb"] / 1024))
    return "\n".join(lines) + "\n"


def machine():
    model, ncpu = "unknown", os.cpu_count()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            mem = "%.0f GB RAM" % (int(f.readline().split()[1]) / 1024 / 1024)
    except (OSError, ValueError, IndexError):
        pass
    return "%d x %s, %s, %s" % (ncpu, model, mem, platform.platform())


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--web", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--warm", type=int, default=5)
    ap.add_argument("--pprof-runs", type=int, default=3)
    ap.add_argument("--keep", action="store_true", help="keep the temporary databases")
    ap.add_argument("--floor", help="bench/floor.c binary: the decode floor of each file")
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    if shutil.which("go") is None:
        print("bench: go not found; skipping the go tool pprof comparison")
        args.pprof_runs = 0

    info = {"machine": machine(), "load_before": loadavg(),
            "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "binary": args.bin}
    print("machine: %s; load average %s" % (info["machine"], info["load_before"]), flush=True)
    results, crashed = [], None
    for path in args.files:
        try:
            results.append(bench_file(path, args))
        except Crash as e:
            crashed = str(e)
            print("bench: CRASH on %s: %s" % (path, e), flush=True)
            results.append({"file": os.path.basename(path), "bytes": os.path.getsize(path),
                            "inflated": 0, "error": "crash: " + crashed})
    info["load_after"] = loadavg()

    md = markdown(results)
    print()
    print("Targets: ingest >= %.0fx faster than go tool pprof -top; warm flame graph <= %.0f ms; "
          "peak RSS < %.0fx inflated profile; DB growth < %.0fx gzipped upload." % (
              TARGET_SPEEDUP, TARGET_WARM_FLAME_MS, TARGET_RSS_X, TARGET_DB_X))
    print("Load average before/after: %s / %s (%d CPUs)" % (info["load_before"], info["load_after"], os.cpu_count()))
    print()
    print(md)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump({"info": info, "results": results}, f, indent=1)
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write("Machine: %s. Load average before/after: %s / %s. %s.\n\n" % (
            info["machine"], info["load_before"], info["load_after"], info["date"]))
        f.write(md)
    print("wrote %s/results.json and results.md" % args.out)
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
