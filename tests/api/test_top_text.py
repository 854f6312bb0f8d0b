"""The top table's extra columns, compared with `go tool pprof -top` text:
sum (pprof's sum%, the running sum of flat) printed as pprof prints it, and
the "(inline)" / "(partial-inline)" marker, row by row; and sort=name."""

import os

import pytest

import pproftool

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")

# Real Go profiles with inlined frames (pprof prints markers for them).
CASES = [
    ("go/inline_hot.pprof", None, ()),
    ("go/devirt.pprof", None, ()),
    ("pyroscope/go.cpu.labels.pprof", None, ()),
    ("agent-insight/cpu.pb.gz", None, ()),
    ("agent-insight/heap.pb.gz", "alloc_space", ()),
    ("pyroscope/cpu-big.pprof", None, ()),
    ("Golbat/default.pgo", None, ()),
    ("apm-server/default.pgo", None, ()),
    ("pyroscope/heap", None, ()),
    ("parca/diff.pb.gz", None, ()),
    # hidden frames: the outermost remaining frame of a location is the call
    ("go/inline_hot.pprof", None, (("hide", "BenchmarkA"),)),
    ("agent-insight/cpu.pb.gz", None, (("hide", "^runtime\\."),)),
    ("agent-insight/cpu.pb.gz", None, (("focus", "json"),)),
]


def percentage(value, total):
    """pprof's measurement.Percentage of value in total."""
    return pproftool.percentage(value / total * 100 if total else 0.0)


def pprof_rows(path, sample_index, unit, filters):
    """[(name, flat%, sum%, marker)] from pprof -top, in its order."""
    flags, suffix = pproftool.unit_args(unit)
    args = ["-top", "-nodecount=1000000", "-nodefraction=0", "-edgefraction=0"] + flags
    if sample_index:
        args.append("-sample_index=%s" % sample_index)
    for k, v in filters:
        args.append("-%s=%s" % (k, v))
    if any(k in ("focus", "ignore") for k, _ in filters):
        args.append("-relative_percentages")  # the server's total is of the kept samples
    text = pproftool.run_pprof(args, path)
    row_re = pproftool._top_row_re(suffix)
    lines = text.split("\n")
    start = next(i for i, l in enumerate(lines) if l.split() == ["flat", "flat%", "sum%", "cum", "cum%"])
    rows = []
    for line in lines[start + 1:]:
        if not line:
            continue
        m = row_re.match(line)
        assert m, line
        name, marker = m.group(6), ""
        for sfx in (" (partial-inline)", " (inline)"):
            if name.endswith(sfx):
                name, marker = name[: -len(sfx)], sfx.strip(" ()")
                break
        rows.append((name, m.group(2), m.group(3), marker))
    return rows


@pytest.mark.parametrize("rel,sample_index,filters", CASES, ids=lambda v: str(v))
def test_sum_and_inline_marker_as_pprof_prints_them(client, rel, sample_index, filters):
    path = os.path.join(DATA, rel)
    assert os.path.isfile(path), path
    with open(path, "rb") as f:
        meta = client.upload_ok(f.read(), {"name": os.path.basename(rel)})
    params = {"limit": 0}
    if sample_index:
        params["sample_type"] = sample_index
    for k, v in filters:
        params[k] = v
    j = client.get_json("/api/v1/profiles/%s/top" % meta["id"], params)
    unit = j["sample_type"]["unit"]
    want = pprof_rows(path, sample_index, unit, filters)
    # the regex reads the column without its padding
    got = [(r["function"], percentage(r["flat"], j["total"]).strip(), percentage(r["sum"], j["total"]).strip(),
            r.get("inline", "")) for r in j["rows"]]
    assert len(got) == len(want)
    bad = [(i, g, w) for i, (g, w) in enumerate(zip(got, want)) if g != w]
    assert not bad, "%d rows differ, first: %r" % (len(bad), bad[:5])
    markers = sum(1 for w in want if w[3])
    if rel == "apm-server/default.pgo":
        assert any(w[3] == "partial-inline" for w in want), "both markers are checked"
    if rel in ("go/inline_hot.pprof", "apm-server/default.pgo") and not filters:
        assert markers > 0, "this profile has inlined frames: pprof marks some"
    # sum is the running sum of flat, in the order of the rows
    s = 0
    for r in j["rows"]:
        s += r["flat"]
        assert r["sum"] == s


def test_sort_by_name(client):
    with open(os.path.join(DATA, "agent-insight", "cpu.pb.gz"), "rb") as f:
        meta = client.upload_ok(f.read())
    url = "/api/v1/profiles/%s/top" % meta["id"]
    by_flat = client.get_json(url, {"limit": 0})
    by_name = client.get_json(url, {"limit": 0, "sort": "name"})
    names = [r["function"] for r in by_name["rows"]]
    assert names == sorted(names, key=lambda n: n.encode())
    strip = lambda rows: sorted((r["function"], r["flat"], r["cum"]) for r in rows)  # noqa: E731
    assert strip(by_name["rows"]) == strip(by_flat["rows"])
    assert by_name["total"] == by_flat["total"]
    first = client.get_json(url, {"limit": 3, "sort": "name"})
    assert [r["function"] for r in first["rows"]] == names[:3]
    r = client.get(url, {"sort": "bogus"})
    assert r.status == 400 and r.error_code() == "bad_request"
    assert b"name" in r.body
