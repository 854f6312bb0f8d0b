"""GET /api/v1/profiles/{id}/export: the view as pprof, folded stacks, SVG.

pprof: `go tool pprof -top` of the export equals `-top` of what
`go tool pprof -proto` writes with the same options (filters, tagroot,
show_from, ... and sample index).  Folded: every line is `a;b;c N`, the
values sum to the view's total and each function's flat is the sum of the
lines it ends.  SVG: well-formed XML with no script, names escaped
(hostile names in the test), and a bounded number of frames.  Bad
parameters are 400s.
"""

import collections
import gzip
import os
import re
import tempfile
import xml.etree.ElementTree as ET

import pytest

import catalog
import pb
import pproftool

CASES = [
    ("gen/cpu", 1, ()),
    ("gen/cpu", 0, ()),
    ("gen/cpu", 1, (("focus", r"^main\.fib$"),)),
    ("gen/cpu", 1, (("hide", r"^runtime"), ("tagfocus", "worker=alpha"))),
    ("gen/cpu", 1, (("show_from", r"^main\.handle"),)),
    ("gen/cpu", 1, (("prune_from", r"^main\.fib$"),)),
    ("gen/cpu", 1, (("tagroot", "endpoint"),)),
    ("gen/cpu", 1, (("tagleaf", "worker"), ("ignore", r"^main\.hashLoop$"))),
    ("gen/heap", 3, ()),
    ("gen/goroutine", 0, (("show", r"^(main|sync)\."),)),
    ("pyroscope/go.cpu.labels.pprof", 1, ()),
    ("apm-server/default.pgo", 1, (("focus", r"^github\.com/"),)),
]
IDS = ["%s#%d:%s" % (p, i, "&".join("%s=%s" % kv for kv in f)) for p, i, f in CASES]


def _uploaded(uploads, pid):
    r, _ = uploads.get(pid)
    assert r.status == 201, r.body[:300]
    return r.json()["id"]


def _export(client, id_, fmt, params=None, expect=200):
    q = dict(params or {})
    q["format"] = fmt
    r = client.get("/api/v1/profiles/%s/export" % id_, q)
    assert r.status == expect, (r.status, r.body[:300])
    return r


@pytest.mark.parametrize("pid,idx,filters", CASES, ids=IDS)
def test_pprof_export_reads_back_as_pprof_proto(client, uploads, profile_path, pid, idx, filters, tmp_path):
    if not pid.startswith("gen/") and not os.path.isfile(profile_path(pid)):
        pytest.skip("corpus file %s not present" % pid)
    id_ = _uploaded(uploads, pid)
    path = profile_path(pid)
    unit = catalog.decoded(path).sample_types[idx][1]
    params = dict(filters)
    params["sample_type"] = idx
    r = _export(client, id_, "pprof", params)
    assert r.headers["content-type"] == "application/octet-stream"
    assert ".pb.gz" in r.headers.get("content-disposition", "")
    assert r.body[:2] == b"\x1f\x8b", "not gzipped"
    mine = tmp_path / "export.pb.gz"
    mine.write_bytes(r.body)
    ref = tmp_path / "ref.pb.gz"
    args = ["-proto", "-output=%s" % ref, "-sample_index=%d" % idx]
    args += ["-%s=%s" % kv for kv in filters]
    pproftool.run_pprof(args, path)
    got = pproftool.top(str(mine), None, unit)
    # pprof -proto keeps every sample type; -top picks the same one
    want = pproftool.top(str(ref), idx, unit)
    assert got.total == want.total
    g, gd = pproftool.top_by_name(got)
    w, wd = pproftool.top_by_name(want)
    assert not gd and not wd
    assert g == w, "rows differ: %r" % sorted(set(g.items()) ^ set(w.items()))[:10]
    assert len(g) > 0 or "no.such" in str(filters)


LINE = re.compile(r"^(\S.*) (-?\d+)$")


@pytest.mark.parametrize("pid,idx,filters", CASES[:8], ids=IDS[:8])
def test_folded_export(client, uploads, profile_path, pid, idx, filters):
    id_ = _uploaded(uploads, pid)
    params = dict(filters)
    params["sample_type"] = idx
    r = _export(client, id_, "folded", params)
    assert r.headers["content-type"].startswith("text/plain")
    text = r.body.decode("utf-8")
    assert text.endswith("\n") and text.strip()
    flat = collections.Counter()
    stacks = set()
    total = 0
    for line in text.splitlines():
        m = LINE.match(line)
        assert m, "not a folded line: %r" % line[:200]
        frames = m.group(1).split(";")
        assert all(frames), line[:200]
        assert m.group(1) not in stacks, "stack written twice: %r" % line[:200]
        stacks.add(m.group(1))
        v = int(m.group(2))
        flat[frames[-1]] += v
        total += abs(v)
    top = client.get_json("/api/v1/profiles/%s/top" % id_, dict(params, limit=0))
    # samples without a stack have no folded line
    assert total <= top["total"]
    for row in top["rows"]:
        assert flat.get(row["function"], 0) == row["flat"], row


def test_folded_escapes_separators(client, upload):
    data = pb.simple_profile({("main.main", "a;b", "c\nd"): [3, 30], ("main.main",): [1, 10]})
    id_ = upload(data, name="folded-hostile")["id"]
    text = _export(client, id_, "folded", {"sample_type": 0}).body.decode()
    assert sorted(text.splitlines()) == ["main.main 1", "main.main;a:b;c d 3"]


HOSTILE = ['<script>alert(1)</script>', 'a&b"c\'d', ']]><!--', "\u202eevil", "x" * 3000]


def test_svg_export_is_standalone_and_escaped(client, upload):
    b = pb.Builder()
    b.sample_type("samples", "count")
    b.mapping(1)
    names = ["main.main"] + HOSTILE + [b"bad\xffutf8\x01"]
    for i, n in enumerate(names, 1):
        b.function(i, n, filename="x.go")
        b.location(i, [(i, 1)], mapping_id=1)
    for i in range(2, len(names) + 1):
        b.sample([i, 1], [i * 100])
    id_ = upload(b.encode(gzipped=True), name="svg-hostile")["id"]
    r = _export(client, id_, "svg", {})
    assert r.headers["content-type"] == "image/svg+xml"
    root = ET.fromstring(r.body)  # well-formed, whatever the names
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == ns + "svg"
    tags = {el.tag for el in root.iter()}
    assert ns + "script" not in tags and ns + "foreignObject" not in tags
    assert b"<script" not in r.body and b"href" not in r.body
    titles = [el.text for el in root.iter(ns + "title")]
    assert any(t.startswith("<script>alert(1)</script> (") for t in titles), titles
    assert any(t.startswith("a&b\"c'd (") for t in titles)
    assert any(t.startswith("bad?utf8? (") for t in titles), titles
    rects = [el for el in root.iter(ns + "rect") if el.get("class") != "bg"]
    assert len(rects) == len(names)  # main.main and its callees; the root is not drawn


def test_svg_frames_are_capped(client, uploads, profile_path):
    pid = "apm-server/default.pgo"
    if not os.path.isfile(profile_path(pid)):
        pytest.skip("corpus file missing")
    id_ = _uploaded(uploads, pid)
    r = _export(client, id_, "svg", {})
    root = ET.fromstring(r.body)
    n = sum(1 for el in root.iter("{http://www.w3.org/2000/svg}rect") if el.get("class") != "bg")
    assert 0 < n <= 5000


def test_export_errors(client, uploads):
    id_ = _uploaded(uploads, "gen/cpu")
    for params in ({}, {"format": "png"}, {"format": "PPROF"}, {"format": "x" * 10000}):
        r = client.get("/api/v1/profiles/%s/export" % id_, params)
        assert r.status == 400 and r.error_code() == "bad_request", (params, r.status, r.body[:200])
    r = client.get("/api/v1/profiles/%s/export" % id_, {"format": "folded", "focus": "("})
    assert r.status == 400 and r.error_code() == "bad_regex"
    r = client.get("/api/v1/profiles/%s/export" % id_, {"format": "svg", "tagroot": "nope"})
    assert r.status == 400 and r.error_code() == "unknown_label"
    r = client.get("/api/v1/profiles/%s/export" % id_, {"format": "svg", "sample_type": "nope"})
    assert r.status == 400 and r.error_code() == "unknown_sample_type"
    r = client.get("/api/v1/profiles/notaprofile0000/export", {"format": "pprof"})
    assert r.status == 404


def _folded_lines(client, id_, params):
    out = []
    for line in _export(client, id_, "folded", params).body.decode("utf-8").splitlines():
        m = LINE.match(line)
        assert m, line[:200]
        out.append((tuple(m.group(1).split(";")), int(m.group(2))))
    return out


def _zoom_param(frames):
    """The profile page's zoom (web/js/urlstate.js joinPath): ';' between names, '\\' escaping."""
    return ";".join(f.replace("\\", "\\\\").replace(";", "\\;") for f in frames)


@pytest.mark.parametrize("gran", ["functions", "lines"])
def test_zoomed_export_is_the_frames_subtree(client, uploads, gran, tmp_path):
    """zoom= (the page's zoom path) exports the zoomed frame's stacks alone,
    with the frames above it: pprof reads the zoomed profile back with those
    stacks' flat and cum, the SVG's total is theirs, and a path the view has
    not (past its first name) is cut where it stops matching, as the page does."""
    id_ = _uploaded(uploads, "gen/cpu")
    base = {"sample_type": 1}
    if gran != "functions":
        base["granularity"] = gran
    full = _folded_lines(client, id_, base)
    # the frame: the heaviest two-frame prefix of the stacks deeper than it
    weight = collections.Counter()
    for frames, v in full:
        if len(frames) > 2:
            weight[frames[:2]] += abs(v)
    prefix = weight.most_common(1)[0][0]
    want = [(f, v) for f, v in full if f[:2] == prefix]
    assert 0 < len(want) < len(full)
    zoom = _zoom_param(prefix)
    assert _folded_lines(client, id_, dict(base, zoom=zoom)) == want
    # a name the view has not ends the path: the zoom is the frame above it
    one = [(f, v) for f, v in full if f[:1] == prefix[:1]]
    assert _folded_lines(client, id_, dict(base, zoom=_zoom_param(prefix[:1] + ("no.such.frame",) + prefix[1:]))) == one
    assert _folded_lines(client, id_, dict(base, zoom="no.such.frame")) == full

    total = sum(abs(v) for _, v in want)
    flat, cum = collections.Counter(), collections.Counter()
    for frames, v in want:
        flat[frames[-1]] += v
        for name in set(frames):
            cum[name] += v
    mine = tmp_path / "zoomed.pb.gz"
    mine.write_bytes(_export(client, id_, "pprof", dict(base, zoom=zoom)).body)
    rep = pproftool.top(str(mine), None, "nanoseconds")
    assert rep.total == total
    got, dups = pproftool.top_by_name(rep)
    assert not dups
    assert got == {n: (flat.get(n, 0), c) for n, c in cum.items()}
    svg = _export(client, id_, "svg", dict(base, zoom=zoom)).body.decode("utf-8")
    assert ", total %d" % total in svg
