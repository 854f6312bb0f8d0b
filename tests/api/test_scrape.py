"""Continuous collection (--config, server/scrape.c, docs/SCRAPE.md).

Real services started at test time and scraped every second:
  - app:    a Go program importing net/http/pprof (CPU work, a contended
            mutex, block and mutex profiling on);
  - leaky:  the same program leaking goroutines at a steady rate
            (main.leakOne, 20 a second) beside a fixed pool;
  - flappy: the app, killed and started again on the same port;
  - hostile: a Python HTTP server whose paths drip, bomb (gzip), lie about
            Content-Length, never end, send garbage and redirect.
Every wait has a generous bound and fails with the state it saw.
"""

import gzip
import http.server
import json
import os
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from client import Client  # noqa: E402
from flamedex_server import Server, free_port  # noqa: E402

GO_PROG = r'''
package main

import (
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime"
	"sync"
	"time"
)

var mu sync.Mutex
var never = make(chan int)

func burn() {
	for {
		x := 0
		for i := 0; i < 2000000; i++ {
			x += i * i
		}
		_ = x
		time.Sleep(10 * time.Millisecond)
	}
}

func contend() {
	for {
		mu.Lock()
		time.Sleep(time.Millisecond)
		mu.Unlock()
	}
}

func poolWorker() { <-never }

func leakOne() { <-never }

func main() {
	runtime.SetMutexProfileFraction(1)
	runtime.SetBlockProfileRate(1000000)
	go burn()
	go contend()
	go contend()
	for i := 0; i < 10; i++ {
		go poolWorker()
	}
	if os.Args[1] == "leak" {
		go func() {
			for {
				go leakOne()
				time.Sleep(50 * time.Millisecond)
			}
		}()
	}
	panic(http.ListenAndServe(os.Args[2], nil))
}
'''

WAIT = 60  # seconds: the bound of every wait (a scrape a second)


def until(what, fn, timeout=WAIT, every=0.25):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(every)
    pytest.fail("not within %ss: %s (last: %r)" % (timeout, what, last), pytrace=False)


@pytest.fixture(scope="module")
def goprog():
    d = tempfile.mkdtemp(prefix="flamedex-scrape-go-")
    src = os.path.join(d, "svc.go")
    with open(src, "w") as f:
        f.write(GO_PROG)
    env = dict(os.environ, GO111MODULE="off", GOPATH="/usr/share/gocode", GOCACHE=os.path.join(d, "cache"))
    out = os.path.join(d, "svc")
    subprocess.run(["go", "build", "-o", out, src], check=True, env=env, cwd=d, timeout=300)
    yield out
    shutil.rmtree(d, ignore_errors=True)


class GoService:
    def __init__(self, binary, mode):
        self.binary, self.mode = binary, mode
        self.port = free_port()
        self.proc = None

    @property
    def addr(self):
        return "127.0.0.1:%d" % self.port

    def start(self):
        self.proc = subprocess.Popen([self.binary, self.mode, self.addr], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        until("service %s listening" % self.addr, self._listening, timeout=30, every=0.05)
        return self

    def _listening(self):
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
            return True
        except OSError:
            return False

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


# ---- the hostile target ----------------------------------------------------

BOMB = gzip.compress(b"\0" * (64 << 20), 9)   # 64 MiB inflated; the server runs --max-inflated 16m


class Hostile(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_GET(self):
        p = self.path.split("?")[0]
        try:
            if p == "/drip":   # a byte a second, forever
                self.send_response(200)
                self.send_header("Content-Length", "2000")
                self.end_headers()
                for _ in range(600):
                    self.wfile.write(b"\x1f")
                    self.wfile.flush()
                    time.sleep(1)
            elif p == "/bomb":
                self._send(BOMB)
            elif p == "/lie":   # says 10 bytes, sends 4 MiB of them
                self.send_response(200)
                self.send_header("Content-Length", "10")
                self.end_headers()
                self.wfile.write(b"\x08\x01" * (2 << 20))
            elif p == "/liebig":   # says 1 GiB, sends 100 bytes and hangs up
                self.send_response(200)
                self.send_header("Content-Length", str(1 << 30))
                self.end_headers()
                self.wfile.write(b"x" * 100)
            elif p == "/endless":   # chunked, never ends
                self.send_response(200)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                chunk = b"\0" * 65536
                while True:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            elif p == "/garbage":
                self._send(os.urandom(5000))
            elif p == "/redirect":
                self.send_response(302)
                self.send_header("Location", "http://127.0.0.1:1/debug/pprof/heap")
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                self._send(b"not found", 404)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _send(self, body, status=200):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class ThreadingServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


HOSTILE_KINDS = {"drip": "/drip", "bomb": "/bomb", "lie": "/lie", "liebig": "/liebig", "endless": "/endless",
                 "garbage": "/garbage", "redirect": "/redirect"}


def off_defaults():
    return {k: {"enabled": False} for k in ("process_cpu", "memory", "goroutine", "mutex", "block")}


def config_text(jobs):
    """jobs: [(name, interval, targets, labels, pprof_config)] as YAML (JSON is YAML)."""
    out = {"scrape_configs": []}
    for name, interval, targets, labels, pprof in jobs:
        job = {"job_name": name, "scrape_interval": interval,
               "static_configs": [{"targets": targets, **({"labels": labels} if labels else {})}]}
        if pprof:
            job["profiling_config"] = {"pprof_config": pprof}
        out["scrape_configs"].append(job)
    return json.dumps(out, indent=2)


def targets(c):
    return {(t["job"], t["instance"]): t for t in c.get_json("/api/v1/targets")["targets"]}


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


@pytest.fixture(scope="module")
def world(goprog):
    app = GoService(goprog, "app").start()
    leaky = GoService(goprog, "leak").start()
    flappy = GoService(goprog, "app").start()
    hostile = ThreadingServer(("127.0.0.1", 0), Hostile)
    threading.Thread(target=hostile.serve_forever, daemon=True).start()
    haddr = "127.0.0.1:%d" % hostile.server_address[1]
    hostile_pprof = off_defaults()
    for k, path in HOSTILE_KINDS.items():
        hostile_pprof[k] = {"enabled": True, "path": path}
    cfgdir = tempfile.mkdtemp(prefix="flamedex-scrape-cfg-")
    cfg = os.path.join(cfgdir, "scrape.yaml")
    with open(cfg, "w") as f:
        f.write(config_text([
            ("app", "1s", [app.addr], {"env": "test", "team": "pay"}, None),
            ("leaky", "1s", [leaky.addr], None, {**off_defaults(), "goroutine": {"enabled": True}}),
            ("flappy", "1s", [flappy.addr], None, {**off_defaults(), "goroutine": {"enabled": True}}),
            ("hostile", "2s", [haddr], None, hostile_pprof),
        ]))
    srv = Server(["--config", cfg, "--max-inflated", "16m"]).start()
    w = type("World", (), {})()
    w.srv, w.c, w.app, w.leaky, w.flappy, w.haddr, w.cfg = srv, Client(srv.url, token=srv.token), app, leaky, \
        flappy, haddr, cfg
    yield w
    problem = srv.stop()
    for s in (app, leaky, flappy):
        s.stop()
    hostile.shutdown()
    shutil.rmtree(cfgdir, ignore_errors=True)
    if problem:
        pytest.fail(problem)


def profiles(c, label, kind=None):
    params = {"label": label, "limit": 1000}
    if kind:
        params["type"] = kind
    return c.get_json("/api/v1/profiles", params)["profiles"]


def test_every_configured_kind_arrives_with_its_labels(world):
    c = world.c
    kinds = ["cpu", "heap", "goroutine", "mutex", "block"]
    until("a profile of every kind from job app",
          lambda: all(profiles(c, "job:app", k) for k in kinds))
    for k in kinds:
        p = profiles(c, "job:app", k)[0]
        assert p["labels"] == {"job": "app", "instance": world.app.addr, "env": "test", "team": "pay"}, p
        assert p["kind"] == k
        raw = c.get("/api/v1/profiles/%s/raw" % p["id"])
        assert raw.status == 200 and raw.body[:2] == b"\x1f\x8b", "stored as scraped (gzip proto)"
    # CPU profiles are fetched for a duration that fits the 1 s interval
    t = targets(c)[("app", world.app.addr)]
    urls = {p["name"]: p["url"] for p in t["profiles"]}
    assert urls["process_cpu"].endswith("/debug/pprof/profile?seconds=1")
    assert urls["mutex"].endswith("/debug/pprof/mutex?seconds=1")
    assert urls["memory"].endswith("/debug/pprof/heap")
    cpu = profiles(c, "job:app", "cpu")[0]
    meta = c.get_json("/api/v1/profiles/%s" % cpu["id"])
    assert 0.5e9 <= meta["duration_ns"] <= 3e9, meta
    # nothing of the other jobs carries app's labels
    assert all(p["labels"]["job"] == "app" for p in profiles(c, "instance:" + world.app.addr))


@pytest.mark.parametrize("kind,unit", [("goroutine", "count"), ("heap", "bytes")])
def test_scraped_profile_top_is_pprofs(world, tmp_path, kind, unit):
    """A scraped profile is stored as scraped: /top over it is what
    go tool pprof -top says of the stored bytes."""
    import checks
    import pproftool
    c = world.c
    p = until("a scraped %s profile" % kind, lambda: profiles(c, "job:app", kind))[0]
    raw = c.get("/api/v1/profiles/%s/raw" % p["id"])
    path = tmp_path / "scraped.pb.gz"
    path.write_bytes(raw.body)
    rep = pproftool.top(str(path), None, unit)
    j = c.get_json("/api/v1/profiles/%s/top" % p["id"], {"limit": 0})
    checks.compare_top(j, rep, "scraped %s" % kind)


def test_leak_table_flags_the_leak_and_nothing_else(world):
    c = world.c
    until("12 goroutine snapshots of job leaky", lambda: len(profiles(c, "job:leaky", "goroutine")) >= 12,
          timeout=90)
    r = c.get_json("/api/v1/leaks", {"label": "job:leaky", "type": "goroutine", "min_age": "1",
                                     "min_count": "20"})
    flagged = [x["function"] for x in r["candidates"] if x["leak"]]
    assert flagged == ["main.leakOne"], [(x["function"], x["leak"], x["reason"]) for x in r["candidates"]]
    until("12 goroutine snapshots of job app", lambda: len(profiles(c, "job:app", "goroutine")) >= 12,
          timeout=90)
    r = c.get_json("/api/v1/leaks", {"label": "job:app", "type": "goroutine", "min_age": "1",
                                     "min_count": "20"})
    assert [x["function"] for x in r["candidates"] if x["leak"]] == [], r["candidates"]


def test_dead_target_is_down_with_its_error_and_recovers(world):
    c = world.c
    key = ("flappy", world.flappy.addr)
    until("flappy up", lambda: targets(c)[key]["health"] == "up")
    world.flappy.stop()
    t = until("flappy down", lambda: (lambda t: t if t["health"] == "down" else None)(targets(c)[key]))
    assert "connect" in t["last_error"].lower(), t
    assert t["next_scrape"] is not None
    world.flappy.start()
    t = until("flappy up again", lambda: (lambda t: t if t["health"] == "up" else None)(targets(c)[key]))
    assert t["last_error"] is None


def test_hostile_target_hurts_nobody(world):
    c = world.c
    key = ("hostile", world.haddr)

    def all_failed():
        t = targets(c)[key]
        per = {p["name"]: p for p in t["profiles"]}
        return per if all(p["health"] == "down" for p in per.values()) else None
    before = targets(c)[("app", world.app.addr)]
    n0 = {p["name"]: p["scrapes"] for p in before["profiles"]}
    per = until("every hostile path failed once", all_failed, timeout=120)
    # the other targets keep their schedule while the hostile one is scraped
    # (its backoff is at most 16 intervals: it is retried meanwhile too)
    until("app's goroutine kind scraped 5 more times",
          lambda: {p["name"]: p["scrapes"] for p in targets(c)[("app", world.app.addr)]["profiles"]}["goroutine"]
          >= n0["goroutine"] + 5)
    per = all_failed()
    assert per, targets(c)[key]
    errs = {k: v["last_error"] for k, v in per.items()}
    assert "timed out" in errs["drip"].lower() or "timeout" in errs["drip"].lower(), errs
    assert "inflated_too_large" in errs["bomb"], errs
    # the body cap, or the time cap when the host sends 32 MiB slower than the timeout (sanitizer builds)
    assert "larger than" in errs["endless"] or "timed out" in errs["endless"].lower(), errs
    assert "redirect" in errs["redirect"] and "not followed" in errs["redirect"], errs
    assert "not a profile" in errs["garbage"], errs
    assert "not a profile" in errs["lie"], errs   # the 10 bytes it announced
    assert targets(c)[key]["health"] == "down"
    # nothing of the hostile job was stored
    assert profiles(c, "job:hostile") == []
    # the other targets kept their schedule meanwhile: the goroutine kind
    # (1 s interval) was scraped again and again, and is up
    after = targets(c)[("app", world.app.addr)]
    n1 = {p["name"]: p["scrapes"] for p in after["profiles"]}
    assert n1["goroutine"] >= n0["goroutine"] + 5, (n0, n1)
    assert after["health"] == "up", after
    # bounded memory: the bodies are capped and charged to --max-inflight (and ASan doubles RSS)
    assert rss_kib(world.srv.proc.pid) < 1536 * 1024
    m = c.get("/metrics")
    assert m.status == 200
    text = m.body.decode()
    assert 'flamedex_scrapes_total{job="hostile",outcome="decode_error"}' in text
    # /liebig announces 1 GiB: refused on its Content-Length
    assert "larger than" in errs["liebig"], errs
    big = [line for line in text.splitlines()
           if line.startswith('flamedex_scrapes_total{job="hostile",outcome="too_large"}')]
    assert big and int(big[0].split()[-1]) >= 1, big
    ok = [line for line in text.splitlines() if line.startswith('flamedex_scrapes_total{job="app",outcome="ok"}')]
    assert ok and int(ok[0].split()[-1]) > 0, ok
    assert 'flamedex_scrape_duration_seconds_bucket{job="app",le="+Inf"}' in text
    assert 'flamedex_scraped_bytes_total{job="app"}' in text
    db = [line for line in text.splitlines() if line.startswith('flamedex_database_bytes{file="db"}')]
    assert db and int(db[0].split()[-1]) > 0, db
    assert "\nflamedex_inflight_limit_bytes " in text and "\nflamedex_inflight_bytes " in text


def test_sighup_reloads_and_a_bad_file_keeps_the_old(world):
    c, cfg = world.c, world.cfg
    with open(cfg) as f:
        old = f.read()
    until("app target listed", lambda: ("app", world.app.addr) in targets(c))
    try:
        with open(cfg, "w") as f:
            f.write(config_text([("app2", "1s", [world.app.addr], {"env": "b"},
                                  {**off_defaults(), "goroutine": {"enabled": True}})]))
        world.srv.proc.send_signal(signal.SIGHUP)
        until("only app2 listed", lambda: set(targets(c)) == {("app2", world.app.addr)})
        until("app2 scraped", lambda: profiles(c, "job:app2", "goroutine"))
        with open(cfg, "w") as f:
            f.write("scrape_configs:\n  - job_name: x\n    bogus_key: 1\n")
        world.srv.proc.send_signal(signal.SIGHUP)
        until("the reload failure logged", lambda: "config reload failed" in world.srv.log_tail(20000))
        assert 'unknown key \\"bogus_key\\"' in world.srv.log_tail(20000) or \
            "bogus_key" in world.srv.log_tail(20000)
        assert set(targets(c)) == {("app2", world.app.addr)}
        assert world.srv.alive()
    finally:
        with open(cfg, "w") as f:
            f.write(old)
        world.srv.proc.send_signal(signal.SIGHUP)
        until("the first configuration back", lambda: ("app", world.app.addr) in targets(c))


def test_one_sighup_reloads_both_the_tokens_and_the_config(goprog, tmp_path):
    from flamedex_server import auth_file, new_token
    app = GoService(goprog, "app").start()
    a, b = new_token(), new_token()
    auth = auth_file(str(tmp_path / "auth"), [("admin", "a", a)])
    cfg = tmp_path / "s.yaml"
    gor = {**off_defaults(), "goroutine": {"enabled": True}}
    cfg.write_text(config_text([("one", "1s", [app.addr], None, gor)]))
    srv = Server(["--config", str(cfg), "--auth-file", auth]).start()
    try:
        ca, cb = Client(srv.url, token=a), Client(srv.url, token=b)
        assert {t["job"] for t in ca.get_json("/api/v1/targets")["targets"]} == {"one"}
        assert cb.get("/api/v1/targets").status == 401
        auth_file(auth, [("admin", "b", b)])
        cfg.write_text(config_text([("two", "1s", [app.addr], None, gor)]))
        srv.proc.send_signal(signal.SIGHUP)
        until("token b accepted", lambda: cb.get("/api/v1/targets").status == 200)
        assert {t["job"] for t in cb.get_json("/api/v1/targets")["targets"]} == {"two"}
        assert ca.get("/api/v1/targets").status == 401
    finally:
        problem = srv.stop()
        app.stop()
    assert problem is None, problem


def test_targets_role_and_shape(world):
    t = world.c.get_json("/api/v1/targets")
    assert set(t) >= {"targets", "retention", "config"}
    for x in t["targets"]:
        assert set(x) >= {"job", "instance", "labels", "health", "last_scrape", "last_duration_ms",
                          "last_bytes", "last_error", "next_scrape", "profiles"}
        assert x["health"] in ("up", "down", "unknown")


# ---- retention ----------------------------------------------------------------


def test_retention_deletes_exactly_the_old_scraped_profiles(goprog, tmp_path):
    app = GoService(goprog, "app").start()
    cfg = tmp_path / "s.yaml"
    cfg.write_text(config_text([("ret", "1s", [app.addr], None,
                                 {**off_defaults(), "goroutine": {"enabled": True}})]))
    srv = Server(["--config", str(cfg), "--retention", "4s"]).start()
    try:
        c = Client(srv.url, token=srv.token)
        with open(os.path.join(os.path.dirname(__file__), "..", "data", "agent-insight", "goroutine.pb.gz"), "rb") as f:
            data = f.read()
        up = c.upload_ok(data, {"name": "kept", "labels": "job:ret"})
        until("retention deleted scraped profiles",
              lambda: c.get_json("/api/v1/targets")["retention"]["deleted_scraped"] >= 5, timeout=90)
        now = time.time()
        listed = profiles(c, "job:ret")
        scraped = [p for p in listed if p["id"] != up["id"]]
        assert scraped, "recent scraped profiles are kept"
        for p in scraped:
            age = now - parse_time(p["uploaded_at"])
            # --retention plus a pass (one a second) and slack for a loaded machine
            assert age < 4 + 6, ("a scraped profile older than --retention plus a pass", p, age)
        assert c.get("/api/v1/profiles/%s" % up["id"]).status == 200, "the upload is kept"
        ret = c.get_json("/api/v1/targets")["retention"]
        assert ret["scraped_seconds"] == 4 and ret["deleted_uploads"] == 0
        assert ret["oldest_scraped"] is not None
        m = c.get("/metrics").body.decode()
        assert 'flamedex_retention_deleted_total{source="upload"} 0' in m
        # the upload, and the requests by route
        assert 'flamedex_http_requests_total{method="POST",route="/api/v1/profiles",status="201"} 1\n' in m, m
        assert 'flamedex_http_requests_total{method="GET",route="/api/v1/targets",status="200"}' in m
        assert 'flamedex_http_request_duration_seconds_count{method="GET",route="/api/v1/targets"}' in m
        bad = c.upload(b"not a profile")
        assert bad.status == 415 or bad.status == 400, bad
        m = c.get("/metrics").body.decode()
        assert 'flamedex_http_requests_total{method="POST",route="/api/v1/profiles",status="%d"} 1\n' % bad.status in m
    finally:
        problem = srv.stop()
        app.stop()
    assert problem is None, problem


def test_retention_bytes_caps_the_scraped_profiles_and_keeps_uploads(goprog, tmp_path):
    app = GoService(goprog, "app").start()
    cfg = tmp_path / "s.yaml"
    cfg.write_text(config_text([("rb", "1s", [app.addr], None,
                                 {**off_defaults(), "goroutine": {"enabled": True}})]))
    cap = 12000
    srv = Server(["--config", str(cfg), "--retention-bytes", str(cap)]).start()
    try:
        c = Client(srv.url, token=srv.token)
        with open(os.path.join(os.path.dirname(__file__), "..", "data", "agent-insight", "goroutine.pb.gz"), "rb") as f:
            data = f.read()
        up = c.upload_ok(data, {"name": "kept", "labels": "job:rb"})
        until("retention deleted scraped profiles",
              lambda: c.get_json("/api/v1/targets")["retention"]["deleted_scraped"] >= 3, timeout=90)
        scraped = [p for p in profiles(c, "job:rb") if p["id"] != up["id"]]
        assert scraped, "the newest scraped profiles are kept"
        biggest = max(p["bytes"] for p in scraped)
        # a pass a second, a profile a second: at most a couple over the cap
        assert sum(p["bytes"] for p in scraped) <= cap + 3 * biggest, scraped
        assert c.get("/api/v1/profiles/%s" % up["id"]).status == 200, "the upload is kept"
        assert c.get_json("/api/v1/targets")["retention"]["deleted_uploads"] == 0
    finally:
        problem = srv.stop()
        app.stop()
    assert problem is None, problem


def test_retention_uploads_deletes_old_uploads(tmp_path):
    srv = Server(["--retention-uploads", "2s"]).start()
    try:
        c = Client(srv.url, token=srv.token)
        with open(os.path.join(os.path.dirname(__file__), "..", "data", "agent-insight", "goroutine.pb.gz"), "rb") as f:
            data = f.read()
        up = c.upload_ok(data, {"name": "old"})
        until("the upload deleted", lambda: c.get("/api/v1/profiles/%s" % up["id"]).status == 404, timeout=60)
        # the counters are added to after the delete's commit: a reader may
        # see the 404 a moment before the count
        until("the deletion counted", lambda: c.get_json("/api/v1/targets")["retention"]["deleted_uploads"] >= 1,
              timeout=30)
        ret = c.get_json("/api/v1/targets")["retention"]
        assert ret["deleted_uploads"] == 1 and ret["deleted_scraped"] == 0, ret
        assert c.get_json("/api/v1/targets")["targets"] == []
    finally:
        problem = srv.stop()
    assert problem is None, problem


def parse_time(s):
    from datetime import datetime
    s = s.rstrip("Z")
    frac = ""
    if "." in s:
        s, frac = s.split(".")
    t = datetime.strptime(s, "%Y-%m-%dT%H:%M:%S").timestamp() - time.timezone
    return t + (float("0." + frac) if frac else 0)


# ---- bad configurations ---------------------------------------------------------

BAD = [
    ("scrape_configs:\n  - job_name: a\n    scrape_interva: 1s\n", ["line 3", 'unknown key "scrape_interva"']),
    ("scrape_configs:\n  - job_name: a\n    scrape_interval: 10 seconds\n",
     ["line 3", "scrape_interval", "not a duration"]),
    ("scrape_configs:\n  - job_name: a\n    static_configs:\n      - targets: [\"http://h:80/x\"]\n",
     ["line 4", "not host:port"]),
    ("scrape_configs:\n  - job_name: a\n    static_configs:\n      - targets: [\"h:0\"]\n", ["line 4", "h:0"]),
    ("scrape_configs:\n  - job_name: a\n    profiling_config:\n      pprof_config:\n        fgprof:\n"
     "          delta: true\n", ["line 5", "fgprof", "give its path"]),
    ("a: &x 1\nb: *x\n", ["line 2", "aliases"]),
    ("scrape_configs:\n  - job_name: a\n  - job_name: a\n", ["line 3", "appears twice"]),
]


@pytest.mark.parametrize("text,needles", BAD, ids=["unknown_key", "bad_duration", "bad_target", "port_0",
                                                   "custom_without_path", "alias", "duplicate_job"])
def test_bad_config_is_a_clear_startup_error(tmp_path, text, needles):
    from flamedex_server import server_binary
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(text)
    r = subprocess.run([server_binary(), "--listen", "127.0.0.1:%d" % free_port(), "--db",
                        str(tmp_path / "f.db"), "--config", str(cfg)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
    for n in needles:
        assert n in r.stderr, r.stderr
    assert str(cfg) in r.stderr


def test_missing_config_file_is_a_startup_error(tmp_path):
    from flamedex_server import server_binary
    r = subprocess.run([server_binary(), "--listen", "127.0.0.1:%d" % free_port(), "--db",
                        str(tmp_path / "f.db"), "--config", str(tmp_path / "nope.yaml")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "cannot open" in r.stderr, r.stderr


def test_keep_raw_false_stores_no_original_and_raw_is_the_model(goprog, tmp_path):
    """A job with keep_raw: false stores the model only (blobs.raw empty):
    /raw then writes the stored model as profile.proto, which go tool pprof
    reads with the numbers of the server's own /top."""
    import checks
    import pproftool
    from flamedex_server import db_query
    app = GoService(goprog, "app").start()
    cfg = tmp_path / "s.yaml"
    text = json.loads(config_text([("nokeep", "1s", [app.addr], None,
                                    {**off_defaults(), "goroutine": {"enabled": True}})]))
    text["scrape_configs"][0]["keep_raw"] = False
    cfg.write_text(json.dumps(text))
    srv = Server(["--config", str(cfg)]).start()
    try:
        c = Client(srv.url, token=srv.token)
        p = until("a scraped profile", lambda: profiles(c, "job:nokeep"))[0]
        (n,), = db_query(srv, "SELECT length(b.raw) FROM blobs b JOIN profiles p ON p.seq=b.profile_seq WHERE p.id=?",
                         (p["id"],))
        assert n == 0, "keep_raw: false kept %d bytes of the original" % n
        raw = c.get("/api/v1/profiles/%s/raw" % p["id"])
        assert raw.status == 200 and raw.body[:2] == b"\x1f\x8b", raw
        path = tmp_path / "rebuilt.pb.gz"
        path.write_bytes(raw.body)
        rep = pproftool.top(str(path), None, "count")
        j = c.get_json("/api/v1/profiles/%s/top" % p["id"], {"limit": 0})
        checks.compare_top(j, rep, "keep_raw: false")
    finally:
        problem = srv.stop()
        app.stop()
    assert problem is None, problem
