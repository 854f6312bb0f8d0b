"""Bad input: every bad upload or query gets the documented 4xx JSON error,
stores nothing, and leaves the server answering /healthz.  Ends with a
concurrency test: 20 threads uploading and reading at once.
"""

import gzip
import http.client
import os
import random
import subprocess
import tempfile
import threading
import time
import zlib

import pytest

import catalog
import checks
import pb
import pproftool
from client import Client, Response
from flamedex_server import Server

ONE_GIB = 1 << 30


@pytest.fixture
def unchanged(client):
    """Assert that the test stored nothing and that the server still answers."""
    before = client.list_total()
    yield
    assert client.healthy(), "server stopped answering /healthz"
    assert client.list_total() == before, "a refused upload was stored"


def assert_error(r, status, codes):
    if isinstance(codes, str):
        codes = (codes,)
    if isinstance(status, int):
        status = (status,)
    assert r.status in status, "want %s %s, got %d %r" % (status, codes, r.status, r.body[:300])
    code = r.error_code()
    assert code in codes, "want error code %s, got %r (%r)" % (codes, code, r.body[:300])


def a_real_profile():
    """Bytes of a small real gzipped profile (corpus or hand-made)."""
    p = os.path.join(catalog.CORPUS, "pyroscope/go.cpu.labels.pprof")
    if os.path.isfile(p):
        with open(p, "rb") as f:
            return f.read()
    return pb.simple_profile({("main.main", "main.f%d" % i): [i, i * 10] for i in range(1, 200)})


# ------------------------------------------------------------ garbage, gzip


@pytest.mark.parametrize("kind", ["random", "text", "json", "gzip-random", "png-header"])
def test_garbage(client, unchanged, kind):
    rnd = random.Random(1234)
    data = {
        "random": bytes(rnd.getrandbits(8) for _ in range(4096)),
        "text": b"hello, this is not a profile\n" * 20,
        "json": b'{"profile": [1, 2, 3]}',
        "gzip-random": gzip.compress(bytes(rnd.getrandbits(8) for _ in range(4096))),
        "png-header": b"\x89PNG\r\n\x1a\n" + bytes(100),
    }[kind]
    r = client.upload(data)
    # Not a profile: 415; or read as protobuf and found broken: 400 bad_profile.
    assert_error(r, (400, 415), ("unsupported_format", "bad_profile"))


def test_truncated_gzip(client, unchanged):
    data = a_real_profile()
    assert data[:2] == b"\x1f\x8b"
    r = client.upload(data[: len(data) // 2])
    assert_error(r, 400, "bad_gzip")


def test_gzip_bad_crc(client, unchanged):
    data = bytearray(a_real_profile())
    data[-8] ^= 0xFF  # CRC32 in the gzip trailer
    r = client.upload(bytes(data))
    assert_error(r, 400, "bad_gzip")


def test_gzip_bad_deflate(client, unchanged):
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"
    r = client.upload(header + b"\xff" * 64 + b"\x00" * 8)
    assert_error(r, 400, "bad_gzip")


def test_empty_body(client, unchanged):
    r = client.upload(b"")
    assert_error(r, 400, "empty_body")


@pytest.fixture(scope="session")
def gzip_bomb():
    """gzip of 1 GiB of zeros (about 1 MB), built streaming and cached."""
    path = os.path.join(tempfile.gettempdir(), "flamedex-test-bomb-1gib.gz")
    if not os.path.isfile(path) or os.path.getsize(path) < 100000:
        comp = zlib.compressobj(9, zlib.DEFLATED, 31)
        chunk = bytes(1 << 20)
        tmp = path + ".%d.tmp" % os.getpid()
        with open(tmp, "wb") as f:
            for _ in range(ONE_GIB // len(chunk)):
                f.write(comp.compress(chunk))
            f.write(comp.flush())
        os.replace(tmp, path)
    with open(path, "rb") as f:
        return f.read()


def test_gzip_bomb(client, unchanged, gzip_bomb):
    assert len(gzip_bomb) < 2 * 1024 * 1024
    t0 = time.monotonic()
    r = client.upload(gzip_bomb, timeout=60)
    elapsed = time.monotonic() - t0
    assert_error(r, 413, "inflated_too_large")
    assert elapsed < 5.0, "inflated_too_large took %.1fs; the cap must stop inflating early" % elapsed


# ------------------------------------------------------------ bad protobufs


def _base(types=(("samples", "count"), ("cpu", "nanoseconds"))):
    b = pb.Builder()
    for t, u in types:
        b.sample_type(t, u)
    b.mapping(1)
    b.function(1, "main.main")
    b.function(2, "main.work")
    b.location(1, [(1, 10)], mapping_id=1, address=0x401000)
    b.location(2, [(2, 20)], mapping_id=1, address=0x402000)
    return b


def bad_string_index_function():
    b = pb.Builder()
    b.sample_type("samples", "count").mapping(1).function(1, 9999)
    b.location(1, [(1, 1)], mapping_id=1).sample([1], [1])
    return b.encode()


def bad_string_index_sample_type():
    b = pb.Builder()
    b.sample_type(9999, "count").mapping(1).function(1, "main.main")
    b.location(1, [(1, 1)], mapping_id=1).sample([1], [1])
    return b.encode()


def bad_string_index_label():
    b = _base()
    b.sample([2, 1], [1, 10], labels=[(9999, "x")])
    return b.encode()


def bad_string_index_mapping_file():
    b = pb.Builder()
    b.sample_type("samples", "count").mapping(1, filename=5000).function(1, "main.main")
    b.location(1, [(1, 1)], mapping_id=1).sample([1], [1])
    return b.encode()


def bad_function_id():
    b = _base()
    b.location(3, [(77, 5)], mapping_id=1, address=0x403000)
    b.sample([3, 1], [1, 10])
    return b.encode()


def bad_location_id():
    b = _base()
    b.sample([2, 1], [1, 10])
    b.sample([42, 1], [1, 10])
    return b.encode()


def bad_mapping_id():
    b = _base()
    b.location(3, [(2, 21)], mapping_id=9, address=0x403000)
    b.sample([3, 1], [1, 10])
    return b.encode()


def value_count_mismatch():
    b = _base()
    b.sample([2, 1], [1, 10])
    b.sample([2, 1], [1])
    return b.encode()


def too_many_values():
    b = _base()
    b.sample([2, 1], [1, 10, 100])
    return b.encode()


def negative_value():
    b = _base()
    b.sample([2, 1], [1, 10])
    b.sample([2, 1], [1, -10])
    return b.encode()


def absurd_sum():
    b = _base()
    for _ in range(4):
        b.sample([2, 1], [1, (1 << 62) + 1])  # the sum does not fit in int64
    return b.encode()


def bad_default_sample_type():
    b = _base()
    b.sample([2, 1], [1, 10])
    b.default_sample_type(123456)
    return b.encode()


def truncated_protobuf():
    b = _base()
    for i in range(20):
        b.sample([2, 1], [i, i * 10])
    data = b.encode()
    return data[: len(data) - 7]


# (name, builder, does go tool pprof refuse it too?)
BAD_PROTOS = [
    ("string-index-function-name", bad_string_index_function, True),
    ("string-index-sample-type", bad_string_index_sample_type, True),
    ("string-index-label-key", bad_string_index_label, True),
    ("string-index-mapping-file", bad_string_index_mapping_file, True),
    ("function-id", bad_function_id, True),
    ("location-id", bad_location_id, True),
    ("mapping-id", bad_mapping_id, False),  # pprof leaves the mapping nil
    ("value-count-mismatch", value_count_mismatch, True),
    ("too-many-values", too_many_values, True),
    ("default-sample-type-index", bad_default_sample_type, True),
    ("absurd-sum", absurd_sum, False),
]


def _pprof_accepts(data):
    with tempfile.NamedTemporaryFile(suffix=".pb") as f:
        f.write(data)
        f.flush()
        p = subprocess.run(["go", "tool", "pprof", "-raw", f.name], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, env=pproftool.go_env(), timeout=120)
        return p.returncode == 0


def test_valid_handmade_profile_accepted(client):
    """Control for the cases below: the same builder, nothing broken."""
    b = _base()
    b.sample([2, 1], [1, 10], labels=[("k", "v")])
    data = b.encode()
    assert _pprof_accepts(data)
    for d in (data, gzip.compress(data)):
        r = client.upload(d)
        assert r.status == 201, r
        client.request("DELETE", "/api/v1/profiles/" + r.json()["id"])


@pytest.mark.parametrize("gzipped", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("name,build,pprof_refuses", BAD_PROTOS, ids=[c[0] for c in BAD_PROTOS])
def test_bad_protobuf(client, unchanged, name, build, pprof_refuses, gzipped):
    data = build()
    if pprof_refuses:
        assert not _pprof_accepts(data), "test bug: go tool pprof accepts the %s case" % name
    if gzipped:
        data = gzip.compress(data)
    r = client.upload(data)
    assert_error(r, 400, "bad_profile")


def test_negative_values_follow_pprof(client, tmp_path):
    """Negative values are legal pprof (diff profiles carry them): the
    upload is accepted and /top agrees with go tool pprof, whose total is
    the sum of absolute values per sample."""
    data = negative_value()
    path = tmp_path / "negative.pb"
    path.write_bytes(data)
    r = client.upload(data)
    assert r.status == 201, r
    pid = r.json()["id"]
    want = pproftool.top(str(path), sample_index=1, unit="count")
    got = client.get_json("/api/v1/profiles/%s/top" % pid, {"sample_type": "1"})
    assert got["total"] == want.total
    assert sorted((row["function"], row["flat"], row["cum"]) for row in got["rows"]) == \
        sorted(want.rows)


def test_truncated_protobuf(client, unchanged):
    data = truncated_protobuf()
    assert not _pprof_accepts(data)
    r = client.upload(data)
    assert_error(r, (400, 415), ("bad_profile", "unsupported_format"))


# ------------------------------------------------------------ size limits

SMALL_MAX_BODY = 65536
SMALL_MAX_INFLATED = 1 << 20


@pytest.fixture(scope="module")
def small():
    """A second server with small --max-body / --max-inflated limits."""
    srv = Server(["--max-body", str(SMALL_MAX_BODY),
                  "--max-inflated", str(SMALL_MAX_INFLATED)]).start()
    yield Client(srv.url)
    problem = srv.stop()
    if problem:
        pytest.fail(problem)


def test_small_limits_accept_small_profile(small):
    data = pb.simple_profile({("main.main", "main.f"): [1, 10]})
    r = small.upload(data)
    assert r.status == 201, r


def test_body_too_large(small):
    before = small.list_total()
    data = os.urandom(SMALL_MAX_BODY + 1)
    r = small.upload(data)
    assert_error(r, 413, "body_too_large")
    big = pb.simple_profile({("main.main", "main.f%d" % i): [i, i] for i in range(1, 6000)},
                            gzipped=False)
    assert len(big) > SMALL_MAX_BODY
    r = small.upload(big)
    assert_error(r, 413, "body_too_large")
    assert small.healthy() and small.list_total() == before


def test_body_too_large_chunked(small):
    """No Content-Length: the cap must still apply while reading."""
    before = small.list_total()
    piece = os.urandom(8192)
    chunks = (piece for _ in range(4 * SMALL_MAX_BODY // len(piece)))
    conn = http.client.HTTPConnection(small.host, small.port, timeout=30)
    try:
        try:
            hdrs = {"Content-Type": "application/octet-stream"}
            if small.token:  # make check-api-auth: the suite's token
                hdrs["Authorization"] = "Bearer " + small.token
            conn.request("POST", "/api/v1/profiles", body=chunks, headers=hdrs,
                         encode_chunked=True)
        except (BrokenPipeError, ConnectionResetError):
            pass
        resp = conn.getresponse()
        r = Response(resp.status, {}, resp.read())
    finally:
        conn.close()
    assert_error(r, 413, "body_too_large")
    assert small.healthy() and small.list_total() == before


def test_inflated_too_large(small):
    before = small.list_total()
    data = gzip.compress(bytes(SMALL_MAX_INFLATED + 1024))
    assert len(data) < SMALL_MAX_BODY
    r = small.upload(data)
    assert_error(r, 413, "inflated_too_large")
    assert small.healthy() and small.list_total() == before


# ------------------------------------------------------------ bad queries

UNKNOWN_ID = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
# the form of a real id (22 base64url characters), stored by nobody: it gets
# past the id check and is refused by the store lookup itself
WELLFORMED_UNKNOWN_ID = "AAAAAAAAAAAAAAAAAAAAAA"


@pytest.fixture(scope="module")
def known_id(client):
    data = pb.simple_profile({("main.main", "main.f"): [1, 10], ("main.main", "main.g"): [2, 20]},
                             labels_by_stack={("main.main", "main.f"): [("endpoint", "/x")]})
    return client.upload_ok(data)["id"]


@pytest.mark.parametrize("path", ["", "/top", "/flamegraph", "/tags", "/raw", "/runtime", "/export?format=folded",
                                  "/graph?format=dot"])
@pytest.mark.parametrize("pid", [UNKNOWN_ID, WELLFORMED_UNKNOWN_ID, "nope", "..%2F..%2Fetc%2Fpasswd"])
def test_unknown_id(client, unchanged, pid, path):
    r = client.get("/api/v1/profiles/%s%s" % (pid, path))
    assert_error(r, 404, "not_found")


def test_delete_unknown_id(client, unchanged):
    r = client.request("DELETE", "/api/v1/profiles/" + UNKNOWN_ID)
    assert_error(r, 404, "not_found")


VIEWS = ["/top", "/flamegraph"]


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("param,value", [
    ("focus", "("), ("focus", "[a-"), ("ignore", "("), ("ignore", "a[b"),
    ("hide", "("), ("hide", "[[:nope:]]"), ("tagfocus", "endpoint=("),
    ("tagignore", "endpoint=[x"),
])
def test_bad_regex(client, unchanged, known_id, view, param, value):
    r = client.get("/api/v1/profiles/%s%s" % (known_id, view), {param: value})
    assert_error(r, 400, "bad_regex")


@pytest.mark.parametrize("view", VIEWS + ["/tags"])
@pytest.mark.parametrize("st", ["nope", "2", "99", "-1", "inuse_space"])
def test_unknown_sample_type(client, unchanged, known_id, view, st):
    r = client.get("/api/v1/profiles/%s%s" % (known_id, view), {"sample_type": st})
    assert_error(r, 400, "unknown_sample_type")


@pytest.mark.parametrize("path,params", [
    ("/top", {"limit": "abc"}), ("/top", {"limit": "-1"}), ("/top", {"sort": "sideways"}),
    ("/flamegraph", {"max_nodes": "abc"}), ("/flamegraph", {"max_nodes": "-1"}),
])
def test_bad_query_values(client, unchanged, known_id, path, params):
    r = client.get("/api/v1/profiles/%s%s" % (known_id, path), params)
    assert_error(r, 400, "bad_request")


@pytest.mark.parametrize("method,path", [
    ("PUT", "/api/v1/profiles"), ("DELETE", "/api/v1/profiles"), ("PATCH", "/api/v1/profiles"),
    ("POST", "/api/v1/profiles/{id}"), ("PUT", "/api/v1/profiles/{id}"),
    ("POST", "/api/v1/profiles/{id}/top"), ("DELETE", "/api/v1/profiles/{id}/top"),
    ("POST", "/api/v1/profiles/{id}/flamegraph"), ("PUT", "/api/v1/profiles/{id}/raw"),
    ("POST", "/api/v1/profiles/{id}/tags"),
])
def test_wrong_method(client, unchanged, known_id, method, path):
    body = b"x" if method in ("POST", "PUT", "PATCH") else None
    r = client.request(method, path.format(id=known_id), body=body,
                       headers={"Content-Type": "application/octet-stream"})
    assert_error(r, 405, "method_not_allowed")
    # The profile is untouched.
    assert client.get("/api/v1/profiles/" + known_id).status == 200


# ------------------------------------------------------------ concurrency

THREADS = 20
ROUNDS = 3


def _thread_profile(t):
    """A profile whose numbers and names are unique to thread t."""
    stacks = {}
    for k in range(1, 4 + t % 5):
        stacks[("main.main", "t%d.handler" % t, "t%d.leaf%d" % (t, k))] = [k, (t + 1) * 1000 + k]
        stacks[("main.main", "t%d.handler" % t, "t%d.mid" % t, "t%d.leaf%d" % (t, k))] = [1, k * 7]
    stacks[("main.main", "shared.recurse", "shared.recurse", "t%d.leaf1" % t)] = [t + 1, t + 5]
    return pb.simple_profile(stacks, labels_by_stack={
        ("main.main", "t%d.handler" % t, "t%d.leaf1" % t): [("thread", "t%d" % t)]})


def test_concurrent_uploads_and_reads(client, generated_profiles, tmp_path):
    profiles, expected = [], []
    for t in range(THREADS):
        data = _thread_profile(t)
        path = str(tmp_path / ("t%d.pb.gz" % t))
        with open(path, "wb") as f:
            f.write(data)
        profiles.append(data)
        expected.append(pproftool.top(path, 1, "nanoseconds"))
    shared_path = generated_profiles["gen/cpu"]
    with open(shared_path, "rb") as f:
        shared_id = client.upload_ok(f.read())["id"]
    shared_rep = pproftool.top(shared_path, 1, "nanoseconds")
    before = client.list_total()

    errors = []
    start = threading.Barrier(THREADS)

    def worker(t):
        try:
            c = Client(client.base, timeout=120)
            start.wait()
            for _ in range(ROUNDS):
                meta = c.upload_ok(profiles[t])
                pid = meta["id"]
                checks.compare_top(c.get_json("/api/v1/profiles/%s/top" % pid,
                                              {"sample_type": 1, "limit": 0}), expected[t])
                checks.compare_flamegraph(c.get_json("/api/v1/profiles/%s/flamegraph" % pid,
                                                     {"sample_type": 1, "max_nodes": 0}), expected[t])
                checks.compare_top(c.get_json("/api/v1/profiles/%s/top" % shared_id,
                                              {"sample_type": 1, "limit": 0}), shared_rep)
                checks.compare_flamegraph(c.get_json("/api/v1/profiles/%s/flamegraph" % shared_id,
                                                     {"sample_type": 1, "max_nodes": 0}), shared_rep)
                raw = c.get("/api/v1/profiles/%s/raw" % pid)
                assert raw.status == 200 and raw.body == profiles[t], "raw of thread %d differs" % t
        except BaseException as e:  # noqa: B902 - report everything
            errors.append("thread %d: %s: %s" % (t, type(e).__name__, str(e)[:1500]))

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(THREADS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(300)
    assert not any(th.is_alive() for th in threads), "threads still running after 300s"
    assert not errors, "%d of %d threads failed:\n%s" % (len(errors), THREADS, "\n".join(errors[:5]))
    assert client.healthy()
    assert client.list_total() == before + THREADS * ROUNDS


def test_inflight_budget_gives_429_and_the_server_lives_on():
    """A server whose shared in-flight budget (--max-inflight) cannot hold
    what a gzip upload may inflate to answers 429 busy, stores nothing,
    and still takes small uploads."""
    srv = Server(["--max-inflight", "2000000"]).start()
    try:
        c = Client(srv.url)
        big = gzip.compress(os.urandom(1 << 16) * 2)   # may inflate ~1032x: over the budget
        r = c.upload(big)
        assert_error(r, 429, "busy")
        assert c.list_total() == 0
        ok = c.upload_ok(_base().sample([2, 1], [1, 10]).encode())
        assert ok["samples"] == 1
        assert c.healthy()
    finally:
        problem = srv.stop()
    assert not problem, problem


# ------------------------------------------------------------ router, query limits


@pytest.mark.parametrize("method,path,allow", [
    ("PUT", "/api/v1/profiles", "GET, HEAD, POST"),
    ("POST", "/api/v1/profiles/{id}", "GET, HEAD, DELETE, PATCH"),
    ("DELETE", "/api/v1/profiles/{id}/top", "GET, HEAD"),
    ("POST", "/api/v1/diff/top", "GET, HEAD"),
    ("DELETE", "/api/v1/leaks", "GET, HEAD"),
    ("POST", "/healthz", "GET, HEAD"),
    ("POST", "/p/{id}", "GET, HEAD"),
    ("PROPFIND", "/api/v1/labels", "GET, HEAD"),
])
def test_wrong_method_names_the_allowed_ones(client, unchanged, known_id, method, path, allow):
    r = client.request(method, path.format(id=known_id))
    assert_error(r, 405, "method_not_allowed")
    assert r.headers.get("allow") == allow, r.headers
    assert allow in r.json()["error"]["message"]


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE", "PUT"])
@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v1/profiles/{id}/nope",
                                  "/api/v1/profiles/{id}/top/more", "/api/v2/profiles",
                                  "/api/v1/profiles//top", "/nope/deeper"])
def test_unknown_endpoint_is_404_for_every_method(client, unchanged, known_id, method, path):
    body = b"x" if method in ("POST", "PUT") else None
    r = client.request(method, path.format(id=known_id), body=body,
                       headers={"Content-Type": "application/octet-stream"})
    assert_error(r, 404, "not_found")
    assert "allow" not in r.headers


def test_head_runs_the_get_route_without_a_body(client, known_id):
    get = client.get("/api/v1/profiles/%s/raw" % known_id)
    head = client.request("HEAD", "/api/v1/profiles/%s/raw" % known_id)
    assert get.status == 200 and head.status == 200
    assert head.body == b""
    assert head.headers["content-length"] == str(len(get.body))
    assert head.headers["content-disposition"] == get.headers["content-disposition"]


def test_the_router_sees_the_decoded_path(client, known_id):
    plain = client.get_json("/api/v1/profiles/%s/top" % known_id, {"limit": 0})
    for path in ("/api/v1/profiles/%s/%%74op", "/api/v1/profiles/%s%%2Ftop", "/api/v1/profiles/%s/top/"):
        r = client.get(path % known_id)
        assert r.status == 200, (path, r)
        assert r.json() == plain


def _long(n):
    return "x" * n


def test_query_parameter_over_the_limit_is_a_400_naming_it(client, unchanged, known_id):
    # FDX_MAX_PARAM_LEN (server/limits.h) is 8192 bytes.
    ok = client.get_json("/api/v1/profiles", {"q": _long(8192)})
    assert ok["total"] == 0 and ok["profiles"] == []
    for path, params, name in [
            ("/api/v1/profiles", {"q": _long(8193)}, "q"),
            ("/api/v1/profiles/%s/top" % known_id, {"limit": "5", "function": _long(9000)}, "function"),
            ("/api/v1/diff", {"base": known_id, "target": known_id, "unused_thing": _long(8193)},
             "unused_thing"),
            ("/api/v1/profiles", {_long(8193): "1"}, "xxxx")]:
        r = client.get(path, params)
        assert_error(r, 400, "bad_request")
        msg = r.json()["error"]["message"]
        assert '"%s' % name in msg and "8192" in msg, msg
    # An upload with a long parameter is refused before its body is read.
    r = client.upload(a_real_profile(), {"name": "n", "labels": _long(8193)})
    assert_error(r, 400, "bad_request")
    assert '"labels"' in r.json()["error"]["message"]
