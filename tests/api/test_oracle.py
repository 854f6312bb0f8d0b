"""The server's views of real profiles, compared with `go tool pprof`.

For every proto profile of the corpus and every generated profile, and for
every sample type of each: /top against `pprof -top`, /flamegraph against
the same numbers, /tags against `pprof -tags`; the default sample type;
filters against the pprof flags of the same name; /raw round trips; and
non-proto corpus files are refused with 415.
"""

import datetime
import os
import subprocess

import pytest

import catalog
import checks
import pb
import pproftool

PARAMS = catalog.sample_type_params()
PARAM_IDS = ["%s#%d" % (pid, i) for pid, i in PARAMS]
PROFILE_IDS = [pid for pid, _ in catalog.ALL_PROFILES]


decoded = catalog.decoded


def expect_accepted(prof):
    """Whether the server must accept this profile (else: 400 bad_profile).

    Everything go tool pprof reads is accepted, negative sample values
    (diff profiles) included.
    """
    return True


def uploaded_id(uploads, profile_path, pid):
    """Id of the uploaded profile, or skip/fail when it was (not) refused."""
    r, _data = uploads.get(pid)
    prof = decoded(profile_path(pid))
    if not expect_accepted(prof):
        pytest.skip("profile has negative sample values; refused by contract")
    if r.status != 201:
        pytest.fail("upload of %s failed: %d %r" % (pid, r.status, r.body[:300]))
    return r.json()["id"]


def st_json(types, i):
    return {"type": types[i][0], "unit": types[i][1]}


# ------------------------------------------------------------------ upload


def _rfc3339(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))


@pytest.mark.parametrize("pid", PROFILE_IDS)
def test_upload_metadata(client, uploads, profile_path, pid):
    r, data = uploads.get(pid)
    prof = decoded(profile_path(pid))
    if not expect_accepted(prof):
        assert r.status == 400 and r.error_code() == "bad_profile", \
            "profile with negative values: want 400 bad_profile, got %d %r" % (r.status, r.body[:300])
        return
    assert r.status == 201, "upload -> %d %r" % (r.status, r.body[:500])
    meta = r.json()
    pid_ = meta.get("id")
    assert isinstance(pid_, str) and checks.ID_RE.match(pid_), \
        "id must be URL-safe with >= 128 bits: %r" % (pid_,)
    assert meta.get("sample_types") == [{"type": t, "unit": u} for t, u in prof.sample_types]
    assert meta.get("default_sample_type") == prof.sample_types[prof.default_index()][0]
    assert meta.get("bytes") == len(data)
    assert meta.get("url") == "/p/" + pid_
    assert meta.get("name") == pid
    for k in ("samples", "functions", "locations", "duration_ns"):
        assert checks.is_int(meta.get(k)), "%s must be an integer: %r" % (k, meta.get(k))
    assert meta["duration_ns"] == prof.duration_nanos
    if prof.time_nanos:
        t = _rfc3339(meta["time"])
        want = datetime.datetime.fromtimestamp(prof.time_nanos / 1e9, datetime.timezone.utc)
        assert abs((t - want).total_seconds()) < 1.0, (meta["time"], prof.time_nanos)
    else:
        assert meta.get("time") is None
    _rfc3339(meta["uploaded_at"])
    if prof.period_type is not None:
        assert meta.get("period") == {"type": prof.period_type[0], "unit": prof.period_type[1],
                                      "value": prof.period}
    assert isinstance(meta.get("labels"), dict)
    again = client.get_json("/api/v1/profiles/" + pid_)
    for k in ("id", "name", "sample_types", "default_sample_type", "bytes", "url",
              "samples", "functions", "locations", "time", "duration_ns", "period"):
        assert again.get(k) == meta.get(k), "GET metadata %s: %r != upload answer %r" % (
            k, again.get(k), meta.get(k))


@pytest.mark.parametrize("path,fmt,pprof_reads", catalog.non_proto_corpus(),
                         ids=[p for p, _, _ in catalog.non_proto_corpus()])
def test_non_proto(client, path, fmt, pprof_reads):
    """Not profile.proto: refused with 415 naming the format, or, for a
    format that go tool pprof also reads (e.g. goroutine debug=1 text),
    accepted with the totals go tool pprof gives."""
    full = os.path.join(catalog.CORPUS, path)
    with open(full, "rb") as f:
        data = f.read()
    before = client.list_total()
    r = client.upload(data)
    if fmt == "collapsed":  # imported (import_folded.h); numbers in test_import.py
        assert r.status == 201, r.body[:300]
        assert client.list_total() == before + 1
        return
    if r.status == 201:
        assert pprof_reads, "%s (%s) accepted, but go tool pprof cannot read it" % (path, fmt)
        pid_ = r.json()["id"]
        types, d = pproftool.raw_sample_types(full)
        assert r.json().get("sample_types") == [{"type": t, "unit": u} for t, u in types]
        # go tool pprof reads such text formats by address only (it ignores
        # the "#\t0x... func file:line" symbol lines; names come out as
        # <unknown>), so only the numbers are compared, not the names.
        for i, (_t, unit) in enumerate(types):
            rep = pproftool.top(full, i, unit)
            j = client.get_json("/api/v1/profiles/%s/top" % pid_, {"sample_type": i, "limit": 0})
            assert j["total"] == rep.total, "%s total: pprof %d, server %d" % (path, rep.total, j["total"])
            fg = checks.Tree(client.get_json("/api/v1/profiles/%s/flamegraph" % pid_,
                                             {"sample_type": i, "max_nodes": 0}))
            fg.check_sums()
            assert fg.nodes[0][3] == (rep.flatsum if fg.signed() else rep.total)
            top_flat = sum(f for f, _c in checks.server_top_rows(j).values())
            assert top_flat == rep.flatsum, "%s sum of flat: pprof %d, server %d" % (
                path, rep.flatsum, top_flat)
        assert client.list_total() == before + 1
        return
    assert r.status == 415, "%s (%s): want 415, got %d %r" % (path, fmt, r.status, r.body[:300])
    assert r.error_code() == "unsupported_format"
    msg = r.json()["error"]["message"].lower()
    if fmt.startswith("legacy"):
        assert any(w in msg for w in ("legacy", "text profile", "binary profile")), \
            "message should name the legacy %s format: %r" % (fmt.split("-")[1], msg)
    elif fmt == "collapsed":
        assert "collapsed" in msg or "folded" in msg, "message should name collapsed stacks: %r" % msg
    assert client.list_total() == before
    assert client.healthy()


# ------------------------------------------------------------------ views


@pytest.mark.parametrize("pid,idx", PARAMS, ids=PARAM_IDS)
def test_top(client, uploads, profile_path, pprof_warm, pid, idx):
    pid_ = uploaded_id(uploads, profile_path, pid)
    path = profile_path(pid)
    types = decoded(path).sample_types
    rep = pproftool.top(path, idx, types[idx][1])
    j = client.get_json("/api/v1/profiles/%s/top" % pid_, {"sample_type": idx, "limit": 0})
    assert j.get("sample_type") == st_json(types, idx)
    checks.compare_top(j, rep, "?sample_type=%d" % idx)


@pytest.mark.parametrize("pid,idx", PARAMS, ids=PARAM_IDS)
def test_flamegraph(client, uploads, profile_path, pprof_warm, pid, idx):
    pid_ = uploaded_id(uploads, profile_path, pid)
    path = profile_path(pid)
    types = decoded(path).sample_types
    rep = pproftool.top(path, idx, types[idx][1])
    j = client.get_json("/api/v1/profiles/%s/flamegraph" % pid_,
                        {"sample_type": idx, "max_nodes": 0})
    assert j.get("sample_type") == st_json(types, idx)
    checks.compare_flamegraph(j, rep, "?sample_type=%d" % idx)


@pytest.mark.parametrize("pid,idx", PARAMS, ids=PARAM_IDS)
def test_tags(client, uploads, profile_path, pprof_warm, pid, idx):
    pid_ = uploaded_id(uploads, profile_path, pid)
    path = profile_path(pid)
    prof = decoded(path)
    numeric_units, num_unit = catalog.numeric_label_info(prof)
    ptags, _totals = pproftool.tags(path, idx, prof.sample_types[idx][1], num_unit)
    default_strings = pproftool.tag_value_strings(path, idx) if numeric_units else None
    j = client.get_json("/api/v1/profiles/%s/tags" % pid_, {"sample_type": idx})
    checks.compare_tags(j, ptags, numeric_units, default_strings)


def test_tags_total_overflow(client, upload):
    """Where we depart from pprof on purpose: a sample adds its value once
    per label value it carries, so two values of 8.2e18 under one key sum
    past 2^63. pprof prints the wrapped, negative total; the server answers
    422 "overflow" naming the key, and the other views still work."""
    big = 8200000000000000000
    data = pb.simple_profile({("main.main", "main.f"): [big]}, types=(("samples", "count"),),
                             labels_by_stack={("main.main", "main.f"): [("k", "a"), ("k", "b")]})
    pid = upload(data)["id"]
    r = client.get("/api/v1/profiles/%s/tags" % pid)
    assert r.status == 422 and r.error_code() == "overflow", r
    assert "label k overflows 64 bits" in r.json()["error"]["message"]
    top = client.get_json("/api/v1/profiles/%s/top" % pid)
    assert top["total"] == big and top["rows"][0]["flat"] == big
    # one value per key fits: exact totals
    data = pb.simple_profile({("main.main", "main.f"): [big]}, types=(("samples", "count"),),
                             labels_by_stack={("main.main", "main.f"): [("k", "a"), ("j", "b")]})
    j = client.get_json("/api/v1/profiles/%s/tags" % upload(data)["id"])
    assert [(t["key"], t["total"]) for t in j["tags"]] == [("j", big), ("k", big)]


@pytest.mark.parametrize("pid", PROFILE_IDS)
def test_default_sample_type(client, uploads, profile_path, pprof_warm, pid):
    pid_ = uploaded_id(uploads, profile_path, pid)
    path = profile_path(pid)
    prof = decoded(path)
    d = prof.default_index()
    # What the tool picks without -sample_index; the unit flag only keeps
    # numbers exact and does not influence the choice.
    rep = pproftool.top(path, None, prof.sample_types[d][1])
    assert (rep.type_name or "") == prof.sample_types[d][0], \
        "test bug: pprof default %r, decoder says %r" % (rep.type_name, prof.sample_types[d])
    j = client.get_json("/api/v1/profiles/%s/top" % pid_, {"limit": 0})
    assert j.get("sample_type") == st_json(prof.sample_types, d), \
        "default sample type: pprof uses %r, server %r" % (prof.sample_types[d], j.get("sample_type"))
    checks.compare_top(j, rep, " (default sample type)")
    fg = client.get_json("/api/v1/profiles/%s/flamegraph" % pid_, {"max_nodes": 0})
    assert fg.get("sample_type") == st_json(prof.sample_types, d)
    checks.compare_flamegraph(fg, rep, " (default sample type)")
    # Selecting the type by name gives the same answer as by index (the
    # first type of that name, as SampleIndexByName does).
    name = prof.sample_types[d][0]
    if [t for t, _ in prof.sample_types].index(name) == d and not name.isdigit():
        j2 = client.get_json("/api/v1/profiles/%s/top" % pid_, {"limit": 0, "sample_type": name})
        assert j2 == j or (j2["total"] == j["total"] and
                           checks.server_top_rows(j2) == checks.server_top_rows(j))


def test_sort_orders(client, uploads, profile_path):
    pid = "gen/cpu"
    pid_ = uploaded_id(uploads, profile_path, pid)
    for key, col in (("flat", 1), ("cum", 2)):
        j = client.get_json("/api/v1/profiles/%s/top" % pid_,
                            {"sample_type": 1, "limit": 0, "sort": key})
        vals = [(r["flat"], r["cum"])[col - 1] for r in j["rows"]]
        assert vals == sorted(vals, reverse=True), "sort=%s not descending: %r" % (key, vals[:20])
    j = client.get_json("/api/v1/profiles/%s/top" % pid_, {"sample_type": 1, "limit": 3})
    assert len(j["rows"]) == min(3, len(checks.server_top_rows(
        client.get_json("/api/v1/profiles/%s/top" % pid_, {"sample_type": 1, "limit": 0}))))


# ------------------------------------------------------------------ filters

# (profile, sample index, filters).  Regexes are anchored so that they can
# only match function names (pprof also tries file and mapping names, which
# all start with "/" here) and stay within what every regex dialect agrees on.
# Tag values contain no digits, which pprof would read as numeric ranges.
FILTER_CASES = [
    ("gen/cpu", 1, (("focus", r"^main\.fib$"),)),
    ("gen/cpu", 1, (("focus", r"^main\.(even|odd)$"),)),
    ("gen/cpu", 1, (("ignore", r"^main\.hashLoop$"),)),
    ("gen/cpu", 0, (("ignore", r"^main\.(fib|even)$"),)),
    ("gen/cpu", 1, (("hide", r"^runtime"),)),
    ("gen/cpu", 1, (("hide", r"^main\.(even|odd|fib)$"),)),
    ("gen/cpu", 1, (("hide", r"^main\.hashLoop$"),)),
    ("gen/cpu", 1, (("tagfocus", "endpoint=/api/a"),)),
    ("gen/cpu", 1, (("tagignore", "endpoint=/api/b"),)),
    ("gen/cpu", 1, (("tagfocus", "worker=alpha,beta"),)),
    ("gen/cpu", 0, (("tagfocus", "worker=alpha"), ("tagignore", "endpoint=/api/a"))),
    ("gen/cpu", 1, (("focus", r"^main\.handle"), ("ignore", r"^main\.parityLoop$"),
                    ("tagfocus", "worker=alpha"))),
    ("gen/cpu", 1, (("focus", r"^main\.square$"), ("hide", r"^main\.hashLoop$"))),
    ("gen/cpu", 1, (("focus", r"^no\.such\.function$"),)),
    ("gen/goroutine", 0, (("tagfocus", "pool=selectors"),)),
    ("gen/goroutine", 0, (("focus", r"^main\.wait(Recv|Mutex)$"),)),
    ("gen/goroutine", 0, (("hide", r"^(runtime|sync)\."),)),
    ("gen/heap", 3, (("focus", r"^main\.alloc"),)),
    ("gen/heap", 1, (("ignore", r"^main\.allocLarge$"),)),
    ("gen/block", 1, (("hide", r"^sync\."),)),
    ("gen/mutex", 1, (("focus", r"^main\.holdA$"),)),
    ("pyroscope/go.cpu.labels.pprof", 1, (("tagfocus", "function=slow"),)),
    ("pyroscope/go.cpu.labels.pprof", 1, (("tagignore", "function=fast"), ("hide", r"^runtime\."))),
    ("apm-server/default.pgo", 1, (("tagfocus", "pebble=flush,compact"),)),
    ("apm-server/default.pgo", 1, (("tagignore", "pebble=flush"), ("focus", r"^github\.com/"))),
    ("pyroscope/req_2.pprof", 0, (("tagfocus", "foo=bar"),)),
    ("parca/labels.pb.gz", 0, (("tagfocus", "api=query"), ("ignore", r"^runtime\."))),
]
FILTER_IDS = ["%s#%d:%s" % (p, i, "&".join("%s=%s" % kv for kv in f)) for p, i, f in FILTER_CASES]


@pytest.mark.parametrize("pid,idx,filters", FILTER_CASES, ids=FILTER_IDS)
def test_filters(client, uploads, profile_path, pid, idx, filters):
    if not pid.startswith("gen/") and not os.path.isfile(profile_path(pid)):
        pytest.skip("corpus file %s not present" % pid)
    pid_ = uploaded_id(uploads, profile_path, pid)
    path = profile_path(pid)
    types = decoded(path).sample_types
    # API.md: total is the sum over the kept samples.  pprof's header total
    # is taken before filtering unless -relative_percentages is given.
    rep = pproftool.top(path, idx, types[idx][1], filters, relative=True)
    params = dict(filters)
    params.update({"sample_type": idx, "limit": 0})
    what = "?" + "&".join("%s=%s" % kv for kv in filters)
    j = client.get_json("/api/v1/profiles/%s/top" % pid_, params)
    checks.compare_top(j, rep, what)
    params.pop("limit")
    params["max_nodes"] = 0
    fg = client.get_json("/api/v1/profiles/%s/flamegraph" % pid_, params)
    checks.compare_flamegraph(fg, rep, what)


# ------------------------------------------------------------------ pruning


def _largest_profile():
    best = None
    for pid, types in catalog.PROTO:
        size = os.path.getsize(os.path.join(catalog.CORPUS, pid))
        if best is None or size > best[1]:
            best = (pid, size)
    return best[0] if best else "gen/cpu"


@pytest.mark.parametrize("max_nodes", [1, 50, 500, None])
def test_flamegraph_max_nodes(client, uploads, profile_path, max_nodes):
    pid = _largest_profile()
    pid_ = uploaded_id(uploads, profile_path, pid)
    full = checks.Tree(client.get_json("/api/v1/profiles/%s/flamegraph" % pid_, {"max_nodes": 0}))
    params = {} if max_nodes is None else {"max_nodes": max_nodes}
    j = client.get_json("/api/v1/profiles/%s/flamegraph" % pid_, params)
    t = checks.Tree(j)
    t.check_sums()
    limit = 20000 if max_nodes is None else max_nodes
    assert len(t.nodes) <= max(limit, 1), "max_nodes=%s but %d nodes" % (max_nodes, len(t.nodes))
    assert t.nodes[0][3] == full.nodes[0][3] == j["total"]
    # Kept nodes are real nodes with their real totals, and none of the
    # pruned nodes is bigger than the smallest kept one.
    full_paths = {p: full.nodes[i][3] for p, i in full.paths()}
    kept = {}
    for p, i in t.paths():
        assert p in full_paths, "pruned tree has a path the full tree lacks: %r" % (p,)
        assert t.nodes[i][3] == full_paths[p], "node %r total %d, full tree says %d" % (
            p, t.nodes[i][3], full_paths[p])
        kept[p] = t.nodes[i][3]
    if len(full.nodes) <= limit:
        assert len(t.nodes) == len(full.nodes)
    elif kept:
        smallest = min(kept.values())
        bigger = [p for p, tot in full_paths.items() if p not in kept and tot > smallest]
        assert not bigger, "pruned %d nodes bigger than kept node total %d, e.g. %r" % (
            len(bigger), smallest, bigger[:3])


# ------------------------------------------------------------------ raw


@pytest.mark.parametrize("pid", PROFILE_IDS)
def test_raw_bytes(client, uploads, profile_path, pid):
    pid_ = uploaded_id(uploads, profile_path, pid)
    _r, data = uploads.get(pid)
    r = client.get("/api/v1/profiles/%s/raw" % pid_)
    assert r.status == 200
    assert r.body == data, "raw differs: %d bytes back, %d uploaded" % (len(r.body), len(data))


HTTP_PPROF = ["gen/cpu", "gen/heap", "gen/goroutine", "agent-insight/goroutine.pb.gz",
              "pyroscope/heap", "JuLox.jl/profile.pb.gz"]


@pytest.mark.parametrize("pid", HTTP_PPROF)
def test_pprof_reads_raw_url(client, uploads, profile_path, base_url, tmp_path, pid):
    if not pid.startswith("gen/") and not os.path.isfile(profile_path(pid)):
        pytest.skip("corpus file %s not present" % pid)
    pid_ = uploaded_id(uploads, profile_path, pid)
    path = profile_path(pid)
    prof = decoded(path)
    unit = prof.sample_types[prof.default_index()][1]
    flags, suffix = pproftool.unit_args(unit)
    env = pproftool.go_env()
    env["PPROF_TMPDIR"] = str(tmp_path)
    url = "%s/api/v1/profiles/%s/raw" % (base_url, pid_)
    p = subprocess.run(["go", "tool", "pprof", "-symbolize=none", "-top", "-nodecount=1000000",
                        "-nodefraction=0", "-edgefraction=0"] + flags + [url],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, timeout=300)
    assert p.returncode == 0, "go tool pprof %s failed: %s" % (url, p.stderr.decode()[-2000:])
    over_http = pproftool.parse_top(p.stdout.decode("utf-8", "surrogateescape"), suffix)
    local = pproftool.top(path, None, unit)
    assert over_http.total == local.total
    assert over_http.rows == local.rows
