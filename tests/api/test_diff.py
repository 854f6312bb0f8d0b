"""/api/v1/diff, /diff/top and /diff/check against go tool pprof -diff_base.

For every pair, every function's target - base of flat and cum must be
exactly what `go tool pprof -top -diff_base BASE TARGET` prints, and
within rounding with -normalize (pprof rounds per original sample, the
server per aggregated sample). Pairs come from the corpus and from the
CPU program in tests/progs run twice at test time.
"""
import os
import subprocess

import pytest

import catalog
import pb
import pproftool
from conftest import go_env

CORPUS_PAIRS = [
    # (base, target, sample index)
    ("parca/cpu_labels.pb.gz", "parca/labels.pb.gz", 1),
    ("parca/cpu_labels.pb.gz", "parca/labels.pb.gz", 0),
    ("go-profiler-notes/benchmark.cpu.pb.gz", "go-profiler-notes/pprof.samples.cpu.001.pb.gz", 1),
    ("pyroscope/heap", "pyroscope/phlaredb-heap", 3),
    ("pyroscope/heap", "pyroscope/phlaredb-heap", 1),
    ("ap-query/mutex.pb.gz", "go-profiler-notes/block-net.block.pb.gz", 1),
    ("apm-server/testdata-cpu.pprof", "apm-server/default.pgo", 1),
]


def corpus(rel):
    for base in (catalog.CORPUS, catalog.DATA_DIR):
        p = os.path.join(base, rel)
        if os.path.isfile(p):
            return p
    return None


@pytest.fixture(scope="session")
def cpu_pair(tmp_path_factory):
    """Two CPU profiles written by two runs of tests/progs/cpuprof."""
    out = str(tmp_path_factory.mktemp("cpupair"))
    env = go_env(out)
    paths = []
    for i in range(2):
        p = os.path.join(out, "cpu%d.pb.gz" % i)
        subprocess.run(["go", "run", "./cpuprof", p], cwd=catalog.PROGS_DIR, env=env, check=True,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
        paths.append(p)
    return paths


def pairs():
    out = [pytest.param(b, t, i, id="%s->%s#%d" % (b, t, i)) for b, t, i in CORPUS_PAIRS]
    out.append(pytest.param("gen:0", "gen:1", 1, id="tests/progs/cpuprof twice#1"))
    out.append(pytest.param("gen:0", "gen:1", 0, id="tests/progs/cpuprof twice#0"))
    return out


def resolve(name, cpu_pair):
    if name.startswith("gen:"):
        return cpu_pair[int(name[4:])]
    p = corpus(name)
    if p is None:
        pytest.skip("corpus file %s not present" % name)
    return p


def pprof_diff(base, target, idx, unit, normalize=False, filters=()):
    flags, suffix = pproftool.unit_args(unit)
    args = ["-top", "-nodecount=1000000", "-nodefraction=0", "-edgefraction=0",
            "-sample_index=%d" % idx, "-diff_base=" + base] + flags
    if normalize:
        args.append("-normalize")
    for k, v in filters:
        args.append("-%s=%s" % (k, v))
    rep = pproftool.parse_top(pproftool.run_pprof(args, target), suffix)
    return {name: (flat, cum) for name, flat, cum in rep.rows if (flat, cum) != (0, 0)}


def server_deltas(client, bid, tid, idx, **params):
    q = {"base": bid, "target": tid, "sample_type": idx, "limit": 0}
    q.update(params)
    j = client.get_json("/api/v1/diff/top", q)
    out = {}
    for r in j["rows"]:
        d = (r["target_flat"] - r["base_flat"], r["target_cum"] - r["base_cum"])
        if d != (0, 0):
            out[r["function"]] = d
    return j, out


def upload(client, path):
    with open(path, "rb") as f:
        return client.upload_ok(f.read())["id"]


def unit_of(meta, idx):
    return meta["sample_types"][idx]["unit"]


@pytest.mark.parametrize("base,target,idx", pairs())
def test_diff_top_equals_pprof(client, cpu_pair, base, target, idx):
    bp, tp = resolve(base, cpu_pair), resolve(target, cpu_pair)
    bid, tid = upload(client, bp), upload(client, tp)
    meta = client.get_json("/api/v1/profiles/%s" % bid)
    want = pprof_diff(bp, tp, idx, unit_of(meta, idx))
    j, got = server_deltas(client, bid, tid, idx)
    assert want, "test bug: pprof printed no rows"
    missing = sorted(set(want) - set(got))[:5]
    extra = sorted(set(got) - set(want))[:5]
    wrong = sorted((k, want[k], got[k]) for k in set(want) & set(got) if want[k] != got[k])[:5]
    assert not missing and not extra and not wrong, \
        "diff vs pprof -diff_base: missing %r, extra %r, wrong (pprof, server) %r" % (missing, extra, wrong)
    # rows carry status new/gone/both consistently
    for r in j["rows"]:
        if r["base_flat"] == 0 and r["base_cum"] == 0:
            assert r["status"] == "new"
        elif r["target_flat"] == 0 and r["target_cum"] == 0:
            assert r["status"] == "gone"


@pytest.mark.parametrize("base,target,idx", pairs())
def test_diff_normalize_within_rounding(client, cpu_pair, base, target, idx):
    bp, tp = resolve(base, cpu_pair), resolve(target, cpu_pair)
    bid, tid = upload(client, bp), upload(client, tp)
    meta = client.get_json("/api/v1/profiles/%s" % bid)
    want = pprof_diff(bp, tp, idx, unit_of(meta, idx), normalize=True)
    j, got = server_deltas(client, bid, tid, idx, normalize=1)
    assert j["normalize"] is True
    # pprof rounds each original sample, the server each (stack, labels)
    # aggregate: a function's value may differ by half a unit per sample.
    scale = j["scale"]
    bad = []
    for k in set(want) | set(got):
        w, g = want.get(k, (0, 0)), got.get(k, (0, 0))
        for a, b in zip(w, g):
            tol = max(2, 0.005 * abs(a), scale)
            if abs(a - b) > tol:
                bad.append((k, w, g))
                break
    assert not bad, "normalized diff beyond rounding (pprof, server): %r" % sorted(bad)[:5]


def tree_of(j):
    nodes, stack, kids = j["nodes"], [], {}
    parent = [None] * len(nodes)
    for i, n in enumerate(nodes):
        d = n[1]
        assert i == 0 or d >= 1
        del stack[d:]
        if stack:
            parent[i] = stack[-1]
            kids.setdefault(stack[-1], []).append(i)
        stack.append(i)
    return parent, kids


@pytest.mark.parametrize("base,target,idx", pairs()[:3] + pairs()[-1:])
def test_diff_tree_adds_up(client, cpu_pair, base, target, idx):
    bp, tp = resolve(base, cpu_pair), resolve(target, cpu_pair)
    bid, tid = upload(client, bp), upload(client, tp)
    j = client.get_json("/api/v1/diff", {"base": bid, "target": tid, "sample_type": idx, "max_nodes": 0})
    assert len(j["significant"]) == len(j["nodes"])
    _parent, kids = tree_of(j)
    for i, n in enumerate(j["nodes"]):
        ch = kids.get(i, [])
        assert n[3] == n[2] + sum(j["nodes"][c][3] for c in ch), "base totals at node %d" % i
        assert n[5] == n[4] + sum(j["nodes"][c][5] for c in ch), "target totals at node %d" % i
        names = [j["names"][j["nodes"][c][0]] for c in ch]
        assert len(names) == len(set(names)), "children not merged by name at node %d" % i
    # per function, the tree's self values add up to each side's flat
    top = client.get_json("/api/v1/diff/top", {"base": bid, "target": tid, "sample_type": idx, "limit": 0})
    flat_b, flat_t = {}, {}
    for n in j["nodes"][1:]:
        name = j["names"][n[0]]
        flat_b[name] = flat_b.get(name, 0) + n[2]
        flat_t[name] = flat_t.get(name, 0) + n[4]
    for r in top["rows"]:
        assert flat_b.get(r["function"], 0) == r["base_flat"], r["function"]
        assert flat_t.get(r["function"], 0) == r["target_flat"], r["function"]
    # pruning keeps every level adding up
    small = client.get_json("/api/v1/diff", {"base": bid, "target": tid, "sample_type": idx, "max_nodes": 50})
    assert len(small["nodes"]) <= 50
    _p, k2 = tree_of(small)
    for i, n in enumerate(small["nodes"]):
        ch = k2.get(i, [])
        assert n[3] == n[2] + sum(small["nodes"][c][3] for c in ch)
        assert n[5] == n[4] + sum(small["nodes"][c][5] for c in ch)
    assert small["nodes"][0][3] == j["nodes"][0][3] and small["nodes"][0][5] == j["nodes"][0][5]


def test_same_profile_has_no_significant_change(client, cpu_pair):
    pid = upload(client, cpu_pair[0])
    for norm in (0, 1):
        j = client.get_json("/api/v1/diff", {"base": pid, "target": pid, "normalize": norm, "max_nodes": 0})
        assert j["significant"] and not any(j["significant"]), "a profile against itself changed"
        assert all(n[2] == n[4] and n[3] == n[5] for n in j["nodes"])


def test_one_sample_is_noise_and_a_big_change_is_not(client):
    """Over equal durations, main.work going from 10 to 100 samples is a
    significant change; from 0 to 1 sample it is noise."""
    from test_bad_input import _base

    def build(n_work, n_main):
        b = _base()
        for _ in range(n_work):
            b.sample([2, 1], [1, 10000000])   # main.main -> main.work
        for _ in range(n_main):
            b.sample([1], [1, 10000000])      # main.main alone
        return b.encode()

    def significance(base, target):
        j = client.get_json("/api/v1/diff", {"base": upload_bytes(client, base),
                                             "target": upload_bytes(client, target),
                                             "sample_type": 1, "max_nodes": 0})
        return {tuple(p): s for p, s in zip(paths(j), j["significant"])}

    sig = significance(build(10, 200), build(100, 200))
    assert sig[("main.main", "main.work")] is True, sig
    sig = significance(build(0, 200), build(1, 200))
    assert sig[("main.main", "main.work")] is False, sig


def upload_bytes(client, data):
    return client.upload_ok(data)["id"]


def paths(j):
    out, stack = [], []
    for n in j["nodes"]:
        del stack[n[1]:]
        stack.append(j["names"][n[0]])
        out.append(stack[1:])
    return out


def test_diff_check_gate(client, cpu_pair):
    """The gate fails only on growth beyond noise and the thresholds
    (tests/api/test_gate.py has the rest)."""
    a = upload(client, cpu_pair[0])
    r = client.get("/api/v1/diff/check", {"base": a, "target": a, "max_growth": 0})
    assert r.status == 200 and r.json()["regressions"] == []
    bp, tp = corpus("parca/cpu_labels.pb.gz"), corpus("parca/labels.pb.gz")
    if not bp or not tp:
        pytest.skip("corpus pair not present")
    b, t = upload(client, bp), upload(client, tp)
    r = client.get("/api/v1/diff/check", {"base": b, "target": t, "normalize": 1, "max_growth": 20, "min_share": 5})
    j = r.json()
    assert r.status == (422 if j["regressions"] else 200), r
    if j["regressions"]:
        assert j["error"]["code"] == "regression"
    top = client.get_json("/api/v1/diff/top", {"base": b, "target": t, "normalize": 1, "limit": 0,
                                               "max_growth": 20, "min_share": 5})
    total = top["target_total"]
    flagged = {reg["function"] for reg in j["regressions"]}
    for reg in j["regressions"]:
        assert reg["target_cum"] * 100 >= 5 * j["target_total"]
        if reg["growth_pct"] is not None:
            assert reg["growth_pct"] > 20
        assert reg["p_adjusted"] < j["alpha"]
    # a function fails only when it is over both thresholds, and exactly
    # the functions the top table marks as grown
    for row in top["rows"]:
        if row["function"] in flagged:
            assert row["target_cum"] * 100 >= 5 * total
        assert (row["change"] == "grew") == (row["function"] in flagged), row


def test_incompatible_profiles(client):
    cpu, heap = corpus("agent-insight/cpu.pb.gz"), corpus("agent-insight/heap.pb.gz")
    if not cpu or not heap:
        pytest.skip("corpus files not present")
    a, b = upload(client, cpu), upload(client, heap)
    r = client.get("/api/v1/diff", {"base": a, "target": b})
    assert r.status == 400 and r.error_code() == "incompatible_profiles", r
    r = client.get("/api/v1/diff/top", {"base": a, "target": "A" * 22})
    assert r.status == 404 and r.error_code() == "not_found"
    r = client.get("/api/v1/diff", {"base": a, "target": a, "focus": "("})
    assert r.status == 400 and r.error_code() == "bad_regex"


def test_normalize_overflow(client):
    """A target summing to 1 scales a base of 4e18 past 2^63: 422, not a
    wrapped number (without normalize the same pair is fine)."""
    one = (("samples", "count"),)
    b = upload_bytes(client, pb.simple_profile({("main.main",): [4000000000000000000]}, types=one))
    t = upload_bytes(client, pb.simple_profile({("main.main", "main.f"): [1000], ("main.main", "main.g"): [-999]},
                                               types=one))
    for path in ("/api/v1/diff", "/api/v1/diff/top"):
        r = client.get(path, {"base": b, "target": t, "normalize": 1})
        assert r.status == 422 and r.error_code() == "overflow", (path, r)
        assert "overflow 64 bits" in r.json()["error"]["message"]
    # the check compares shares without scaling values: no overflow
    r = client.get("/api/v1/diff/check", {"base": b, "target": t, "normalize": 1})
    assert r.status == 200 or (r.status == 422 and r.error_code() == "regression"), r
    j = client.get_json("/api/v1/diff/top", {"base": b, "target": t})
    assert j["target_total"] == 1999 and j["scale"] == 1
