"""The stored form: a profile read back after a restart gives the same views.

store.c leaves a profile's stacks form (codec.h, FDX3) out when it would
pass a third of the original bytes and decoding the original costs about
what decoding it does (stacks row format 0); a cold load then decodes the
original again. Both paths must give every view byte for
byte as the upload's own decode did: the flame graph, top (also at lines
and addresses, which need the locations' addresses), and /list. The test
makes sure both paths are taken (random deep leaves, whose stacks form
does not pay, and apm's profile, whose does), so it cannot pass on one
path alone.
"""

import gzip
import os
import random
import signal

import catalog
import pb
from client import Client
from flamedex_server import Server, db_query

APM = "apm-server/default.pgo@fd94d0ec"
SMALL = "agent-insight/cpu.pb.gz"

VIEWS = [
    "/flamegraph",
    # the default flame graph comes back from its kept answer after a
    # restart (answers.h, test_view_answers.py): the same view under
    # another key is the one that decodes the stored form
    "/flamegraph?max_nodes=20000",
    "/top",
    "/top?granularity=lines",
    "/top?granularity=addresses",
    "/flamegraph?granularity=addresses",
    "/list?fn=runtime%5C.mallocgc",
    "/list?fn=%5Emain%5C.(main%7Cf1)%24",
]


def corpus_file(rel):
    path = os.path.join(catalog.CORPUS, rel)
    assert os.path.isfile(path), "corpus file missing: %s" % path
    with open(path, "rb") as f:
        return f.read()


def random_leaves(n_samples=3000, n_funcs=2000, depth=24, seed=12):
    """Random deep leaves (bench/gen's "random" shape, small): almost
    every stack prefix distinct, so the stacks form barely compresses and
    decoding the original costs about what decoding the trie does."""
    rnd = random.Random(seed)
    b = pb.Builder()
    b.sample_type("samples", "count").sample_type("cpu", "nanoseconds").mapping(1)
    for i in range(1, n_funcs + 1):
        b.function(i, "main.f%d" % i, filename="f%d.go" % (i % 17))
        b.location(i, [(i, 10 + i % 50)], mapping_id=1, address=0x400000 + 16 * i)
    for _ in range(n_samples):
        trunk = [1 + rnd.randrange(8) for _ in range(depth // 2)]
        leaves = [1 + rnd.randrange(n_funcs) for _ in range(rnd.randrange(1, depth // 2))]
        n = rnd.randrange(1, 9)
        b.sample(leaves[::-1] + trunk[::-1], [n, n * 10000000])
    return b.encode(gzipped=True)


def views(c, pid):
    out = {}
    for v in VIEWS:
        path, _, query = v.partition("?")
        r = c.request("GET", "/api/v1/profiles/%s%s%s" % (pid, path, "?" + query if query else ""))
        # an error's body names its request: compare its code only
        out[v] = (r.status, r.body if r.status == 200 else r.json()["error"]["code"])
    return out


def test_views_same_after_restart_from_either_stored_form():
    apm = corpus_file(APM)
    small = corpus_file(SMALL)
    uploads = {
        "apm gzipped": apm,
        "apm uncompressed": gzip.decompress(apm),
        "small gzipped": small,
        "random leaves": random_leaves(),
    }
    # the codec's stored forms (series storage, test_series.py, is for
    # labelled uploads; FLAMEDEX_TEST_SERIES=all would take these too)
    srv = Server(["--series-storage", "labelled"])
    srv.start()
    try:
        c = Client(srv.url)
        ids, before = {}, {}
        for name, data in uploads.items():
            r = c.upload(data, params={"name": name})
            assert r.status == 201, "%s: upload -> %r" % (name, r)
            ids[name] = r.json()["id"]
            before[name] = views(c, ids[name])
            assert before[name]["/flamegraph"][0] == 200 and before[name]["/top?granularity=addresses"][0] == 200, \
                "%s: %r" % (name, {k: v[0] for k, v in before[name].items()})
        srv.proc.send_signal(signal.SIGTERM)
        assert srv.proc.wait(timeout=30) == 0, srv.log_tail()

        # the stacks rows, on either backend (db_query)
        formats = {}
        for name, pid in ids.items():
            (fmt, n), = db_query(
                srv, "SELECT s.format, length(s.data) FROM stacks s JOIN profiles p ON p.seq=s.profile_seq "
                "WHERE p.id=?", (pid,))
            (raw,), = db_query(
                srv, "SELECT length(b.raw) FROM blobs b JOIN profiles p ON p.seq=b.profile_seq WHERE p.id=?", (pid,))
            formats[name] = fmt
            if fmt == 0:
                assert n == 0, "%s: format 0 with %d bytes of stacks" % (name, n)
            else:
                assert fmt == 3 and n > 0, "%s: format %d, %d bytes for %d raw" % (name, fmt, n, raw)
        assert formats["random leaves"] == 0, "the random-leaves profile kept its stacks form: %r" % formats
        assert formats["apm uncompressed"] == 3, "the uncompressed apm profile has no stacks form: %r" % formats

        srv.start()   # the same database: every view is a cold load
        c = Client(srv.url)
        for name, pid in ids.items():
            after = views(c, pid)
            for v in VIEWS:
                assert after[v] == before[name][v], \
                    "%s %s differs after the restart (stored form %d): %r vs %r" % (
                        name, v, formats[name], after[v][1][:200], before[name][v][1][:200])
        # and the two uploads of apm agree with each other
        for v in VIEWS:
            assert before["apm gzipped"][v] == before["apm uncompressed"][v], v
    finally:
        problem = srv.stop()
    assert not problem, problem
