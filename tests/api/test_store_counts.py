"""The store's counters and name index (schema/008): the list's total,
the label filter's total, /api/v1/labels and q= stay equal to what the
rows say through uploads, label edits (duplicate keys included), renames
and deletes. The truth is recounted here from the full list."""

import os
import sys
import urllib.parse

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from client import Client  # noqa: E402
from flamedex_server import Server  # noqa: E402

CPU = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "agent-insight", "cpu.pb.gz")
HEAP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "agent-insight", "heap.pb.gz")


@pytest.fixture(scope="module")
def c():
    s = Server().start()
    yield Client(s.url)
    problem = s.stop()
    if problem:
        pytest.fail(problem)


def everything(c):
    j = c.get_json("/api/v1/profiles?limit=1000")
    assert j["total"] == len(j["profiles"])
    return j["profiles"]


def check(c):
    profs = everything(c)
    # label filter totals, per kind too
    want = {}
    for p in profs:
        for k, v in p["labels"].items():
            want.setdefault((k, v), {}).setdefault(p["kind"], 0)
            want[(k, v)][p["kind"]] += 1
    for (k, v), kinds in want.items():
        j = c.get_json("/api/v1/profiles?" + urllib.parse.urlencode({"label": "%s:%s" % (k, v)}))
        assert j["total"] == sum(kinds.values()) == len(j["profiles"])
        for kind, n in kinds.items():
            j = c.get_json("/api/v1/profiles?" + urllib.parse.urlencode({"label": "%s:%s" % (k, v), "type": kind}))
            assert j["total"] == n
        lab = c.get_json("/api/v1/labels?key=" + urllib.parse.quote(k))
        (row,) = [x for x in lab["values"] if x["value"] == v]
        assert row["kinds"] == kinds and row["profiles"] == sum(kinds.values())
    keys = c.get_json("/api/v1/labels")["keys"]
    assert sorted(x["key"] for x in keys) == sorted({k for k, _ in want})
    for x in keys:
        assert x["values"] == len({v for k, v in want if k == x["key"]})
        assert x["profiles"] == sum(sum(kinds.values()) for (k, _v), kinds in want.items() if k == x["key"])
    for kind in {p["kind"] for p in profs}:
        assert c.get_json("/api/v1/profiles?type=" + kind)["total"] == sum(p["kind"] == kind for p in profs)
    # q=: the same answer as a substring search, short and long, quotes too
    for q in ("a", "Al", "alpha", "ALPHA-2", 'qu"ote', "zzzz", "ph"):
        j = c.get_json("/api/v1/profiles?" + urllib.parse.urlencode({"q": q, "limit": 1000}))
        want_ids = [p["id"] for p in profs if q.lower() in p["name"].lower()]
        assert [p["id"] for p in j["profiles"]] == want_ids, q
        assert j["total"] == len(want_ids)


def test_counters_follow_every_write(c):
    with open(CPU, "rb") as f:
        cpu = f.read()
    with open(HEAP, "rb") as f:
        heap = f.read()
    ids = []
    for i, (data, name, labels) in enumerate([
            (cpu, "alpha-1", "service:a,zone:x"), (cpu, "Alpha-2", "service:a"), (heap, "beta", "service:a,zone:y"),
            (heap, 'qu"ote alpha', "service:b"), (cpu, "gamma", ""), (cpu, "dup", "k:1,k:2")]):
        params = {"name": name}
        if labels:
            params["labels"] = labels
        r = c.upload(data, params)
        assert r.status in (201, 400), r.body
        if r.status == 201:
            ids.append(r.json()["id"])
    check(c)
    # relabel (replace the labels), rename, delete
    r = c.request("PATCH", "/api/v1/profiles/" + ids[0], body=b'{"labels": {"service": "b"}, "name": "renamed"}',
                  headers={"Content-Type": "application/json"})
    assert r.status == 200, r.body
    check(c)
    assert c.request("DELETE", "/api/v1/profiles/" + ids[2]).status == 204
    check(c)
    for i in ids[3:]:
        assert c.request("DELETE", "/api/v1/profiles/" + i).status == 204
    check(c)
