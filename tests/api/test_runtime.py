"""/api/v1/profiles/{id}/runtime and /api/v1/diff/runtime against go tool pprof.

Each category of the runtime share must be exactly what `go tool pprof
-top` sums to with that category's -focus and the -ignore of every
category above it (tests/api/runtime_regex.py, written from
docs/RUNTIME.md). The profiles are real: tests/data/runtime, written by
tests/progs/runtimeprof under Go 1.19 (allocation-heavy, GC-heavy with a
small GOGC, syscall, scheduler and plain phases).
"""
import os
import subprocess

import pytest

import catalog
import pb
import pproftool
import runtime_regex
from conftest import go_env

KEYS = ["gc", "alloc", "syscall", "sched", "user"]
RUNTIME_DIR = os.path.join(catalog.DATA_DIR, "runtime")
FIXTURES = ["gogc100.pprof", "gogc10.pprof"]


def fixture(name):
    path = os.path.join(RUNTIME_DIR, name)
    assert os.path.isfile(path), "missing fixture %s (tests/data/README.md says how it is made)" % path
    with open(path, "rb") as f:
        data = f.read()
    assert data
    return path, data


def pprof_cats(path, unit, sample_index=None, extra=()):
    out = {}
    for k in KEYS:
        rep = pproftool.top(path, sample_index=sample_index, unit=unit,
                            filters=tuple(extra) + runtime_regex.filters(k))
        out[k] = rep.flatsum
    total = pproftool.top(path, sample_index=sample_index, unit=unit, filters=tuple(extra)).flatsum
    return out, total


def cats(doc):
    assert [c["key"] for c in doc["categories"]] == KEYS
    return {c["key"]: c["value"] for c in doc["categories"]}


@pytest.fixture(scope="module")
def uploaded(upload):
    return {name: upload(fixture(name)[1])["id"] for name in FIXTURES}


@pytest.mark.parametrize("name", FIXTURES)
@pytest.mark.parametrize("stype,unit", [("cpu", "nanoseconds"), ("samples", "count")])
def test_categories_equal_pprof(client, uploaded, name, stype, unit):
    path, _ = fixture(name)
    doc = client.get_json("/api/v1/profiles/%s/runtime" % uploaded[name], {"sample_type": stype})
    assert doc["applicable"] is True
    assert doc["sample_type"] == {"type": stype, "unit": unit}
    want, total = pprof_cats(path, unit, sample_index=stype)
    assert cats(doc) == want
    assert doc["total"] == total == sum(want.values())
    # the programs' phases are where they should be
    assert want["gc"] > 0 and want["alloc"] > 0 and want["syscall"] > 0 and want["sched"] > 0


@pytest.fixture(scope="module")
def fresh_profile(tmp_path_factory):
    """A profile of tests/progs/runtimeprof written now, by this machine's Go."""
    out = tmp_path_factory.mktemp("runtimeprof")
    path = str(out / "fresh.pprof")
    p = subprocess.run(["go", "run", "./runtimeprof", "-o", path, "-gogc", "50", "-seconds", "0.5"],
                       cwd=catalog.PROGS_DIR, env=go_env(str(out)), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=300)
    assert p.returncode == 0 and os.path.isfile(path), p.stdout.decode("utf-8", "replace")
    return path


def test_fresh_profile_equals_pprof(client, upload, fresh_profile):
    with open(fresh_profile, "rb") as f:
        pid = upload(f.read())["id"]
    doc = client.get_json("/api/v1/profiles/%s/runtime" % pid)
    want, total = pprof_cats(fresh_profile, "nanoseconds")
    assert cats(doc) == want
    assert doc["total"] == total
    assert want["gc"] > 0 and want["alloc"] > 0 and want["syscall"] > 0


def test_small_gogc_moves_time_from_allocation_to_gc(client, uploaded):
    """The same program at GOGC=10 spends a larger share in GC work and a
    smaller one in allocation than at GOGC=100 (what the strip is for)."""
    share = {}
    for name in FIXTURES:
        doc = client.get_json("/api/v1/profiles/%s/runtime" % uploaded[name])
        c = cats(doc)
        share[name] = {k: c[k] / doc["total"] for k in KEYS}
    assert share["gogc10.pprof"]["gc"] > share["gogc100.pprof"]["gc"]
    assert share["gogc10.pprof"]["alloc"] < share["gogc100.pprof"]["alloc"]


@pytest.mark.parametrize("phase", ["alloc", "gc", "syscall", "sched"])
def test_filters_as_pprof(client, uploaded, phase):
    path, _ = fixture("gogc10.pprof")
    doc = client.get_json("/api/v1/profiles/%s/runtime" % uploaded["gogc10.pprof"],
                          {"tagfocus": "phase=" + phase, "ignore": "^time\\.Now$"})
    want, total = pprof_cats(path, "nanoseconds", extra=(("tagfocus", "phase=" + phase),
                                                          ("ignore", "^time\\.Now$")))
    assert cats(doc) == want
    assert doc["total"] == total


@pytest.mark.parametrize("name", FIXTURES)
def test_planted_phases_land_in_their_category(client, uploaded, name):
    """Each phase of tests/progs/runtimeprof is labelled phase=...: the
    category it was written to exercise holds most of its time, and the
    categories it cannot touch hold none (docs/RUNTIME.md has the table)."""
    def share(params):
        doc = client.get_json("/api/v1/profiles/%s/runtime" % uploaded[name], params)
        assert doc["total"] > 0
        return {k: v / doc["total"] for k, v in cats(doc).items()}
    alloc = share({"tagfocus": "phase=alloc"})
    assert alloc["alloc"] + alloc["gc"] >= 0.8 and alloc["syscall"] == 0
    sysc = share({"tagfocus": "phase=syscall"})
    assert sysc["syscall"] >= 0.8 and sysc["gc"] == sysc["alloc"] == 0
    user = share({"tagfocus": "phase=user"})
    assert user["user"] >= 0.7 and user["gc"] == user["alloc"] == user["syscall"] == 0
    sched = share({"tagfocus": "phase=sched"})
    assert sched["sched"] >= 0.2 and sched["gc"] == sched["alloc"] == sched["syscall"] == 0
    gc = share({"tagfocus": "phase=gc"})
    assert gc["gc"] >= 0.3 and gc["syscall"] == 0
    # the runtime's own goroutines (no labels) are never user code
    runtime_own = share({"tagignore": "phase=."})
    assert runtime_own["user"] == 0 and runtime_own["gc"] >= 0.5


def test_single_version_takes_the_runtime_goroutines(client, uploaded):
    path, _ = fixture("gogc10.pprof")
    doc = client.get_json("/api/v1/profiles/%s/runtime" % uploaded["gogc10.pprof"])
    assert doc["label"] == "go_version"
    unlabelled = pproftool.top(path, unit="nanoseconds",
                               filters=(("tagignore", "go_version=go1.19.8"),)).flatsum
    assert doc["unlabelled"] == unlabelled > 0  # the mark workers, bgsweep, the scheduler on g0
    assert doc["unlabelled_merged"] is True
    assert len(doc["versions"]) == 1
    v = doc["versions"][0]
    assert v["version"] == "go1.19.8"
    assert v["total"] == doc["total"]
    assert cats(v) == cats(doc)


def fleet_profile():
    """A merged CPU profile of one service on two Go releases, plus the
    runtime's unlabelled goroutines."""
    stacks = {
        ("main.main", "main.handle", "runtime.mallocgc"): [3, 30000000],
        ("main.main", "main.handle", "runtime.mallocgc", "runtime.gcAssistAlloc", "runtime.gcDrainN",
         "runtime.scanobject"): [2, 20000000],
        ("main.main", "main.serve"): [5, 50000000],
        ("main.main", "main.read", "syscall.Syscall", "runtime/internal/syscall.Syscall6"): [4, 40000000],
        ("main.main", "main.handle2", "runtime.mallocgc"): [1, 10000000],
        ("main.main", "main.serve2"): [9, 90000000],
        ("runtime.gcBgMarkWorker", "runtime.gcDrain", "runtime.scanobject"): [6, 60000000],
    }
    labels = {
        ("main.main", "main.handle", "runtime.mallocgc"): [("go_version", "go1.22.3")],
        ("main.main", "main.handle", "runtime.mallocgc", "runtime.gcAssistAlloc", "runtime.gcDrainN",
         "runtime.scanobject"): [("go_version", "go1.22.3")],
        ("main.main", "main.serve"): [("go_version", "go1.22.3")],
        ("main.main", "main.read", "syscall.Syscall", "runtime/internal/syscall.Syscall6"): [("go_version", "go1.21.10")],
        ("main.main", "main.handle2", "runtime.mallocgc"): [("go_version", "go1.21.10")],
        ("main.main", "main.serve2"): [("go_version", "go1.21.10")],
    }
    return pb.simple_profile(stacks, labels_by_stack=labels, gzipped=False)


def test_versions_split_as_pprof_tagfocus(client, upload, tmp_path):
    data = fleet_profile()
    path = tmp_path / "fleet.pprof"
    path.write_bytes(data)
    pid = upload(data)["id"]
    doc = client.get_json("/api/v1/profiles/%s/runtime" % pid)
    assert doc["label"] == "go_version"
    assert [v["version"] for v in doc["versions"]] == ["go1.21.10", "go1.22.3", None]
    assert doc["unlabelled_merged"] is False
    for v in doc["versions"]:
        if v["version"] is None:
            extra = (("tagignore", "go_version=go1"),)
        else:
            extra = (("tagfocus", "go_version=^%s$" % v["version"].replace(".", "\\.")),)
        want, total = pprof_cats(str(path), "nanoseconds", extra=extra)
        assert cats(v) == want, v["version"]
        assert v["total"] == total
    assert cats(doc) == pprof_cats(str(path), "nanoseconds")[0]
    assert doc["unlabelled"] == 60000000


def test_version_label_fallback_and_absence(client, upload):
    stacks = {("main.main", "runtime.mallocgc"): [1, 10], ("main.main", "main.f"): [2, 20]}
    labelled = pb.simple_profile(stacks, labels_by_stack={
        ("main.main", "runtime.mallocgc"): [("version", "v1.4.0")],
        ("main.main", "main.f"): [("version", "v1.10.0")]})
    doc = client.get_json("/api/v1/profiles/%s/runtime" % upload(labelled)["id"])
    assert doc["label"] == "version"
    assert [v["version"] for v in doc["versions"]] == ["v1.4.0", "v1.10.0"]
    plain = client.get_json("/api/v1/profiles/%s/runtime" % upload(pb.simple_profile(stacks))["id"])
    assert plain["label"] is None and plain["versions"] == [] and plain["total"] == 30


@pytest.mark.parametrize("rel,stype", [
    ("agent-insight/heap.pb.gz", None), ("agent-insight/heap.pb.gz", "alloc_space"),
    ("agent-insight/heap.pb.gz", "inuse_objects"), ("agent-insight/goroutine.pb.gz", None),
])
def test_not_cpu_is_not_applicable(client, upload, rel, stype):
    path = os.path.join(catalog.DATA_DIR, rel)
    assert os.path.isfile(path), path
    with open(path, "rb") as f:
        pid = upload(f.read())["id"]
    doc = client.get_json("/api/v1/profiles/%s/runtime" % pid, {"sample_type": stype} if stype else None)
    assert doc["applicable"] is False
    assert "CPU" in doc["reason"]
    assert "categories" not in doc


def test_diff_both_sides(client, uploaded):
    b, t = uploaded["gogc100.pprof"], uploaded["gogc10.pprof"]
    doc = client.get_json("/api/v1/diff/runtime", {"base": b, "target": t})
    for side, name in (("base", "gogc100.pprof"), ("target", "gogc10.pprof")):
        want, total = pprof_cats(fixture(name)[0], "nanoseconds")
        assert cats(doc[side]) == want
        assert doc[side]["total"] == total
    samples = client.get_json("/api/v1/diff/runtime", {"base": b, "target": t, "sample_type": "samples"})
    assert samples["target"]["sample_type"] == {"type": "samples", "unit": "count"}
    assert cats(samples["target"]) == pprof_cats(fixture("gogc10.pprof")[0], "count", sample_index="samples")[0]


def test_errors(client, uploaded, upload):
    pid = uploaded["gogc10.pprof"]
    r = client.get("/api/v1/profiles/%s/runtime" % ("A" * 22))
    assert (r.status, r.error_code()) == (404, "not_found")
    r = client.get("/api/v1/profiles/%s/runtime" % pid, {"sample_type": "bogus"})
    assert (r.status, r.error_code()) == (400, "unknown_sample_type")
    r = client.get("/api/v1/profiles/%s/runtime" % pid, {"focus": "("})
    assert (r.status, r.error_code()) == (400, "bad_regex")
    r = client.get("/api/v1/diff/runtime", {"base": pid})
    assert (r.status, r.error_code()) == (400, "bad_request")
    r = client.get("/api/v1/diff/runtime", {"base": pid, "target": "B" * 22})
    assert (r.status, r.error_code()) == (404, "not_found")
    with open(os.path.join(catalog.DATA_DIR, "agent-insight/heap.pb.gz"), "rb") as f:
        heap = upload(f.read())["id"]
    r = client.get("/api/v1/diff/runtime", {"base": pid, "target": heap})
    assert (r.status, r.error_code()) == (400, "incompatible_profiles")
    r = client.request("POST", "/api/v1/profiles/%s/runtime" % pid)
    assert r.status == 405
    # the server lives on
    assert client.get_json("/api/v1/profiles/%s/runtime" % pid)["applicable"] is True


def test_profile_label_of_the_upload(client, upload):
    """labels=go_version:… at upload names the version of every sample
    when the samples carry none; a diff of two such uploads reads
    "Go 1.21 vs 1.22" with the categories pprof gives each profile."""
    _, data = fixture("gogc100.pprof")
    stacks = {("main.main", "runtime.mallocgc"): [1, 10], ("main.main", "main.f"): [2, 20]}
    b = upload(pb.simple_profile(stacks), labels="go_version:go1.21.10")["id"]
    t = upload(pb.simple_profile(stacks), labels="go_version:go1.22.3,service:x")["id"]
    doc = client.get_json("/api/v1/diff/runtime", {"base": b, "target": t})
    for side, v in (("base", "go1.21.10"), ("target", "go1.22.3")):
        d = doc[side]
        assert (d["label"], d["label_source"]) == ("go_version", "profile")
        assert [g["version"] for g in d["versions"]] == [v]
        assert cats(d["versions"][0]) == cats(d) == {"gc": 0, "alloc": 10, "syscall": 0, "sched": 0, "user": 20}
    # the samples' own label wins over the upload's
    own = upload(data, labels="go_version:go1.99")["id"]
    d = client.get_json("/api/v1/profiles/%s/runtime" % own)
    assert d["label_source"] == "samples"
    assert [g["version"] for g in d["versions"]] == ["go1.19.8"]
    # `version` when there is no go_version
    plain = upload(pb.simple_profile(stacks), labels="version:v2.3.0")["id"]
    d = client.get_json("/api/v1/profiles/%s/runtime" % plain)
    assert (d["label"], d["versions"][0]["version"]) == ("version", "v2.3.0")


def table_rows():
    """(name, prefix, category key, checked in) of server/runtime_share.c's rule table."""
    import re
    src = open(os.path.join(catalog.REPO_ROOT, "server", "runtime_share.c")).read()
    body = src[src.index("rules[] = {"):src.index("#define N_RULES")]
    keys = {"GC": "gc", "ALLOC": "alloc", "SYSCALL": "syscall", "SCHED": "sched"}
    rows = [(m.group(1), m.group(2) == "true", keys[m.group(3)], m.group(4)) for m in re.finditer(
        r'\{ "([^"]+)", (true|false), RUNTIME_SHARE_([A-Z]+), "([^"]+)" \}', body)]
    assert len(rows) > 50
    return rows


def test_pprof_regexes_and_docs_agree_with_the_table():
    """The hand-written pprof regexes (runtime_regex.py) put every name of
    the server's table in its category and in no category above it, and
    docs/RUNTIME.md lists exactly the table's rows."""
    import re
    order = [k for k, _ in runtime_regex.ORDER]
    rx = dict(runtime_regex.ORDER)
    for name, prefix, key, _ in table_rows():
        for probe in ([name, name + "func1"] if prefix else [name]):
            assert re.search(rx[key], probe), (probe, key)
            for higher in order[:order.index(key)]:
                assert not re.search(rx[higher], probe), (probe, "also matches", higher)
        if not prefix:
            # an exact name does not swallow longer ones
            assert not any(re.search(rx[k], name + "Zz") for k in order) or any(
                n != name and (name + "Zz").startswith(n) for n, p, _, _ in table_rows() if p), name
    doc = open(os.path.join(catalog.REPO_ROOT, "docs", "RUNTIME.md")).read()
    listed = set(re.findall(r"^\| `([^`]+)` \| ([^|]+) \|$", doc, re.M))
    want = {(n + ("…" if p else ""), v) for n, p, _, v in table_rows()}
    assert listed == want
