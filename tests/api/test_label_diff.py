"""Diffs of label slices: base_tagfocus / base_tagignore / target_tagfocus /
target_tagignore give each side of /diff its own label filters, so one
label value is compared with another, or with the rest, of the same
profile.  Each side's numbers are `go tool pprof -top -tagfocus=...` of
that slice.
"""

import pytest

import catalog
import pproftool

A, B = "endpoint=^/api/a$", "endpoint=^/api/b$"


def _uploaded(uploads, pid):
    r, _ = uploads.get(pid)
    assert r.status == 201, r.body[:300]
    return r.json()["id"]


def _side(path, idx, unit, filters):
    rep = pproftool.top(path, idx, unit, filters, relative=True)
    rows, dups = pproftool.top_by_name(rep)
    assert not dups
    return rep.total, rows


@pytest.mark.parametrize("base,target", [
    ((("tagfocus", A),), (("tagfocus", B),)),
    ((("tagignore", A),), (("tagfocus", A),)),  # one value against the rest
])
def test_label_value_diff_matches_pprof_per_side(client, uploads, profile_path, base, target):
    id_ = _uploaded(uploads, "gen/cpu")
    path = profile_path("gen/cpu")
    idx = 1
    unit = catalog.decoded(path).sample_types[idx][1]
    params = {"base": id_, "target": id_, "sample_type": idx, "limit": 0}
    for k, v in base:
        params["base_" + k] = v
    for k, v in target:
        params["target_" + k] = v
    j = client.get_json("/api/v1/diff/top", params)
    bt, brows = _side(path, idx, unit, base)
    tt, trows = _side(path, idx, unit, target)
    assert (j["base_total"], j["target_total"]) == (bt, tt)
    assert bt > 0 and tt > 0 and bt != tt
    got_b = {r["function"]: (r["base_flat"], r["base_cum"]) for r in j["rows"] if r["base_cum"] or r["base_flat"]}
    got_t = {r["function"]: (r["target_flat"], r["target_cum"]) for r in j["rows"] if r["target_cum"] or r["target_flat"]}
    assert got_b == brows
    assert got_t == trows
    # the flame-graph diff has the same totals
    params.pop("limit")
    tree = client.get_json("/api/v1/diff", params)
    assert (tree["base_total"], tree["target_total"]) == (bt, tt)


def test_side_filter_replaces_the_shared_one(client, uploads):
    id_ = _uploaded(uploads, "gen/cpu")
    q = {"base": id_, "target": id_, "sample_type": 1, "tagfocus": A, "target_tagfocus": B}
    j = client.get_json("/api/v1/diff/top", q)
    a = client.get_json("/api/v1/profiles/%s/top" % id_, {"sample_type": 1, "tagfocus": A})
    b = client.get_json("/api/v1/profiles/%s/top" % id_, {"sample_type": 1, "tagfocus": B})
    assert (j["base_total"], j["target_total"]) == (a["total"], b["total"])


def test_label_diff_errors(client, uploads):
    id_ = _uploaded(uploads, "gen/cpu")
    base = {"base": id_, "target": id_}
    for extra, code in (({"base_tagfocus": "nosuchkey=x"}, "unknown_label"),
                        ({"target_tagignore": "nosuchkey=x"}, "unknown_label"),
                        ({"target_tagfocus": "endpoint=("}, "bad_regex"),
                        ({"base_tagfocus": "endpoint=" + "a" * 5000}, "bad_regex")):
        r = client.get("/api/v1/diff", dict(base, **extra))
        assert r.status == 400 and r.error_code() == code, (extra, r.status, r.body[:200])
