"""Label shares of one whole: per key, /tags gives "labelled" (the samples
carrying the key, each once) and "unlabelled" (the rest of the view's
total, the total every flame-graph share is of), compared with go tool
pprof: labelled is what `-tagfocus=KEY=.*` keeps, the total is pprof's."""

import os

import pytest

import pproftool

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")

CASES = ["pyroscope/go.cpu.labels.pprof", "parca/labels.pb.gz"]


@pytest.mark.parametrize("rel", CASES)
def test_labelled_and_unlabelled_per_key(client, rel):
    path = os.path.join(DATA, rel)
    with open(path, "rb") as f:
        meta = client.upload_ok(f.read())
    tags = client.get_json("/api/v1/profiles/%s/tags" % meta["id"])
    flame = client.get_json("/api/v1/profiles/%s/flamegraph" % meta["id"])
    unit = tags["sample_type"]["unit"]
    full = pproftool.top(path, unit=unit)
    assert tags["total"] == flame["total"] == full.total
    keys = [t for t in tags["tags"] if not t["numeric"]]
    assert keys, "this profile has string labels"
    some_unlabelled = False
    for t in keys:
        kept = pproftool.top(path, unit=unit, filters=(("tagfocus", "%s=.*" % t["key"]),))
        assert t["labelled"] == kept.flatsum, t["key"]
        assert t["unlabelled"] == tags["total"] - t["labelled"], t["key"]
        assert t["labelled"] <= t["total"]
        some_unlabelled |= t["unlabelled"] > 0
    assert some_unlabelled, "a key some samples lack (the case the row is for)"


def test_a_sample_with_two_values_of_a_key_is_labelled_once(client):
    import pb
    data = pb.simple_profile({("main.main", "main.a"): [5, 50], ("main.main", "main.b"): [7, 70],
                              ("main.main", "main.c"): [11, 110]},
                             labels_by_stack={("main.main", "main.a"): [("k", "x"), ("k", "y")],
                                              ("main.main", "main.b"): [("k", "x")]})
    meta = client.upload_ok(data)
    t = client.get_json("/api/v1/profiles/%s/tags" % meta["id"], {"sample_type": "cpu"})
    k = next(x for x in t["tags"] if x["key"] == "k")
    assert k["total"] == 50 + 50 + 70  # pprof's: once per value
    assert k["labelled"] == 120 and k["unlabelled"] == 110 and t["total"] == 230
