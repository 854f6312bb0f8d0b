"""/api/v1/profiles/{id}/peek against `go tool pprof -peek RE`.

pprof prints, for each node whose name matches RE (in flat order), its
callers and callees with the edge weights, flat, running flat sum and cum;
the test parses that text (exact integers with -unit=<sample unit>) and
requires the same entries, in the same order, with the same numbers and
inline marks. (-list: test_list.py.)
"""

import re

import pytest

import catalog
import pproftool

SEP = "----------------------------------------------------------+-------------"
EDGE = re.compile(r"^\s*(\S+) +(\S+%|\S+%) \|   (.*?)( \(inline\))?$")
NODE = re.compile(r"^\s*(\S+) +(\S+%) +(\S+%) +(\S+) +(\S+%) +\| (.*)$")


def parse_peek(text, suffix):
    """[{"function","flat","flat_sum","cum","callers":[(name, w, inline)],"callees":[...]}]"""
    lines = text.splitlines()
    out = []
    i = lines.index(SEP) + 2  # legend, then the column header and a separator
    assert lines[i] == SEP, lines[i - 2:i + 1]
    cur = None
    for ln in lines[i:]:
        if ln == SEP:
            if cur:
                out.append(cur)
            cur = {"callers": [], "callees": [], "function": None}
            continue
        if cur is None:
            continue
        m = NODE.match(ln)
        if m and cur["function"] is None and not ln.startswith(" " * 40):
            cur["function"] = m.group(6)
            cur["flat"] = pproftool.parse_value(m.group(1), suffix)
            cur["flat_sum"] = None  # printed as a share only
            cur["cum"] = pproftool.parse_value(m.group(4), suffix)
            continue
        m = EDGE.match(ln)
        assert m, ln
        e = (m.group(3), pproftool.parse_value(m.group(1), suffix), bool(m.group(4)))
        (cur["callees"] if cur["function"] else cur["callers"]).append(e)
    if cur and cur["function"]:
        out.append(cur)
    return out


CASES = [
    ("parca/labels.pb.gz", "mallocgc|newobject"),
    ("parca/labels.pb.gz", "^runtime\\."),
    ("apm-server/default.pgo", "json|Marshal"),
    ("go/inline_hot.pprof", "."),
    ("go/devirt.pprof", "Multiply"),
    ("pyroscope/go.cpu.labels.pprof", "."),
    ("gen/cpu", "main\\."),
    ("gen/heap", "."),
]


@pytest.mark.parametrize("pid,rx", CASES)
def test_peek_equals_pprof(client, uploads, profile_path, pid, rx):
    r, _ = uploads.get(pid)
    assert r.status == 201, r
    path = profile_path(pid)
    prof = catalog.decoded(path)
    unit = prof.sample_types[prof.default_index()][1]
    flags, suffix = pproftool.unit_args(unit)
    want = parse_peek(pproftool.run_pprof(["-peek", rx] + flags, path), suffix)
    assert want, "pprof printed no entry"
    got = client.get_json("/api/v1/profiles/%s/peek" % r.json()["id"], {"re": rx})
    entries = got["entries"]
    assert [e["function"] for e in entries] == [w["function"] for w in want]
    flat_sum = 0
    for e, w in zip(entries, want):
        assert (e["flat"], e["cum"]) == (w["flat"], w["cum"]), e["function"]
        flat_sum += w["flat"]
        assert e["flat_sum"] == flat_sum
        assert [(c["function"], c["weight"], c["inline"]) for c in e["callers"]] == w["callers"], e["function"]
        assert [(c["function"], c["weight"], c["inline"]) for c in e["callees"]] == w["callees"], e["function"]


def test_peek_no_match_like_pprof(client, uploads, profile_path):
    """pprof: "no matches found for regexp" (inuse_space of req_5 is all
    zero, so no node is in the graph); the server: 404."""
    pid = "pyroscope/req_5.pprof"
    r, _ = uploads.get(pid)
    with pytest.raises(RuntimeError, match="no matches found"):
        pproftool.run_pprof(["-peek", "flate", "-unit=bytes"], profile_path(pid))
    resp = client.get("/api/v1/profiles/%s/peek" % r.json()["id"], {"re": "flate"})
    assert resp.status == 404 and resp.error_code() == "not_found"
    ok = client.get("/api/v1/profiles/%s/peek" % r.json()["id"], {"re": "flate", "sample_type": "alloc_space"})
    assert ok.status == 200 and ok.json()["entries"]


@pytest.mark.parametrize("gran", ["lines", "addresses"])
def test_peek_granularity(client, uploads, profile_path, gran):
    pid = "go/devirt.pprof"
    r, _ = uploads.get(pid)
    path = profile_path(pid)
    flags, suffix = pproftool.unit_args("nanoseconds")
    want = parse_peek(pproftool.run_pprof(["-peek", "Multiply", "-" + gran] + flags, path), suffix)
    got = client.get_json("/api/v1/profiles/%s/peek" % r.json()["id"],
                          {"re": "Multiply", "granularity": gran})
    assert [e["function"] for e in got["entries"]] == [w["function"] for w in want]
    assert any(":" in e["function"] for e in got["entries"])
    for e, w in zip(got["entries"], want):
        assert (e["flat"], e["cum"]) == (w["flat"], w["cum"]), e["function"]
        assert [(c["function"], c["weight"]) for c in e["callers"]] == [(a, b) for a, b, _ in w["callers"]]
        assert [(c["function"], c["weight"]) for c in e["callees"]] == [(a, b) for a, b, _ in w["callees"]]


def test_peek_errors(client, uploads):
    r, _ = uploads.get("parca/labels.pb.gz")
    pid = r.json()["id"]
    for q, status, code in [({}, 400, "bad_request"), ({"re": "("}, 400, "bad_regex"),
                            ({"re": "^no_such_function$"}, 404, "not_found"),
                            ({"re": "x", "granularity": "nope"}, 400, "bad_granularity")]:
        resp = client.get("/api/v1/profiles/%s/peek" % pid, q)
        assert resp.status == status, (q, resp)
        assert resp.error_code() == code
