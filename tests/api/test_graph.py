"""/api/v1/profiles/{id}/graph against `go tool pprof -dot`.

pprof writes values in its auto-scaled unit; with -unit=<the sample
type's unit> (pproftool.unit_args) it writes exact integers, and that is
the DOT the server writes. For every proto profile of the corpus and every
generated profile (default sample type, pprof's -dot defaults), every node
line (N1.. in pprof's order: label, font size, colours, tooltip) and every
edge line (weight, inline, residual, width, colour, tooltips) must be the
same bytes, and so must the legend's "Showing ..."/"Dropped ..." lines.
The only difference allowed: pprof draws label nodelets (N1_0 ...); the
server does not (edges out of such a node keep pprof's minlen=2).
Then other settings (nodefraction, edgefraction, nodecount, granularity,
filters) on a few profiles, random generated profiles (recursion,
inlining, labels, hidden frames), the JSON and SVG forms, hostile names,
and bad parameters.
"""

import random
import re
import subprocess
import tempfile
import xml.etree.ElementTree as ET

import pytest

import catalog
import pb
import pproftool

PROFILE_IDS = [pid for pid, st in catalog.ALL_PROFILES if st]

LINE = re.compile(r"^(N\d+)(?: -> (N\d+))? \[")
NODELET = re.compile(r"^N\d+(?: -> N\d+)?_\d+ |^N\d+ -> N\d+_\d+ ")


def parse_dot(text):
    """(node lines, edge lines, legend lines) of a DOT text."""
    nodes, edges, legend = [], [], []
    for ln in text.splitlines():
        if ln.startswith("subgraph cluster_L"):
            m = re.search(r'label="((?:[^"\\]|\\.)*)\\l"', ln)
            assert m, ln
            legend = m.group(1).split("\\l")
            continue
        if NODELET.match(ln):
            continue
        m = LINE.match(ln)
        if not m:
            continue
        if m.group(2):
            edges.append(ln)
        else:
            nodes.append(ln)
    return nodes, edges, legend


def pprof_dot(path, unit, args=()):
    flags, _ = pproftool.unit_args(unit)
    return pproftool.run_pprof(["-dot"] + flags + list(args), path)


def server_dot(client, pid, params):
    r = client.get("/api/v1/profiles/%s/graph" % pid, dict(params, format="dot"))
    assert r.status == 200, r
    assert r.headers.get("content-type", "").startswith("text/vnd.graphviz")
    return r.body.decode("utf-8", "surrogateescape")


def showing(legend):
    return [ln for ln in legend if ln.startswith(("Showing ", "Dropped "))]


TOOLTIP = re.compile(r'tooltip="((?:[^"\\]|\\.)*)"')
WEIGHT = re.compile(r'label=" (\S+?)(?:\\n \(inline\))?"')


def graph_set(nodes, edges):
    """{tooltip} of the nodes, {(tooltip, label, residual)} of the edges."""
    ns = {TOOLTIP.search(n).group(1) for n in nodes}
    es = {(TOOLTIP.search(e).group(1), WEIGHT.search(e).group(0), 'style="dotted"' in e) for e in edges}
    return ns, es


def has_negative(path):
    return any(v < 0 for s in catalog.decoded(path).samples for v in s[1])


def assert_same_dot(want, got, what, exact_order=True):
    wn, we, wl = parse_dot(want)
    gn, ge, gl = parse_dot(got)
    if not exact_order:
        # values that cancel out (diff profiles): pprof's orders compare
        # |weight| after comparing signed weights, and Go's unstable sort
        # then decides; the nodes and edges are the same, not their order.
        assert graph_set(gn, ge) == graph_set(wn, we), "%s: graphs differ" % what
        assert showing(gl) == showing(wl), "%s: legend differs" % what
        return wn, we
    assert gn == wn, "%s: node lines differ" % what
    assert ge == we, "%s: edge lines differ" % what
    assert showing(gl) == showing(wl), "%s: legend differs" % what
    return wn, we


def upload_id(uploads, pid):
    r, _ = uploads.get(pid)
    assert r.status == 201, r
    return r.json()["id"]


def default_unit(prof):
    return prof.sample_types[prof.default_index()][1]


@pytest.mark.parametrize("pid", PROFILE_IDS)
def test_dot_equals_pprof(client, uploads, profile_path, pid):
    pid_ = upload_id(uploads, pid)
    path = profile_path(pid)
    want = pprof_dot(path, default_unit(catalog.decoded(path)))
    got = server_dot(client, pid_, {})
    assert_same_dot(want, got, pid, not has_negative(path))


def test_the_corpus_is_not_trivial(client, uploads, profile_path):
    """The comparison above ran over graphs with trimmed nodes, residual
    and inline edges, and a nodecount cut: it could have failed."""
    seen = {"residual": 0, "inline": 0, "dropped": 0, "top": 0}
    for pid in PROFILE_IDS:
        got = server_dot(client, upload_id(uploads, pid), {})
        _n, edges, legend = parse_dot(got)
        seen["residual"] += sum('style="dotted"' in e for e in edges)
        seen["inline"] += sum("(inline)" in e for e in edges)
        seen["dropped"] += any(ln.startswith("Dropped") for ln in legend)
        seen["top"] += any(ln.startswith("Showing top") for ln in legend)
    assert all(v > 0 for v in seen.values()), seen


SETTINGS = [
    {"nodecount": 30, "nodefraction": 0.01, "edgefraction": 0.02},
    {"nodecount": 200, "nodefraction": 0, "edgefraction": 0},
    {"nodecount": 5},
    {"granularity": "lines"},
    {"granularity": "filefunctions"},
    {"granularity": "addresses"},
    {"focus": "runtime", "hide": "mallocgc"},
    {"ignore": "runtime\\.", "nodecount": 20},
]
# (not diff profiles: when values cancel out, pprof's node order, and so
# the nodes nodecount keeps, depend on Go's unstable sort; see
# test_dot_equals_pprof for what holds there)
SETTINGS_PROFILES = ["apm-server/default.pgo", "parca/labels.pb.gz", "go/devirt.pprof",
                     "pyroscope/req_5.pprof", "gen/heap"]


def pprof_args(params):
    out = []
    for k, v in params.items():
        if k == "granularity":
            out.append("-" + v)
        else:
            out.append("-%s=%s" % (k, v))
    return out


@pytest.mark.parametrize("pid", SETTINGS_PROFILES)
@pytest.mark.parametrize("params", SETTINGS, ids=lambda p: ",".join("%s=%s" % kv for kv in p.items()))
def test_dot_settings_equal_pprof(client, uploads, profile_path, pid, params):
    if not pid.startswith("gen/") and pid not in [p for p, _ in catalog.PROTO]:
        pytest.fail("%s is not in the corpus" % pid)
    path = profile_path(pid)
    want = pprof_dot(path, default_unit(catalog.decoded(path)), pprof_args(params))
    got = server_dot(client, upload_id(uploads, pid), params)
    assert_same_dot(want, got, "%s %s" % (pid, params), not has_negative(path))


def random_profile(seed):
    """A profile with recursion, inlined frames (locations of several
    lines), shared callees, string labels and bytes labels."""
    rng = random.Random(seed)
    b = pb.Builder()
    b.sample_type("alloc_space", "bytes")
    b.mapping(1)
    nf = rng.randint(6, 40)
    for f in range(1, nf + 1):
        b.function(f, "github.com/x/p%d/v2.F%d" % (f % 3, f) if f % 4 else "main.f%d" % f,
                   filename="/src/p%d/f.go" % (f % 5), start_line=0)
    nl = rng.randint(nf, nf * 2)
    for loc in range(1, nl + 1):
        k = 1 if rng.random() < 0.7 else rng.randint(2, 3)
        lines = [(rng.randint(1, nf), rng.randint(1, 60)) for _ in range(k)]
        b.location(loc, lines, mapping_id=1, address=0x1000 + loc)
    for _ in range(rng.randint(20, 300)):
        depth = rng.randint(1, 12)
        stack = [rng.randint(1, nl) for _ in range(depth)]
        labels = [("endpoint", rng.choice(["/a", "/b"]))] if rng.random() < 0.4 else []
        nums = [("bytes", rng.choice([16, 32, 1024, 4096]), None)] if rng.random() < 0.5 else []
        b.sample(stack, [rng.randint(1, 10) ** rng.randint(1, 6)], labels=labels, num_labels=nums)
    return b.encode(gzipped=True)


@pytest.mark.parametrize("seed", range(12))
def test_dot_random_profiles(client, upload, seed):
    data = random_profile(seed)
    with tempfile.NamedTemporaryFile(suffix=".pb.gz") as f:
        f.write(data)
        f.flush()
        pid = upload(data)["id"]
        for params in ({}, {"nodecount": 8}, {"granularity": "lines", "nodecount": 12},
                       {"granularity": "addresses", "nodecount": 12},
                       {"hide": "F1$", "nodefraction": 0.05}):
            want = pprof_dot(f.name, "bytes", pprof_args(params))
            got = server_dot(client, pid, params)
            assert_same_dot(want, got, "seed %d %s" % (seed, params))


def test_json_is_the_dot_graph(client, uploads):
    pid = upload_id(uploads, "parca/labels.pb.gz")
    j = client.get_json("/api/v1/profiles/%s/graph" % pid, {"format": "json"})
    dot = server_dot(client, pid, {})
    nodes, edges, _ = parse_dot(dot)
    assert len(j["nodes"]) == len(nodes) > 10
    assert len(j["edges"]) == len(edges)
    for n, ln in zip(j["nodes"], nodes):
        assert ln.startswith("N%d " % n["id"])
        assert ('tooltip="%s (%dns)"' % (n["name"], n["cum"])) in ln
    for e, ln in zip(j["edges"], edges):
        assert ln.startswith("N%d -> N%d " % (e["src"], e["dst"]))
        assert ('label=" %dns' % e["weight"]) in ln
        assert e["residual"] == ('style="dotted"' in ln)
        assert e["inline"] == ("(inline)" in ln)
    assert j["total"] == 1730000000


def test_svg_is_graphviz_layout(client, uploads):
    pid = upload_id(uploads, "parca/labels.pb.gz")
    r = client.get("/api/v1/profiles/%s/graph" % pid, {"format": "svg"})
    assert r.status == 200, r
    assert r.headers.get("content-type") == "image/svg+xml"
    root = ET.fromstring(r.body)
    ns = {"s": "http://www.w3.org/2000/svg"}
    gs = root.findall(".//s:g[@class='node']", ns)
    dot_nodes, dot_edges, _ = parse_dot(server_dot(client, pid, {}))
    titles = [g.find("s:title", ns).text for g in gs]
    assert sorted(t for t in titles if re.match(r"N\d+$", t)) == sorted("N%d" % (i + 1) for i in range(len(dot_nodes)))
    assert len(root.findall(".//s:g[@class='edge']", ns)) == len(dot_edges)
    # default format is svg
    r2 = client.get("/api/v1/profiles/%s/graph" % pid)
    assert r2.status == 200 and r2.body == r.body


HOSTILE = ['main.q"uote', "main.back\\slash", "main.<script>alert(1)</script>", "main.new\nline",
           "main.amp&ersand", "main.brace}{[", "main.\u00e9\u4e16"]


def test_hostile_names_are_escaped(client, upload):
    stacks = {("main.main", h): [1, 10] for h in HOSTILE}
    stacks[("main.main",) + tuple(HOSTILE)] = [1, 7]
    pid = upload(pb.simple_profile(stacks))["id"]
    dot = server_dot(client, pid, {"nodefraction": 0, "edgefraction": 0})
    nodes, edges, _ = parse_dot(dot)
    assert len(nodes) == len(HOSTILE) + 1
    for ln in nodes + edges:
        # every quote inside an attribute is escaped: the attributes parse
        body = ln[ln.index("[") + 1:-1]
        rest = re.sub(r'[a-z]+=("(?:[^"\\]|\\.)*"|\S+)\s*', "", body)
        assert rest == "", ln
    r = client.get("/api/v1/profiles/%s/graph" % pid, {"format": "svg", "nodefraction": 0})
    assert r.status == 200, r
    root = ET.fromstring(r.body)  # well-formed XML
    text = r.body.decode()
    assert "<script>" not in text
    titles = [t.get("{http://www.w3.org/1999/xlink}title") for t in root.iter()
              if t.get("{http://www.w3.org/1999/xlink}title")]
    assert any('main.q"uote' in t for t in titles), titles[:5]
    assert any("<script>" in t for t in titles)


@pytest.mark.parametrize("query,code", [
    ({"format": "png"}, "bad_request"),
    ({"nodefraction": "2"}, "bad_request"),
    ({"nodefraction": "nan"}, "bad_request"),
    ({"edgefraction": "-0.1"}, "bad_request"),
    ({"nodecount": "0"}, "bad_request"),
    ({"nodecount": "1000000000"}, "bad_request"),
    ({"nodecount": "301", "format": "svg"}, "bad_request"),
    ({"nodecount": "x"}, "bad_request"),
    ({"granularity": "bogus"}, "bad_granularity"),
    ({"granularity": "address"}, "bad_granularity"),
    ({"focus": "("}, "bad_regex"),
    ({"sample_type": "nope"}, "unknown_sample_type"),
])
def test_bad_parameters(client, uploads, query, code):
    pid = upload_id(uploads, "parca/labels.pb.gz")
    r = client.get("/api/v1/profiles/%s/graph" % pid, query)
    assert r.status == 400, r
    assert r.error_code() == code


def test_unknown_profile(client):
    r = client.get("/api/v1/profiles/AAAAAAAAAAAAAAAAAAAAAA/graph")
    assert r.status == 404 and r.error_code() == "not_found"


def test_large_nodecount_is_bounded(client, uploads):
    pid = upload_id(uploads, "apm-server/default.pgo")
    j = client.get_json("/api/v1/profiles/%s/graph" % pid,
                        {"format": "json", "nodecount": 1000, "nodefraction": 0, "edgefraction": 0})
    # nodecount counts label tags as nodes, as pprof -dot does
    assert 80 < len(j["nodes"]) <= 1000
    r = client.get("/api/v1/profiles/%s/graph" % pid,
                   {"format": "svg", "nodecount": 300, "nodefraction": 0, "edgefraction": 0}, timeout=300)
    # either laid out, or refused for its edges: never a 200 with a partial body
    assert r.status in (200, 400), r
    if r.status == 400:
        assert r.error_code() == "graph_too_large"
    else:
        ET.fromstring(r.body)
