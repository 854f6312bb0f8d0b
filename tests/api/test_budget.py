"""Bounded work (issue 10): the cost budgets of a request, the memory
account, admission of heavy requests, single-flight decoding.

Every server here runs with --cache-bytes 1k, so no profile is ever
cached: each view must load the profile it reads, which is what makes
decodes visible (one "msg=decoded id=ID" log line per decode, store.c)
and what a profile too big for the cache looks like.

The big profiles are generated here (big_profile: a few MB, deterministic).
They are uploaded once through a server with default limits; the servers
with small budgets then open the same database (a later --db wins). No
assertion is on a duration: "answered with a clear status" is what is
checked, with generous client timeouts.
"""
import gzip
import os
import random
import shutil
import signal
import tempfile
import threading

import pytest

import pb
from client import Client
from flamedex_server import Server, server_binary

TINY_CACHE = ["--cache-bytes", "1k"]


def _varint(n):
    return pb.varint(n)


def big_profile(n_samples=80000, n_funcs=4000, seed=7, goroutine=False):
    """A deterministic profile: n_funcs functions ("...svcNN/pkgK.FuncNNNNN"),
    one location each, n_samples samples whose stacks share 50 trunks.
    goroutine: one goroutine/count value per sample (a goroutine profile,
    for /leaks), else samples/count and cpu/nanoseconds."""
    rnd = random.Random(seed)
    V = [_varint(i) for i in range(n_funcs + 64)]

    def fb(field, data):
        return _varint(field << 3 | 2) + _varint(len(data)) + data

    def fv(field, n):
        return _varint(field << 3) + _varint(n)

    strings = [b"", b"samples", b"count", b"cpu", b"nanoseconds", b"goroutine"]
    first_fn = len(strings)
    for i in range(n_funcs):
        strings.append(b"github.com/acme/svc%02d/pkg%d.Func%05d" % (i % 50, i % 7, i))
    file_ix = len(strings)
    strings.append(b"src/acme/file.go")
    out = bytearray()
    if goroutine:
        out += fb(1, fv(1, 5) + fv(2, 2))
    else:
        out += fb(1, fv(1, 1) + fv(2, 2))
        out += fb(1, fv(1, 3) + fv(2, 4))
    for i in range(n_funcs):
        fid = i + 1
        out += fb(5, fv(1, fid) + fv(2, first_fn + i) + fv(3, first_fn + i) + fv(4, file_ix))
        out += fb(4, fv(1, fid) + fb(4, fv(1, fid) + fv(2, 10 + i % 100)))
    trunks = [[rnd.randrange(n_funcs) + 1 for _ in range(20)] for _ in range(50)]
    for s in range(n_samples):
        t = trunks[rnd.randrange(len(trunks))]
        stack = t[:5 + rnd.randrange(15)] + [rnd.randrange(n_funcs) + 1 for _ in range(rnd.randrange(20))]
        stack.reverse()
        vals = V[1 + s % 5] if goroutine else V[1 + s % 5] + _varint(1000 * (1 + s % 13))
        out += fb(2, fb(1, b"".join(V[x] for x in stack)) + fb(2, vals))
    for st in strings:
        out += fb(6, st)
    if goroutine:
        out += fb(11, fv(1, 5) + fv(2, 2)) + fv(12, 1)
    else:
        out += fb(11, fv(1, 3) + fv(2, 4)) + fv(12, 10000000)
    return gzip.compress(bytes(out), 1)


@pytest.fixture(scope="module")
def stored():
    """A database holding the big profiles: {"dir", "db", "cpu", "gor"} (ids)."""
    d = tempfile.mkdtemp(prefix="flamedex-budget-")
    db = os.path.join(d, "shared.db")
    srv = Server(["--db", db]).start()
    try:
        c = Client(srv.url, timeout=300)
        ids = {
            "cpu": c.upload_ok(big_profile())["id"],
            "gor": c.upload_ok(big_profile(seed=8, goroutine=True))["id"],
        }
    finally:
        problem = srv.stop()
    assert not problem, problem
    yield dict(ids, dir=d, db=db)
    shutil.rmtree(d, ignore_errors=True)


def serve(stored, *flags):
    """A server on the shared database with these flags (stop it). Its
    time budget is long unless the flags set one: what these tests count
    is work and memory, and a sanitized server on a loaded machine can
    need more than the default 60 s for a request that must succeed."""
    slack = [] if "--max-request-time" in flags else ["--max-request-time", "900"]
    return Server(["--db", stored["db"]] + TINY_CACHE + slack + list(flags)).start()


def decodes(srv, pid):
    with open(srv.log_path, "rb") as f:
        return f.read().decode("utf-8", "replace").count("msg=decoded id=%s " % pid)


def stop_ok(srv):
    problem = srv.stop()
    assert not problem, problem


def in_parallel(fns):
    """Run the callables at once (released together); their results in order."""
    results = [None] * len(fns)
    errors = []
    gate = threading.Barrier(len(fns))

    def run(i):
        try:
            gate.wait()
            results[i] = fns[i]()
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(fns))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(600)
    assert not errors, errors
    return results


# ---------------------------------------------------------------- decodes


def test_sixteen_copies_of_one_id_decode_once(stored):
    srv = serve(stored)
    try:
        c = Client(srv.url, timeout=300)
        gid = stored["gor"]
        j = c.get_json("/api/v1/leaks", {"ids": ",".join([gid] * 16)})
        assert j["duplicate_ids"] == 15
        assert decodes(srv, gid) == 1
        # 256 copies (the most ids a query takes) are still one decode.
        j = c.get_json("/api/v1/leaks", {"ids": ",".join([gid] * 256)})
        assert j["duplicate_ids"] == 255
        assert decodes(srv, gid) == 2
    finally:
        stop_ok(srv)


def test_concurrent_views_of_an_uncacheable_profile_decode_once(stored):
    """Eight viewers of a profile bigger than --cache-bytes, at once: one
    decode, shared (single flight), and eight equal answers."""
    srv = serve(stored)
    try:
        c = Client(srv.url, timeout=300)
        pid = stored["cpu"]
        path = "/api/v1/profiles/%s/flamegraph?hide=pkg3" % pid
        before = decodes(srv, pid)
        rs = in_parallel([lambda: c.get(path)] * 8)
        assert [r.status for r in rs] == [200] * 8, rs
        assert len({r.body for r in rs}) == 1
        assert decodes(srv, pid) - before == 1
        # Not cached: once nobody holds it, the next view decodes again.
        assert c.get(path).status == 200
        assert decodes(srv, pid) - before == 2
    finally:
        stop_ok(srv)


# ---------------------------------------------------------------- budgets


def test_a_view_over_its_work_budget_is_503_over_budget(stored):
    """--max-request-work set low: every heavy kind answers 503
    over_budget naming the flag, never a 200 with part of the answer."""
    pid, gid = stored["cpu"], stored["gor"]
    paths = [
        "/api/v1/profiles/%s/top" % pid,
        "/api/v1/profiles/%s/top?hide=pkg3" % pid,
        "/api/v1/profiles/%s/flamegraph?focus=svc0" % pid,
        "/api/v1/profiles/%s/tags" % pid,
        "/api/v1/profiles/%s/sandwich?function=github.com/acme/svc01/pkg1.Func00001" % pid,
        "/api/v1/diff?base=%s&target=%s" % (pid, pid),
        "/api/v1/leaks?ids=%s" % gid,
    ]
    srv = serve(stored, "--max-request-work", "20000")
    try:
        c = Client(srv.url, timeout=300)
        for path in paths:
            r = c.get(path)
            assert r.status == 503, (path, r)
            assert r.error_code() == "over_budget", (path, r)
            assert "--max-request-work" in r.json()["error"]["message"]
        assert c.healthy()
        # An upload over the budget is refused the same way, and stores nothing.
        total = c.list_total()
        r = c.upload(big_profile(n_samples=20000, seed=9))
        assert r.status == 503 and r.error_code() == "over_budget", r
        assert c.list_total() == total
    finally:
        stop_ok(srv)
    # The same views with a budget that suffices answer 200.
    srv = serve(stored, "--max-request-work", "1g")
    try:
        c = Client(srv.url, timeout=300)
        for path in paths:
            r = c.get(path)
            assert r.status == 200, (path, r)
    finally:
        stop_ok(srv)


def test_a_full_memory_account_is_503_busy_with_retry_after(stored):
    """--max-inflight smaller than a decoded profile: the view cannot be
    held, so it is a 503 busy with Retry-After, and the server lives on."""
    srv = serve(stored, "--max-inflight", "4m")
    try:
        c = Client(srv.url, timeout=300)
        for path in ["/api/v1/profiles/%s/top" % stored["cpu"],
                     "/api/v1/profiles/%s/flamegraph?hide=pkg3" % stored["cpu"],
                     "/api/v1/leaks?ids=%s" % stored["gor"]]:
            r = c.get(path)
            assert r.status == 503, (path, r)
            assert r.error_code() == "busy"
            assert int(r.headers["retry-after"]) > 0
        assert c.healthy()
        assert c.get_json("/api/v1/profiles")["total"] == 2
    finally:
        stop_ok(srv)


def is_sanitized():
    try:
        with open(server_binary(), "rb") as f:
            data = f.read()
            return b"__asan_init" in data or b"__tsan_init" in data
    except OSError:
        return False


def vm_hwm(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM in /proc/%d/status" % pid)


@pytest.mark.skipif(is_sanitized(), reason="a sanitizer's shadow memory and quarantine are not the server's")
def test_peak_rss_stays_within_the_flags(stored):
    """Sixteen concurrent heavy requests of every kind against
    --cache-bytes 1k + --max-inflight 160m: each answers 200 or 503 busy,
    and the process's peak RSS stays below the two budgets plus what it
    held at start and a fixed allowance (code, SQLite, threads)."""
    inflight = 160 << 20
    srv = serve(stored, "--max-inflight", str(inflight), "--max-heavy", "16")
    try:
        c = Client(srv.url, timeout=300)
        start = vm_hwm(srv.proc.pid)
        pid, gid = stored["cpu"], stored["gor"]
        paths = [
            "/api/v1/profiles/%s/flamegraph?hide=pkg3" % pid,
            "/api/v1/profiles/%s/top?hide=svc1" % pid,
            "/api/v1/profiles/%s/flamegraph?max_nodes=0" % pid,
            "/api/v1/profiles/%s/tags" % pid,
            "/api/v1/diff?base=%s&target=%s" % (pid, pid),
            "/api/v1/leaks?ids=%s" % ",".join([gid] * 16),
            "/api/v1/profiles/%s/top?hide=pkg1" % pid,
            "/api/v1/profiles/%s/flamegraph?hide=Func1" % pid,
        ] * 2
        rs = in_parallel([lambda p=p: c.get(p) for p in paths])
        statuses = [r.status for r in rs]
        assert set(statuses) <= {200, 503}, statuses
        for r in rs:
            if r.status == 503:
                assert r.error_code() == "busy", r
        peak = vm_hwm(srv.proc.pid)
        bound = 1024 + inflight + start + (48 << 20)
        assert peak <= bound, "peak RSS %d MB above %d MB" % (peak >> 20, bound >> 20)
        # Views do not wait for memory (docs/DESIGN.md: only leak analyses
        # reserve), so sixteen that grow side by side may all be refused;
        # one at a time, those that fit the account alone are served (a
        # diff of the big profile with itself does not fit 160m).
        alone = [c.get(p) for p in sorted(set(paths))]
        assert 200 in [r.status for r in alone], alone
        for r in alone:
            assert r.status == 200 or r.error_code() == "busy", r
    finally:
        stop_ok(srv)


# ---------------------------------------------------------------- admission


def account_peak(srv):
    """Stop srv and return its memory account's peak (the "memory
    account" line it logs at stop)."""
    srv.proc.send_signal(signal.SIGTERM)
    assert srv.proc.wait(60) == 0, srv.log_tail()
    with open(srv.log_path, "rb") as f:
        lines = [ln for ln in f.read().decode("utf-8", "replace").splitlines() if "memory account" in ln]
    shutil.rmtree(srv.dir, ignore_errors=True)
    assert lines, "no memory account line at stop"
    fields = dict(kv.split("=", 1) for kv in lines[-1].split() if "=" in kv)
    return int(fields["peak"])


def lone_answer(stored, path):
    """A request alone against a roomy account: (its body, the account's
    peak while it ran)."""
    srv = serve(stored, "--max-inflight", "8g")
    try:
        r = Client(srv.url, timeout=600).get(path)
        assert r.status == 200, r
    except BaseException:
        srv.stop()
        raise
    return r.body, account_peak(srv)


def log_count(srv, text):
    with open(srv.log_path, "rb") as f:
        return f.read().decode("utf-8", "replace").count(text)


@pytest.mark.parametrize("wait", ["600", "0"])
def test_requests_that_fit_alone_but_not_together_are_served(stored, wait):
    """Three leak analyses at once against an account that holds one of
    them (sized from a lone one's measured peak: no timing involved). Each
    reserves its estimate before it loads anything, so they run one after
    another instead of growing side by side into the limit: with a long
    --heavy-wait all three answer 200 with the lone answer; with none,
    the first one does and the others get a clear 503 busy with
    Retry-After. Before reservations, all three grew together and all
    could be refused."""
    path = "/api/v1/leaks?ids=%s&min_age=0" % stored["gor"]
    body, need = lone_answer(stored, path)
    inflight = need * 13 // 10          # one fits, two do not
    # The time budget counts the wait too: make it as long (a sanitized
    # build is slow).
    srv = serve(stored, "--max-inflight", str(inflight), "--heavy-wait", wait, "--max-request-time", "900")
    try:
        c = Client(srv.url, timeout=900)
        rs = in_parallel([lambda: c.get(path)] * 3)
        statuses = sorted(r.status for r in rs)
        if wait == "600":
            assert statuses == [200] * 3, rs
        else:
            assert statuses[0] == 200, rs
            assert set(statuses) <= {200, 503}, rs
            assert 503 in statuses, rs
        for r in rs:
            if r.status == 200:
                assert r.body == body
            else:
                assert r.error_code() == "busy", r
                assert int(r.headers["retry-after"]) > 0
        if wait == "600":
            assert log_count(srv, 'msg="reservation waits"') >= 1, srv.log_tail()
        assert c.healthy()
    finally:
        stop_ok(srv)


def test_max_heavy_admits_one_and_refuses_or_queues_the_next(stored, monkeypatch, tmp_path):
    """--max-heavy 1, the slot held by the test hook (heavy.h:
    FLAMEDEX_TEST_HEAVY_HOLD) rather than by timing: with --heavy-wait 0 a
    second view is refused at once with 503 busy + Retry-After naming
    --max-heavy, light requests are still served, and once the hold is
    lifted both views answer 200; with a long --heavy-wait the second one
    waits (the server logs it) and then answers 200."""
    hold = tmp_path / "hold"
    held = tmp_path / "hold.held"
    monkeypatch.setenv("FLAMEDEX_TEST_HEAVY_HOLD", str(hold))
    path = "/api/v1/profiles/%s/top?limit=5" % stored["cpu"]

    def wait_for(cond, what):
        for _ in range(6000):           # a generous bound: 60 s
            if cond():
                return
            threading.Event().wait(0.01)
        raise AssertionError("%s did not happen within 60 s" % what)

    for wait in ["0", "600"]:
        hold.write_bytes(b"")
        srv = serve(stored, "--max-heavy", "1", "--heavy-wait", wait)
        try:
            c = Client(srv.url, timeout=300)
            first = {}
            t = threading.Thread(target=lambda: first.setdefault("r", c.get(path)))
            t.start()
            wait_for(held.exists, "the first view holding the slot")
            if wait == "0":
                r = c.get(path)
                assert r.status == 503, r
                assert r.error_code() == "busy"
                assert "--max-heavy" in r.json()["error"]["message"]
                assert int(r.headers["retry-after"]) > 0
                assert c.get_json("/api/v1/profiles")["total"] == 2
                hold.unlink()
                t.join(300)
                assert first["r"].status == 200, first
                assert c.get(path).status == 200
            else:
                second = {}
                t2 = threading.Thread(target=lambda: second.setdefault("r", c.get(path)))
                t2.start()
                wait_for(lambda: log_count(srv, 'msg="heavy request waits"') >= 1, "the second view waiting")
                assert "r" not in second
                hold.unlink()
                t.join(300)
                t2.join(300)
                assert first["r"].status == 200, first
                assert second["r"].status == 200, second
                assert second["r"].body == first["r"].body
        finally:
            if hold.exists():
                hold.unlink()
            stop_ok(srv)
