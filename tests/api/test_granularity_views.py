"""granularity= on the flame graph, diff, diff/top and export, against
`go tool pprof` at the same granularity.

The flame graph at a granularity is pprof's call tree at it (the tree its
web flame graph draws): every node a printed name at that granularity.
Two checks, both against the pprof command:
  - per printed name, the flat (self summed over its nodes) and the cum
    (totals of its nodes not below another node of that name) equal the
    row of `go tool pprof -top -<granularity>`;
  - the tree is the one the samples of `go tool pprof -traces
    -<granularity>` imply: every root-first path of printed names with
    the sum of the values of the samples below it.
Diff: `-top -diff_base -lines`; export: `-top` of the exported profile
equals `-top -lines` of the source (pprof) and the folded lines fold to
the same tree as the flame graph. At files granularity pprof keeps one
node per (file, function start line), which flamedex does not store:
there flat per file is compared (as test_granularity.py does).
"""

import os
import re
import tempfile

import pytest

import catalog
import pproftool
from test_diff import cpu_pair, pprof_diff, server_deltas, upload  # noqa: F401 (fixture)

PROFILE_IDS = [pid for pid, st in catalog.ALL_PROFILES if st]
# the -traces comparison prints every sample: a few profiles of each kind
TRACE_IDS = ["parca/labels.pb.gz", "go/inline_hot.pprof", "go/devirt.pprof", "gen/cpu", "gen/heap",
             "gen/goroutine"]


def sid_of(uploads, pid):
    r, _ = uploads.get(pid)
    assert r.status == 201, r
    return r.json()["id"]


def unit_of(path):
    prof = catalog.decoded(path)
    return prof.sample_types[prof.default_index()][1]


def flame(client, sid, gran, **params):
    q = {"granularity": gran, "max_nodes": 0}
    q.update(params)
    return client.get_json("/api/v1/profiles/%s/flamegraph" % sid, q)


def tree_paths(j):
    """{(name, ...) root first: total} of a flamegraph answer (the root left out)."""
    names = j["names"]
    out, stack = {}, []
    for ni, depth, _self, total in j["nodes"]:
        del stack[depth:]
        stack.append(names[ni])
        if depth > 0:
            out[tuple(stack[1:])] = total
    return out


def per_name(j):
    """{name: (flat, cum)} read off the tree as pprof's -top counts them."""
    names = j["names"]
    flat, cum, stack = {}, {}, []
    for ni, depth, self_, total in j["nodes"]:
        del stack[depth:]
        name = names[ni]
        if depth > 0:
            flat[name] = flat.get(name, 0) + self_
            if name not in stack[1:]:
                cum[name] = cum.get(name, 0) + total
        stack.append(name)
    return {n: (flat.get(n, 0), cum.get(n, 0)) for n in set(flat) | set(cum)}


def assert_names_equal_top(got, want_rows, what, gran):
    names = [n for n, _, _ in want_rows]
    if gran == "files" and len(set(names)) != len(names):
        wflat = {}
        for n, f, _ in want_rows:
            wflat[n] = wflat.get(n, 0) + f
        assert {n: f for n, (f, _) in got.items() if f} == {n: f for n, f in wflat.items() if f}, what
        return
    want = {n: (f, c) for n, f, c in want_rows if (f, c) != (0, 0)}
    got = {n: v for n, v in got.items() if v != (0, 0)}
    missing = sorted(set(want) - set(got))[:5]
    extra = sorted(set(got) - set(want))[:5]
    wrong = sorted((k, want[k], got[k]) for k in set(want) & set(got) if want[k] != got[k])[:5]
    assert not missing and not extra and not wrong, \
        "%s: missing %r, extra %r, wrong (pprof, server) %r" % (what, missing, extra, wrong)


@pytest.mark.parametrize("gran", ["lines", "addresses", "filefunctions", "files"])
@pytest.mark.parametrize("pid", PROFILE_IDS)
def test_flame_granularity_equals_pprof_top(client, uploads, profile_path, pid, gran):
    path = profile_path(pid)
    want = pproftool.top(path, None, unit_of(path), ((gran, "true"),))
    j = flame(client, sid_of(uploads, pid), gran)
    assert j["granularity"] == gran
    assert j["total"] == want.total
    assert_names_equal_top(per_name(j), want.rows, "%s at %s" % (pid, gran), gran)


def parse_traces(text, suffix):
    """{root-first path of printed names: summed value} of pprof -traces."""
    sep = "-----------+-------------------------------------------------------"
    out = {}
    lines = text.split("\n")
    i = lines.index(sep)
    blocks, cur = [], None
    for ln in lines[i:]:
        if ln == sep:
            if cur is not None:
                blocks.append(cur)
            cur = []
        elif cur is not None and ln:
            cur.append(ln)
    for b in blocks:
        value, stack = None, []
        for ln in b:
            if value is None:
                # "%10s   %s": the value (wider than 10 when long) and the leaf;
                # before it, label lines "%10s:  %s"
                m = re.match(r"^ *(\S+)   (\S.*)$", ln)
                if not m:
                    continue
                try:
                    value = pproftool.parse_value(m.group(1), suffix)
                except ValueError:
                    continue
                name = m.group(2)
            else:
                assert ln.startswith(" " * 13), "unexpected trace line %r" % ln
                name = ln[13:]
            if name.endswith(" (inline)"):
                name = name[: -len(" (inline)")]
            stack.append(name)
        assert value is not None, b
        path = tuple(reversed(stack))
        for k in range(1, len(path) + 1):
            out[path[:k]] = out.get(path[:k], 0) + value
    return {p: v for p, v in out.items() if v != 0}


@pytest.mark.parametrize("gran", ["lines", "addresses"])
@pytest.mark.parametrize("pid", TRACE_IDS)
def test_flame_tree_is_pprof_traces(client, uploads, profile_path, pid, gran):
    path = profile_path(pid)
    flags, suffix = pproftool.unit_args(unit_of(path))
    want = parse_traces(pproftool.run_pprof(["-traces", "-" + gran] + flags, path), suffix)
    got = {p: v for p, v in tree_paths(flame(client, sid_of(uploads, pid), gran)).items() if v != 0}
    assert len(want) > 10, "test bug: pprof -traces printed almost nothing"
    missing = sorted(set(want) - set(got))[:3]
    extra = sorted(set(got) - set(want))[:3]
    wrong = sorted((k, want[k], got[k]) for k in set(want) & set(got) if want[k] != got[k])[:3]
    assert not missing and not extra and not wrong, (missing, extra, wrong)


def test_flame_granularity_names_and_files(client, uploads):
    j = flame(client, sid_of(uploads, "go/devirt.pprof"), "lines")
    assert len(j["names"]) > 10
    for name, file in zip(j["names"][1:], j["files"][1:]):
        _fn, loc = name.rsplit(" ", 1)
        where, line = loc.rsplit(":", 1)
        assert line.isdigit(), name
        # the name's file is the function's (cleaned), the one "files" gives
        assert os.path.basename(where) == os.path.basename(file), (name, file)


def test_flame_granularity_with_filters(client, uploads, profile_path):
    pid = "parca/labels.pb.gz"
    path = profile_path(pid)
    filt = (("lines", "true"), ("focus", "runtime"), ("hide", "mallocgc"))
    want = pproftool.top(path, None, "nanoseconds", filt)
    j = flame(client, sid_of(uploads, pid), "lines", focus="runtime", hide="mallocgc")
    assert_names_equal_top(per_name(j), want.rows, "focus+hide at lines", "lines")


@pytest.mark.parametrize("gran", ["lines", "files", "addresses"])
def test_sandwich_at_granularity(client, uploads, profile_path, gran):
    """The sandwich of a name at a granularity is rooted at that name with
    its -top cum."""
    pid = "parca/labels.pb.gz"
    path = profile_path(pid)
    want = pproftool.top(path, None, "nanoseconds", ((gran, "true"),))
    names = [n for n, _, _ in want.rows]
    name, _flat, cum = next(r for r in want.rows if names.count(r[0]) == 1 and r[2] > 0)
    j = client.get_json("/api/v1/profiles/%s/sandwich" % sid_of(uploads, pid),
                        {"granularity": gran, "function": name})
    assert j["cum"] == cum


@pytest.mark.parametrize("gran", ["lines", "filefunctions"])
def test_diff_top_at_granularity(client, cpu_pair, gran):  # noqa: F811
    bp, tp = cpu_pair
    bid, tid = upload(client, bp), upload(client, tp)
    want = pprof_diff(bp, tp, 1, "nanoseconds", filters=((gran, "true"),))
    _j, got = server_deltas(client, bid, tid, 1, granularity=gran)
    assert want, "test bug: pprof printed no rows"
    assert got == want
    # the diff tree carries the same names
    d = client.get_json("/api/v1/diff", {"base": bid, "target": tid, "sample_type": 1, "granularity": gran,
                                          "max_nodes": 0})
    assert set(want) <= set(d["names"])


def test_export_at_granularity(client, uploads, profile_path):
    pid = "go/inline_hot.pprof"
    path = profile_path(pid)
    unit = unit_of(path)
    sid = sid_of(uploads, pid)
    r = client.get("/api/v1/profiles/%s/export" % sid, {"format": "pprof", "granularity": "lines"})
    assert r.status == 200, r
    with tempfile.NamedTemporaryFile(suffix=".pb.gz") as f:
        f.write(r.body)
        f.flush()
        got = pproftool.top(f.name, None, unit)
    want = pproftool.top(path, None, unit, (("lines", "true"),))
    assert sorted(got.rows) == sorted(want.rows)
    # folded: one line per stack of printed names, folding to the flame graph's tree
    r = client.get("/api/v1/profiles/%s/export" % sid, {"format": "folded", "granularity": "lines"})
    assert r.status == 200, r
    paths = {}
    for ln in r.body.decode().splitlines():
        stack, v = ln.rsplit(" ", 1)
        p = tuple(stack.split(";"))
        for k in range(1, len(p) + 1):
            paths[p[:k]] = paths.get(p[:k], 0) + int(v)
    tree = tree_paths(flame(client, sid, "lines"))
    assert paths == {p: v for p, v in tree.items() if v}


def test_addresses_names(client, uploads, profile_path):
    """Names at addresses are pprof's: 16 hex digits, then the function
    and file:line."""
    j = client.get_json("/api/v1/profiles/%s/top" % sid_of(uploads, "parca/labels.pb.gz"),
                        {"granularity": "addresses", "limit": 20})
    assert j["granularity"] == "addresses" and len(j["rows"]) == 20
    for r in j["rows"]:
        addr, rest = r["function"].split(" ", 1)
        assert len(addr) == 16 and int(addr, 16) > 0, r
        assert ":" in rest, r


def test_addresses_on_a_profile_without_them(client, uploads):
    """A merge keeps no addresses: addresses is a 400 there, not names
    without addresses; the other granularities are served."""
    sid = sid_of(uploads, "parca/labels.pb.gz")
    r = client.get("/api/v1/merge/top", {"ids": sid, "granularity": "addresses"})
    assert r.status == 400 and r.error_code() == "bad_granularity", r
    j = client.get_json("/api/v1/merge/top", {"ids": sid, "granularity": "lines", "limit": 3})
    assert j["granularity"] == "lines" and ":" in j["rows"][0]["function"]


@pytest.mark.parametrize("path", [
    "/api/v1/profiles/{id}/top", "/api/v1/profiles/{id}/flamegraph", "/api/v1/profiles/{id}/tags",
    "/api/v1/profiles/{id}/sandwich?function=main.main", "/api/v1/profiles/{id}/graph",
    "/api/v1/profiles/{id}/peek?re=main", "/api/v1/profiles/{id}/list?fn=main",
    "/api/v1/profiles/{id}/export?format=folded", "/api/v1/profiles/{id}/runtime",
    "/api/v1/diff?base={id}&target={id}", "/api/v1/diff/top?base={id}&target={id}",
    "/api/v1/merge/top?ids={id}", "/api/v1/merge/flamegraph?ids={id}",
])
@pytest.mark.parametrize("g", ["bogus", "LINES", "address", "functions,lines"])
def test_unknown_granularity_everywhere(client, uploads, path, g):
    sid = sid_of(uploads, "parca/labels.pb.gz")
    p = path.replace("{id}", sid)
    r = client.get(p, {"granularity": g})
    assert r.status == 400, (p, r)
    assert r.error_code() == "bad_granularity", (p, r.body[:200])


def test_runtime_refuses_other_granularities(client, uploads):
    sid = sid_of(uploads, "parca/labels.pb.gz")
    r = client.get("/api/v1/profiles/%s/runtime" % sid, {"granularity": "lines"})
    assert r.status == 400 and r.error_code() == "bad_granularity"
