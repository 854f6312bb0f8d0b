"""Downsampling (server/downsample.c, docs/SCRAPE.md "Downsampling") and
how far back data goes (/api/v1/series, /api/v1/targets).

A Python target serves generated profiles over HTTP, scraped every second
like a Go service: each fetch of a path is the next profile of a
fast-forwarded series, its time_nanos 10 s after the previous one, two days
ago (so older than any `after` the tests set), its stacks, values and sample
labels drawn afresh. What is checked, against what the server said and what
go tool pprof says of the originals before they were merged:
  - a sum series (CPU, and a heap delta: profiles with a duration) becomes one
    profile per bucket whose /top is `go tool pprof -top` of the originals
    together, for every sample type;
  - an avg series (goroutine, in-use heap: no duration) becomes one profile
    per bucket whose /top is /merge/top?agg=avg of the originals;
  - the originals are gone, uploads and recent scraped profiles untouched,
    /metrics and /api/v1/targets count it, /api/v1/series says how far back;
  - a crash between storing the merged profile and deleting the originals
    (held by FLAMEDEX_TEST_DOWNSAMPLE_HOLD, then SIGKILL) never counts twice:
    selections leave the marked originals out, the restart deletes them and
    merges nothing again;
  - --downsample-retention deletes exactly the downsampled profiles older
    than it; bad settings are startup errors.
"""

import http.server
import json
import os
import random
import shutil
import signal
import socketserver
import subprocess
import tempfile
import threading
import time

import pytest

import checks
import pb
import pproftool
from client import Client
from flamedex_server import Server, free_port, server_binary

STEP = 60                      # the tests' downsample step, seconds
EVERY = 10                     # fake seconds between two profiles of a series
N = 9                          # profiles per old series: 6 in the first bucket, 3 in the second
NOW = time.time()
T0 = int((NOW - 2 * 86400) // 3600 * 3600)   # an hour boundary two days ago
WAIT = 90

FUNCS = ["main.main", "main.serve", "main.handle", "encoding/json.Marshal", "runtime.mallocgc",
         "main.parse", "net/http.(*conn).serve", "main.work", "sync.(*Mutex).Lock"]

KINDS = {
    # path: (kind, sample types, period, duration_ns, agg)
    "cpu": ("cpu", [("samples", "count"), ("cpu", "nanoseconds")], ("cpu", "nanoseconds", 10000000), 10 ** 9,
            "sum"),
    "allocs": ("heap", [("alloc_objects", "count"), ("alloc_space", "bytes"), ("inuse_objects", "count"),
                        ("inuse_space", "bytes")], ("space", "bytes", 524288), 10 ** 9, "sum"),
    "goroutine": ("goroutine", [("goroutine", "count")], ("goroutine", "count", 1), 0, "avg"),
    "heap": ("heap", [("alloc_objects", "count"), ("alloc_space", "bytes"), ("inuse_objects", "count"),
                      ("inuse_space", "bytes")], ("space", "bytes", 524288), 0, "avg"),
}


def until(what, fn, timeout=WAIT, every=0.25):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(every)
    pytest.fail("not within %ss: %s (last: %r)" % (timeout, what, last), pytrace=False)


def make_profile(path, k, t_ns):
    """Profile k of series `path` at t_ns: a few stacks of FUNCS (some in
    this profile only), odd values, and a sample label on some."""
    kind, types, period, dur, _ = KINDS[path]
    rnd = random.Random("%s/%d/%d" % (path, k, T0))
    b = pb.Builder()
    for t, u in types:
        b.sample_type(t, u)
    b.mapping(1)
    for i, fn in enumerate(FUNCS, 1):
        b.function(i, fn, filename="src/%s.go" % fn.split(".")[0].split("/")[-1], start_line=i * 10)
        b.location(i, [(i, i * 10 + 1)], mapping_id=1, address=0x400000 + 0x10 * i)
    for _ in range(rnd.randint(4, 9)):
        depth = rnd.randint(1, 5)
        stack = [1] + [rnd.randint(2, len(FUNCS)) for _ in range(depth)]
        vals = [rnd.randint(1, 999) * 2 + 1 for _ in types]
        if kind == "cpu":
            vals[1] = vals[0] * period[2]
        labels = [("handler", rnd.choice(["a", "b"]))] if rnd.random() < 0.4 else []
        b.sample(list(reversed(stack)), vals, labels=labels)
    b.period_type(*period)
    b.raw(pb.f_varint(9, t_ns))
    if dur:
        b.raw(pb.f_varint(10, dur))
    return b.encode(gzipped=True)


class Target:
    """The scraped service: path -> how many profiles it serves and their
    times; past that, 404 (the scrape fails, nothing is stored)."""

    def __init__(self, series):
        self.series = series          # {name: (kind path, count, t0 seconds or None: now)}
        self.served = {name: 0 for name in series}
        self.lock = threading.Lock()
        target = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                name = self.path.split("?")[0].strip("/")
                body, status = b"no", 404
                with target.lock:
                    if name in target.series:
                        path, count, t0 = target.series[name]
                        k = target.served[name]
                        if k < count:
                            target.served[name] = k + 1
                            t = int((time.time() - 5) * 1e9) if t0 is None else (t0 + EVERY * k) * 10 ** 9
                            body, status = make_profile(path, k, t), 200
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True

        self.httpd = S(("127.0.0.1", 0), H)
        self.addr = "127.0.0.1:%d" % self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def done(self):
        with self.lock:
            return all(self.served[n] >= self.series[n][1] for n in self.series)

    def close(self):
        self.httpd.shutdown()


def config(job, target, downsample=None):
    pprof = {k: {"enabled": False} for k in ("process_cpu", "memory", "goroutine", "mutex", "block")}
    for name in target.series:
        pprof["x" + name] = {"path": "/" + name}
    out = {"scrape_configs": [{"job_name": job, "scrape_interval": "1s",
                               "static_configs": [{"targets": [target.addr], "labels": {"env": "t"}}],
                               "profiling_config": {"pprof_config": pprof}}]}
    if downsample:
        out["downsample"] = downsample
    return json.dumps(out, indent=2)


def listed(c, job, kind=None):
    params = {"label": "job:" + job, "limit": 1000}
    if kind:
        params["type"] = kind
    return c.get_json("/api/v1/profiles", params)["profiles"]


def ts(sec):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec))


def metric(text, name):
    for line in text.splitlines():
        if line.startswith(name + " "):
            return int(line.split()[1])
    pytest.fail("no %s in /metrics" % name)


def pprof_top(paths, idx, unit):
    """go tool pprof -top of the files together (profile.Merge)."""
    flags, suffix = pproftool.unit_args(unit)
    args = ["-top", "-nodecount=1000000", "-nodefraction=0", "-edgefraction=0", "-sample_index=%d" % idx] + flags
    args += list(paths[:-1])
    return pproftool.parse_top(pproftool.run_pprof(args, paths[-1]), suffix)


class Recorded:
    """The scraped originals of each (series, bucket) before downsampling:
    metadata, bytes on disk, and what the server's /merge says of them."""

    def __init__(self, c, job, tmp, names):
        self.buckets = {}     # (path, bucket start) -> [meta]
        for name in names:
            path = name
            kind = KINDS[path][0]
            for m in listed(c, job, kind):
                words = m["name"].split()
                if len(words) < 2 or words[1] != "x" + name or m["downsampled"]:
                    continue
                t = int(round(pb_time(m)))
                self.buckets.setdefault((path, t // STEP * STEP), []).append(m)
        self.files = {}
        self.avg_tops = {}
        for (path, b), metas in sorted(self.buckets.items()):
            metas.sort(key=lambda m: m["time"])
            files = []
            for m in metas:
                r = c.get("/api/v1/profiles/%s/raw" % m["id"])
                assert r.status == 200
                f = os.path.join(tmp, "%s.pb.gz" % m["id"])
                with open(f, "wb") as fh:
                    fh.write(r.body)
                files.append(f)
            self.files[(path, b)] = files
            if KINDS[path][4] == "avg":
                ids = ",".join(m["id"] for m in metas)
                for st, _ in KINDS[path][1]:
                    self.avg_tops[(path, b, st)] = c.get_json(
                        "/api/v1/merge/top", {"ids": ids, "agg": "avg", "sample_type": st, "limit": 0})


def pb_time(meta):
    from datetime import datetime, timezone
    s = meta["time"].rstrip("Z")
    frac = 0.0
    if "." in s:
        s, f = s.split(".")
        frac = float("0." + f)
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc).timestamp() + frac


def same_top(a, b):
    return checks.server_top_rows(a) == checks.server_top_rows(b) and a["total"] == b["total"]


@pytest.fixture(scope="module")
def world():
    """Scrape four old series (and a recent one), record them, then turn
    downsampling on with SIGHUP and wait until it has merged them all."""
    target = Target({"cpu": ("cpu", N, T0), "allocs": ("allocs", N, T0), "goroutine": ("goroutine", N, T0),
                     "heap": ("heap", N, T0), "recent": ("cpu", 3, None)})
    d = tempfile.mkdtemp(prefix="flamedex-ds-")
    cfg = os.path.join(d, "scrape.yaml")
    with open(cfg, "w") as f:
        f.write(config("ds", target))
    srv = Server(["--config", cfg]).start()
    c = Client(srv.url, token=srv.token)
    w = type("World", (), {})()
    w.srv, w.c, w.target, w.dir = srv, c, target, d
    try:
        # an upload with the series' labels, in the first bucket: never merged
        up = pb.simple_profile({("main.main", "main.work"): [7]}, types=(("goroutine", "count"),))
        w.upload = c.upload_ok(up, {"name": "uploaded", "labels": "job:ds,instance:%s,env:t" % target.addr,
                                    "time": str(T0 + 5)})
        w.upload_top = c.get_json("/api/v1/profiles/%s/top" % w.upload["id"], {"limit": 0})
        until("the target served every profile", target.done)
        until("every served profile stored",
              lambda: len([p for p in listed(c, "ds") if p["id"] != w.upload["id"]]) == 4 * N + 3)
        w.rec = Recorded(c, "ds", d, ["cpu", "allocs", "goroutine", "heap"])
        w.recent = [p for p in listed(c, "ds", "cpu") if p["name"].split()[1:2] == ["xrecent"]]
        assert len(w.recent) == 3
        w.series_before = c.get_json("/api/v1/series", {"label": "job:ds"})
        with open(cfg, "w") as f:
            f.write(config("ds", target, {"after": "1h", "step": "1m"}))
        srv.proc.send_signal(signal.SIGHUP)
        until("every old scraped profile merged",
              lambda: metric(c.get("/metrics").body.decode(), "flamedex_downsampled_total") == 4 * N)
        until("the originals deleted",
              lambda: all(c.get("/api/v1/profiles/%s" % m["id"]).status == 404
                          for ms in w.rec.buckets.values() for m in ms))
        w.merged = [p for p in listed(c, "ds") if p["downsampled"]]
        yield w
    finally:
        problem = srv.stop()
        target.close()
        shutil.rmtree(d, ignore_errors=True)
    assert problem is None, problem


def test_one_profile_per_series_and_bucket_with_labels_time_and_count(world):
    assert len(world.rec.buckets) == 8, sorted(world.rec.buckets)
    assert sorted(len(v) for v in world.rec.buckets.values()) == [3] * 4 + [6] * 4
    by = {}
    for m in world.merged:
        by.setdefault((m["kind"], m["downsampled"]["agg"], pb_time(m)), []).append(m)
    for (path, b), metas in world.rec.buckets.items():
        kind, _, _, dur, agg = KINDS[path]
        got = by.get((kind, agg, float(b)))
        assert got and len(got) == 1, ("one downsampled profile", path, b, got)
        m = got[0]
        assert m["labels"] == {"job": "ds", "instance": world.target.addr, "env": "t", "downsampled": "1m"}, m
        assert m["downsampled"] == {"step_seconds": STEP, "profiles": len(metas), "agg": agg}, m
        assert m["time"].startswith(ts(b)) and m["time_source"] == "profile", m
        # sum: the members' durations (a rate stays exact); avg: the bucket
        assert m["duration_ns"] == (dur * len(metas) if agg == "sum" else STEP * 10 ** 9), m
        assert m["scraped"] is True and m["uploaded_by"] is None
    assert len(world.merged) == 8


@pytest.mark.parametrize("path", ["cpu", "allocs"])
def test_sum_is_pprofs_merge_of_the_originals(world, path):
    """/top of a downsampled sum profile is go tool pprof -top A B C … of
    the originals, for every sample type."""
    for (p, b), files in world.rec.files.items():
        if p != path:
            continue
        m = [x for x in world.merged if x["kind"] == KINDS[path][0] and x["downsampled"]["agg"] == "sum"
             and pb_time(x) == b]
        assert len(m) == 1
        for idx, (st, unit) in enumerate(KINDS[path][1]):
            rep = pprof_top(files, idx, unit)
            j = world.c.get_json("/api/v1/profiles/%s/top" % m[0]["id"], {"sample_type": st, "limit": 0})
            assert j["rows"], "a non-empty top"
            checks.compare_top(j, rep, " of downsampled %s %s bucket %s" % (path, st, ts(b)))


@pytest.mark.parametrize("path", ["goroutine", "heap"])
def test_avg_is_the_per_profile_mean_merge_avg_said(world, path, tmp_path):
    """/top of a downsampled avg profile is what /merge/top?agg=avg said of
    the originals (each value the mean, rounded as pprof's Scale); and its
    stored bytes are what pprof reads as that."""
    for (p, b), metas in world.rec.buckets.items():
        if p != path:
            continue
        m = [x for x in world.merged if x["kind"] == KINDS[path][0] and x["downsampled"]["agg"] == "avg"
             and pb_time(x) == b]
        assert len(m) == 1
        raw = world.c.get("/api/v1/profiles/%s/raw" % m[0]["id"])
        f = tmp_path / ("%s-%d.pb.gz" % (path, b))
        f.write_bytes(raw.body)
        tops = []
        for idx, (st, unit) in enumerate(KINDS[path][1]):
            j = world.c.get_json("/api/v1/profiles/%s/top" % m[0]["id"], {"sample_type": st, "limit": 0})
            tops.append(j)
            want = world.rec.avg_tops[(path, b, st)]
            assert want["merge"]["profiles"] == len(metas) and want["merge"]["agg"] == "avg"
            assert checks.server_top_rows(j) == checks.server_top_rows(want), (path, st, b)
            assert j["total"] == want["total"]
            assert j["rows"], "a non-empty top"
            checks.compare_top(j, pproftool.top(str(f), idx, unit), " of downsampled %s %s" % (path, st))
        # the mean is not the sum: the values differ from the originals merged by pprof
        rep = pprof_top(world.rec.files[(path, b)], 0, KINDS[path][1][0][1])
        assert rep.total != tops[0]["total"] and len(metas) > 1


def test_originals_gone_uploads_and_recent_kept(world):
    c = world.c
    for ms in world.rec.buckets.values():
        for m in ms:
            assert c.get("/api/v1/profiles/%s" % m["id"]).status == 404
            assert c.get("/api/v1/profiles/%s/top" % m["id"]).status == 404
    up = c.get_json("/api/v1/profiles/%s" % world.upload["id"])
    assert up["downsampled"] is None and up["scraped"] is False
    assert same_top(c.get_json("/api/v1/profiles/%s/top" % world.upload["id"], {"limit": 0}), world.upload_top)
    for p in world.recent:
        meta = c.get_json("/api/v1/profiles/%s" % p["id"])
        assert meta["downsampled"] is None, meta
    # exactly these are left: 8 merged, the upload, the recent three
    assert len(listed(c, "ds")) == 8 + 1 + 3


def test_metrics_and_targets_count_it(world):
    c = world.c
    text = c.get("/metrics").body.decode()
    before = sum(m["bytes"] for ms in world.rec.buckets.values() for m in ms)
    after = sum(m["bytes"] for m in world.merged)
    assert metric(text, "flamedex_downsampled_total") == 4 * N
    assert metric(text, "flamedex_downsample_merged_total") == 8
    assert metric(text, "flamedex_downsample_input_bytes_total") == before
    assert metric(text, "flamedex_downsample_output_bytes_total") == after
    assert metric(text, "flamedex_downsample_saved_bytes_total") == before - after > 0
    ds = c.get_json("/api/v1/targets")["downsample"]
    assert ds == {"after_seconds": 3600, "step_seconds": STEP, "retention_seconds": 0, "source": "config",
                  "merged": 8, "downsampled": 4 * N, "saved_bytes": before - after, "expired": 0,
                  "jobs": []}, ds


def test_series_say_how_far_back_data_goes(world):
    c = world.c
    rows = c.get_json("/api/v1/series", {"label": "job:ds"})["series"]
    by = {r["kind"]: r for r in rows}
    assert set(by) == {"cpu", "heap", "goroutine"}, rows
    for r in rows:
        # the downsampled profiles stay in their series: one row per kind
        assert r["labels"] == {"job": "ds", "instance": world.target.addr, "env": "t"}, r
        ret = r["retention"]
        assert ret["oldest"].startswith(ts(T0)) and ret["downsampled_until"].startswith(ts(T0 + 2 * STEP)), r
        assert ret["downsample_step_seconds"] == STEP
        assert ret["retention_seconds"] is None and ret["downsampled_retention_seconds"] is None
    assert by["heap"]["retention"]["raw_since"] is None and by["heap"]["retention"]["downsampled_profiles"] == 4
    assert by["heap"]["profiles"] == 4
    recent_first = min(pb_time(p) for p in world.recent)
    cpu = by["cpu"]["retention"]
    assert cpu["raw_since"] is not None and abs(pb_time({"time": cpu["raw_since"]}) - recent_first) < 0.01
    assert cpu["downsampled_profiles"] == 2 and by["cpu"]["profiles"] == 2 + 3
    g = by["goroutine"]["retention"]
    assert g["raw_since"].startswith(ts(T0 + 5)), g     # the upload, never merged
    assert by["goroutine"]["profiles"] == 2 + 1
    # before downsampling, the same rows said everything was raw
    before = {r["kind"]: r["retention"] for r in world.series_before["series"]}
    assert before["heap"]["downsampled_until"] is None and before["heap"]["raw_since"].startswith(ts(T0))


def test_timeline_and_merge_over_the_series_read_the_downsampled_profiles(world):
    c = world.c
    tl = c.get_json("/api/v1/timeline", {"label": "instance:" + world.target.addr, "type": "goroutine"})
    points = tl["points"]
    assert len(points) == 3
    assert [p["metric"]["name"] for p in points] == ["goroutines"] * 3
    # the series merged by pprof's rule over every originally scraped cpu profile, and the recent ones
    files = world.rec.files[("cpu", T0)] + world.rec.files[("cpu", T0 + STEP)]
    for p in world.recent:
        f = os.path.join(world.dir, "%s.pb.gz" % p["id"])
        with open(f, "wb") as fh:
            fh.write(c.get("/api/v1/profiles/%s/raw" % p["id"]).body)
        files.append(f)
    j = c.get_json("/api/v1/merge/top", {"label": "job:ds", "type": "cpu", "sample_type": "cpu", "limit": 0})
    assert j["merge"]["profiles"] == 5
    checks.compare_top(j, pprof_top(files, 1, "nanoseconds"), " of the whole cpu series")


def test_profiles_arriving_in_a_merged_bucket_still_sum_exactly(tmp_path):
    """Downsampling on while the (fast-forwarded) series is scraped: each
    bucket is complete when its first profile arrives, so the later ones
    arrive in a bucket already merged and are merged into more profiles of
    that bucket; together they are still pprof's merge of the originals."""
    target = Target({"cpu": ("cpu", 6, T0)})
    cfg = tmp_path / "s.yaml"
    cfg.write_text(config("late", target, {"after": "1h", "step": "1m"}))
    srv = Server(["--config", str(cfg)]).start()
    try:
        c = Client(srv.url, token=srv.token)
        until("the target served", target.done)
        until("every profile merged",
              lambda: metric(c.get("/metrics").body.decode(), "flamedex_downsampled_total") == 6
              and all(p["downsampled"] for p in listed(c, "late")))
        merged = listed(c, "late")
        assert sum(p["downsampled"]["profiles"] for p in merged) == 6
        assert all(p["time"].startswith(ts(T0)) for p in merged), merged
        files = []
        for k in range(6):   # the originals, as the target served them
            f = tmp_path / ("orig-%d.pb.gz" % k)
            f.write_bytes(make_profile("cpu", k, (T0 + EVERY * k) * 10 ** 9))
            files.append(str(f))
        j = c.get_json("/api/v1/merge/top", {"label": "job:late", "type": "cpu", "sample_type": "cpu", "limit": 0})
        assert j["merge"]["profiles"] == len(merged)
        checks.compare_top(j, pprof_top(files, 1, "nanoseconds"), " of the late-merged bucket")
    finally:
        problem = srv.stop()
        target.close()
    assert problem is None, problem


# ---- a crash between the merged profile and the deletes ----------------------


def test_a_crash_between_store_and_delete_never_counts_twice(tmp_path, monkeypatch):
    target = Target({"cpu": ("cpu", N, T0)})
    cfg = tmp_path / "s.yaml"
    cfg.write_text(config("crash", target))
    hold = tmp_path / "hold"
    hold.write_text("")
    monkeypatch.setenv("FLAMEDEX_TEST_DOWNSAMPLE_HOLD", str(hold))
    srv = Server(["--config", str(cfg)]).start()
    srv2 = None
    try:
        c = Client(srv.url, token=srv.token)
        until("the target served", target.done)
        until("all stored", lambda: len(listed(c, "crash")) == N)
        rec = Recorded(c, "crash", str(tmp_path), ["cpu"])
        everything = rec.files[("cpu", T0)] + rec.files[("cpu", T0 + STEP)]
        want = pprof_top(everything, 1, "nanoseconds")
        cfg.write_text(config("crash", target, {"after": "1h", "step": "1m"}))
        srv.proc.send_signal(signal.SIGHUP)
        until("the first merged profile stored, the pass held", lambda: os.path.exists(str(hold) + ".held"))
        merged = [p for p in listed(c, "crash") if p["downsampled"]]
        assert len(merged) == 1 and merged[0]["downsampled"]["profiles"] == 6, merged
        # the originals are all still stored; the merged ones are out of every selection
        assert len(listed(c, "crash")) == N + 1
        j = c.get_json("/api/v1/merge/top", {"label": "job:crash", "type": "cpu", "sample_type": "cpu", "limit": 0})
        assert j["merge"]["profiles"] == 1 + 3, j["merge"]
        checks.compare_top(j, want, " of the series while the pass is held")
        s = c.get_json("/api/v1/series", {"label": "job:crash"})["series"]
        assert [r["profiles"] for r in s] == [4], s
        srv.proc.kill()          # the crash
        srv.proc.wait()
        monkeypatch.delenv("FLAMEDEX_TEST_DOWNSAMPLE_HOLD")
        # the same database (a file, or the same PostgreSQL one)
        srv2 = Server(["--downsample-after", "1h", "--downsample-step", "1m"], db=srv.db).start()
        c2 = Client(srv2.url, token=srv2.token)
        until("the originals deleted", lambda: all(c2.get("/api/v1/profiles/%s" % m["id"]).status == 404
                                                   for ms in rec.buckets.values() for m in ms))
        # the dead process's lease (30 s) must expire first
        until("the second bucket merged", lambda: len(listed(c2, "crash")) == 2, timeout=150)
        left = listed(c2, "crash")
        assert sorted(p["downsampled"]["profiles"] for p in left) == [3, 6], left
        assert merged[0]["id"] in {p["id"] for p in left}, "the first merge kept, not made again"
        text = c2.get("/metrics").body.decode()
        assert metric(text, "flamedex_downsampled_total") == 3    # this process merged only the second bucket
        j = c2.get_json("/api/v1/merge/top", {"label": "job:crash", "type": "cpu", "sample_type": "cpu", "limit": 0})
        checks.compare_top(j, want, " of the series after the restart")
        assert c2.get_json("/api/v1/targets")["downsample"]["source"] == "flags"
    finally:
        if srv.proc and srv.proc.poll() is None:
            srv.proc.kill()
            srv.proc.wait()
        problem = srv2.stop() if srv2 else None
        shutil.rmtree(srv.dir, ignore_errors=True)
        target.close()
    assert problem is None, problem


def test_downsample_retention_deletes_exactly_the_old_downsampled(tmp_path):
    """--downsample-retention 1d: the buckets of two days ago go once
    merged, those of half a day ago stay; raw retention does not touch
    downsampled profiles."""
    half = int((NOW - 43200) // 3600 * 3600)
    target = Target({"cpu": ("cpu", 6, T0), "mid": ("cpu", 6, half)})
    cfg = tmp_path / "s.yaml"
    cfg.write_text(config("ret", target))
    srv = Server(["--config", str(cfg), "--retention", "2h"]).start()
    try:
        c = Client(srv.url, token=srv.token)
        until("the target served", target.done)
        until("all stored", lambda: len(listed(c, "ret")) == 12)
        cfg.write_text(config("ret", target, {"after": "1h", "step": "1m", "retention": "1d"}))
        srv.proc.send_signal(signal.SIGHUP)
        until("one downsampled profile left, the old one expired",
              lambda: [p["downsampled"] and p["downsampled"]["profiles"] for p in listed(c, "ret")] == [6]
              and metric(c.get("/metrics").body.decode(), "flamedex_downsample_expired_total") == 1)
        left = listed(c, "ret")
        assert left[0]["time"].startswith(ts(half)), left
        text = c.get("/metrics").body.decode()
        assert metric(text, "flamedex_downsampled_total") == 12
        assert metric(text, "flamedex_downsample_merged_total") == 2
        s = c.get_json("/api/v1/series", {"label": "job:ret"})["series"][0]["retention"]
        assert s["retention_seconds"] == 7200 and s["downsampled_retention_seconds"] == 86400, s
    finally:
        problem = srv.stop()
        target.close()
    assert problem is None, problem


# ---- bad settings ----------------------------------------------------------------

BAD_FLAGS = [
    (["--downsample-step", "1m"], "need --downsample-after"),
    (["--downsample-after", "2h", "--downsample-retention", "1h"], "--downsample-retention must be longer"),
    (["--downsample-after", "2h", "--retention", "1h"], "deletes scraped profiles before downsampling"),
    (["--downsample-step", "2d", "--downsample-after", "1h"], "bad value for --downsample-step"),
]


@pytest.mark.parametrize("flags,needle", BAD_FLAGS, ids=["step_alone", "retention_short", "raw_retention_short",
                                                        "step_too_long"])
def test_bad_flags_are_startup_errors(tmp_path, flags, needle):
    r = subprocess.run([server_binary(), "--listen", "127.0.0.1:%d" % free_port(), "--db",
                        str(tmp_path / "f.db")] + flags, capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
    assert needle in r.stderr, r.stderr


BAD_FILES = [
    ("downsample:\n  after: 1h\n  stepp: 1m\n", ["line 3", 'unknown key "stepp" in downsample']),
    ("downsample: {step: 1m}\n", ["line 1", "downsample needs after"]),
    ("downsample: {after: 1h, step: 25h}\n", ["downsample.step", "out of range"]),
    ("downsample:\n  after: 3h\n", ["deletes scraped profiles before downsampling"]),   # with --retention 2h
]


@pytest.mark.parametrize("text,needles", BAD_FILES, ids=["unknown_key", "no_after", "step_too_long",
                                                        "raw_retention_short"])
def test_bad_downsample_config_is_a_startup_error(tmp_path, text, needles):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(text)
    r = subprocess.run([server_binary(), "--listen", "127.0.0.1:%d" % free_port(), "--db",
                        str(tmp_path / "f.db"), "--config", str(cfg), "--retention", "2h"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
    for n in needles:
        assert n in r.stderr, r.stderr
    assert str(cfg) in r.stderr


def test_a_bad_downsample_on_reload_keeps_the_old(tmp_path):
    target = Target({"cpu": ("cpu", 0, T0)})
    cfg = tmp_path / "s.yaml"
    cfg.write_text(config("rl", target, {"after": "2h", "step": "5m"}))
    srv = Server(["--config", str(cfg)]).start()
    try:
        c = Client(srv.url, token=srv.token)
        assert c.get_json("/api/v1/targets")["downsample"]["step_seconds"] == 300
        cfg.write_text(config("rl", target, {"after": "2h", "step": "5m", "every": "1h"}))
        srv.proc.send_signal(signal.SIGHUP)
        until("the reload failure logged", lambda: "config reload failed" in srv.log_tail(20000))
        assert "every" in srv.log_tail(20000)
        ds = c.get_json("/api/v1/targets")["downsample"]
        assert ds["after_seconds"] == 7200 and ds["step_seconds"] == 300 and ds["source"] == "config"
        cfg.write_text(config("rl", target))
        srv.proc.send_signal(signal.SIGHUP)
        until("no downsample: the flags' (none)",
              lambda: c.get_json("/api/v1/targets")["downsample"]["source"] is None)
    finally:
        problem = srv.stop()
        target.close()
    assert problem is None, problem
