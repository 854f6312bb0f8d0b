"""/metrics says what the caches do (issue 14: "cache hits and bytes";
server/route_targets.c): flamedex_cache_{hits,misses}_total, _bytes,
_limit_bytes and _entries, each by cache: "profiles" (decoded profiles,
store.c), "merges" (merged models), "answers" (merged views' kept
replies, selection.c) and "views" (one profile's views' kept replies,
route_views.c). A server of its own, so that the counts are this
test's alone."""

import pb
from client import Client
from flamedex_server import Server

CACHES = ("profiles", "merges", "answers", "views")


def scrape(c):
    text = c.get("/metrics").body.decode()
    out = {}
    for line in text.splitlines():
        if line.startswith("flamedex_cache_"):
            name, value = line.rsplit(" ", 1)
            out[name] = int(value)
    return out


def m(d, what, cache):
    key = 'flamedex_cache_%s{cache="%s"}' % (what, cache)
    assert key in d, (key, sorted(d))
    return d[key]


def test_cache_hits_misses_and_bytes():
    srv = Server(["--cache-bytes", "64m"]).start()
    try:
        c = Client(srv.url, token=srv.token)
        a = c.upload_ok(pb.simple_profile({("main.main", "main.a"): [3, 30], ("main.main", "main.b"): [1, 10]}),
                        {"name": "a"})["id"]
        b = c.upload_ok(pb.simple_profile({("main.main", "main.a"): [5, 50]}), {"name": "b"})["id"]
        s0 = scrape(c)
        for what in ("hits_total", "misses_total", "bytes", "limit_bytes", "entries"):
            for cache in CACHES:
                assert m(s0, what, cache) >= 0
        assert m(s0, "limit_bytes", "profiles") > 0

        # one profile's view: rendered (a views miss) from the decoded
        # profile; the same view again: its kept answer (a views hit), the
        # profile not looked up; another view of it: the decoded profile
        # found (a profiles hit, no decode), a new answer
        assert c.get("/api/v1/profiles/%s/top" % a).status == 200
        s1 = scrape(c)
        assert m(s1, "misses_total", "views") == m(s0, "misses_total", "views") + 1
        assert m(s1, "entries", "views") == m(s0, "entries", "views") + 1 and m(s1, "bytes", "views") > 0
        assert m(s1, "limit_bytes", "views") > 0
        assert c.get("/api/v1/profiles/%s/top" % a).status == 200
        s2 = scrape(c)
        assert m(s2, "hits_total", "views") == m(s1, "hits_total", "views") + 1
        assert m(s2, "misses_total", "views") == m(s1, "misses_total", "views")
        assert m(s2, "hits_total", "profiles") == m(s1, "hits_total", "profiles")
        assert c.get("/api/v1/profiles/%s/top" % a, {"limit": 1}).status == 200
        s2b = scrape(c)
        assert m(s2b, "hits_total", "profiles") == m(s2, "hits_total", "profiles") + 1
        assert m(s2b, "misses_total", "profiles") == m(s2, "misses_total", "profiles")
        assert m(s2b, "misses_total", "views") == m(s2, "misses_total", "views") + 1
        assert m(s2b, "bytes", "profiles") > 0 and m(s2b, "entries", "profiles") >= 1
        s2 = s2b

        # a merge: model and answer made (misses), then the same answer kept
        q = {"ids": "%s,%s" % (a, b), "limit": 10}
        assert c.get("/api/v1/merge/top", q).status == 200
        s3 = scrape(c)
        assert m(s3, "misses_total", "merges") == m(s2, "misses_total", "merges") + 1
        assert m(s3, "misses_total", "answers") == m(s2, "misses_total", "answers") + 1
        assert m(s3, "bytes", "merges") > 0 and m(s3, "entries", "merges") == 1
        assert m(s3, "bytes", "answers") > 0 and m(s3, "entries", "answers") == 1
        assert c.get("/api/v1/merge/top", q).status == 200
        s4 = scrape(c)
        assert m(s4, "hits_total", "answers") == m(s3, "hits_total", "answers") + 1
        assert m(s4, "misses_total", "merges") == m(s3, "misses_total", "merges")
        # another view of the same selection: a new answer over the kept model
        assert c.get("/api/v1/merge/flamegraph", {"ids": q["ids"]}).status == 200
        s5 = scrape(c)
        assert m(s5, "hits_total", "merges") == m(s4, "hits_total", "merges") + 1
        assert m(s5, "misses_total", "answers") == m(s4, "misses_total", "answers") + 1
        assert m(s5, "entries", "answers") == 2
    finally:
        problem = srv.stop()
    assert problem is None, problem
