"""Series storage (server/series.h): profiles of one series stored against a
shared dictionary.

Profiles with profile labels (--series-storage labelled, the default) keep
only their own part (metadata, labels, samples against the group's trie
nodes: stacks format 16); their strings, functions, locations and stack
prefixes are chunks of their series' group. These tests check that this
saves what it should (a repeated profile adds no chunk and a fraction of
the bytes), that every view read back cold (after a restart, dictionary
caches empty) equals `go tool pprof` and the same profile stored alone,
that deleting a series' last profile deletes its group and a later upload
still stores (the stale-group path), that concurrent uploads to one series
all read back right, and that a damaged chunk is a 500, not a crash.
"""

import concurrent.futures
import os
import signal

import catalog
import checks
import pproftool
from client import Client
from flamedex_server import PG, Server, db_query, server_binary

FILES = ["agent-insight/cpu.pb.gz", "parca/labels.pb.gz", "pyroscope/go.cpu.labels.pprof",
         "apm-server/default.pgo@fd94d0ec", "go/inline_hot.pprof"]

VIEWS = ["/top", "/flamegraph", "/tags", "/top?granularity=lines", "/top?granularity=addresses",
         "/flamegraph?focus=runtime", "/top?sample_type=0", "/list?fn=runtime%5C.mallocgc",
         "/export?format=folded", "/peek?re=runtime"]


def corpus(rel):
    path = os.path.join(catalog.CORPUS, rel)
    assert os.path.isfile(path), "corpus file missing: %s" % path
    return path


def read(rel):
    with open(corpus(rel), "rb") as f:
        return f.read()


def views(c, pid):
    out = {}
    for v in VIEWS:
        r = c.request("GET", "/api/v1/profiles/%s%s" % (pid, v))
        out[v] = (r.status, r.body if r.status == 200 else r.json()["error"]["code"])
    return out


def metric(c, name):
    r = c.request("GET", "/metrics")
    assert r.status == 200
    for line in r.body.decode().splitlines():
        if line.startswith(name + " "):
            return int(float(line.split()[1]))
    raise AssertionError("no metric %s" % name)


def stacks_row(srv, pid):
    (fmt, n, grp), = db_query(
        srv, "SELECT s.format, length(s.data), coalesce(s.grp, '') FROM stacks s "
        "JOIN profiles p ON p.seq=s.profile_seq WHERE p.id=?", (pid,))
    return fmt, n, grp


def restart(srv):
    srv.proc.send_signal(signal.SIGTERM)
    assert srv.proc.wait(timeout=30) == 0, srv.log_tail()
    srv.start()
    return Client(srv.url)


def test_series_views_equal_pprof_and_the_profile_stored_alone_after_restart():
    srv = Server(["--series-storage", "labelled", "--cache-bytes", "1"]).start()
    try:
        c = Client(srv.url)
        alone, series = {}, {}
        for rel in FILES:
            data = read(rel)
            alone[rel] = c.upload_ok(data, {"name": rel})["id"]
            # two series, each profile in both: the second group shares
            series[rel] = [c.upload_ok(data, {"name": rel, "labels": "service:s%d" % k})["id"] for k in (1, 2)]
        c = restart(srv)
        for rel in FILES:
            fmt, _, grp = stacks_row(srv, alone[rel])
            assert fmt in (0, 3) and grp == "", "%s stored alone: format %d group %r" % (rel, fmt, grp)
            want = views(c, alone[rel])
            for pid in series[rel]:
                fmt, _, grp = stacks_row(srv, pid)
                assert fmt == 16 and grp, "%s in a series: format %d group %r" % (rel, fmt, grp)
                got = views(c, pid)
                for v in VIEWS:
                    assert got[v] == want[v], "%s %s: series %r vs alone %r" % (rel, v, got[v][1][:200],
                                                                               want[v][1][:200])
            # and pprof's own numbers, for every sample type
            types = c.get_json("/api/v1/profiles/%s" % series[rel][0])["sample_types"]
            for i, st in enumerate(types):
                j = c.get_json("/api/v1/profiles/%s/top" % series[rel][1], {"sample_type": i, "limit": 0})
                checks.compare_top(j, pproftool.top(corpus(rel), i, st["unit"]), "%s ?sample_type=%d" % (rel, i))
        assert metric(c, "flamedex_series_dict_loads_total") > 0
    finally:
        problem = srv.stop()
    assert not problem, problem


def test_a_repeated_profile_adds_no_chunk_and_a_fraction_of_the_bytes():
    srv = Server(["--series-storage", "labelled"]).start()
    try:
        c = Client(srv.url)
        data = read("apm-server/default.pgo@fd94d0ec")
        first = c.upload_ok(data, {"labels": "service:apm"})["id"]
        chunks = metric(c, "flamedex_series_chunks_total")
        chunk_bytes = metric(c, "flamedex_series_chunk_bytes_total")
        assert chunks == 1 and chunk_bytes > 0
        more = [c.upload_ok(data, {"labels": "service:apm"})["id"] for _ in range(3)]
        assert metric(c, "flamedex_series_chunks_total") == 1, "a repeated profile wrote a chunk"
        assert metric(c, "flamedex_series_puts_total") == 4
        alone = c.upload_ok(data)["id"]
        _, n_alone, _ = stacks_row(srv, alone)
        _, n_first, g1 = stacks_row(srv, first)
        for pid in more:
            _, n, g = stacks_row(srv, pid)
            assert g == g1, "the series changed group"
            # samples only: a fraction of the profile stored alone
            assert n == n_first and n * 3 < n_alone, (n, n_alone)
        (grp_chunks, grp_bytes), = db_query(srv, "SELECT chunks, bytes FROM dict_groups WHERE grp=?", (g1,))
        assert (grp_chunks, grp_bytes) == (1, chunk_bytes)
    finally:
        problem = srv.stop()
    assert not problem, problem


def test_deleting_a_series_deletes_its_group_and_the_next_upload_makes_a_new_one():
    srv = Server(["--series-storage", "labelled", "--cache-bytes", "1"]).start()
    try:
        c = Client(srv.url)
        data = read("agent-insight/cpu.pb.gz")
        a = c.upload_ok(data, {"labels": "service:gc"})["id"]
        b = c.upload_ok(data, {"labels": "service:gc"})["id"]
        _, _, grp = stacks_row(srv, a)
        assert c.request("DELETE", "/api/v1/profiles/%s" % a).status == 204
        assert db_query(srv, "SELECT count(*) FROM dict_chunks WHERE grp=?", (grp,)) == [(1,)], \
            "the group went while a profile still needs it"
        before = c.request("GET", "/api/v1/profiles/%s/top" % b).body
        assert c.request("DELETE", "/api/v1/profiles/%s" % b).status == 204
        assert db_query(srv, "SELECT count(*) FROM dict_chunks WHERE grp=?", (grp,)) == [(0,)]
        assert db_query(srv, "SELECT count(*) FROM dict_groups WHERE grp=?", (grp,)) == [(0,)]
        # this process's writer still thinks the group is there: the store
        # finds it stale and stores in a new group
        d = c.upload_ok(data, {"labels": "service:gc"})["id"]
        fmt, _, grp2 = stacks_row(srv, d)
        assert fmt == 16 and grp2 and grp2 != grp
        c = restart(srv)
        assert c.request("GET", "/api/v1/profiles/%s/top" % d).body == before
    finally:
        problem = srv.stop()
    assert not problem, problem


def test_concurrent_uploads_to_one_series_all_read_back():
    srv = Server(["--series-storage", "labelled", "--cache-bytes", "1"]).start()
    try:
        c = Client(srv.url)
        datas = [read(rel) for rel in FILES]
        want = {}
        for i, data in enumerate(datas):
            pid = c.upload_ok(data)["id"]
            want[i] = c.request("GET", "/api/v1/profiles/%s/top?limit=0" % pid).body

        def up(k):
            i = k % len(datas)
            return i, Client(srv.url).upload_ok(datas[i], {"labels": "service:conc"})["id"]

        with concurrent.futures.ThreadPoolExecutor(8) as ex:
            got = list(ex.map(up, range(24)))
        groups = {stacks_row(srv, pid)[2] for _, pid in got}
        assert len(groups) == 1 and "" not in groups, groups
        c = restart(srv)
        for i, pid in got:
            assert c.request("GET", "/api/v1/profiles/%s/top?limit=0" % pid).body == want[i], pid
    finally:
        problem = srv.stop()
    assert not problem, problem


def test_a_damaged_chunk_falls_back_to_the_original_or_is_a_500_and_the_server_lives():
    """A damaged chunk never crashes: a profile whose original was kept is
    read from it (same answer); with the original gone too it is a 500."""
    srv = Server(["--series-storage", "labelled", "--cache-bytes", "1"]).start()
    try:
        c = Client(srv.url)
        pid = c.upload_ok(read("agent-insight/cpu.pb.gz"), {"labels": "service:bad"})["id"]
        before = c.request("GET", "/api/v1/profiles/%s/top" % pid).body
        _, _, grp = stacks_row(srv, pid)
        srv.proc.send_signal(signal.SIGTERM)
        assert srv.proc.wait(timeout=30) == 0
        # the chunk's raw length kept, its zlib stream cut short
        if PG:
            db_query(srv, "UPDATE dict_chunks SET data=substring(data from 1 for 20) WHERE grp=?", (grp,))
        else:
            db_query(srv, "UPDATE dict_chunks SET data=substr(data, 1, 20) WHERE grp=?", (grp,))
        srv.start()
        c = Client(srv.url)
        r = c.request("GET", "/api/v1/profiles/%s/top" % pid)
        assert r.status == 200 and r.body == before, r
        assert "series group unreadable: decoding the original" in srv.log_tail(200000)
        srv.proc.send_signal(signal.SIGTERM)
        assert srv.proc.wait(timeout=30) == 0
        if PG:
            db_query(srv, "UPDATE blobs SET raw='' WHERE profile_seq=(SELECT seq FROM profiles WHERE id=?)", (pid,))
        else:
            db_query(srv, "UPDATE blobs SET raw=x'' WHERE profile_seq=(SELECT seq FROM profiles WHERE id=?)", (pid,))
        srv.start()
        c = Client(srv.url)
        r = c.request("GET", "/api/v1/profiles/%s/top" % pid)
        assert r.status == 500 and r.json()["error"]["code"] == "internal", r
        assert c.request("GET", "/healthz").status == 200
        other = c.upload_ok(read("agent-insight/cpu.pb.gz"))["id"]
        assert c.request("GET", "/api/v1/profiles/%s/top" % other).status == 200
    finally:
        problem = srv.stop()
    assert not problem, problem


def test_series_storage_off_stores_alone_and_a_bad_value_is_a_startup_error():
    srv = Server(["--series-storage", "off"]).start()
    try:
        c = Client(srv.url)
        pid = c.upload_ok(read("agent-insight/cpu.pb.gz"), {"labels": "service:off"})["id"]
        fmt, _, grp = stacks_row(srv, pid)
        assert fmt in (0, 3) and grp == ""
    finally:
        problem = srv.stop()
    assert not problem, problem
    import subprocess
    p = subprocess.run([server_binary(), "--series-storage", "sometimes", "--db", ":memory:"], capture_output=True,
                       text=True, timeout=30)
    assert p.returncode != 0 and "--series-storage" in p.stderr, (p.returncode, p.stderr)
