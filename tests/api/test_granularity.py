"""granularity= on /top against `go tool pprof -top -lines / -filefunctions /
-files / -addresses` (the other views: test_granularity_views.py).

Every row (printed name, flat, cum) in pprof's order, for flat and cum
order, on every proto profile of the corpus with lines and on generated
profiles. At files granularity pprof keeps one node per (file, function
start line) and so can print one file several times; flamedex, which does
not store start lines, keeps one per file: there the flat per file (which
adds up) is compared instead.
"""

import pytest

import catalog
import pproftool

PROFILE_IDS = [pid for pid, st in catalog.ALL_PROFILES if st]
GRANS = ["lines", "filefunctions", "files", "addresses"]


def rows_of(client, pid, params):
    j = client.get_json("/api/v1/profiles/%s/top" % pid, params)
    return j, [(r["function"], r["flat"], r["cum"]) for r in j["rows"]]


@pytest.mark.parametrize("gran", GRANS)
@pytest.mark.parametrize("pid", PROFILE_IDS)
def test_top_granularity_equals_pprof(client, uploads, profile_path, pid, gran):
    r, _ = uploads.get(pid)
    assert r.status == 201, r
    sid = r.json()["id"]
    path = profile_path(pid)
    prof = catalog.decoded(path)
    unit = prof.sample_types[prof.default_index()][1]
    want = pproftool.top(path, None, unit, ((gran, "true"),))
    j, got = rows_of(client, sid, {"granularity": gran})
    assert j["granularity"] == gran
    assert j["total"] == want.total
    names = [n for n, _, _ in want.rows]
    if gran == "files" and len(set(names)) != len(names):
        flat = {}
        for n, f, _ in want.rows:
            flat[n] = flat.get(n, 0) + f
        assert {n: f for n, f, _ in got if f} == {n: f for n, f in flat.items() if f}
        return
    assert got == want.rows, pid
    _, got_cum = rows_of(client, sid, {"granularity": gran, "sort": "cum"})
    want_cum = pproftool.run_pprof(["-top", "-cum", "-nodecount=1000000", "-nodefraction=0", "-edgefraction=0",
                                    "-" + gran] + pproftool.unit_args(unit)[0], path)
    rep = pproftool.parse_top(want_cum, pproftool.unit_args(unit)[1])
    assert got_cum == rep.rows, pid


def test_lines_names_as_pprof_prints_them(client, uploads):
    r, _ = uploads.get("go/devirt.pprof")
    j, got = rows_of(client, r.json()["id"], {"granularity": "lines", "limit": 5})
    assert len(got) == 5 and j["count"] > 5
    for name, _, _ in got:
        fn, loc = name.rsplit(" ", 1)
        assert "." in fn and loc.rsplit(":", 1)[1].isdigit(), name


def test_top_with_filters_at_lines(client, uploads, profile_path):
    pid = "parca/labels.pb.gz"
    r, _ = uploads.get(pid)
    want = pproftool.top(profile_path(pid), None, "nanoseconds", (("lines", "true"), ("focus", "runtime"), ("hide", "mallocgc")))
    _, got = rows_of(client, r.json()["id"], {"granularity": "lines", "focus": "runtime", "hide": "mallocgc"})
    assert got == want.rows


@pytest.mark.parametrize("g", ["address", "bogus", "LINES"])
def test_bad_granularity(client, uploads, g):
    r, _ = uploads.get("parca/labels.pb.gz")
    resp = client.get("/api/v1/profiles/%s/top" % r.json()["id"], {"granularity": g})
    assert resp.status == 400 and resp.error_code() == "bad_granularity"
