"""Answers kept in the database (server/answers.h, schema/014, pg/006).

At upload the server computes the page's first views of the profile (the
default flame graph, and the top table the page's Top view asks for,
sort=flat&limit=1000) and keeps them gzipped in the view_answers table.
After a restart on the same database those views come back byte for byte
as before (gzipped or not, as the client asks), with the same ETags and
304 revalidation, without decoding the profile: /metrics counts a stored
hit and no decoded-profile miss. A view with other parameters is still
computed. Editing the name and labels leaves the answers right (they are
not in the views' JSON); a delete removes the rows with the profile; a
profile without rows (stored before them) or with rows of another format
gets them at its first view. On either backend (db_query).
"""

import gzip
import random
import re

import pb
from client import Client
from flamedex_server import Server, db_query

FLAME = "/flamegraph"
TOP = "/top?sort=flat&limit=1000"
NAMES = {"1": FLAME, "0 5:limit=4:1000 4:sort=4:flat": TOP}
GZ = {"Accept-Encoding": "gzip"}
# these small profiles (a few thousand trie nodes) are below the default
# --answers-min-nodes: the tests of the rows themselves keep every one
EVERY = ["--answers-min-nodes", "0"]


def profile(seed=5, n_funcs=300, n_samples=600):
    """Enough distinct stacks that both answers pass encoding.h's 1 KiB
    gzip threshold (so the gzipped path is the one taken)."""
    rnd = random.Random(seed)
    stacks = {}
    for _ in range(n_samples):
        depth = rnd.randrange(2, 9)
        st = ("main.main",) + tuple("pkg%d.f%d" % (i % 7, i) for i in
                                    (rnd.randrange(n_funcs) for _ in range(depth)))
        v = rnd.randrange(1, 20)
        old = stacks.get(st, [0, 0])
        stacks[st] = [old[0] + v, old[1] + v * 10000000]
    return pb.simple_profile(stacks)


def metrics(c):
    out = {}
    for line in c.get("/metrics").body.decode().splitlines():
        if line.startswith("flamedex_") and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def stored(m, what):
    return m["flamedex_view_answers_stored_%s_total" % what]


def decodes(m):
    return m['flamedex_cache_misses_total{cache="profiles"}']


def rows(srv, pid):
    return {str(r[0]): r[1:] for r in db_query(  # psql gives "1" back as an int
        srv, "SELECT a.name, a.format, a.raw_len, length(a.gz) FROM view_answers a "
        "JOIN profiles p ON p.seq=a.profile_seq WHERE p.id=?", (pid,))}


def fetch(c, pid, view, headers=None):
    r = c.request("GET", "/api/v1/profiles/%s%s" % (pid, view), headers=headers)
    assert r.status == 200, (view, r)
    return r


def restart(srv):
    problem = srv.stop_process()
    assert not problem, problem
    srv.start()
    return Client(srv.url)


class Srv(Server):
    def stop_process(self):
        """SIGTERM and wait, keeping the database (Server.stop removes it)."""
        self.proc.terminate()
        rc = self.proc.wait(timeout=30)
        return None if rc == 0 else "server exited with %d\n%s" % (rc, self.log_tail())


def test_answers_survive_a_restart_without_a_decode():
    srv = Srv(EVERY)
    srv.start()
    try:
        c = Client(srv.url)
        pid = c.upload_ok(profile(), {"name": "answers", "labels": "service:a"})["id"]
        other = c.upload_ok(profile(seed=9), {"name": "other"})["id"]
        before = {}
        for view in (FLAME, TOP, FLAME + "?max_nodes=40"):
            plain, gz = fetch(c, pid, view), fetch(c, pid, view, GZ)
            assert "content-encoding" not in plain.headers and gz.headers.get("content-encoding") == "gzip", view
            assert gzip.decompress(gz.body) == plain.body, view
            assert plain.headers["etag"] != gz.headers["etag"]
            before[view] = (plain, gz)

        # what was primed at upload is what the view computes: the same
        # views under other keys (defaults spelled out) are computed now
        assert fetch(c, pid, FLAME + "?max_nodes=20000").body == before[FLAME][0].body
        assert fetch(c, pid, TOP + "&granularity=functions").body == before[TOP][0].body

        # the rows: one per kept view, of this format, the JSON's length,
        # at most the gzipped reply's size (the same bytes)
        kept = rows(srv, pid)
        assert set(kept) == set(NAMES), kept
        for name, view in NAMES.items():
            fmt, raw_len, gz_len = kept[name]
            assert fmt == 1 and raw_len == len(before[view][0].body) > 1024, (name, kept[name])
            assert gz_len == len(before[view][1].body), (name, gz_len, len(before[view][1].body))
        assert set(rows(srv, other)) == set(NAMES)

        c = restart(srv)
        m0 = metrics(c)
        assert stored(m0, "hits") == 0 and decodes(m0) == 0, m0
        for view in (FLAME, TOP):
            plain0, gz0 = before[view]
            gz = fetch(c, pid, view, GZ)
            assert gz.headers.get("content-encoding") == "gzip" and gz.headers.get("vary") == "Accept-Encoding"
            assert gz.body == gz0.body, view  # the very bytes: enc_gzip is deterministic
            assert gz.headers["etag"] == gz0.headers["etag"], view
            plain = fetch(c, pid, view)
            assert "content-encoding" not in plain.headers, view
            assert plain.body == plain0.body, view
            assert plain.headers["etag"] == plain0.headers["etag"], view
            # revalidation: 304, no body, for either coding
            for hdrs, tag in ((GZ, gz0.headers["etag"]), ({}, plain0.headers["etag"])):
                r = c.request("GET", "/api/v1/profiles/%s%s" % (pid, view), headers=dict(hdrs, **{"If-None-Match": tag}))
                assert r.status == 304 and r.body == b"", (view, r)
        m1 = metrics(c)
        assert stored(m1, "hits") == 4, m1     # two views, two codings
        assert decodes(m1) == 0, "a kept view decoded the profile: %r" % m1

        # another parameter is computed (a decode), and right
        r = fetch(c, pid, FLAME + "?max_nodes=40")
        assert r.body == before[FLAME + "?max_nodes=40"][0].body
        m2 = metrics(c)
        assert decodes(m2) == 1 and stored(m2, "hits") == 4, m2

        # name and labels are not in the answers: an edit leaves them right
        e = c.request("PATCH", "/api/v1/profiles/%s" % pid, body=b'{"name": "renamed", "labels": {"service": "b"}}',
                      headers={"Content-Type": "application/json"})
        assert e.status == 200, e
        assert c.get_json("/api/v1/profiles/%s" % pid)["name"] == "renamed"
        c = restart(srv)
        assert fetch(c, pid, FLAME, GZ).body == before[FLAME][1].body
        assert stored(metrics(c), "hits") == 1

        # a delete takes the rows with it; the other profile keeps its own
        assert c.request("DELETE", "/api/v1/profiles/%s" % pid).status == 204
        assert rows(srv, pid) == {}
        (n,), = db_query(srv, "SELECT count(*) FROM view_answers")
        assert n == 2, n
        assert c.request("GET", "/api/v1/profiles/%s%s" % (pid, FLAME)).status == 404
    finally:
        problem = srv.stop()
    assert not problem, problem


def test_answers_written_at_first_view_when_missing_or_of_another_format():
    srv = Srv(EVERY)
    srv.start()
    try:
        c = Client(srv.url)
        pid = c.upload_ok(profile(seed=3), {"name": "late"})["id"]
        flame = fetch(c, pid, FLAME).body
        # as if stored before answers were kept: no rows; and a row of
        # another (older) format for the top, which must not be served
        db_query(srv, "DELETE FROM view_answers WHERE name=?", ("1",))
        db_query(srv, "UPDATE view_answers SET format=format+7, raw_len=raw_len+1")
        c = restart(srv)
        m0 = metrics(c)
        for view in (FLAME, TOP):
            assert gzip.decompress(fetch(c, pid, view, GZ).body) == fetch(c, pid, view).body
        m1 = metrics(c)
        assert stored(m1, "hits") == stored(m0, "hits"), "an answer of another format was served"
        assert decodes(m1) >= 1 and stored(m1, "writes") == stored(m0, "writes") + 2, m1
        kept = rows(srv, pid)
        assert set(kept) == set(NAMES) and all(v[0] == 1 for v in kept.values()), kept
        assert kept["1"][1] == len(flame)
        c = restart(srv)
        assert fetch(c, pid, FLAME).body == flame
        m2 = metrics(c)
        assert stored(m2, "hits") == 1 and decodes(m2) == 0, m2
    finally:
        problem = srv.stop()
    assert not problem, problem


def test_answer_over_the_cap_is_not_kept():
    """A flame graph that gzips above answers.h's 1 MiB is computed as
    before and never stored (the top table, small, still is)."""
    rnd = random.Random(11)
    # 20,000 leaves of random 200-character names: the default flame graph
    # (20,000 nodes) is about 5 MB of JSON that gzips to about 2.5 MB
    stacks = {("main.main", "".join(rnd.choice("0123456789abcdef") for _ in range(200))): [1, 10000000]
              for _ in range(20000)}
    srv = Srv(EVERY)
    srv.start()
    try:
        c = Client(srv.url)
        m0 = metrics(c)
        pid = c.upload_ok(pb.simple_profile(stacks), {"name": "big"})["id"]
        m1 = metrics(c)
        flame = fetch(c, pid, FLAME, GZ)
        assert len(flame.body) > (1 << 20), len(flame.body)
        assert set(rows(srv, pid)) == {"0 5:limit=4:1000 4:sort=4:flat"}, rows(srv, pid)
        assert stored(m1, "skipped") == stored(m0, "skipped") + 1, m1
        c = restart(srv)
        again = fetch(c, pid, FLAME, GZ)
        assert gzip.decompress(again.body) == gzip.decompress(flame.body)
        m2 = metrics(c)
        assert stored(m2, "hits") == 0 and decodes(m2) == 1 and stored(m2, "skipped") == 1, m2
        assert set(rows(srv, pid)) == {"0 5:limit=4:1000 4:sort=4:flat"}
    finally:
        problem = srv.stop()
    assert not problem, problem


def stored_nodes(srv, pid):
    """The trie nodes of an upload, from the server's "stored" log line."""
    with open(srv.log_path) as f:
        got = re.findall(r"msg=stored id=%s samples=\d+ nodes=(\d+)" % re.escape(pid), f.read())
    assert len(got) == 1, got
    return int(got[0])


def test_only_profiles_slow_to_view_cold_keep_answers():
    """--answers-min-nodes: a profile with fewer trie nodes keeps no rows
    (its first view after a restart decodes it, in milliseconds) and
    answers the same bytes and ETags as one that keeps them; the default
    keeps none for these small profiles."""
    threshold = 1000
    srv = Srv(["--answers-min-nodes", str(threshold)])
    srv.start()
    try:
        c = Client(srv.url)
        small = c.upload_ok(profile(seed=4, n_samples=20), {"name": "small"})["id"]
        big = c.upload_ok(profile(seed=4), {"name": "big"})["id"]
        assert stored_nodes(srv, small) < threshold <= stored_nodes(srv, big)
        assert rows(srv, small) == {}
        assert set(rows(srv, big)) == set(NAMES)
        before = {(pid, view): fetch(c, pid, view, GZ) for pid in (small, big) for view in (FLAME, TOP)}
        c = restart(srv)
        for (pid, view), r0 in before.items():
            r = fetch(c, pid, view, GZ)
            assert r.body == r0.body and r.headers["etag"] == r0.headers["etag"], (pid, view)
        m = metrics(c)
        # the big profile's two views from its rows, the small one decoded
        # once (both views from one cached decode) and still keeping nothing
        assert stored(m, "hits") == 2 and decodes(m) == 1, m
        assert stored(m, "writes") == 0 and rows(srv, small) == {}, m
    finally:
        problem = srv.stop()
    assert not problem, problem

    srv = Srv()
    srv.start()
    try:
        c = Client(srv.url)
        pid = c.upload_ok(profile(), {"name": "default"})["id"]
        assert stored_nodes(srv, pid) < 20000
        assert rows(srv, pid) == {}
        assert fetch(c, pid, FLAME).body and rows(srv, pid) == {}
    finally:
        problem = srv.stop()
    assert not problem, problem
