"""Import of folded stacks (import_folded.h): sniffed in the one sniffer,
converted to the same model.  pprofutils' folded.in.txt against its own
pprof conversion folded.in.pprof (go tool pprof -top of that); a perf
collapsed file against the counts it says; flamedex's folded export read
back; bad input 400 with nothing stored.
"""

import collections
import os

import pytest

import catalog
import checks
import pproftool

CORPUS = catalog.CORPUS


def _need(rel):
    p = os.path.join(CORPUS, rel)
    if not os.path.isfile(p):
        pytest.fail("corpus file %s missing" % rel)
    return p


def test_folded_equals_its_pprof_conversion(client):
    txt = _need("pprofutils/folded.in.txt")
    ref = _need("pprofutils/folded.in.pprof")
    with open(txt, "rb") as f:
        meta = client.upload_ok(f.read(), {"name": "folded.in.txt"})
    assert meta["sample_types"] == [{"type": "samples", "unit": "count"}]
    rep = pproftool.top(ref, 0, "count")
    j = client.get_json("/api/v1/profiles/%s/top" % meta["id"], {"limit": 0})
    checks.compare_top(j, rep, "folded.in.txt")
    fg = client.get_json("/api/v1/profiles/%s/flamegraph" % meta["id"], {"max_nodes": 0})
    checks.compare_flamegraph(fg, rep, "folded.in.txt")


def _folded_counts(text):
    flat, total = collections.Counter(), 0
    for line in text.splitlines():
        if not line.strip():
            continue
        stack, n = line.rstrip().rsplit(None, 1)
        flat[stack.rstrip().rstrip(";").split(";")[-1]] += int(n)
        total += int(n)
    return flat, total


def test_perf_collapsed_file(client):
    path = _need("speedscope/perf-vertx-stacks-01-collapsed-all.txt")
    with open(path, "rb") as f:
        data = f.read()
    meta = client.upload_ok(data, {"name": "perf collapsed"})
    flat, total = _folded_counts(data.decode("utf-8", "replace"))
    j = client.get_json("/api/v1/profiles/%s/top" % meta["id"], {"limit": 0})
    assert j["total"] == total > 0
    assert {r["function"]: r["flat"] for r in j["rows"] if r["flat"]} == {k: v for k, v in flat.items() if v}


def test_folded_export_reads_back(client, uploads, profile_path):
    r, _ = uploads.get("gen/cpu")
    id_ = r.json()["id"]
    text = client.get("/api/v1/profiles/%s/export" % id_, {"format": "folded", "sample_type": 1}).body
    meta = client.upload_ok(text, {"name": "cpu.folded"})
    orig = client.get_json("/api/v1/profiles/%s/top" % id_, {"sample_type": 1, "limit": 0})
    back = client.get_json("/api/v1/profiles/%s/top" % meta["id"], {"limit": 0})
    assert back["total"] == orig["total"]
    assert {r["function"]: (r["flat"], r["cum"]) for r in back["rows"]} == \
        {r["function"]: (r["flat"], r["cum"]) for r in orig["rows"]}


BAD = [
    (b"main;a 1\nmain;b x\n", "line 2"),
    (b"main;a 1\nmain;;b 2\n", "empty frame"),
    (b"main;a 1\nmain;b 1234567890123456789\n", "18 digits"),
    (b"main;a 1\n" + b";".join([b"f"] * 5000) + b" 1\n", "deeper"),
    (b"main;a 1\n" + b"x" * (1 << 20) + b";y 1\n", "longer"),
]


@pytest.mark.parametrize("body,what", BAD, ids=[w for _, w in BAD])
def test_bad_folded_is_400_and_stores_nothing(client, body, what):
    before = client.list_total()
    r = client.upload(body)
    assert r.status == 400 and r.error_code() == "bad_profile", (r.status, r.body[:200])
    assert what in r.json()["error"]["message"], r.body[:300]
    assert client.list_total() == before
    assert client.healthy()
