"""Connections: no client can hold the server's connections, work stops
when the client hangs up or the server is told to stop, request smuggling
shapes are refused, TLS.

Each test runs its own server with the limits it exercises (small
timeouts keep the suite short); clients bind to other 127/8 addresses to
play other hosts. Nothing here asserts a duration: every wait is bounded
and what is asserted is how things ended (a 408 or a close from the
server, a log line, an exit status).
"""

import http.client
import json
import os
import shutil
import signal
import socket
import sqlite3
import ssl
import subprocess
import threading
import time
import urllib.parse

import pytest

import catalog
import pb
from client import Client
from flamedex_server import REPO_ROOT, Server, free_port, server_binary
from slowclients import Drippers

BOUND = 60.0  # seconds any wait here may take before the test fails

# Connection handling comes before access control, so these servers run
# without tokens even under FLAMEDEX_TEST_AUTH=1 (make check-api-auth) and
# the raw requests below carry none; tests/api/test_access.py covers tokens
# (and the TLS test at the end brings its own auth file).
NO_SUITE_AUTH = ["--auth-file", ""]


def wait_for(pred, what, bound=BOUND, every=0.1):
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(every)
    pytest.fail("not within %.0f s: %s" % (bound, what))


class Running:
    """A started Server, stopped (and checked to stop cleanly) on exit."""

    def __init__(self, *args):
        self.srv = Server(NO_SUITE_AUTH + list(args)).start()
        u = urllib.parse.urlsplit(self.srv.url)
        self.port = u.port
        self.client = Client(self.srv.url)

    def log(self):
        with open(self.srv.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        problem = self.srv.stop()
        if problem and exc[0] is None:
            pytest.fail(problem)


def connect(port, src="127.0.0.1", timeout=10.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((src, 0))
    s.settimeout(timeout)
    s.connect(("127.0.0.1", port))
    return s


def read_to_eof(s):
    """Everything the server sends until it closes; (bytes, closed by server)."""
    out = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                return out, True
            out += d
    except socket.timeout:
        return out, False
    except OSError:  # a reset, or a TLS stream ended without close_notify
        return out, True


def parse(raw):
    """(status, {header: value}, body) of one HTTP response in raw."""
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    assert lines[0].startswith("HTTP/1."), "not an HTTP response: %r" % raw[:200]
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return status, headers, body


def exchange(port, data, src="127.0.0.1"):
    s = connect(port, src)
    try:
        s.sendall(data)
        raw, closed = read_to_eof(s)
    finally:
        s.close()
    return raw, closed


def error_code(body):
    j = json.loads(body.decode("utf-8"))
    assert isinstance(j.get("error"), dict) and isinstance(j["error"].get("message"), str), j
    return j["error"]["code"], j["error"]["message"]


def biggest_proto():
    """Path of the largest profile.proto file of the corpus (for long views)."""
    paths = [os.path.join(catalog.CORPUS, p) for p, _types in catalog.PROTO]
    assert paths, "the corpus lists no profile.proto file"
    return max(paths, key=os.path.getsize)


def upload_big(c, pad=0):
    """Upload the largest corpus profile; pad adds an unused string of that
    many bytes to it (a valid profile whose raw bytes are that much larger)."""
    with open(biggest_proto(), "rb") as f:
        data = pb.maybe_gunzip(f.read())
    if pad:
        data += pb.f_bytes(6, b"p" * pad)  # one more string_table entry
    return c.upload_ok(data, {"name": "big"})["id"]


LONG_VIEW = "/api/v1/profiles/%s/flamegraph?max_nodes=1000000&hide=%%5Eruntime%%5C."


# ------------------------------------------------------------ slow clients


def test_slow_headers_do_not_lock_out_other_clients():
    # 104 sockets dripping a header byte a second: more than the 64
    # connections the server used to have, from two other hosts.
    with Running("--header-timeout", "3") as r:
        drip = Drippers(r.port, 64, ["127.0.0.2"], 1.0)
        drip2 = Drippers(r.port, 40, ["127.0.0.3"], 1.0)
        try:
            time.sleep(0.5)  # they are all connected and dripping
            assert not any(drip.closed + drip2.closed), "a dripping socket was closed before its deadline"
            res = r.client.request("GET", "/healthz")
            assert res.status == 200 and res.body == b"ok\n"
            pid = r.client.upload_ok(open(biggest_proto(), "rb").read())["id"]
            top = r.client.get_json("/api/v1/profiles/%s/top" % pid, {"limit": 5})
            assert len(top["rows"]) == 5
            wait_for(lambda: all(drip.closed + drip2.closed), "the server closes every dripping socket")
        finally:
            drip.close()
            drip2.close()
        for got in drip.got + drip2.got:
            status, headers, body = parse(got)
            assert status == 408 and headers.get("connection") == "close", got[:300]
            assert error_code(body)[0] == "request_timeout"
        assert r.log().count("status=408 code=request_timeout") == 104


def test_slow_body_is_cut():
    with Running("--header-timeout", "2") as r:
        s = connect(r.port)
        s.sendall(b"POST /api/v1/profiles HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\n")
        s.settimeout(0.2)
        closed = False
        deadline = time.monotonic() + BOUND
        while not closed and time.monotonic() < deadline:
            try:
                s.send(b"x" * 10)  # 50 bytes a second: far below --min-rate
                closed = s.recv(4096) == b""
            except socket.timeout:
                pass
            except OSError:
                closed = True
        s.close()
        assert closed, "the server did not close a body arriving at 50 bytes/s"
        wait_for(lambda: "path=/api/v1/profiles status=0" in r.log(), "the aborted upload's log line")
        log = r.log()
        assert 'msg="connection cut: too slow" phase=body' in log, log[-2000:]
        assert [l for l in log.splitlines() if "path=/api/v1/profiles status=0" in l and "aborted=1" in l]
        assert r.client.list_total() == 0
        assert r.client.healthy()


def test_plaintext_reply_closes_the_connection():
    # One request per plaintext connection: an idle keep-alive cannot hold
    # a slot, and nothing after the first request is ever read.
    with Running() as r:
        raw, closed = exchange(r.port, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                                       b"GET /api/v1/profiles HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert closed, "the server kept the connection open after its reply"
        status, headers, body = parse(raw)
        assert status == 200 and body == b"ok\n" and headers["connection"] == "close", raw



def refused_at_once(port, src):
    """Connect from src: the server closes without a byte, before any request."""
    s = connect(port, src)
    try:
        raw, closed = read_to_eof(s)
    finally:
        s.close()
    return closed and raw == b""


def test_per_address_limit():
    with Running("--max-conns-per-ip", "4", "--header-timeout", "30") as r:
        held = [connect(r.port, "127.0.0.4") for _ in range(4)]
        try:
            time.sleep(0.3)
            assert refused_at_once(r.port, "127.0.0.4"), "a fifth connection from one address was kept"
            raw, _ = exchange(r.port, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", "127.0.0.5")
            assert parse(raw)[0] == 200
        finally:
            for s in held:
                s.close()
        # The slots come back when the connections go.
        def served():
            raw, _ = exchange(r.port, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", "127.0.0.4")
            return raw.startswith(b"HTTP/1.1 200")
        wait_for(served, "127.0.0.4 is served again once its connections are closed")
        assert "too many connections from one address" in r.log()


def closed_by_server(s):
    """Has the server closed s (which sent nothing)? Does not block."""
    s.setblocking(False)
    try:
        return s.recv(1) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        s.setblocking(True)


def hold(port, src, n):
    """n connections from src that the server has kept open. A connection
    the client has just closed (the readiness probe's) holds its slot until
    the server sees the close, so one of ours may be refused meanwhile: it
    is replaced until n stay open."""
    held = []
    deadline = time.monotonic() + BOUND
    while time.monotonic() < deadline:
        held += [connect(port, src) for _ in range(n - len(held))]
        time.sleep(0.3)
        kept = [s for s in held if not closed_by_server(s)]
        for s in held:
            if s not in kept:
                s.close()
        held = kept
        if len(held) == n:
            return held
    pytest.fail("the server did not keep %d connections from %s open" % (n, src))


def test_total_connection_limit():
    with Running("--max-conns", "6", "--max-conns-per-ip", "0", "--header-timeout", "30") as r:
        held = hold(r.port, "127.0.0.6", 6)
        try:
            assert refused_at_once(r.port, "127.0.0.7")
        finally:
            for s in held:
                s.close()
        wait_for(lambda: r.client.healthy(), "the server serves again once connections are closed")
        assert "too many connections (--max-conns)" in r.log()


# ------------------------------------------------------------ smuggling

H = b"Host: 127.0.0.1\r\n"
SMUGGLING = {
    "two different Content-Length":
        (b"POST /api/v1/profiles HTTP/1.1\r\n" + H + b"Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
         "more than one Content-Length"),
    "two equal Content-Length":
        (b"POST /api/v1/profiles HTTP/1.1\r\n" + H + b"Content-Length: 4\r\nContent-Length: 4\r\n\r\nabcd",
         "more than one Content-Length"),
    "Content-Length with Transfer-Encoding":
        (b"POST /api/v1/profiles HTTP/1.1\r\n" + H + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
         b"0\r\n\r\n", "both Content-Length and Transfer-Encoding"),
    "Transfer-Encoding other than chunked":
        (b"POST /api/v1/profiles HTTP/1.1\r\n" + H + b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
         "Transfer-Encoding other than chunked"),
    "Content-Length not a number":
        (b"POST /api/v1/profiles HTTP/1.1\r\n" + H + b"Content-Length: +4\r\n\r\nabcd",
         "Content-Length is not a decimal number"),
    "chunked with trailing whitespace":
        (b"POST /api/v1/profiles HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked \r\n\r\n0\r\n\r\n",
         "Transfer-Encoding other than chunked"),
    "HTTP/1.1 without Host":
        (b"GET /healthz HTTP/1.1\r\n\r\n", "without a Host header"),
    "two Host headers":
        (b"GET /healthz HTTP/1.1\r\n" + H + H + b"\r\n", "more than one Host"),
    "obs-fold":
        (b"GET /healthz HTTP/1.1\r\n" + H + b"X-A: a\r\n Content-Length: 5\r\n\r\n", "obs-fold"),
    "obs-fold with a tab":
        (b"GET /healthz HTTP/1.1\r\n" + H + b"X-A: a\r\n\tb\r\n\r\n", "obs-fold"),
    "bare LF ending a header":
        (b"GET /healthz HTTP/1.1\r\n" + H + b"X-A: a\nContent-Length: 5\r\n\r\n", "bare LF"),
    "bare LF everywhere":
        (b"GET /healthz HTTP/1.1\nHost: 127.0.0.1\n\n", "bare LF"),
    "bare CR in a header":
        (b"GET /healthz HTTP/1.1\r\n" + H + b"X-A: a\rContent-Length: 5\r\n\r\n", "bare CR"),
    "space before the colon":
        (b"GET /healthz HTTP/1.1\r\n" + H + b"Content-Length : 5\r\n\r\nabcde", "malformed header line"),
    "NUL in a header value":
        (b"GET /healthz HTTP/1.1\r\n" + H + b"X-A: a\x00b\r\n\r\n", "control character"),
}


@pytest.fixture(scope="module")
def plain():
    with Running() as r:
        yield r


@pytest.mark.parametrize("shape", list(SMUGGLING))
def test_smuggling_shapes_are_refused(plain, shape):
    before = plain.client.list_total()
    request, why = SMUGGLING[shape]
    raw, closed = exchange(plain.port, request)
    status, headers, body = parse(raw)
    assert status == 400, raw[:300]
    assert headers.get("connection") == "close"
    code, message = error_code(body)
    assert code == "bad_request" and why in message, (code, message)
    assert closed, "the server kept the connection open after refusing it"
    assert len(body) == int(headers["content-length"]), "the server sent more than the refusal: %r" % raw
    assert plain.client.list_total() == before
    assert plain.client.healthy()


def test_unambiguous_framing_is_served(plain):
    # The controls: HTTP/1.0 without Host, a chunked upload, empty lines
    # before the request line, tabs in values.
    raw, _ = exchange(plain.port, b"GET /healthz HTTP/1.0\r\n\r\n")
    assert parse(raw)[0] == 200
    raw, _ = exchange(plain.port, b"\r\nGET /healthz HTTP/1.1\r\n" + H + b"X-A: a\tb \r\n\r\n")
    assert parse(raw)[0] == 200
    with open(biggest_proto(), "rb") as f:
        data = f.read()[:1 << 20]
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(data[i:i + 65536]), data[i:i + 65536])
                      for i in range(0, len(data), 65536))
    raw, _ = exchange(plain.port, b"POST /api/v1/profiles?name=chunked HTTP/1.1\r\n" + H +
                      b"Transfer-Encoding: chunked\r\nContent-Type: application/octet-stream\r\n\r\n" +
                      chunks + b"0\r\n\r\n")
    status, _, body = parse(raw)
    # The first MiB of the profile: stored (201) or refused as a broken
    # profile (400), but never a framing error.
    assert status in (201, 400), raw[:300]
    assert status == 201 or error_code(body)[0] in ("bad_gzip", "bad_profile")


def test_oversized_header_block(plain):
    raw, closed = exchange(plain.port, b"GET /healthz HTTP/1.1\r\n" + H + b"X-Big: " + b"a" * 20000 + b"\r\n\r\n")
    status, headers, body = parse(raw)
    assert status == 431 and error_code(body)[0] == "headers_too_large" and closed


def test_http2_or_0_9_is_refused(plain):
    raw, _ = exchange(plain.port, b"GET /healthz HTTP/2.0\r\n" + H + b"\r\n")
    assert parse(raw)[0] == 505
    raw, _ = exchange(plain.port, b"GET /healthz\r\n\r\n")
    assert parse(raw)[0] == 400


# ------------------------------------------------------------ stopping work


def utime(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime, clock ticks


def send_and_hang_up(port, path):
    s = connect(port)
    s.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    return s


def test_client_hang_up_stops_its_work():
    # One worker: the first view runs, the others wait in the queue; every
    # client hangs up. The server stops each work (the queued ones never
    # run) and stops spending CPU on them.
    with Running("--workers", "1") as r:
        pid = upload_big(r.client)
        n = 30
        socks = [send_and_hang_up(r.port, LONG_VIEW % pid + "&n=%d" % i) for i in range(n)]
        time.sleep(0.2)
        for s in socks:
            s.close()

        def finished():
            lines = [l for l in r.log().splitlines() if "path=/api/v1/profiles/%s/flamegraph" % pid in l]
            return lines if len(lines) == n else None
        lines = wait_for(finished, "a log line for each of the %d views" % n)
        never_ran = [l for l in lines if "status=0 " in l and "stopped=cancelled" in l]
        assert never_ran, "no queued view was cancelled before it ran:\n" + "\n".join(lines)
        assert r.log().count('msg="work stopped" reason=cancelled') >= len(never_ran)
        proc_pid = r.srv.proc.pid
        prev = [utime(proc_pid)]

        def settled():
            time.sleep(1.0)
            now = utime(proc_pid)
            same = now == prev[0]
            prev[0] = now
            return same
        wait_for(settled, "the server stops spending CPU once its clients are gone", every=0)
        assert r.client.healthy()


def db_intact(db_dir, pid, db=None):
    """The database a stopped server left in db_dir (or db, a PostgreSQL
    one) is consistent, and a new server opens it with the profile pid in
    it."""
    if db is None or not db.startswith("postgres"):
        con = sqlite3.connect(os.path.join(db_dir, "flamedex.db"))
        try:
            assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            con.close()
        db = os.path.join(db_dir, "flamedex.db")
    srv = Server(NO_SUITE_AUTH, db=db)
    shutil.rmtree(srv.dir)
    srv.dir = db_dir
    srv.log_path = os.path.join(db_dir, "server-again.log")
    srv.start()
    try:
        c = Client(srv.url)
        assert c.get_json("/api/v1/profiles/%s" % pid)["id"] == pid
        assert c.get("/api/v1/profiles/%s/top" % pid).status == 200
    finally:
        problem = srv.stop()
    assert not problem, problem


def start_keeping_dir(*args):
    srv = Server(NO_SUITE_AUTH + list(args)).start()
    return srv, urllib.parse.urlsplit(srv.url).port


def test_sigterm_during_work_exits_and_keeps_the_database():
    srv, port = start_keeping_dir("--workers", "1")
    try:
        c = Client(srv.url)
        pid = upload_big(c)
        results = []

        def view(i):
            try:
                res = c.get(LONG_VIEW % pid + "&n=%d" % i, timeout=BOUND)
                results.append((res.status, res.body))
            except (OSError, http.client.HTTPException) as e:
                results.append((None, repr(e)))
        threads = [threading.Thread(target=view, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        wait_for(lambda: 'msg=connections' in open(srv.log_path).read(), "server log")
        time.sleep(0.5)  # the views are in flight (one runs, the rest wait)
        srv.proc.send_signal(signal.SIGTERM)
        rc = srv.proc.wait(timeout=BOUND)
        for t in threads:
            t.join(BOUND)
        log = open(srv.log_path).read()
        assert rc == 0, log[-3000:]
        assert "msg=stopping" in log and "msg=stopped" in log
        assert len(results) == 6
        for status, body in results:
            # Finished, or told the server is stopping: never a cut reply.
            if status == 200:
                j = json.loads(body.decode())
                assert j["nodes"][0][3] == j["total"]
            else:
                assert status == 503, (status, body[:300])
                assert error_code(body)[0] == "shutting_down"
        # Stopped means stopped: nothing listens any more.
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
        db_intact(srv.dir, pid, srv.db)
    finally:
        srv._kill()
        shutil.rmtree(srv.dir, ignore_errors=True)


def hold_a_reply(port, path):
    """A client that asks for a big reply and does not read it."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", port))
    s.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    return s


def test_stop_is_bounded_and_a_second_signal_exits_at_once():
    # A client that never reads its reply cannot hold the stop beyond
    # FDX_STOP_TIMEOUT_S; a second signal does not even wait for that.
    for second in (False, True):
        srv, port = start_keeping_dir("--header-timeout", "600", "--min-rate", "0")
        try:
            c = Client(srv.url)
            pid = upload_big(c, pad=16 << 20)
            s = hold_a_reply(port, "/api/v1/profiles/%s/raw" % pid)
            time.sleep(1.0)
            assert "path=/api/v1/profiles/%s/raw" % pid not in open(srv.log_path).read(), \
                "the 16 MiB reply went out to a client that reads nothing"
            srv.proc.send_signal(signal.SIGTERM)
            if second:
                wait_for(lambda: "msg=stopping" in open(srv.log_path).read(), "the server begins to stop")
                srv.proc.send_signal(signal.SIGINT)
            rc = srv.proc.wait(timeout=BOUND)
            s.close()
            log = open(srv.log_path).read()
            if second:
                assert rc == 1 and "second signal: exiting at once" in log, log[-2000:]
            else:
                assert rc == 0 and "msg=stopped" in log, log[-2000:]
            db_intact(srv.dir, pid, srv.db)
        finally:
            srv._kill()
            shutil.rmtree(srv.dir, ignore_errors=True)


# ------------------------------------------------------------ TLS


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    openssl = shutil.which("openssl")
    if not openssl:
        pytest.fail("openssl is needed to make a test certificate (Debian package: openssl)", pytrace=False)
    d = tmp_path_factory.mktemp("tls")
    key, crt = str(d / "key.pem"), str(d / "cert.pem")
    subprocess.run([openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", key, "-out", crt, "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True)
    return crt, key


class TlsServer:
    """flamedex with --tls-cert; ready when GET /healthz answers over TLS."""

    def __init__(self, crt, key, *args):
        self.dir = Server().dir
        self.log_path = os.path.join(self.dir, "server.log")
        self.port = free_port()
        self.ctx = ssl.create_default_context(cafile=crt)
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [server_binary(), "--listen", "127.0.0.1:%d" % self.port, "--db",
                 os.path.join(self.dir, "flamedex.db"), "--web", "web", "--tls-cert", crt, "--tls-key", key]
                + list(args), cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT)

        def ready():
            if self.proc.poll() is not None:
                pytest.fail("flamedex with TLS exited: %s" % open(self.log_path).read()[-2000:])
            try:
                s = self.tls()
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                return read_to_eof(s)[0].startswith(b"HTTP/1.1 200")
            except OSError:
                return False
        wait_for(ready, "flamedex answers over TLS")

    def tls(self):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        return self.ctx.wrap_socket(s, server_hostname="127.0.0.1")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=BOUND)
        shutil.rmtree(self.dir, ignore_errors=True)
        assert rc == 0


def read_response(s):
    """One response with a Content-Length from a kept-alive socket."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = s.recv(65536)
        assert d, "connection closed before a response"
        buf += d
    status, headers, body = parse(buf)
    n = int(headers["content-length"])
    while len(body) < n:
        body += s.recv(65536)
    return status, headers, body


@pytest.fixture(scope="module")
def tls(cert):
    srv = TlsServer(cert[0], cert[1], "--keepalive-timeout", "2", "--header-timeout", "2")
    yield srv
    srv.stop()


def test_tls_serves_with_hsts_and_curl(cert, tls):
    out = subprocess.run(["curl", "-sS", "-i", "--cacert", cert[0], "https://127.0.0.1:%d/healthz" % tls.port],
                         capture_output=True, check=True, timeout=BOUND).stdout
    status, headers, body = parse(out)
    assert status == 200 and body == b"ok\n"
    assert headers["strict-transport-security"].startswith("max-age=")
    assert headers.get("connection") != "close"


def test_tls_keeps_alive_then_closes_idle_connections(tls):
    # Two requests on one connection, then the idle connection is closed
    # by the server.
    s = tls.tls()
    for _ in range(2):
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        status, headers, body = read_response(s)
        assert status == 200 and body == b"ok\n" and headers.get("connection") != "close"
    s.settimeout(BOUND)
    assert read_to_eof(s) == (b"", True), "the idle kept-alive connection was not closed"
    s.close()
    # A TLS client that never finishes its headers is cut as well.
    s = tls.tls()
    s.sendall(b"GET /healthz HTTP/1.1\r\n")
    s.settimeout(BOUND)
    assert read_to_eof(s)[1]
    s.close()
    wait_for(lambda: 'connection cut: too slow" phase=headers' in open(tls.log_path).read(),
             "the log says the TLS connection was cut at its header deadline")


@pytest.mark.parametrize("shape", ["two different Content-Length", "two equal Content-Length",
                                   "Content-Length with Transfer-Encoding", "HTTP/1.1 without Host",
                                   "two Host headers", "Transfer-Encoding other than chunked",
                                   "chunked with trailing whitespace"])
def test_tls_refuses_ambiguous_framing(tls, shape):
    # Over TLS the gate cannot read the bytes: these are refused from the
    # fields libmicrohttpd parsed (obs-fold and bare LF are not visible
    # there; see docs/DESIGN.md).
    request, why = SMUGGLING[shape]
    s = tls.tls()
    s.sendall(request)
    s.settimeout(BOUND)
    raw, closed = read_to_eof(s)
    s.close()
    status, headers, body = parse(raw)
    assert status == 400 and headers.get("connection") == "close" and closed, raw[:300]
    code, message = error_code(body)
    assert code == "bad_request" and why in message


def run_flamedex(*args):
    d = Server().dir
    try:
        return subprocess.run([server_binary(), "--listen", "127.0.0.1:%d" % free_port(), "--db",
                               os.path.join(d, "x.db"), "--web", "web"] + list(args),
                              cwd=REPO_ROOT, capture_output=True, timeout=BOUND)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_tls_startup_errors(cert, tmp_path):
    crt, key = cert
    p = run_flamedex("--tls-cert", str(tmp_path / "missing.pem"), "--tls-key", key)
    assert p.returncode != 0 and b"cannot read --tls-cert" in p.stderr, p.stderr
    junk = tmp_path / "junk.pem"
    junk.write_bytes(b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    p = run_flamedex("--tls-cert", str(junk), "--tls-key", key)
    assert p.returncode != 0 and b"cannot start the HTTP engine" in p.stderr, p.stderr
    p = run_flamedex("--tls-cert", crt, "--tls-key", crt)  # a certificate is no key
    assert p.returncode != 0 and b"cannot start the HTTP engine" in p.stderr, p.stderr
    p = run_flamedex("--tls-cert", crt)
    assert p.returncode == 2 and b"--tls-cert and --tls-key go together" in p.stderr


def test_help_lists_the_connection_flags():
    out = subprocess.run([server_binary(), "--help"], capture_output=True, check=True).stdout.decode()
    for flag, env in [("--max-conns", "FLAMEDEX_MAX_CONNS"), ("--max-conns-per-ip", "FLAMEDEX_MAX_CONNS_PER_IP"),
                      ("--header-timeout", "FLAMEDEX_HEADER_TIMEOUT"),
                      ("--keepalive-timeout", "FLAMEDEX_KEEPALIVE_TIMEOUT"), ("--min-rate", "FLAMEDEX_MIN_RATE"),
                      ("--max-request-time", "FLAMEDEX_MAX_REQUEST_TIME"), ("--workers", "FLAMEDEX_WORKERS"),
                      ("--tls-cert", "FLAMEDEX_TLS_CERT"), ("--tls-key", "FLAMEDEX_TLS_KEY")]:
        assert flag + " " in out and env in out, flag
    p = run_flamedex("--header-timeout", "0")
    assert p.returncode == 2 and b"bad value for --header-timeout" in p.stderr
    env = dict(os.environ, FLAMEDEX_MAX_CONNS="abc")
    p = subprocess.run([server_binary(), "--help"], capture_output=True, env=env)
    assert p.returncode == 2 and b"bad value for --max-conns" in p.stderr


def test_tls_origin_and_secure_cookie(cert, tmp_path):
    """Under --tls-cert the server's own origin is https://…: a sign-in
    cookie is Secure, a write from https://127.0.0.1:PORT is same-origin,
    one from http://127.0.0.1:PORT is not."""
    from flamedex_server import auth_file, new_token
    tok = new_token()
    path = auth_file(str(tmp_path / "auth"), [("write", "w", tok)])
    srv = TlsServer(cert[0], cert[1], "--auth-file", path)
    try:
        def ask(method, target, extra=b""):
            s = srv.tls()
            s.sendall(method + b" " + target + b" HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" % srv.port +
                      b"Authorization: Bearer " + tok.encode() + b"\r\nContent-Length: 0\r\n" + extra +
                      b"Connection: close\r\n\r\n")
            return parse(read_to_eof(s)[0])
        status, headers, _ = ask(b"POST", b"/api/v1/login")
        assert status in (200, 204), status
        attrs = [a.strip() for a in headers["set-cookie"].split(";")]
        assert "Secure" in attrs and "HttpOnly" in attrs, attrs
        same = b"Origin: https://127.0.0.1:%d\r\n" % srv.port
        other = b"Origin: http://127.0.0.1:%d\r\n" % srv.port
        status, _, body = ask(b"POST", b"/api/v1/profiles", other)
        assert status == 403 and error_code(body)[0] == "cross_origin", body
        status, _, body = ask(b"POST", b"/api/v1/profiles", same)
        assert status == 400, body  # same origin: let in, and the empty body refused as such
        assert error_code(body)[0] == "empty_body", body
    finally:
        srv.stop()
