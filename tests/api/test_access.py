"""Access (docs/SECURITY.md): every route against every caller, over HTTP;
cross-origin writes and DNS rebinding refused with and without an auth
file; failed attempts limited per address; the auth file reloaded on
SIGHUP; sessions stored hashed and ended by sign-out and by revocation;
who uploaded and the audit log; `flamedex token`.

Each test here starts servers of its own (they need their own flags), so
the file runs the same with or without FLAMEDEX_TEST_AUTH.

The route matrix reads the route table out of server/router.c: every row
needs a rule in POLICY and a request in REQUESTS below, so a new route
fails this test until someone decides who may call it.
"""

import base64
import hashlib
import http.client
import os
import re
import signal
import subprocess
import time

import pytest

import pb
from client import Client, multipart
from flamedex_server import REPO_ROOT, Server, auth_file, db_query, new_token, server_binary

ROUTER_C = os.path.join(REPO_ROOT, "server", "router.c")

# Who may call what (docs/SECURITY.md): (method, pattern) -> role.
POLICY = {
    ("POST", "/api/v1/profiles"): "write",
    ("GET", "/api/v1/profiles"): "read",
    ("GET", "/api/v1/profiles/:id"): "read",
    ("DELETE", "/api/v1/profiles/:id"): "admin",
    ("PATCH", "/api/v1/profiles/:id"): "write",
    ("GET", "/api/v1/profiles/:id/raw"): "read",
    ("GET", "/api/v1/labels"): "read",
    ("GET", "/api/v1/profiles/:id/top"): "read",
    ("GET", "/api/v1/profiles/:id/flamegraph"): "read",
    ("GET", "/api/v1/profiles/:id/tags"): "read",
    ("GET", "/api/v1/profiles/:id/sandwich"): "read",
    ("GET", "/api/v1/profiles/:id/graph"): "read",
    ("GET", "/api/v1/profiles/:id/peek"): "read",
    ("GET", "/api/v1/profiles/:id/list"): "read",
    ("GET", "/api/v1/profiles/:id/export"): "read",
    ("GET", "/api/v1/diff"): "read",
    ("GET", "/api/v1/diff/top"): "read",
    ("GET", "/api/v1/diff/check"): "read",
    ("GET", "/api/v1/leaks"): "read",
    ("GET", "/api/v1/profiles/:id/runtime"): "read",
    ("GET", "/api/v1/diff/runtime"): "read",
    ("GET", "/api/v1/functions"): "read",
    ("GET", "/api/v1/functions/top"): "read",
    ("GET", "/api/v1/timeline"): "read",
    ("GET", "/api/v1/targets"): "read",
    ("GET", "/metrics"): "metrics",
    ("GET", "/targets"): "read",
    ("GET", "/api/v1/series"): "read",
    ("GET", "/api/v1/merge/top"): "read",
    ("GET", "/api/v1/merge/flamegraph"): "read",
    ("GET", "/api/v1/merge/tags"): "read",
    ("GET", "/api/v1/merge/sandwich"): "read",
    ("GET", "/api/v1/merge/raw"): "read",
    ("GET", "/api/v1/pgo"): "read",
    ("GET", "/"): "read",
    ("GET", "/p/:id"): "read",
    ("GET", "/diff/:base/:target"): "read",
    ("GET", "/leaks"): "read",
    ("GET", "/s"): "read",
    ("GET", "/m"): "read",
    ("GET", "/healthz"): "open",
    ("GET", "/login"): "open",
    ("POST", "/api/v1/login"): "read",
    ("POST", "/api/v1/logout"): "open",
    ("GET", "/api/v1/whoami"): "read",
    ("GET", "/css/*"): "open",
    ("GET", "/js/*"): "open",
    ("GET", "/static/v/*"): "open",
    ("GET", "/:file"): "open",
}

CALLERS = ["nobody", "bad", "read", "write", "admin"]
RANK = {"read": 1, "write": 2, "admin": 3}


def expected(role, caller):
    """"ok", 401 or 403: what caller gets from a route needing role
    ("metrics": what --metrics-role says, read on these servers)."""
    if role == "metrics":
        role = "read"
    if role == "open":
        return "ok"
    if caller in ("nobody", "bad"):
        return 401
    return "ok" if RANK[caller] >= RANK[role] else 403


def route_table():
    """[(method, pattern, role constant)] of server/router.c's table; fails
    on a row the pattern cannot read (a row without a role, say)."""
    with open(ROUTER_C) as f:
        src = f.read()
    body = src[src.index("table[] = {"):]
    body = body[:body.index("\n};")]
    rows = []
    for line in body.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        m = re.match(r'\{\s*M_(\w+),\s*"([^"]*)",\s*\w+,\s*ROLE_(\w+)\s*\},$', line)
        assert m, "route table row without a role column: %s" % line
        rows.append((m.group(1), m.group(2), m.group(3).lower()))
    assert len(rows) >= 20, "read only %d rows from %s" % (len(rows), ROUTER_C)
    return rows


# ------------------------------------------------------------- servers


def profile_bytes(fn="main.work", n=3):
    return pb.simple_profile({("main.main", fn): [n, n * 10000000]})


def goroutine_bytes():
    return pb.simple_profile({("main.main", "main.wait"): [4]}, types=(("goroutine", "count"),))


class Access:
    """A server with an auth file: one token per role, clients for each."""

    def __init__(self, tmp, extra=()):
        self.tokens = {c: new_token() for c in ("read", "write", "admin")}
        self.auth_path = auth_file(str(tmp / "auth"), [
            (role, role + "-token", tok) for role, tok in self.tokens.items()])
        self.srv = Server(["--auth-file", self.auth_path] + list(extra)).start()
        self.bad_tokens = [new_token()]

    def client(self, caller):
        if caller == "nobody":
            return Client(self.srv.url, token="")
        if caller == "bad":
            tok = new_token()
            self.bad_tokens.append(tok)
            return Client(self.srv.url, token=tok)
        return Client(self.srv.url, token=self.tokens[caller])

    def stop(self):
        problem = self.srv.stop()
        assert not problem, problem


@pytest.fixture(scope="module")
def acc(tmp_path_factory):
    # bad tokens would run the limit out: this server allows plenty
    a = Access(tmp_path_factory.mktemp("acc"), ["--auth-failures", "100000"])
    yield a
    a.stop()


@pytest.fixture(scope="module")
def open_srv():
    """A server without an auth file (whatever FLAMEDEX_TEST_AUTH says)."""
    srv = Server(["--auth-file", ""]).start()
    yield srv
    problem = srv.stop()
    assert not problem, problem


# ------------------------------------------------------------- the matrix


class Fixture:
    """Profiles the requests of the matrix refer to."""

    def __init__(self, admin):
        self.admin = admin
        self.p = admin.upload_ok(profile_bytes("main.a"), {"name": "p", "labels": "service:acc"})["id"]
        self.q = admin.upload_ok(profile_bytes("main.b"), {"name": "q"})["id"]
        self.g = admin.upload_ok(goroutine_bytes(), {"name": "g"})["id"]


def requests_for(fx):
    """(method, pattern) -> function() -> (method, path, body, headers, ok
    statuses, check(resp) or None). Each call may set up what it needs
    (a fresh profile to delete)."""
    def get(path, ok=(200,), check=None):
        return lambda: ("GET", path, None, {}, ok, check)

    def html(path, marker):
        def check(r):
            assert r.headers["content-type"].startswith("text/html"), r.headers
            assert marker.encode() in r.body, r.body[:300]
        return get(path, check=check)

    def upload():
        body, ctype = profile_bytes("main.up"), "application/octet-stream"
        return ("POST", "/api/v1/profiles?name=up", body, {"Content-Type": ctype}, (201,), None)

    def delete():
        pid = fx.admin.upload_ok(profile_bytes("main.del"), {"name": "to-delete"})["id"]

        def check(_r):
            assert fx.admin.get("/api/v1/profiles/" + pid).status == 404, "deleted profile still there"
        return ("DELETE", "/api/v1/profiles/" + pid, None, {}, (204,), check)

    def edit():
        pid = fx.admin.upload_ok(profile_bytes("main.edit"), {"name": "before"})["id"]

        def check(_r):
            assert fx.admin.get("/api/v1/profiles/" + pid).json()["name"] == "after", "PATCH did not rename"
        return ("PATCH", "/api/v1/profiles/" + pid, b'{"name": "after"}',
                {"Content-Type": "application/json"}, (200,), check)

    p, q = fx.p, fx.q
    return {
        ("POST", "/api/v1/profiles"): upload,
        ("GET", "/api/v1/profiles"): get("/api/v1/profiles"),
        ("GET", "/api/v1/profiles/:id"): get("/api/v1/profiles/" + p),
        ("DELETE", "/api/v1/profiles/:id"): delete,
        ("PATCH", "/api/v1/profiles/:id"): edit,
        ("GET", "/api/v1/profiles/:id/raw"): get("/api/v1/profiles/%s/raw" % p),
        ("GET", "/api/v1/labels"): get("/api/v1/labels"),
        ("GET", "/api/v1/profiles/:id/top"): get("/api/v1/profiles/%s/top" % p),
        ("GET", "/api/v1/profiles/:id/flamegraph"): get("/api/v1/profiles/%s/flamegraph" % p),
        ("GET", "/api/v1/profiles/:id/tags"): get("/api/v1/profiles/%s/tags" % p),
        ("GET", "/api/v1/profiles/:id/sandwich"): get("/api/v1/profiles/%s/sandwich?function=main.a" % p),
        ("GET", "/api/v1/profiles/:id/graph"): get("/api/v1/profiles/%s/graph?format=dot" % p),
        ("GET", "/api/v1/profiles/:id/peek"): get("/api/v1/profiles/%s/peek?re=main" % p),
        ("GET", "/api/v1/profiles/:id/list"): get("/api/v1/profiles/%s/list?fn=main" % p),
        ("GET", "/api/v1/profiles/:id/export"): get("/api/v1/profiles/%s/export?format=folded" % p),
        ("GET", "/api/v1/diff"): get("/api/v1/diff?base=%s&target=%s" % (p, q)),
        ("GET", "/api/v1/diff/top"): get("/api/v1/diff/top?base=%s&target=%s" % (p, q)),
        ("GET", "/api/v1/diff/check"): get("/api/v1/diff/check?base=%s&target=%s" % (p, p)),
        ("GET", "/api/v1/leaks"): get("/api/v1/leaks?ids=" + fx.g),
        ("GET", "/api/v1/profiles/:id/runtime"): get("/api/v1/profiles/%s/runtime" % p),
        ("GET", "/api/v1/diff/runtime"): get("/api/v1/diff/runtime?base=%s&target=%s" % (p, q)),
        ("GET", "/api/v1/functions"): get("/api/v1/functions?match=main&ids=" + p),
        ("GET", "/api/v1/functions/top"): get("/api/v1/functions/top?match=main"),
        ("GET", "/api/v1/timeline"): get("/api/v1/timeline?ids=" + p),
        ("GET", "/api/v1/targets"): get("/api/v1/targets"),
        ("GET", "/metrics"): get("/metrics"),
        ("GET", "/targets"): html("/targets", "/js/app.js"),
        ("GET", "/api/v1/series"): get("/api/v1/series"),
        ("GET", "/api/v1/merge/top"): get("/api/v1/merge/top?ids=%s,%s" % (p, p)),
        ("GET", "/api/v1/merge/flamegraph"): get("/api/v1/merge/flamegraph?ids=" + p),
        ("GET", "/api/v1/merge/tags"): get("/api/v1/merge/tags?ids=" + p),
        ("GET", "/api/v1/merge/sandwich"): get("/api/v1/merge/sandwich?function=main.a&ids=" + p),
        ("GET", "/api/v1/merge/raw"): get("/api/v1/merge/raw?ids=" + p),
        ("GET", "/api/v1/pgo"): get("/api/v1/pgo?ids=" + p),
        ("GET", "/"): html("/", "/js/app.js"),
        ("GET", "/p/:id"): html("/p/" + p, "/js/app.js"),
        ("GET", "/diff/:base/:target"): html("/diff/%s/%s" % (p, q), "/js/app.js"),
        ("GET", "/leaks"): html("/leaks?label=service:acc", "/js/app.js"),
        ("GET", "/s"): html("/s?label=service:acc", "/js/app.js"),
        ("GET", "/m"): html("/m?ids=" + p, "/js/app.js"),
        ("GET", "/healthz"): get("/healthz"),
        ("GET", "/login"): html("/login", "/js/login.js"),
        ("POST", "/api/v1/login"): lambda: ("POST", "/api/v1/login", None, {}, (200,), None),
        ("POST", "/api/v1/logout"): lambda: ("POST", "/api/v1/logout", None, {}, (204,), None),
        ("GET", "/api/v1/whoami"): get("/api/v1/whoami"),
        ("GET", "/css/*"): get("/css/app.css"),
        ("GET", "/js/*"): get("/js/app.js"),
        ("GET", "/static/v/*"): get("/static/v/0123456789abcdef/js/app.js"),
        ("GET", "/:file"): get("/favicon.svg"),
    }


def test_every_route_has_a_rule_and_a_request(acc):
    fx = Fixture(acc.client("admin"))
    reqs = requests_for(fx)
    table = route_table()
    for method, pattern, role in table:
        assert (method, pattern) in POLICY, \
            "%s %s has no rule in test_access.py's POLICY: decide who may call it" % (method, pattern)
        assert POLICY[(method, pattern)] == role, \
            "%s %s: router.c says %s, the policy %s" % (method, pattern, role, POLICY[(method, pattern)])
        assert (method, pattern) in reqs, "%s %s has no request in REQUESTS" % (method, pattern)
    gone = set(POLICY) - {(m, p) for m, p, _ in table}
    assert not gone, "routes in POLICY that router.c no longer has: %s" % sorted(gone)


@pytest.mark.parametrize("method,pattern,role", route_table(), ids=lambda v: str(v))
def test_route_by_every_caller(acc, method, pattern, role):
    assert POLICY.get((method, pattern)) == role, "no rule (see test_every_route_has_a_rule_and_a_request)"
    fx = Fixture(acc.client("admin"))
    make = requests_for(fx)[(method, pattern)]
    admin = acc.client("admin")
    for caller in CALLERS:
        before = admin.list_total()
        m, path, body, headers, ok, check = make()
        if m in ("DELETE", "PATCH"):
            before += 1  # the profile make() uploaded to be deleted or renamed
        r = acc.client(caller).request(m, path, body=body, headers=headers)
        want = expected(role, caller)
        what = "%s %s by %s" % (m, path, caller)
        if want == "ok":
            assert r.status in ok, "%s: %d, want %s: %r" % (what, r.status, ok, r.body[:300])
            if check:
                check(r)
            if m == "POST" and pattern == "/api/v1/profiles":
                assert r.json()["uploaded_by"] == (caller + "-token"), r.json()
            if pattern == "/api/v1/whoami":
                assert r.json()["name"] == caller + "-token" and r.json()["role"] == caller
            continue
        assert r.status == want, "%s: %d, want %d: %r" % (what, r.status, want, r.body[:300])
        if want == 401 and caller == "nobody" and m == "GET" and role != "open" and "api" not in path \
                and path != "/metrics":
            # a page asks for sign-in, at its own URL (/metrics is no page)
            assert r.headers["content-type"].startswith("text/html")
            assert b"/js/login.js" in r.body
        else:
            assert r.error_code() == ("unauthorized" if want == 401 else "forbidden"), r.body
        if want == 401:
            assert r.headers.get("www-authenticate", "").startswith("Bearer") or b"login.js" in r.body
        assert admin.list_total() == before, "%s was refused but changed the store" % what
        if m == "DELETE":
            assert admin.get(path).status == 200, "%s was refused but the profile is gone" % what
        if m == "PATCH":
            assert admin.get(path).json()["name"] == "before", "%s was refused but renamed" % what


def test_token_forms(acc):
    """Bearer, and Basic with the token as password or as user name (curl
    -u TOKEN:, go tool pprof http://x:TOKEN@host); anything else is 401."""
    tok = acc.tokens["read"]
    c = Client(acc.srv.url, token="")

    def basic(s):
        return "Basic " + base64.b64encode(s.encode()).decode()
    for h in ["Bearer " + tok, "bearer  %s " % tok, basic("flamedex:" + tok), basic(tok + ":"), basic(tok)]:
        r = c.get("/api/v1/whoami", headers={"Authorization": h})
        assert r.status == 200 and r.json()["name"] == "read-token", (h, r)
    for h in ["Bearer", "Bearer " + tok[:-1], "Token " + tok, basic("x:" + tok + "x"), "Basic !!!",
              basic(tok + "x:"), "Bearer " + hashlib.sha256(tok.encode()).hexdigest()]:
        r = c.get("/api/v1/whoami", headers={"Authorization": h})
        assert r.status == 401 and r.error_code() == "unauthorized", (h, r)


# ------------------------------------------------------------- browsers of other origins


def hostile_writes(url, port):
    """What a page of another origin can send without a CORS preflight:
    multipart form, text/plain, x-www-form-urlencoded posts, and a DELETE
    (the last one only gets out after a preflight, but the server must not
    rely on that). Each is (method, path, body, headers)."""
    evil = {"Origin": "http://127.0.0.1:%d" % (port + 1)}
    form, ctype = multipart("file", "x.pb.gz", profile_bytes("main.evil"))
    return [
        ("POST", "/api/v1/profiles", form, dict(evil, **{"Content-Type": ctype})),
        ("POST", "/api/v1/profiles", profile_bytes("main.evil"), dict(evil, **{"Content-Type": "text/plain"})),
        ("POST", "/api/v1/profiles", b"a=b", dict(evil, **{"Content-Type": "application/x-www-form-urlencoded"})),
        ("POST", "/api/v1/profiles", profile_bytes("main.evil"), {"Origin": "null", "Content-Type": "text/plain"}),
        ("POST", "/api/v1/profiles", profile_bytes("main.evil"), {"Sec-Fetch-Site": "cross-site"}),
        ("POST", "/api/v1/profiles", profile_bytes("main.evil"), {"Sec-Fetch-Site": "same-site"}),
        ("POST", "/api/v1/profiles", profile_bytes("main.evil"),
         {"Origin": "http://evil.example:%d" % port, "Sec-Fetch-Site": "cross-site"}),
    ]


def target(request, with_auth):
    """(admin client, port) of the server with or without an auth file."""
    if with_auth:
        acc = request.getfixturevalue("acc")
        return acc.client("admin"), acc.srv.port
    srv = request.getfixturevalue("open_srv")
    return Client(srv.url, token=""), srv.port


@pytest.mark.parametrize("with_auth", [False, True], ids=["no-auth-file", "auth-file"])
def test_cross_origin_writes_refused(request, with_auth):
    c, port = target(request, with_auth)
    victim = c.upload_ok(profile_bytes("main.victim"))["id"]
    before = c.list_total()
    for m, path, body, headers in hostile_writes(c.base, port):
        r = c.request(m, path, body=body, headers=headers)
        assert r.status == 403 and r.error_code() == "cross_origin", (headers, r)
    for origin in ["http://127.0.0.1:%d" % (port + 1), "https://127.0.0.1:%d" % port, "null"]:
        for path in ["/api/v1/profiles/" + victim, "/api/v1/login", "/api/v1/logout"]:
            m = "DELETE" if "profiles" in path else "POST"
            r = c.request(m, path, headers={"Origin": origin})
            assert r.status == 403 and r.error_code() == "cross_origin", (m, path, origin, r)
    assert c.list_total() == before
    assert c.get("/api/v1/profiles/" + victim).status == 200
    # the page's own origin, and no browser at all, may write
    r = c.request("POST", "/api/v1/profiles", body=profile_bytes("main.own"),
                  headers={"Origin": "http://127.0.0.1:%d" % port, "Sec-Fetch-Site": "same-origin",
                           "Content-Type": "application/octet-stream"})
    assert r.status == 201, r
    r = c.request("DELETE", "/api/v1/profiles/" + victim)
    assert r.status == 204, r
    # reads from anywhere are not refused (a browser does not let the page read them)
    r = c.get("/api/v1/profiles", headers={"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"})
    assert r.status == 200


@pytest.mark.parametrize("with_auth", [False, True], ids=["no-auth-file", "auth-file"])
def test_dns_rebinding_refused(request, with_auth):
    c, port = target(request, with_auth)
    pid = c.upload_ok(profile_bytes("main.rebind"))["id"]
    before = c.list_total()
    for host in ["evil.example:%d" % port, "evil.example", "127.0.0.1.nip.io:%d" % port, "localhost.evil.example"]:
        for m, path in [("GET", "/api/v1/profiles"), ("GET", "/api/v1/profiles/%s/raw" % pid),
                        ("DELETE", "/api/v1/profiles/" + pid), ("GET", "/"), ("GET", "/healthz")]:
            # the page's own origin, as a rebinding page would send it
            r = c.request(m, path, headers={"Host": host, "Origin": "http://" + host})
            assert r.status == 421 and r.error_code() == "misdirected_request", (host, m, path, r)
            assert pid.encode() not in r.body
    assert c.list_total() == before
    for host in ["127.0.0.1:%d" % port, "localhost:%d" % port, "[::1]:%d" % port]:
        assert c.get("/api/v1/profiles", headers={"Host": host}).status == 200, host


def test_allowed_hosts_and_public_url(tmp_path):
    srv = Server(["--auth-file", "", "--allowed-hosts", "prof.internal,other.example",
                  "--public-url", "https://flamedex.example.com"]).start()
    try:
        c = Client(srv.url, token="")
        for host in ["prof.internal:%d" % srv.port, "other.example", "flamedex.example.com"]:
            assert c.get("/api/v1/profiles", headers={"Host": host}).status == 200, host
        assert c.get("/api/v1/profiles", headers={"Host": "evil.example"}).status == 421
        # behind a TLS proxy: the public origin may write, whatever Host the proxy passes
        r = c.request("POST", "/api/v1/profiles", body=profile_bytes(),
                      headers={"Origin": "https://flamedex.example.com", "Host": "127.0.0.1:%d" % srv.port})
        assert r.status == 201, r
        for origin in ["https://other.example", "https://flamedex.example.com:8443", "https://evil.example"]:
            # an allowed host is not an allowed origin
            r = c.request("POST", "/api/v1/profiles", body=profile_bytes(),
                          headers={"Origin": origin, "Host": "flamedex.example.com"})
            assert r.status == 403 and r.error_code() == "cross_origin", (origin, r)
    finally:
        problem = srv.stop()
    assert not problem, problem
    srv = Server(["--auth-file", "", "--allowed-hosts", "*"]).start()
    try:
        assert Client(srv.url, token="").get("/api/v1/profiles", headers={"Host": "anything.example"}).status == 200
    finally:
        problem = srv.stop()
    assert not problem, problem


# ------------------------------------------------------------- failed attempts


def get_from(source, port, path, token):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
    try:
        conn.request("GET", path, headers={"Authorization": "Bearer " + token} if token else {})
        r = conn.getresponse()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), r.read()
    finally:
        conn.close()


def test_failed_attempts_are_limited_per_address(tmp_path):
    acc = Access(tmp_path, ["--auth-failures", "2"])
    try:
        port, good = acc.srv.port, acc.tokens["read"]
        for _ in range(2):
            st, _h, _b = get_from("127.0.0.1", port, "/api/v1/profiles", new_token())
            assert st == 401
        st, h, body = get_from("127.0.0.1", port, "/api/v1/profiles", new_token())
        assert st == 429 and b"too_many_attempts" in body, (st, body)
        assert int(h["retry-after"]) >= 1
        # out of attempts: even the right token is not looked at
        st, h, _b = get_from("127.0.0.1", port, "/api/v1/profiles", good)
        assert st == 429 and int(h["retry-after"]) >= 1
        # what needs no token still answers; no token at all is a 401, not a 429
        assert get_from("127.0.0.1", port, "/healthz", None)[0] == 200
        assert get_from("127.0.0.1", port, "/api/v1/profiles", None)[0] == 401
        # another address has its own attempts
        st, _h, _b = get_from("127.0.0.2", port, "/api/v1/profiles", good)
        assert st == 200
        log = acc.srv.log_tail(200000)
        assert log.count('msg="invalid token" client=127.0.0.1') == 2, log[-2000:]
    finally:
        acc.stop()
    for tok in acc.bad_tokens + list(acc.tokens.values()):
        assert tok not in log


# ------------------------------------------------------------- the auth file


def wait_log(srv, text, start):
    """Wait (10 s at most) until text appears in the log after offset start."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if text in srv.log_tail(1 << 20)[start:]:
            return
        time.sleep(0.05)
    pytest.fail("no %r in the server log:\n%s" % (text, srv.log_tail()))


def test_sighup_reloads_the_auth_file(tmp_path):
    acc = Access(tmp_path)
    try:
        old, new = acc.tokens["admin"], new_token()
        assert acc.client("admin").get("/api/v1/whoami").status == 200
        # a session of the token about to go
        r = Client(acc.srv.url, token=old).request("POST", "/api/v1/login")
        cookie = r.headers["set-cookie"].split(";")[0]
        assert Client(acc.srv.url, token="").get("/api/v1/whoami", headers={"Cookie": cookie}).status == 200

        auth_file(acc.auth_path, [("write", "newcomer", new)])
        mark = len(acc.srv.log_tail(1 << 20))
        acc.srv.proc.send_signal(signal.SIGHUP)
        wait_log(acc.srv, 'msg="auth file reloaded"', mark)
        r = Client(acc.srv.url, token=new).get("/api/v1/whoami")
        assert r.status == 200 and r.json()["name"] == "newcomer" and r.json()["role"] == "write"
        assert Client(acc.srv.url, token=old).get("/api/v1/whoami").status == 401
        # the session went with its token
        assert Client(acc.srv.url, token="").get("/api/v1/whoami", headers={"Cookie": cookie}).status == 401

        # a bad file: the old table stays, the log says why
        with open(acc.auth_path, "a") as f:
            f.write("write\n")
        mark = len(acc.srv.log_tail(1 << 20))
        acc.srv.proc.send_signal(signal.SIGHUP)
        wait_log(acc.srv, "auth file not reloaded", mark)
        assert "line 3: a name must follow the role" in acc.srv.log_tail(1 << 20)[mark:]
        assert Client(acc.srv.url, token=new).get("/api/v1/whoami").status == 200
        assert acc.srv.alive()
    finally:
        acc.stop()


@pytest.mark.parametrize("text,line,why", [
    ("read alice %s\nsuper bob %s\n", "line 2", "the role must be read, write or admin"),
    ("# c\n\nread alice nothex\n", "line 3", "64 hex digits"),
    ("read alice %s\nread bob %s\n", "line 2", "the same token hash"),
])
def test_bad_auth_file_at_start(tmp_path, text, line, why):
    h = hashlib.sha256(b"x").hexdigest()
    path = tmp_path / "auth"
    path.write_text(text.replace("%s", h))
    p = subprocess.run([server_binary(), "--listen", "127.0.0.1:0", "--db", str(tmp_path / "f.db"),
                        "--auth-file", str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    assert p.returncode != 0
    err = p.stderr.decode()
    assert str(path) in err and line in err and why in err, err
    p = subprocess.run([server_binary(), "--db", str(tmp_path / "f.db"), "--auth-file", str(tmp_path / "missing")],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    assert p.returncode != 0 and b"cannot open" in p.stderr


def test_token_command():
    out = []
    for _ in range(2):
        p = subprocess.run([server_binary(), "token", "write", "ci-bot"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=30)
        assert p.returncode == 0, p.stderr
        token, line = p.stdout.decode().splitlines()
        assert re.fullmatch(r"fdx_[A-Za-z0-9_-]{43}", token), token
        assert line == "write ci-bot " + hashlib.sha256(token.encode()).hexdigest()
        out.append(token)
    assert out[0] != out[1]
    for args in (["token"], ["token", "root", "x"], ["token", "read", "a b"], ["token", "read"]):
        p = subprocess.run([server_binary()] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        assert p.returncode == 2 and p.stdout == b"" and b"usage: flamedex token" in p.stderr


# ------------------------------------------------------------- sessions, who did what


def test_sessions_are_stored_hashed_and_end_at_sign_out(acc):
    c = acc.client("write")
    r = c.request("POST", "/api/v1/login")
    assert r.status == 200 and r.json()["via"] == "session" and r.json()["name"] == "write-token"
    set_cookie = r.headers["set-cookie"]
    attrs = [a.strip() for a in set_cookie.split(";")]
    name, value = attrs[0].split("=", 1)
    assert name == "flamedex_session" and len(value) == 43
    assert {"Path=/", "HttpOnly", "SameSite=Strict"} <= set(attrs), set_cookie
    assert "Max-Age=%d" % (12 * 3600) in attrs and "Secure" not in attrs  # plain http here
    anon = Client(acc.srv.url, token="")
    jar = {"Cookie": "flamedex_session=" + value}
    r = anon.get("/api/v1/whoami", headers=jar)
    assert r.status == 200 and r.json()["role"] == "write" and r.json()["expires_at"]
    assert anon.get("/api/v1/profiles", headers=jar).status == 200
    assert anon.request("DELETE", "/api/v1/profiles/" + "x" * 22, headers=jar).status == 403  # write < admin
    # a login needs a token, not a session
    assert anon.request("POST", "/api/v1/login", headers=jar).status == 400

    # the database holds the hash of the cookie, not the cookie
    rows = db_query(acc.srv, "SELECT id_hash, token_hash, name FROM sessions")
    hashes = [row[0] for row in rows]
    assert hashlib.sha256(value.encode()).hexdigest() in hashes
    assert not any(value in "|".join(map(str, row)) for row in rows)
    assert (hashlib.sha256(value.encode()).hexdigest(), hashlib.sha256(acc.tokens["write"].encode()).hexdigest(),
            "write-token") in rows
    if not acc.srv.db.startswith("postgres"):   # the file's bytes: SQLite's
        with open(acc.srv.db, "rb") as f:
            assert value.encode() not in f.read()

    r = anon.request("POST", "/api/v1/logout", headers=jar)
    assert r.status == 204 and "Max-Age=0" in r.headers["set-cookie"]
    r = anon.get("/api/v1/whoami", headers=jar)
    assert r.status == 401
    # a made-up cookie is nobody (and no failed attempt)
    assert anon.get("/api/v1/whoami", headers={"Cookie": "flamedex_session=" + "A" * 43}).status == 401


def test_secure_cookie_behind_https(tmp_path):
    acc = Access(tmp_path, ["--public-url", "https://flamedex.example.com", "--session-ttl", "2h"])
    try:
        r = acc.client("read").request("POST", "/api/v1/login")
        attrs = [a.strip() for a in r.headers["set-cookie"].split(";")]
        assert "Secure" in attrs and "Max-Age=7200" in attrs, attrs
    finally:
        acc.stop()


def test_who_uploaded_and_the_audit_log(acc):
    w, a = acc.client("write"), acc.client("admin")
    meta = w.upload_ok(profile_bytes("main.audit"), {"name": "audited"})
    pid = meta["id"]
    assert meta["uploaded_by"] == "write-token"
    assert a.get_json("/api/v1/profiles/" + pid)["uploaded_by"] == "write-token"
    listed = [p for p in a.get_json("/api/v1/profiles", {"limit": 500})["profiles"] if p["id"] == pid]
    assert listed and listed[0]["uploaded_by"] == "write-token"
    assert a.request("DELETE", "/api/v1/profiles/" + pid).status == 204
    log = acc.srv.log_tail(1 << 22)
    up = re.search(r"level=audit rid=\S+ method=POST route=/api/v1/profiles status=201 who=write-token "
                   r"client=127\.0\.0\.1 profile=%s" % re.escape(pid), log)
    gone = re.search(r"level=audit rid=\S+ method=DELETE route=/api/v1/profiles/:id status=204 "
                     r"who=admin-token client=127\.0\.0\.1 profile=%s" % re.escape(pid), log)
    assert up and gone, log[-3000:]
    for tok in acc.bad_tokens + list(acc.tokens.values()):
        assert tok not in log, "a token is in the log"


def test_uploaded_by_is_null_without_auth_file(open_srv):
    meta = Client(open_srv.url, token="").upload_ok(profile_bytes("main.anon"))
    assert "uploaded_by" in meta and meta["uploaded_by"] is None
    r = Client(open_srv.url, token="").get("/api/v1/whoami")
    assert r.status == 200 and r.json() == {"auth": False, "name": None, "role": "admin", "via": None,
                                            "expires_at": None}
    assert Client(open_srv.url, token="").request("POST", "/api/v1/login").status == 404


def test_body_refused_before_it_is_read(acc):
    """A caller the route's role refuses gets its 401/403 as soon as the
    headers are in: the server neither waits for nor holds the body."""
    import socket
    from urllib.parse import urlparse
    port = urlparse(acc.srv.url).port
    for auth, want in ((b"", 401), (b"Authorization: Bearer " + acc.tokens["read"].encode() + b"\r\n", 403)):
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        try:
            # announce 50 MiB and send none of it
            s.sendall(b"POST /api/v1/profiles HTTP/1.1\r\nHost: 127.0.0.1\r\n" + auth +
                      b"Content-Type: application/octet-stream\r\nContent-Length: 52428800\r\n\r\n")
            got = b""
            while b"\r\n\r\n" not in got:
                chunk = s.recv(4096)
                assert chunk, "the server closed without a reply"
                got += chunk
        finally:
            s.close()
        status = int(got.split(b" ", 2)[1])
        assert status == want, got[:200]
