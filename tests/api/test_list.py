"""/api/v1/profiles/{id}/list against `go tool pprof -list=RE`.

pprof prints, per function whose name matches RE (name order) and file
(file order), a ROUTINE header with the flat and cum summed over the
function's lines, then each source line with its flat and cum ("." for
none). The server never reads source files (source is null): its lines
are those with a value. On the profiles tests/progs writes at test time
the sources are on this machine, so pprof prints every line and the
per-line numbers are compared; on corpus profiles (sources elsewhere)
pprof prints the headers and an error, and the headers are compared.
"""

import re

import pytest

import catalog
import pproftool

ROUTINE = re.compile(r"^ROUTINE =+ (.+) in (.+)$")
TOTALS = re.compile(r"^\s*(\S+)\s+(\S+) \(flat, cum\) ")
SRC = re.compile(r"^\s*(\S+)\s+(\S+)\s+(\d+):(.*)$")


def value(text, suffix):
    return 0 if text == "." else pproftool.parse_value(text, suffix)


def parse_list(text, suffix):
    """[(function, file, flat, cum, {line: (flat, cum)} or None when the
    source could not be read)] in pprof's order."""
    out, cur = [], None
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        ln = lines[i]
        i += 1
        m = ROUTINE.match(ln)
        if m:
            t = TOTALS.match(lines[i])
            assert t, lines[i]
            i += 1
            cur = [m.group(1), m.group(2), value(t.group(1), suffix), value(t.group(2), suffix), {}]
            out.append(cur)
            continue
        if cur is None:
            continue
        if ln.startswith(" Error: "):
            cur[4] = None
            continue
        m = SRC.match(ln)
        if m and cur[4] is not None:
            f, c = value(m.group(1), suffix), value(m.group(2), suffix)
            if (f, c) != (0, 0):
                cur[4][int(m.group(3))] = (f, c)
    return [tuple(r) for r in out]


def server_list(client, sid, rx, **params):
    q = {"fn": rx}
    q.update(params)
    return client.get_json("/api/v1/profiles/%s/list" % sid, q)


def compare(client, uploads, profile_path, pid, rx, sample_index=None, need_lines=True):
    r, _ = uploads.get(pid)
    assert r.status == 201, r
    path = profile_path(pid)
    prof = catalog.decoded(path)
    idx = prof.default_index() if sample_index is None else sample_index
    unit = prof.sample_types[idx][1]
    flags, suffix = pproftool.unit_args(unit)
    want = parse_list(pproftool.run_pprof(["-list=" + rx, "-sample_index=%d" % idx] + flags, path), suffix)
    assert want, "test bug: pprof listed nothing"
    j = server_list(client, r.json()["id"], rx, sample_type=idx)
    assert j["granularity"] == "lines"
    got = [(f["function"], f["file"], f["flat"], f["cum"]) for f in j["functions"]]
    assert got == [w[:4] for w in want], pid
    with_lines = 0
    for f, w in zip(j["functions"], want):
        assert f["source"] is None
        if w[4] is None:
            continue
        with_lines += 1
        mine = {ln["line"]: (ln["flat"], ln["cum"]) for ln in f["lines"] if ln["line"] > 0}
        assert mine == w[4], (f["function"], f["file"])
    if need_lines:
        assert with_lines > 0, "test bug: pprof found no source file"
    return j


@pytest.mark.parametrize("pid,rx,idx", [
    ("gen/cpu", "main\\.", 1),
    ("gen/cpu", "main\\.(fib|even|odd)$", 0),
    ("gen/heap", "main\\.|runtime\\.mallocgc", 1),
    ("gen/heap", "main\\.alloc", 3),
    ("gen/mutex", "main\\.hold|sync", 1),
    ("gen/goroutine", "main|runtime\\.gopark", 0),
])
def test_list_equals_pprof_with_sources(client, uploads, profile_path, pid, rx, idx):
    compare(client, uploads, profile_path, pid, rx, idx)


@pytest.mark.parametrize("pid,rx", [
    ("parca/labels.pb.gz", "runtime\\.mallocgc|newobject"),
    ("go/inline_hot.pprof", "inline\\."),
    ("go/devirt.pprof", "Multiply"),
    ("apm-server/default.pgo", "json\\.Marshal"),
])
def test_list_headers_equal_pprof(client, uploads, profile_path, pid, rx):
    compare(client, uploads, profile_path, pid, rx, need_lines=False)


def test_list_with_filters(client, uploads, profile_path):
    pid = "gen/cpu"
    r, _ = uploads.get(pid)
    path = profile_path(pid)
    flags, suffix = pproftool.unit_args("nanoseconds")
    want = parse_list(pproftool.run_pprof(["-list=main\\.", "-sample_index=1", "-focus=handleA"] + flags, path),
                      suffix)
    j = server_list(client, r.json()["id"], "main\\.", sample_type=1, focus="handleA")
    assert [(f["function"], f["file"], f["flat"], f["cum"]) for f in j["functions"]] == [w[:4] for w in want]


def test_list_errors(client, uploads):
    r, _ = uploads.get("gen/cpu")
    sid = r.json()["id"]
    for q, status, code in [({}, 400, "bad_request"), ({"fn": ""}, 400, "bad_request"),
                            ({"fn": "("}, 400, "bad_regex"),
                            ({"fn": "^no_such_function$"}, 404, "not_found"),
                            ({"fn": "main", "granularity": "nope"}, 400, "bad_granularity"),
                            ({"fn": "main", "focus": "["}, 400, "bad_regex")]:
        resp = client.get("/api/v1/profiles/%s/list" % sid, q)
        assert resp.status == status, (q, resp)
        assert resp.error_code() == code, (q, resp.body[:200])


def test_list_too_many_functions(client, uploads, profile_path):
    """fn=. on a profile with more functions than FDX_MAX_LIST_FUNCTIONS
    (200) is a 400 naming the cap; pprof counts the functions."""
    pid = "apm-server/default.pgo"
    path = profile_path(pid)
    prof = catalog.decoded(path)
    unit = prof.sample_types[prof.default_index()][1]
    nfuncs = len(pproftool.top(path, None, unit).rows)
    assert nfuncs > 200, "test bug: %s has only %d functions" % (pid, nfuncs)
    r, _ = uploads.get(pid)
    resp = client.get("/api/v1/profiles/%s/list" % r.json()["id"], {"fn": "."})
    assert resp.status == 400 and resp.error_code() == "too_many_functions", resp
    assert "200" in resp.json()["error"]["message"]
