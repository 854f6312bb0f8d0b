"""Flame-graph transforms on every view: collapse_recursion=1 (a function
already on the path is dropped: speedscope's flatten recursion) and
merge_fn=RE (matching frames dropped, their self value to the caller: the
Firefox Profiler's merge function).  pprof has neither; the expected
stacks are worked out by hand, and top, flamegraph and the exports agree.
"""

import collections

import pytest

import pb

STACKS = {
    ("main.main", "a", "b", "a", "c"): [5, 50],
    ("main.main", "a", "a"): [3, 30],
    ("main.main", "x"): [2, 20],
    ("a",): [1, 10],
}


@pytest.fixture(scope="module")
def pid(upload):
    return upload(pb.simple_profile(STACKS), name="transforms")["id"]


def folded(client, pid, **params):
    r = client.get("/api/v1/profiles/%s/export" % pid, dict(params, format="folded", sample_type=0))
    assert r.status == 200, r.body[:300]
    return sorted(r.body.decode().splitlines())


def test_untransformed(client, pid):
    assert folded(client, pid) == ["a 1", "main.main;a;a 3", "main.main;a;b;a;c 5", "main.main;x 2"]


def test_collapse_recursion(client, pid):
    assert folded(client, pid, collapse_recursion=1) == [
        "a 1", "main.main;a 3", "main.main;a;b;c 5", "main.main;x 2"]
    assert folded(client, pid, collapse_recursion=0) == folded(client, pid)


def test_merge_function(client, pid):
    # the lone "a" stack has no frame left: it counts at the root, which
    # folded stacks cannot say (no line), but top's total keeps it
    assert folded(client, pid, merge_fn="^a$") == ["main.main 3", "main.main;b;c 5", "main.main;x 2"]
    top = client.get_json("/api/v1/profiles/%s/top" % pid, {"merge_fn": "^a$", "sample_type": 0, "limit": 0})
    assert top["total"] == 11
    assert {r["function"]: (r["flat"], r["cum"]) for r in top["rows"]} == {
        "main.main": (3, 10), "b": (0, 5), "c": (5, 5), "x": (2, 2)}


def test_top_flamegraph_and_export_agree(client, pid):
    for params in ({"collapse_recursion": 1}, {"merge_fn": "^(a|x)$"}, {"collapse_recursion": 1, "merge_fn": "^b$"}):
        q = dict(params, sample_type=0)
        top = client.get_json("/api/v1/profiles/%s/top" % pid, dict(q, limit=0))
        flat = collections.Counter()
        for line in folded(client, pid, **params):
            stack, v = line.rsplit(" ", 1)
            flat[stack.split(";")[-1]] += int(v)
        assert {r["function"]: r["flat"] for r in top["rows"] if r["flat"]} == dict(flat), params
        fg = client.get_json("/api/v1/profiles/%s/flamegraph" % pid, dict(q, max_nodes=0))
        assert fg["total"] == top["total"] == 11


def test_bad_transform_parameters(client, pid):
    for params, code in (({"collapse_recursion": "2"}, "bad_request"), ({"collapse_recursion": "yes"}, "bad_request"),
                         ({"merge_fn": "("}, "bad_regex"), ({"merge_fn": "a" * 5000}, "bad_regex")):
        r = client.get("/api/v1/profiles/%s/top" % pid, params)
        assert r.status == 400 and r.error_code() == code, (params, r.status, r.body[:200])
