"""Import of speedscope JSON (server/import_speedscope.h), against the
reference converter tests/progs/speedscope (encoding/json and
github.com/google/pprof/profile, no code shared with the server): the
hand-written files of tests/api/speedscope/ (sampled and evented, every
unit, several profiles) uploaded with each ?profile= choice give the same
/top, /top?granularity=lines and /tags as `go tool pprof` of the
converter's pprof; a generated pprof written as speedscope by the
converter and uploaded gives the original's `go tool pprof -top`; bad
files are 400s naming what is wrong, with nothing stored.
"""

import glob
import gzip
import json
import os
import subprocess

import pytest

import catalog
import checks
import pproftool

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "speedscope")
SCHEMA = "https://www.speedscope.app/file-format-schema.json"
UNIT = {"nanoseconds": "nanoseconds", "microseconds": "nanoseconds", "milliseconds": "nanoseconds",
        "seconds": "nanoseconds", "bytes": "bytes", "none": "count"}
TYPE = {"nanoseconds": ("cpu", "nanoseconds"), "bytes": ("space", "bytes"), "count": ("samples", "count")}


def fixtures():
    files = sorted(glob.glob(os.path.join(FIXTURES, "*.json")))
    return files


@pytest.fixture(scope="session")
def conv(tmp_path_factory):
    """The converter, built once: conv(args...) runs it."""
    d = str(tmp_path_factory.mktemp("speedscope-conv"))
    exe = os.path.join(d, "speedscope")
    env = dict(os.environ, GO111MODULE="off", GOPATH="/usr/share/gocode", GOFLAGS="",
               GOCACHE=os.path.join(d, "cache"))
    p = subprocess.run(["go", "build", "-o", exe, "."], cwd=os.path.join(catalog.PROGS_DIR, "speedscope"),
                       env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if p.returncode != 0:
        pytest.fail("building tests/progs/speedscope failed:\n" + p.stdout.decode("utf-8", "replace"))

    def run(*args):
        r = subprocess.run([exe] + list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        assert r.returncode == 0, r.stdout.decode("utf-8", "replace")
    run.dir = d
    return run


def choices(path):
    """(profile= value or None, converter argument) of every way to import path."""
    with open(path) as f:
        n = len(json.load(f)["profiles"])
    out = [(None, "")]
    if n > 1:
        out += [(str(i), str(i)) for i in range(n)]
        out.append(("all", "all"))
    return out


CASES = [(os.path.basename(f), which, arg) for f in fixtures() for which, arg in choices(f)]


def test_fixtures_are_there():
    names = [os.path.basename(f) for f in fixtures()]
    assert len(names) >= 4, "speedscope fixtures missing in %s: %r" % (FIXTURES, names)
    units, kinds = set(), set()
    for f in fixtures():
        with open(f) as fh:
            j = json.load(fh)
        units |= {p.get("unit") for p in j["profiles"]}
        kinds |= {p["type"] for p in j["profiles"]}
    assert {"milliseconds", "microseconds", "bytes", "none"} <= units and kinds == {"sampled", "evented"}


@pytest.mark.parametrize("name,which,arg", CASES, ids=["%s@%s" % (c[0], c[1] or "default") for c in CASES])
def test_equals_the_reference_conversion(client, conv, name, which, arg):
    path = os.path.join(FIXTURES, name)
    with open(path, "rb") as f:
        data = f.read()
    j = json.loads(data)
    idx = 0 if which in (None, "all") else int(which)
    if which is None:
        idx = j.get("activeProfileIndex") or 0
    unit = UNIT[j["profiles"][idx].get("unit", "none")]
    ref = os.path.join(conv.dir, "%s.%s.pb.gz" % (name, arg or "default"))
    conv("to-pprof", path, ref, arg)
    meta = client.upload_ok(data, {"name": name, **({"profile": which} if which else {})})
    assert meta["format"] == "speedscope"
    assert meta["sample_types"] == [dict(zip(("type", "unit"), TYPE[unit]))]
    sid = meta["id"]
    rep = pproftool.top(ref, None, unit)
    assert rep.total > 0 and rep.rows
    top = client.get_json("/api/v1/profiles/%s/top" % sid, {"limit": 0})
    checks.compare_top(top, rep, " of %s" % name)
    # file and line of each frame: -lines
    lines = pproftool.top(ref, None, unit, (("lines", "true"),))
    got = client.get_json("/api/v1/profiles/%s/top" % sid, {"limit": 0, "granularity": "lines"})
    assert [(r["function"], r["flat"], r["cum"]) for r in got["rows"]] == lines.rows
    fg = client.get_json("/api/v1/profiles/%s/flamegraph" % sid, {"max_nodes": 0})
    checks.compare_flamegraph(fg, rep, " of %s" % name)
    if which == "all":
        tags, _ = pproftool.tags(ref, None, unit)
        assert set(tags) == {"profile"} and len(tags["profile"]) == len(j["profiles"])
        checks.compare_tags(client.get_json("/api/v1/profiles/%s/tags" % sid), tags, {})


def test_default_is_the_active_profile(client):
    with open(os.path.join(FIXTURES, "multi-none.speedscope.json"), "rb") as f:
        data = f.read()
    assert json.loads(data)["activeProfileIndex"] == 1
    dflt = client.get_json("/api/v1/profiles/%s/top" % client.upload_ok(data)["id"], {"limit": 0})
    one = client.get_json("/api/v1/profiles/%s/top" % client.upload_ok(data, {"profile": "1"})["id"], {"limit": 0})
    zero = client.get_json("/api/v1/profiles/%s/top" % client.upload_ok(data, {"profile": "0"})["id"], {"limit": 0})
    assert dflt["rows"] == one["rows"] and dflt["total"] == one["total"] == 15
    assert zero["total"] == 6


def test_time_units_and_duration(client):
    """A time profile is cpu/nanoseconds, its duration endValue - startValue."""
    with open(os.path.join(FIXTURES, "evented-us.speedscope.json"), "rb") as f:
        data = f.read()
    meta = client.upload_ok(data)
    assert meta["kind"] == "cpu" and meta["duration_ns"] == 99750
    # and gzipped, the same
    meta2 = client.upload_ok(gzip.compress(data))
    assert meta2["format"] == "speedscope" and meta2["duration_ns"] == 99750
    a = client.get_json("/api/v1/profiles/%s/top" % meta["id"], {"limit": 0})
    b = client.get_json("/api/v1/profiles/%s/top" % meta2["id"], {"limit": 0})
    assert a == b


@pytest.mark.parametrize("pid,index,unit", [("gen/cpu", 1, "nanoseconds"), ("gen/heap", 3, "bytes"),
                                            ("gen/heap", 0, "count"), ("gen/goroutine", 0, "count"),
                                            ("pyroscope/go.cpu.labels.pprof", 1, "nanoseconds"),
                                            ("agent-insight/heap.pb.gz", 1, "bytes"),
                                            ("agent-insight/goroutine.pb.gz", 0, "count")])
def test_pprof_written_as_speedscope_reads_back(client, conv, profile_path, pid, index, unit):
    """A pprof profile (flat, cum and total of one sample type) survives
    the trip through speedscope's format."""
    src = profile_path(pid)
    out = os.path.join(conv.dir, "%s.%d.speedscope.json" % (pid.replace("/", "_"), index))
    conv("from-pprof", src, out, str(index))
    with open(out, "rb") as f:
        data = f.read()
    meta = client.upload_ok(data, {"name": pid + " as speedscope"})
    assert meta["sample_types"] == [dict(zip(("type", "unit"), TYPE[unit]))]
    rep = pproftool.top(src, index, unit)
    assert rep.total > 0
    checks.compare_top(client.get_json("/api/v1/profiles/%s/top" % meta["id"], {"limit": 0}), rep,
                       " of %s via speedscope" % pid)


def doc(profiles, frames=None, **top):
    d = {"$schema": SCHEMA, "shared": {"frames": frames if frames is not None else
                                       [{"name": "a"}, {"name": "b"}, {"name": "c"}]},
         "profiles": profiles}
    d.update(top)
    return json.dumps(d).encode()


def ev(*events):
    return {"type": "evented", "name": "e", "unit": "none", "startValue": 0, "endValue": 10,
            "events": [{"type": t, "frame": f, "at": at} for t, f, at in events]}


def sampled(samples, weights, unit="none"):
    return {"type": "sampled", "name": "s", "unit": unit, "startValue": 0, "endValue": 10,
            "samples": samples, "weights": weights}


GOOD = doc([sampled([[0, 1]], [3])])

BAD = [
    ("garbage", b'{"$schema": "' + SCHEMA.encode() + b'", "shared": {"frames": [}', None, "syntax error"),
    ("truncated", GOOD[:len(GOOD) // 2], None, "syntax error"),
    ("text after", GOOD + b" {}", None, "text after"),
    ("wrong schema", json.dumps({"$schema": SCHEMA + "x", "profiles": [], "about": SCHEMA}).encode(), None,
     "$schema"),
    ("no profiles", doc([]), None, "no profiles"),
    ("frame index out of range", doc([sampled([[0, 3]], [1])]), None, "samples[0][1] is not a frame index"),
    ("negative index", doc([sampled([[-1]], [1])]), None, "not a frame index"),
    ("fractional index", doc([sampled([[0.5]], [1])]), None, "not a frame index"),
    ("event frame out of range", doc([ev(("O", 7, 0), ("C", 7, 1))]), None, "events[0].frame"),
    ("mismatched close", doc([ev(("O", 0, 0), ("O", 1, 1), ("C", 0, 2), ("C", 1, 3))]), None,
     'profiles[0].events[2] closes frame 0 "a" while frame 1 "b" is open'),
    ("close with nothing open", doc([ev(("O", 0, 0), ("C", 0, 1), ("C", 0, 2))]), None,
     "events[2] closes frame 0 \"a\" while no frame is open"),
    ("left open", doc([ev(("O", 0, 0), ("O", 2, 1), ("C", 2, 2))]), None, "1 frame is still open"),
    ("time going back", doc([ev(("O", 0, 5), ("C", 0, 4))]), None, "events[1] is at 4, before"),
    ("bad event type", doc([ev(("X", 0, 0))]), None, "events[0].type"),
    ("lengths differ", doc([sampled([[0], [1], [2]], [1, 2])]), None, "3 samples but 2 weights"),
    ("negative weight", doc([sampled([[0]], [-1])]), None, "weights[0] is negative"),
    ("unknown unit", doc([sampled([[0]], [1], unit="furlongs")]), None, "unit \"furlongs\""),
    ("unknown type", doc([{"type": "flat", "unit": "none"}]), None, "neither"),
    ("sampled without weights", doc([{"type": "sampled", "unit": "none", "samples": [[0]]}]), None,
     "no weights"),
    ("frame without a name", doc([sampled([[0]], [1])], frames=[{"file": "x.c"}]), None, "has no name"),
    ("frame with an empty name", doc([sampled([[0]], [1])], frames=[{"name": ""}]), None, "empty name"),
    ("line not an integer", doc([sampled([[0]], [1])], frames=[{"name": "a", "line": 1.5}]), None,
     "frames[0].line"),
    ("deeper than 4096", doc([sampled([[0, 1] * 2049], [1])]), None, "deeper than 4096"),
    ("evented deeper than 4096", doc([ev(*[("O", 0, i) for i in range(4097)])]), None, "4097 deep"),
    ("key twice", GOOD[:-1] + b', "profiles": []}', None, "twice"),
    ("mixed units in all", doc([sampled([[0]], [1]), sampled([[1]], [1], unit="bytes")]), "all",
     "bytes, an earlier profile in none"),
    ("active index out of range", doc([sampled([[0]], [1])], activeProfileIndex=3), None, "activeProfileIndex"),
    ("nested too deep", doc([sampled([[0]], [1])], extra=json.loads("[" * 70 + "]" * 70)), None, "deeper than 64"),
]


@pytest.mark.parametrize("name,body,which,what", BAD, ids=[b[0] for b in BAD])
def test_bad_file_is_400_and_stores_nothing(client, name, body, which, what):
    before = client.list_total()
    r = client.upload(body, {"profile": which} if which else None)
    assert r.status == 400 and r.error_code() == "bad_profile", (r.status, r.body[:300])
    msg = r.json()["error"]["message"]
    assert msg.startswith("speedscope: ") and what in msg, msg
    assert client.list_total() == before
    assert client.healthy()


@pytest.mark.parametrize("which,body,what", [
    ("2", GOOD, "profile=2, but the speedscope file has 1 profile"),
    ("x", GOOD, "profile must be all or a profile index"),
    ("-1", GOOD, "profile must be all or a profile index"),
    ("99999", GOOD, "profile must be all or a profile index"),
    ("0", b"main;a 1\nmain;b 2\n", "profile= picks a profile of a speedscope file"),
])
def test_bad_profile_choice_is_400(client, which, body, what):
    before = client.list_total()
    r = client.upload(body, {"profile": which})
    assert r.status == 400 and r.error_code() == "bad_request", (r.status, r.body[:300])
    assert what in r.json()["error"]["message"], r.body[:300]
    assert client.list_total() == before


def test_other_json_still_refused(client):
    r = client.upload(json.dumps({"traceEvents": [{"ph": "X", "name": "f", "ts": 1, "dur": 2}]}).encode())
    assert r.status == 415 and r.error_code() == "unsupported_format"
    assert "speedscope" in r.json()["error"]["message"]


def test_raw_is_the_file_as_json(client):
    with open(os.path.join(FIXTURES, "exporter-bytes.speedscope.json"), "rb") as f:
        data = f.read()
    meta = client.upload_ok(data, {"name": "allocs.speedscope.json"})
    r = client.get("/api/v1/profiles/%s/raw" % meta["id"])
    assert r.status == 200 and r.body == data
    assert 'filename="allocs.json"' in r.headers["content-disposition"], r.headers["content-disposition"]
