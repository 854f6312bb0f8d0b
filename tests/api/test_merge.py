"""Selections, series, merged views, merge/raw, default.pgo and diffs of
selections, against `go tool pprof` given the same files.

`go tool pprof -top A B C` merges its sources with profile.Merge; the
server's /api/v1/merge/top over the same uploads must print the same
numbers for every function and every sample type, with and without
filters. merge/raw and pgo are read back by pprof. Diffs of selections are
compared with `go tool pprof -top -diff_base=B1 -diff_base=B2 T1 T2`.
"""
import os
import subprocess
import tempfile
import time
import uuid

import pytest

import catalog
import pproftool
from flamedex_server import Server
from client import Client

CPU_SET = ["parca/labels.pb.gz", "pyroscope/go.cpu.labels.pprof", "agent-insight/cpu.pb.gz",
           "go/inline_hot.pprof", "go/devirt.pprof"]
HEAP_SET = ["parca/alloc_objects.pb.gz", "ap-query/alloc.pb.gz", "agent-insight/heap.pb.gz",
            "apm-server/testdata-heap.pprof"]


def corpus(rel):
    for base in (catalog.CORPUS, catalog.DATA_DIR):
        p = os.path.join(base, rel)
        if os.path.isfile(p):
            return p
    pytest.fail("corpus file %s is missing (FLAMEDEX_CORPUS=%s)" % (rel, catalog.CORPUS), pytrace=False)


class Series:
    def __init__(self, client, files, kind):
        self.service = "mt-" + uuid.uuid4().hex[:10]
        self.kind = kind
        self.paths = [corpus(f) for f in files]
        self.metas = []
        for f, p in zip(files, self.paths):
            with open(p, "rb") as fh:
                self.metas.append(client.upload_ok(fh.read(), {"name": f, "labels": "service:%s,set:%s" % (
                    self.service, kind)}))
        self.ids = [m["id"] for m in self.metas]


@pytest.fixture(scope="module")
def cpu(client):
    return Series(client, CPU_SET, "cpu")


@pytest.fixture(scope="module")
def heap(client):
    return Series(client, HEAP_SET, "heap")


def pprof_top(paths, idx, unit, filters=(), extra=()):
    flags, suffix = pproftool.unit_args(unit)
    args = ["-top", "-nodecount=1000000", "-nodefraction=0", "-edgefraction=0",
            "-sample_index=%d" % idx] + flags + list(extra)
    for k, v in filters:
        args.append("-%s=%s" % (k, v))
    if filters:
        # the server's total is after filtering, pprof's only with this flag
        args.append("-relative_percentages")
    args += list(paths[:-1])
    rep = pproftool.parse_top(pproftool.run_pprof(args, paths[-1]), suffix)
    return rep.total, {n: (f, c) for n, f, c in rep.rows}


def server_top(client, params, expect=200):
    q = [("limit", 0)] + list(params)
    r = client.get("/api/v1/merge/top", q)
    assert r.status == expect, "merge/top %r -> %d %r" % (q, r.status, r.body[:400])
    if expect != 200:
        return r
    j = r.json()
    return j, {row["function"]: (row["flat"], row["cum"]) for row in j["rows"]}


def compare(want, got):
    wt, wrows = want
    j, grows = got
    assert j["total"] == wt, "total: pprof %d, server %d" % (wt, j["total"])
    wrows = {k: v for k, v in wrows.items() if v != (0, 0)}
    missing = sorted(set(wrows) - set(grows))[:5]
    extra = sorted(set(grows) - set(wrows))[:5]
    wrong = sorted((k, wrows[k], grows[k]) for k in set(wrows) & set(grows) if wrows[k] != grows[k])[:5]
    assert not missing and not extra and not wrong, \
        "merge vs pprof -top: missing %r, extra %r, wrong (pprof, server) %r" % (missing, extra, wrong)


def ids_param(ids):
    return ("ids", ",".join(ids))


@pytest.mark.parametrize("which", ["cpu", "heap"])
def test_merge_top_every_sample_type_equals_pprof(client, cpu, heap, which):
    s = cpu if which == "cpu" else heap
    types = s.metas[0]["sample_types"]
    assert len(types) >= 2
    for idx, st in enumerate(types):
        want = pprof_top(s.paths, idx, st["unit"])
        got = server_top(client, [ids_param(s.ids), ("sample_type", idx)])
        m = got[0]["merge"]
        assert (m["profiles"], m["agg"], m["kind"], m["first"]) == (len(s.ids), "sum", which, s.ids[0])
        assert m["sample_types"] == types
        compare(want, got)


FILTERS = [
    [("focus", "runtime")],
    [("ignore", "runtime\\.")],
    [("hide", "^runtime\\.")],
    [("focus", "main"), ("ignore", "json")],
    [("tagfocus", "foo=bar")],
]


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: ",".join("%s=%s" % kv for kv in f))
def test_merge_top_with_filters_equals_pprof(client, cpu, filters):
    want = pprof_top(cpu.paths, 1, "nanoseconds", filters)
    got = server_top(client, [ids_param(cpu.ids), ("sample_type", 1)] + filters)
    compare(want, got)


def test_selection_by_label_and_type_equals_ids(client, cpu, heap):
    j1, r1 = server_top(client, [("label", "service:" + cpu.service), ("type", "cpu"), ("sample_type", 1)])
    j2, r2 = server_top(client, [ids_param(cpu.ids), ("sample_type", 1)])
    assert (j1["total"], r1) == (j2["total"], r2)
    assert j1["merge"]["profiles"] == len(cpu.ids)
    # two label conditions, both must match; a repeated one counts once
    j3, _ = server_top(client, [("label", "service:" + cpu.service), ("label", "set:cpu"),
                                ("label", "set:cpu"), ("sample_type", 1)])
    assert j3["total"] == j1["total"]
    r = server_top(client, [("label", "service:" + cpu.service), ("label", "set:heap")], expect=404)
    assert r.error_code() == "empty_selection"


def meta_time_ns(m):
    t = m["time"] or m["uploaded_at"]
    return t


def rfc3339_to_ns(t):
    # "2023-02-27T08:58:35.039823Z": whole seconds by calendar, fraction exact
    import calendar
    base, _, frac = t.rstrip("Z").partition(".")
    secs = calendar.timegm(time.strptime(base, "%Y-%m-%dT%H:%M:%S"))
    return secs * 10**9 + int((frac + "000000000")[:9])


def test_selection_by_time_range(client, cpu):
    times = sorted((rfc3339_to_ns(meta_time_ns(m)), m["id"], p) for m, p in zip(cpu.metas, cpu.paths))
    assert len(set(t for t, _, _ in times)) == len(times), "test bug: two profiles at one time"
    lo, hi = times[1][0], times[-2][0]
    inside = [p for t, _, p in times if lo <= t <= hi]
    assert 2 <= len(inside) < len(times)
    want = pprof_top(inside, 1, "nanoseconds")
    sel = [("label", "service:" + cpu.service), ("type", "cpu"), ("sample_type", 1)]
    # RFC 3339 with the full fraction, inclusive at both ends
    got = server_top(client, sel + [("from", iso(lo)), ("to", iso(hi))])
    assert got[0]["merge"]["profiles"] == len(inside)
    compare(want, got)
    # Unix seconds with a fraction
    got2 = server_top(client, sel + [("from", "%d.%09d" % divmod(lo, 10**9)), ("to", "%d.%09d" % divmod(hi, 10**9))])
    assert got2[0]["total"] == got[0]["total"]
    # nothing in range: 404
    r = server_top(client, sel + [("from", "1971-01-01T00:00:00Z"), ("to", "1971-01-02T00:00:00Z")], expect=404)
    assert r.error_code() == "empty_selection"


def iso(ns):
    s, f = divmod(ns, 10**9)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s)) + ".%09dZ" % f


@pytest.mark.parametrize("bad", [
    [("from", "yesterday")], [("to", "2024-13-01T00:00:00Z")], [("from", "1714564800000")],
    [("from", "2024-02-01T00:00:00Z"), ("to", "2024-01-01T00:00:00Z")],
])
def test_bad_time_is_400(client, cpu, bad):
    r = server_top(client, [("label", "service:" + cpu.service)] + bad, expect=400)
    assert r.error_code() == "bad_request"
    assert "from" in r.json()["error"]["message"] or "to" in r.json()["error"]["message"]


def test_bad_selections(client, cpu):
    r = client.get("/api/v1/merge/top")
    assert r.status == 400 and r.error_code() == "bad_request"
    r = client.get("/api/v1/merge/top", [ids_param(cpu.ids[:1]), ("label", "service:x")])
    assert r.status == 400 and r.error_code() == "bad_request"
    r = client.get("/api/v1/merge/top", [("label", "nocolon")])
    assert r.status == 400
    r = client.get("/api/v1/merge/top", [("label", "service:x"), ("type", "bogus")])
    assert r.status == 400
    r = client.get("/api/v1/merge/top", [("label", "service:nothing-" + uuid.uuid4().hex)])
    assert r.status == 404 and r.error_code() == "empty_selection"
    r = client.get("/api/v1/merge/top", [("ids", "AAAAAAAAAAAAAAAAAAAAAA")])
    assert r.status == 404 and r.error_code() == "not_found"
    r = client.get("/api/v1/merge/top", [("ids", ",,")])
    assert r.status == 404 and r.error_code() == "empty_selection"
    r = client.get("/api/v1/merge/top", [ids_param(cpu.ids), ("agg", "median")])
    assert r.status == 400
    r = client.get("/api/v1/merge/top", [ids_param(cpu.ids), ("sample_type", "inuse_space")])
    assert r.status == 400 and r.error_code() == "unknown_sample_type"
    assert client.healthy()


def test_duplicate_ids_collapse(client, cpu):
    j1, r1 = server_top(client, [ids_param(cpu.ids[:2] + cpu.ids[:2]), ("sample_type", 1)])
    j2, r2 = server_top(client, [ids_param(cpu.ids[:2]), ("sample_type", 1)])
    assert j1["merge"]["profiles"] == 2 and (j1["total"], r1) == (j2["total"], r2)


def test_incompatible_profiles_name_the_pair(client, cpu, heap):
    ids = cpu.ids[:2] + heap.ids[:1] + cpu.ids[2:3]
    r = client.get("/api/v1/merge/top", [ids_param(ids)])
    assert r.status == 400 and r.error_code() == "incompatible_profiles", r
    msg = r.json()["error"]["message"]
    assert cpu.ids[0] in msg and heap.ids[0] in msg, msg
    assert "period types" in msg or "sample types" in msg
    # pprof refuses the same merge
    p = subprocess.run(["go", "tool", "pprof", "-symbolize=none", "-top", cpu.paths[0], heap.paths[0]],
                       env=pproftool.go_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
    assert p.returncode != 0 and b"incompatible" in p.stdout
    # a diff side that cannot be merged is refused the same way
    r = client.get("/api/v1/diff/top", [("base.ids", ",".join(ids)), ("target", cpu.ids[0])])
    assert r.status == 400 and r.error_code() == "incompatible_profiles"


def fetch_raw(client, path, params):
    r = client.get(path, params)
    assert r.status == 200, (path, r.status, r.body[:300])
    fd, name = tempfile.mkstemp(suffix=".pb.gz")
    with os.fdopen(fd, "wb") as f:
        f.write(r.body)
    return r, name


@pytest.mark.parametrize("which", ["cpu", "heap"])
def test_merge_raw_read_back_by_pprof(client, cpu, heap, which):
    s = cpu if which == "cpu" else heap
    r, name = fetch_raw(client, "/api/v1/merge/raw", [ids_param(s.ids)])
    try:
        assert r.body[:2] == b"\x1f\x8b"
        assert "attachment" in r.headers.get("content-disposition", "")
        for idx, st in enumerate(s.metas[0]["sample_types"]):
            got_pprof = pprof_top([name], idx, st["unit"])
            got = server_top(client, [ids_param(s.ids), ("sample_type", idx)])
            compare(got_pprof, got)
            compare(pprof_top(s.paths, idx, st["unit"]), got)
    finally:
        os.unlink(name)


def test_agg_avg(client, heap):
    n = len(heap.ids)
    idx = 3  # inuse_space: a snapshot
    js, rs = server_top(client, [ids_param(heap.ids), ("sample_type", idx)])
    ja, ra = server_top(client, [ids_param(heap.ids), ("sample_type", idx), ("agg", "avg")])
    assert ja["merge"]["agg"] == "avg"
    # each merged sample is divided by n and rounded: within half a unit per
    # sample of the exact mean; at most the sum's own sample count
    assert abs(ja["total"] * n - js["total"]) <= n * max(1, len(rs)) * 1000
    assert 0 < ja["total"] < js["total"]
    # merge/raw?agg=avg read by pprof prints exactly the avg view
    r, name = fetch_raw(client, "/api/v1/merge/raw", [ids_param(heap.ids), ("agg", "avg")])
    try:
        compare(pprof_top([name], idx, "bytes"), (ja, ra))
    finally:
        os.unlink(name)


def test_deleted_profile_disappears_from_merge(client):
    s = Series(client, CPU_SET[:3], "cpu")
    sel = [("label", "service:" + s.service), ("sample_type", 1)]
    j, _ = server_top(client, sel)
    assert j["merge"]["profiles"] == 3
    # the same merge by ids, twice: the second answer comes from the cache of merges
    assert server_top(client, [ids_param(s.ids), ("sample_type", 1)]) == server_top(client, [ids_param(s.ids), ("sample_type", 1)])
    r = client.request("DELETE", "/api/v1/profiles/" + s.ids[0])
    assert r.status in (200, 204), r
    want = pprof_top(s.paths[1:], 1, "nanoseconds")
    got = server_top(client, sel)
    assert got[0]["merge"]["profiles"] == 2
    compare(want, got)
    sr = client.get_json("/api/v1/series", [("label", "service:" + s.service)])
    assert [x["profiles"] for x in sr["series"]] == [2]
    # by ids, the deleted one is a 404 naming it, also for the very
    # request whose answer was kept (the cache of merged views) and for
    # another view of it
    for view, q in (("top", [("limit", 0), ids_param(s.ids), ("sample_type", 1)]), ("top", [ids_param(s.ids)]),
                    ("flamegraph", [ids_param(s.ids), ("sample_type", 1)])):
        r = client.get("/api/v1/merge/" + view, q)
        assert r.status == 404 and s.ids[0] in r.json()["error"]["message"], (view, q, r.status)


def test_series(client, cpu, heap):
    j = client.get_json("/api/v1/series", [("label", "service:" + cpu.service)])
    assert len(j["series"]) == 1
    se = j["series"][0]
    assert se["labels"] == {"service": cpu.service, "set": "cpu"}
    assert se["kind"] == "cpu" and se["profiles"] == len(cpu.ids)
    assert se["bytes"] == sum(m["bytes"] for m in cpu.metas)
    times = sorted(rfc3339_to_ns(meta_time_ns(m)) for m in cpu.metas)
    assert rfc3339_to_ns(se["first"]) == times[0] and rfc3339_to_ns(se["last"]) == times[-1]
    j = client.get_json("/api/v1/series", [("label", "service:" + cpu.service), ("type", "heap")])
    assert j["series"] == []
    j = client.get_json("/api/v1/series", [("type", "heap")])
    assert any(x["labels"].get("service") == heap.service and x["profiles"] == len(heap.ids) for x in j["series"])
    assert client.get("/api/v1/series", [("type", "nope")]).status == 400


def test_merge_flamegraph_and_tags(client, cpu):
    sel = [ids_param(cpu.ids), ("sample_type", 1)]
    jt, _ = server_top(client, sel)
    f = client.get_json("/api/v1/merge/flamegraph", sel)
    assert f["merge"]["profiles"] == len(cpu.ids)
    assert f["total"] == jt["total"] and "nodes" in f
    sw = client.get_json("/api/v1/merge/sandwich", sel + [("function", "runtime.mallocgc")])
    assert sw["cum"] == dict(server_top(client, sel)[1])["runtime.mallocgc"][1]
    t = client.get_json("/api/v1/merge/tags", sel)
    assert t["total"] == jt["total"]
    # pprof -tags over the merged sources names the same keys
    out = pproftool.run_pprof(["-tags", "-sample_index=1"] + cpu.paths[:-1], cpu.paths[-1])
    for k in t["tags"]:
        assert k["key"] in out


def test_pgo(client, cpu, heap):
    r, name = fetch_raw(client, "/api/v1/pgo", [ids_param(cpu.ids)])
    try:
        assert r.headers.get("content-disposition") == "attachment; filename=default.pgo"
        for idx, unit in ((0, "count"), (1, "nanoseconds")):
            compare(pprof_top([name], idx, unit), server_top(client, [ids_param(cpu.ids), ("sample_type", idx)]))
        # labels dropped
        assert "foo" not in pproftool.run_pprof(["-tags"], name)
    finally:
        os.unlink(name)
    # keep_top: flat and total unchanged, at most N distinct caller->callee pairs
    n = 5
    r, name = fetch_raw(client, "/api/v1/pgo", [ids_param(cpu.ids), ("keep_top", n)])
    try:
        total, rows = pprof_top([name], 1, "nanoseconds")
        wt, wrows = pprof_top(cpu.paths, 1, "nanoseconds")
        assert total == wt
        assert {k: v[0] for k, v in rows.items() if v[0]} == {k: v[0] for k, v in wrows.items() if v[0]}
        traces = pproftool.run_pprof(["-traces"], name)
        pairs = set()
        for block in traces.split("-----------+-------------------------------------------------------"):
            frames = [ln.split()[-1] for ln in block.strip().split("\n") if ln.strip() and "bytes:" not in ln
                      and not ln.startswith(("File:", "Type:", "Time:", "Duration:", "Showing"))]
            frames = [f for f in frames if not f.endswith("ns")]
            for a, b in zip(frames, frames[1:]):
                pairs.add((b, a))
        assert 0 < len(pairs) <= n, sorted(pairs)
    finally:
        os.unlink(name)
    r = client.get("/api/v1/pgo", [ids_param(heap.ids)])
    assert r.status == 400 and r.error_code() == "not_cpu"
    assert client.get("/api/v1/pgo", [ids_param(cpu.ids), ("keep_top", "-1")]).status == 400


def pprof_merged(paths, out):
    """`go tool pprof -proto A B …`: the sources merged into one file by pprof."""
    with open(out, "wb") as f:
        subprocess.run(["go", "tool", "pprof", "-symbolize=none", "-proto"] + list(paths), env=pproftool.go_env(),
                       stdout=f, stderr=subprocess.PIPE, check=True, timeout=300)
    return out


def pprof_diff(bases, targets, idx, unit, tmp):
    """pprof -diff_base on the merged sides (go1.19's pprof takes one
    -diff_base, so each side is merged by pprof first)."""
    base = pprof_merged(bases, os.path.join(tmp, "base.pb.gz"))
    target = pprof_merged(targets, os.path.join(tmp, "target.pb.gz"))
    flags, suffix = pproftool.unit_args(unit)
    args = ["-top", "-nodecount=1000000", "-nodefraction=0", "-edgefraction=0",
            "-sample_index=%d" % idx, "-diff_base=" + base] + flags
    rep = pproftool.parse_top(pproftool.run_pprof(args, target), suffix)
    return {n: (f, c) for n, f, c in rep.rows if (f, c) != (0, 0)}


def test_diff_of_selections_equals_pprof_diff_base(client, cpu, tmp_path):
    base_ids, target_ids = cpu.ids[:2], cpu.ids[2:]
    want = pprof_diff(cpu.paths[:2], cpu.paths[2:], 1, "nanoseconds", str(tmp_path))
    j = client.get_json("/api/v1/diff/top", [("base.ids", ",".join(base_ids)),
                                             ("target.ids", ",".join(target_ids)),
                                             ("sample_type", 1), ("limit", 0)])
    got = {}
    for row in j["rows"]:
        d = (row["target_flat"] - row["base_flat"], row["target_cum"] - row["base_cum"])
        if d != (0, 0):
            got[row["function"]] = d
    assert want
    missing = sorted(set(want) - set(got))[:5]
    extra = sorted(set(got) - set(want))[:5]
    wrong = sorted((k, want[k], got[k]) for k in set(want) & set(got) if want[k] != got[k])[:5]
    assert not missing and not extra and not wrong, (missing, extra, wrong)
    # a selection on one side, an id on the other; the tree and the check too
    j2 = client.get_json("/api/v1/diff/top", [("base", cpu.ids[0]), ("target.label", "service:" + cpu.service),
                                              ("sample_type", 1)])
    assert j2["target_total"] == pprof_top(cpu.paths, 1, "nanoseconds")[0]
    assert client.get("/api/v1/diff", [("base.ids", ",".join(base_ids)), ("target.ids", ",".join(target_ids))]).status == 200
    r = client.get("/api/v1/diff/check", [("base.ids", ",".join(base_ids)), ("target.ids", ",".join(base_ids))])
    assert r.status == 200
    r = client.get("/api/v1/diff/top", [("base.label", "service:none-" + uuid.uuid4().hex), ("target", cpu.ids[0])])
    assert r.status == 404 and r.error_code() == "empty_selection"
    r = client.get("/api/v1/diff/top", [("target", cpu.ids[0])])
    assert r.status == 400


def test_selection_too_large(tmp_path):
    srv = Server(["--max-selection", "2"]).start()
    try:
        c = Client(srv.url)
        with open(corpus(CPU_SET[2]), "rb") as f:
            data = f.read()
        ids = [c.upload_ok(data, {"labels": "service:big"})["id"] for _ in range(3)]
        r = c.get("/api/v1/merge/top", [("label", "service:big")])
        assert r.status == 400 and r.error_code() == "selection_too_large"
        assert "narrow" in r.json()["error"]["message"]
        r = c.get("/api/v1/merge/top", [("ids", ",".join(ids))])
        assert r.status == 400 and r.error_code() == "selection_too_large"
        assert c.get("/api/v1/merge/top", [("ids", ",".join(ids[:2]))]).status == 200
        r = c.get("/api/v1/diff/top", [("base.label", "service:big"), ("target", ids[0])])
        assert r.status == 400 and r.error_code() == "selection_too_large"
        assert c.healthy()
    finally:
        srv.stop()


def raw_start_lines(path):
    """{(function name, file): start line} from `go tool pprof -raw` (its s=N)."""
    import re
    out = pproftool.run_pprof(["-raw"], path)
    return {(m.group(1), m.group(2)): int(m.group(3)) for m in re.finditer(r" (\S+) (\S+):\d+ s=(\d+)", out)}


def test_pgo_keeps_start_lines(client):
    s = Series(client, ["go/inline_hot.pprof", "go/devirt.pprof"], "cpu")
    want = {}
    for p in s.paths:
        for k, v in raw_start_lines(p).items():
            want.setdefault(k, v)
    assert any(want.values()), "test bug: the PGO test profiles carry no start lines"
    # a function is known by name and file; when two uploads disagree on
    # its start line the first merged (ids order) gives it
    r, name = fetch_raw(client, "/api/v1/pgo", [ids_param(s.ids)])
    try:
        got = raw_start_lines(name)
        assert got == want, sorted(set(got.items()) ^ set(want.items()))[:10]
    finally:
        os.unlink(name)
