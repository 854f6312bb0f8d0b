"""The format each profile came in (`format` of the metadata and of the
list, schema/010): pprof, pprof-uncompressed, text-debug1, text-debug2,
folded, speedscope, gzipped or not, by upload; and, for profiles stored
before migration 010 (their format NULL, as the migration leaves them), the
same names found again at the next start from the stored bytes.
"""

import gzip
import os
import signal
import sys

import pytest

import pb
from client import Client

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from flamedex_server import Server, db_query  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

DEBUG1 = (b"goroutine profile: total 3\n"
          b"2 @ 0x1 0x2\n"
          b"#\t0x1\tmain.worker+0x2a\t/src/main.go:20\n"
          b"#\t0x2\tmain.main+0x1d\t/src/main.go:10\n"
          b"\n"
          b"1 @ 0x2\n"
          b"#\t0x2\tmain.main+0x1d\t/src/main.go:10\n")
DEBUG2 = (b"goroutine 1 [running]:\n"
          b"main.main()\n"
          b"\t/src/main.go:10 +0x1d\n")
FOLDED = b"main;a;b 3\nmain;c 2\n"


def _speedscope():
    with open(os.path.join(HERE, "speedscope", "sampled-ms.speedscope.json"), "rb") as f:
        return f.read()


def bodies():
    proto = pb.simple_profile({("main.main", "main.f"): [1, 10000000]}, gzipped=False)
    ss = _speedscope()
    return [
        ("pprof", gzip.compress(proto), "pprof"),
        ("pprof-uncompressed", proto, "pprof-uncompressed"),
        ("text-debug1", DEBUG1, "text-debug1"),
        ("text-debug1 gzipped", gzip.compress(DEBUG1), "text-debug1"),
        ("text-debug2", DEBUG2, "text-debug2"),
        ("folded", FOLDED, "folded"),
        ("folded gzipped", gzip.compress(FOLDED), "folded"),
        ("speedscope", ss, "speedscope"),
        ("speedscope gzipped", gzip.compress(ss), "speedscope"),
    ]


CASES = bodies()


@pytest.mark.parametrize("name,body,fmt", CASES, ids=[c[0] for c in CASES])
def test_format_in_meta_and_list(client, name, body, fmt):
    meta = client.upload_ok(body, {"name": "format " + name})
    assert meta["format"] == fmt
    assert client.get_json("/api/v1/profiles/%s" % meta["id"])["format"] == fmt
    listed = client.get_json("/api/v1/profiles", {"q": "format " + name, "limit": 1000})["profiles"]
    mine = [p for p in listed if p["id"] == meta["id"]]
    assert len(mine) == 1 and mine[0]["format"] == fmt, mine


def test_formats_of_older_profiles_found_at_start():
    srv = Server().start()
    try:
        c = Client(srv.url)
        ids = {}
        for name, body, fmt in CASES:
            ids[c.upload_ok(body, {"name": name})["id"]] = fmt
        srv.proc.send_signal(signal.SIGTERM)
        assert srv.proc.wait(timeout=30) == 0
        # rows as migration 010 leaves those stored before it: no format
        # (not a rollback of user_version, which holds only while 010 is
        # the last migration)
        db_query(srv, "UPDATE profiles SET format=NULL")
        srv.start()
        c = Client(srv.url)
        assert "named the format of stored profiles" in srv.log_tail(200000)
        got = {i: c.get_json("/api/v1/profiles/%s" % i)["format"] for i in ids}
        assert got == ids
        assert db_query(srv, "SELECT count(*) FROM profiles WHERE format IS NULL")[0][0] == 0
    finally:
        problem = srv.stop()
    assert not problem, problem
