"""GET /api/v1/timeline: one point per profile of a selection, in time
order, with pprof's total of each sample type and the metric the page
draws (cores, heap in use, goroutines, delay). Totals are compared with
`go tool pprof -top`'s "of X total"; the cores with pprof's cpu total
over the profile's duration_nanos, read from the file."""

import os
import sys
import urllib.parse

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

import catalog  # noqa: E402
import pproftool  # noqa: E402
from client import Client  # noqa: E402
from flamedex_server import Server  # noqa: E402

SERIES = ["gen/cpu", "go/inline_hot.pprof", "agent-insight/cpu.pb.gz"]   # cpu, each with its own time
OTHERS = ["gen/heap", "gen/goroutine", "gen/mutex"]


@pytest.fixture(scope="module")
def c():
    s = Server().start()
    yield Client(s.url)
    problem = s.stop()
    if problem:
        pytest.fail(problem)


@pytest.fixture(scope="module")
def stored(c, profile_path):
    ids = {}
    for pid in SERIES + OTHERS:
        with open(profile_path(pid), "rb") as f:
            ids[pid] = c.upload_ok(f.read(), {"name": pid, "labels": "service:tl,src:" + pid})["id"]
    return ids


def test_points_totals_and_metric_equal_pprof(c, stored, profile_path):
    for pid, iid in stored.items():
        path = profile_path(pid)
        types = catalog.sample_types_of(pid)
        (pt,) = c.get_json("/api/v1/timeline?ids=" + iid)["points"]
        assert pt["url"] == "/p/" + iid
        assert [s["type"] for s in pt["sample_types"]] == [t for t, _ in types]
        totals = {}
        for i, (t, unit) in enumerate(types):
            totals[t] = pproftool.top(path, i, unit).total
            assert pt["sample_types"][i]["total"] == totals[t], (pid, t)
        meta = c.get_json("/api/v1/profiles/" + iid)
        assert pt["duration_ns"] == meta["duration_ns"] and pt["kind"] == meta["kind"]
        m = pt["metric"]
        if meta["kind"] == "cpu":
            assert m["name"] == "cores"
            dur = catalog.decoded(path).duration_nanos
            assert m["value"] == pytest.approx(totals["cpu"] / dur) if dur else m["value"] is None
        elif meta["kind"] == "heap":
            assert m["name"] == "inuse_bytes" and m["value"] == totals["inuse_space"]
        elif meta["kind"] == "goroutine":
            assert m["name"] == "goroutines" and m["value"] == totals["goroutine"]
        elif meta["kind"] in ("mutex", "block"):
            assert m["name"] == "delay_ns" and m["value"] == totals["delay"]


def test_series_by_label_in_time_order_and_range(c, stored):
    j = c.get_json("/api/v1/timeline?label=service:tl&type=cpu")
    times = [p["time"] for p in j["points"]]
    assert times == sorted(times)
    assert {p["id"] for p in j["points"]} == {stored[p] for p in SERIES}
    # the whole store's label, every kind
    assert len(c.get_json("/api/v1/timeline?label=service:tl")["points"]) == len(stored)
    # from/to are inclusive, on the profile's time
    t = times[1]
    j = c.get_json("/api/v1/timeline?" + urllib.parse.urlencode({"label": "service:tl", "type": "cpu", "from": t, "to": t}))
    assert [p["time"] for p in j["points"]] == [t]
    j = c.get_json("/api/v1/timeline?" + urllib.parse.urlencode({"label": "service:tl", "type": "cpu", "from": t}))
    assert [p["time"] for p in j["points"]] == times[1:]


def test_bad_selections(c, stored):
    r = c.get("/api/v1/timeline?label=service:tl&type=cpu&from=not-a-time")
    assert r.status == 400 and r.error_code() == "bad_request"
    r = c.get("/api/v1/timeline?label=service:tl&type=cpu&from=2099-01-01T00:00:00Z")
    assert r.status == 404 and r.error_code() == "empty_selection"
    r = c.get("/api/v1/timeline?label=nocolon")
    assert r.status == 400
    r = c.get("/api/v1/timeline?label=service:tl&type=nosuchkind")
    assert r.status == 400
    r = c.get("/api/v1/timeline")
    assert r.status == 400
    r = c.get("/api/v1/timeline?ids=AAAAAAAAAAAAAAAAAAAAAA")
    assert r.status == 404
