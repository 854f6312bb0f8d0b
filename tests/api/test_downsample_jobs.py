"""Downsampling per scrape job (server/downsample.c, docs/SCRAPE.md
"Per job"): a job's own `downsample:` overrides the top level's key by key
for that job's profiles; `enabled: false` keeps the job raw.

Four jobs scrape the fast-forwarded CPU series of test_downsample.py's
Target (9 profiles 10 s apart, two days old), each from its own target,
with the top level at {after: 1h, step: 1m}:
  base  no downsample of its own: two 1-minute buckets (6 + 3 profiles);
  wide  {step: 2m}: all 9 in one 2-minute bucket, whose /top is
        `go tool pprof -top` of the 9 originals, for every sample type;
  off   {enabled: false}: its 9 stay raw;
  ret   {retention: 1d}: merged like base, then deleted by its own
        retention (two days old), nothing of the other jobs deleted.
Then what the server says of them (/api/v1/targets, /api/v1/series), and
bad per-job settings as clear startup and reload errors.
"""

import json
import os
import shutil
import signal
import subprocess
import tempfile

import pytest

import checks
from client import Client
from flamedex_server import Server, free_port, server_binary
from test_downsample import (KINDS, N, STEP, T0, Recorded, Target, listed, metric, pb_time, pprof_top, ts,
                             until)

JOBS = {
    "base": None,
    "wide": {"step": "2m"},
    "off": {"enabled": False},
    "ret": {"retention": "1d"},
}


def job_config(name, target, own):
    pprof = {k: {"enabled": False} for k in ("process_cpu", "memory", "goroutine", "mutex", "block")}
    for s in target.series:
        pprof["x" + s] = {"path": "/" + s}
    j = {"job_name": name, "scrape_interval": "1s",
         "static_configs": [{"targets": [target.addr], "labels": {"env": "t"}}],
         "profiling_config": {"pprof_config": pprof}}
    if own is not None:
        j["downsample"] = own
    return j


def config(targets, top=None, own=True):
    out = {"scrape_configs": [job_config(n, targets[n], JOBS[n] if own else None) for n in JOBS]}
    if top:
        out["downsample"] = top
    return json.dumps(out, indent=2)


@pytest.fixture(scope="module")
def world():
    """Scrape the four jobs raw, record their originals, then turn
    downsampling on (top level and per job) with SIGHUP and wait until
    every job is where its policy puts it."""
    targets = {n: Target({"cpu": ("cpu", N, T0)}) for n in JOBS}
    d = tempfile.mkdtemp(prefix="flamedex-dsj-")
    cfg = os.path.join(d, "scrape.yaml")
    with open(cfg, "w") as f:
        f.write(config(targets, own=False))
    srv = Server(["--config", cfg]).start()
    c = Client(srv.url, token=srv.token)
    w = type("World", (), {})()
    w.srv, w.c, w.targets, w.dir = srv, c, targets, d
    try:
        until("every target served", lambda: all(t.done() for t in targets.values()))
        until("every profile stored", lambda: all(len(listed(c, n)) == N for n in JOBS))
        w.rec = {n: Recorded(c, n, d, ["cpu"]) for n in JOBS}
        w.off_ids = sorted(p["id"] for p in listed(c, "off"))
        with open(cfg, "w") as f:
            f.write(config(targets, {"after": "1h", "step": "1m"}))
        srv.proc.send_signal(signal.SIGHUP)
        # base, wide and ret: 9 each merged; ret's two then expire
        until("three jobs merged, ret's expired",
              lambda: metric(c.get("/metrics").body.decode(), "flamedex_downsampled_total") == 3 * N
              and metric(c.get("/metrics").body.decode(), "flamedex_downsample_expired_total") == 2
              and not listed(c, "ret")
              and all(p["downsampled"] for n in ("base", "wide") for p in listed(c, n)))
        yield w
    finally:
        problem = srv.stop()
        for t in targets.values():
            t.close()
        shutil.rmtree(d, ignore_errors=True)
    assert problem is None, problem


def test_base_job_takes_the_top_level_step(world):
    got = listed(world.c, "base")
    assert sorted(p["downsampled"]["profiles"] for p in got) == [3, 6], got
    for p in got:
        assert p["labels"]["downsampled"] == "1m" and p["downsampled"]["step_seconds"] == STEP, p
    assert sorted(pb_time(p) for p in got) == [float(T0), float(T0 + STEP)]


def test_own_step_makes_one_bucket_that_is_pprofs_merge(world):
    got = listed(world.c, "wide")
    assert len(got) == 1, got
    m = got[0]
    assert m["labels"] == {"job": "wide", "instance": world.targets["wide"].addr, "env": "t",
                           "downsampled": "2m"}, m
    assert m["downsampled"] == {"step_seconds": 120, "profiles": N, "agg": "sum"}, m
    assert m["time"].startswith(ts(T0)) and m["duration_ns"] == N * 10 ** 9, m
    files = [f for b in sorted(world.rec["wide"].files) for f in world.rec["wide"].files[b]]
    assert len(files) == N
    for idx, (st, unit) in enumerate(KINDS["cpu"][1]):
        j = world.c.get_json("/api/v1/profiles/%s/top" % m["id"], {"sample_type": st, "limit": 0})
        assert j["rows"]
        checks.compare_top(j, pprof_top(files, idx, unit), " of job wide's 2m bucket, %s" % st)


def test_disabled_job_stays_raw(world):
    got = listed(world.c, "off")
    assert sorted(p["id"] for p in got) == world.off_ids
    assert all(p["downsampled"] is None for p in got)


def test_own_retention_deletes_only_that_jobs_downsampled(world):
    c = world.c
    assert listed(c, "ret") == []
    for ms in world.rec["ret"].buckets.values():
        for m in ms:
            assert c.get("/api/v1/profiles/%s" % m["id"]).status == 404
    # the other jobs' downsampled profiles, as old, are still there
    assert len(listed(c, "base")) == 2 and len(listed(c, "wide")) == 1
    text = c.get("/metrics").body.decode()
    assert metric(text, "flamedex_downsample_merged_total") == 2 + 1 + 2
    assert metric(text, "flamedex_downsample_expired_total") == 2


def test_targets_and_series_say_each_jobs_settings(world):
    c = world.c
    ds = c.get_json("/api/v1/targets")["downsample"]
    assert (ds["after_seconds"], ds["step_seconds"], ds["retention_seconds"], ds["source"]) == (3600, STEP, 0,
                                                                                              "config")
    assert ds["jobs"] == [
        {"job": "wide", "enabled": True, "after_seconds": 3600, "step_seconds": 120, "retention_seconds": 0},
        {"job": "off", "enabled": False, "after_seconds": 0, "step_seconds": 0, "retention_seconds": 0},
        {"job": "ret", "enabled": True, "after_seconds": 3600, "step_seconds": STEP, "retention_seconds": 86400},
    ], ds["jobs"]
    base = c.get_json("/api/v1/series", {"label": "job:base"})["series"]
    wide = c.get_json("/api/v1/series", {"label": "job:wide"})["series"]
    assert [r["retention"]["downsample_step_seconds"] for r in base] == [STEP]
    assert [r["retention"]["downsample_step_seconds"] for r in wide] == [120]
    assert base[0]["retention"]["downsampled_retention_seconds"] is None
    off = c.get_json("/api/v1/series", {"label": "job:off"})["series"]
    assert [(r["profiles"], r["retention"]["downsampled_profiles"]) for r in off] == [(N, 0)], off


def test_a_job_merged_across_the_series_is_still_exact(world):
    """/merge/top over job wide (one downsampled profile) and job off (nine
    raw) together is pprof's merge of the 18 originals."""
    files = []
    for n in ("wide", "off"):
        files += [f for b in sorted(world.rec[n].files) for f in world.rec[n].files[b]]
    ids = [p["id"] for p in listed(world.c, "wide")] + world.off_ids
    j = world.c.get_json("/api/v1/merge/top", {"ids": ",".join(ids), "sample_type": "cpu", "limit": 0})
    assert j["merge"]["profiles"] == 1 + N
    checks.compare_top(j, pprof_top(files, 1, "nanoseconds"), " of jobs wide and off")


# ---- bad per-job settings ------------------------------------------------------

ONE_JOB = """scrape_configs:
  - job_name: svc
    static_configs:
      - targets: ["127.0.0.1:1"]
    downsample:
%s
"""

BAD = [
    ("      after: 1h\n      stepp: 1m", [], ["line 7", 'unknown key "stepp" in job "svc": downsample']),
    ("      step: 1m", [], ["line 6", 'job "svc": downsample needs after']),
    ("      after: 2h\n      retention: 1h", [], ['job "svc"', "retention (3600s) must be longer than after (7200s)"]),
    ("      after: 3h", ["--retention", "2h"], ['job "svc"', "deletes scraped profiles before downsampling"]),
    ("      retention: 30m", ["--downsample-after", "1h"], ['job "svc"', "must be longer than after (3600s)"]),
    ("      enabled: maybe", [], ["line 6", "enabled"]),
    ("      step: 2d\n      after: 1h", [], ['job "svc": downsample.step', "out of range"]),
]


@pytest.mark.parametrize("own,flags,needles", BAD, ids=["unknown_key", "no_after", "retention_short",
                                                       "raw_retention_short", "flag_after_retention_short",
                                                       "bad_bool", "step_too_long"])
def test_bad_job_downsample_is_a_startup_error(tmp_path, own, flags, needles):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(ONE_JOB % own)
    r = subprocess.run([server_binary(), "--listen", "127.0.0.1:%d" % free_port(), "--db",
                        str(tmp_path / "f.db"), "--config", str(cfg)] + flags,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0, r.stderr
    for n in needles:
        assert n in r.stderr, r.stderr
    assert str(cfg) in r.stderr


def test_good_job_downsample_inherits_the_flags(tmp_path):
    """A job's own step with --downsample-after from the flags starts."""
    cfg = tmp_path / "ok.yaml"
    cfg.write_text(ONE_JOB % "      step: 5m")
    srv = Server(["--config", str(cfg), "--downsample-after", "2h", "--downsample-retention", "30d"]).start()
    try:
        ds = Client(srv.url, token=srv.token).get_json("/api/v1/targets")["downsample"]
        assert ds["source"] == "flags" and ds["step_seconds"] == 3600
        assert ds["jobs"] == [{"job": "svc", "enabled": True, "after_seconds": 7200, "step_seconds": 300,
                               "retention_seconds": 30 * 86400}], ds
    finally:
        problem = srv.stop()
    assert problem is None, problem


def test_top_level_enabled_is_refused(tmp_path):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("downsample:\n  after: 1h\n  enabled: false\n")
    r = subprocess.run([server_binary(), "--listen", "127.0.0.1:%d" % free_port(), "--db",
                        str(tmp_path / "f.db"), "--config", str(cfg)], capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "line 3" in r.stderr and "downsample.enabled is for a job" in r.stderr, r.stderr


def test_a_bad_job_downsample_on_reload_keeps_the_old(tmp_path):
    cfg = tmp_path / "s.yaml"
    cfg.write_text(ONE_JOB % "      after: 2h\n      step: 5m")
    srv = Server(["--config", str(cfg)]).start()
    try:
        c = Client(srv.url, token=srv.token)
        want = [{"job": "svc", "enabled": True, "after_seconds": 7200, "step_seconds": 300,
                 "retention_seconds": 0}]
        assert c.get_json("/api/v1/targets")["downsample"]["jobs"] == want
        cfg.write_text(ONE_JOB % "      after: 2h\n      retention: 1h")
        srv.proc.send_signal(signal.SIGHUP)
        until("the reload failure logged", lambda: "config reload failed" in srv.log_tail(20000))
        assert "must\\x20be\\x20longer\\x20than\\x20after" in srv.log_tail(20000)
        assert c.get_json("/api/v1/targets")["downsample"]["jobs"] == want
        cfg.write_text(ONE_JOB % "      enabled: false")
        srv.proc.send_signal(signal.SIGHUP)
        until("the job turned off",
              lambda: c.get_json("/api/v1/targets")["downsample"]["jobs"] ==
              [{"job": "svc", "enabled": False, "after_seconds": 0, "step_seconds": 0, "retention_seconds": 0}])
    finally:
        problem = srv.stop()
    assert problem is None, problem
