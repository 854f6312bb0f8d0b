"""pprof's stack-cutting filters against `go tool pprof` with the same flags.

show (keep only matching frames), show_from (drop the frames rootward of a
sample's rootmost match, and samples without one) and prune_from (drop the
frames leafward of its leafmost match, matched against the function name
cut at its first '(' as pprof's simplifyFunc cuts it), alone and with the
other filters: /top and /flamegraph against `pprof -top`.  Bad regexes are
400 bad_regex.
"""

import os

import pytest

import catalog
import checks
import pproftool

CASES = [
    ("gen/cpu", 1, (("show_from", r"^main\.handle"),)),
    ("gen/cpu", 1, (("show_from", r"^main\.(fib|even)$"),)),
    ("gen/cpu", 0, (("show_from", r"^runtime\."),)),
    ("gen/cpu", 1, (("show_from", r"^no\.such\.function$"),)),
    ("gen/cpu", 1, (("prune_from", r"^main\.fib$"),)),
    ("gen/cpu", 1, (("prune_from", r"^main\.handle"),)),
    ("gen/cpu", 1, (("prune_from", r"^runtime\."),)),
    ("gen/cpu", 1, (("show", r"^main\."),)),
    ("gen/cpu", 1, (("show", r"^main\.(fib|even|odd)$"),)),
    ("gen/cpu", 1, (("show_from", r"^main\.handle"), ("prune_from", r"^main\.(fib|square)$"))),
    ("gen/cpu", 1, (("show_from", r"^main\.(fib|even|odd)$"), ("hide", r"^main\.even$"))),
    ("gen/cpu", 1, (("prune_from", r"^main\.fib$"), ("focus", r"^main\.handle"),
                    ("tagfocus", "worker=alpha"))),
    ("gen/cpu", 1, (("show", r"^main\."), ("show_from", r"^main\.handle"),
                    ("prune_from", r"^main\.(even|odd)$"))),
    ("gen/goroutine", 0, (("show_from", r"^main\."),)),
    ("gen/goroutine", 0, (("prune_from", r"^(sync|runtime)\."),)),
    ("gen/heap", 3, (("prune_from", r"^main\.alloc"),)),
    ("gen/block", 1, (("show", r"^(main|sync)\."),)),
    # simplifyFunc: a method's name is cut at "(", so "pkg." is what matches
    ("apm-server/default.pgo", 1, (("prune_from", r"\.$"),)),
    ("apm-server/default.pgo", 1, (("show_from", r"^github\.com/"), ("prune_from", r"^runtime\."))),
    ("pyroscope/go.cpu.labels.pprof", 1, (("show_from", r"^main\."), ("tagignore", "function=fast"))),
    ("parca/labels.pb.gz", 0, (("prune_from", r"^runtime\."),)),
]
IDS = ["%s#%d:%s" % (p, i, "&".join("%s=%s" % kv for kv in f)) for p, i, f in CASES]


def _uploaded(uploads, pid):
    r, _ = uploads.get(pid)
    assert r.status == 201, r.body[:300]
    return r.json()["id"]


@pytest.mark.parametrize("pid,idx,filters", CASES, ids=IDS)
def test_cut_filters_match_pprof(client, uploads, profile_path, pid, idx, filters):
    if not pid.startswith("gen/") and not os.path.isfile(profile_path(pid)):
        pytest.skip("corpus file %s not present" % pid)
    id_ = _uploaded(uploads, pid)
    path = profile_path(pid)
    types = catalog.decoded(path).sample_types
    rep = pproftool.top(path, idx, types[idx][1], filters, relative=True)
    params = dict(filters)
    params.update({"sample_type": idx, "limit": 0})
    what = "?" + "&".join("%s=%s" % kv for kv in filters)
    j = client.get_json("/api/v1/profiles/%s/top" % id_, params)
    checks.compare_top(j, rep, what)
    params.pop("limit")
    params["max_nodes"] = 0
    fg = client.get_json("/api/v1/profiles/%s/flamegraph" % id_, params)
    checks.compare_flamegraph(fg, rep, what)


def test_show_from_changes_the_tree(client, uploads, profile_path):
    """A non-vacuous check: show_from roots the flame graph at the match."""
    id_ = _uploaded(uploads, "gen/cpu")
    fg = client.get_json("/api/v1/profiles/%s/flamegraph" % id_,
                         {"sample_type": 1, "max_nodes": 0, "show_from": r"^main\.handle"})
    t = checks.Tree(fg)
    roots = {t.name(i) for i in t.children[0]}
    assert roots and all(r.startswith("main.handle") for r in roots), roots


@pytest.mark.parametrize("name", ["show", "show_from", "prune_from"])
def test_bad_regex(client, uploads, name):
    id_ = _uploaded(uploads, "gen/cpu")
    for bad in ["(", "a" * 5000]:
        r = client.get("/api/v1/profiles/%s/top" % id_, {name: bad})
        assert r.status == 400, (name, bad[:10], r.status)
        assert r.error_code() == "bad_regex", r.body[:200]


@pytest.mark.parametrize("name", ["show", "show_from", "prune_from"])
def test_cases_are_not_vacuous(profile_path, name):
    """Each filter changes pprof's answer in at least one of its own cases,
    so agreeing with pprof means something. (Per filter, not per case: gen/
    profiles are sampled afresh each run, and one case alone, such as
    prune_from=^main\\.fib$ when no callee of fib was sampled, may change
    nothing in a given run.)"""
    mine = [c for c in CASES if c[0] == "gen/cpu" and len(c[2]) == 1 and c[2][0][0] == name
            and "no\\.such" not in str(c[2])]
    assert mine, name
    changed = []
    for pid, idx, filters in mine:
        path = profile_path(pid)
        unit = catalog.decoded(path).sample_types[idx][1]
        changed.append(pproftool.top(path, idx, unit, filters, relative=True).rows !=
                       pproftool.top(path, idx, unit, (), relative=True).rows)
    assert any(changed), (name, mine)


# ------------------------------------------------------------ tagroot / tagleaf

TAG_CASES = [
    ("gen/cpu", 1, (("tagroot", "endpoint"),)),
    ("gen/cpu", 1, (("tagleaf", "endpoint"),)),
    ("gen/cpu", 1, (("tagroot", "endpoint,worker"),)),
    ("gen/cpu", 0, (("tagroot", "worker"), ("tagleaf", "endpoint"))),
    ("gen/cpu", 1, (("tagroot", "endpoint"), ("tagfocus", "worker=alpha"))),
    ("gen/cpu", 1, (("tagroot", "endpoint"), ("focus", r"^main\.fib$"))),
    ("gen/cpu", 1, (("tagleaf", "worker"), ("hide", r"^main\."))),
    ("gen/cpu", 1, (("tagleaf", "worker"), ("prune_from", r"^main\.fib$"))),
    ("gen/cpu", 1, (("tagroot", "worker"), ("show_from", r"^main\.handle"))),
    ("gen/cpu", 1, (("tagroot", "worker"), ("show", r"^main\."))),
    ("gen/cpu", 1, (("tagroot", "endpoint"), ("ignore", r"^main\.hashLoop$"))),
    ("gen/goroutine", 0, (("tagroot", "pool"),)),
    ("pyroscope/go.cpu.labels.pprof", 1, (("tagroot", "function"),)),
    ("pyroscope/go.cpu.labels.pprof", 1, (("tagleaf", "function,foo"),)),
    ("parca/labels.pb.gz", 0, (("tagroot", "api"),)),
]
TAG_IDS = ["%s#%d:%s" % (p, i, "&".join("%s=%s" % kv for kv in f)) for p, i, f in TAG_CASES]


@pytest.mark.parametrize("pid,idx,filters", TAG_CASES, ids=TAG_IDS)
def test_tagroot_tagleaf_match_pprof(client, uploads, profile_path, pid, idx, filters):
    test_cut_filters_match_pprof(client, uploads, profile_path, pid, idx, filters)


def test_tagroot_roots_the_flame_graph_at_values(client, uploads, profile_path):
    id_ = _uploaded(uploads, "gen/cpu")
    fg = client.get_json("/api/v1/profiles/%s/flamegraph" % id_,
                         {"sample_type": 1, "max_nodes": 0, "tagroot": "endpoint"})
    t = checks.Tree(fg)
    roots = {t.name(i) for i in t.children[0]}
    tags = client.get_json("/api/v1/profiles/%s/tags" % id_, {"sample_type": 1})
    values = {v["value"] for k in tags["tags"] if k["key"] == "endpoint" for v in k["values"]}
    assert values and values <= roots <= values | {"<unknown>"}, (roots, values)


def test_tagroot_errors(client, uploads):
    id_ = _uploaded(uploads, "gen/cpu")
    url = "/api/v1/profiles/%s/top" % id_
    r = client.get(url, {"tagroot": "no_such_label"})
    assert r.status == 400 and r.error_code() == "unknown_label", r.body[:200]
    r = client.get(url, {"tagleaf": ",".join("k%d" % i for i in range(9))})
    assert r.status == 400 and r.error_code() == "bad_request", r.body[:200]
    r = client.get(url, {"tagroot": "k" * 300})
    assert r.status == 400 and r.error_code() == "bad_request", r.body[:200]
    heap = _uploaded(uploads, "gen/heap")
    r = client.get("/api/v1/profiles/%s/top" % heap, {"tagroot": "bytes"})
    assert r.status == 400 and r.error_code() == "unsupported_label", r.body[:200]
    # a filter that pprof would apply to the pseudo-frames themselves
    r = client.get(url, {"tagroot": "endpoint", "focus": "^/api/"})
    assert r.status == 400 and r.error_code() == "unsupported_label", r.body[:200]
    r = client.get(url, {"tagroot": "endpoint", "hide": "point"})
    assert r.status == 400 and r.error_code() == "unsupported_label", r.body[:200]
