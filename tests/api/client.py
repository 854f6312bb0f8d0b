"""Minimal HTTP client for the flamedex API (standard library only).

http.client is used directly (it is what urllib.request is built on) so
that error statuses come back as values, not exceptions, and so that a
server answering early and closing the connection while a big body is
still being sent is handled.

A token (docs/SECURITY.md) goes out as "Authorization: Bearer TOKEN" on
every request: the one given, or else the password (or user name) of the
base URL (tests/lib/flamedex_server.py puts the suite's token there).
"""

import http.client
import json
import urllib.parse


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise AssertionError("response is not JSON (%s, status %d): %r"
                                 % (e, self.status, self.body[:300]))

    def error_code(self):
        """The "code" of an API error body, checking the error shape."""
        j = self.json()
        assert isinstance(j, dict) and isinstance(j.get("error"), dict), \
            "error body must be {\"error\": {...}}, got %r" % (j,)
        err = j["error"]
        assert isinstance(err.get("code"), str) and isinstance(err.get("message"), str), \
            "error needs string code and message, got %r" % (err,)
        return err["code"]

    def __repr__(self):
        return "<Response %d %r>" % (self.status, self.body[:200])


class Client:
    def __init__(self, base_url, timeout=60, token=None):
        u = urllib.parse.urlsplit(base_url)
        self.base = base_url.rstrip("/")
        self.host = u.hostname
        self.port = u.port
        self.timeout = timeout
        self.token = token if token is not None else (
            urllib.parse.unquote(u.password or u.username or "") or None)

    def request(self, method, path, body=None, headers=None, timeout=None):
        conn = http.client.HTTPConnection(self.host, self.port,
                                          timeout=timeout or self.timeout)
        try:
            hdrs = dict(headers or {})
            if self.token and "Authorization" not in hdrs:
                hdrs["Authorization"] = "Bearer " + self.token
            if body is not None and "Content-Length" not in hdrs:
                hdrs["Content-Length"] = str(len(body))
            try:
                conn.request(method, path, body=body, headers=hdrs)
            except (BrokenPipeError, ConnectionResetError):
                # The server may answer (e.g. 413) and stop reading before
                # the whole body is sent; its answer is still readable.
                pass
            resp = conn.getresponse()
            data = resp.read()
            return Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
        finally:
            conn.close()

    def get(self, path, params=None, **kw):
        if params:
            path = path + ("&" if "?" in path else "?") + urllib.parse.urlencode(params)
        return self.request("GET", path, **kw)

    def get_json(self, path, params=None, expect=200):
        r = self.get(path, params)
        assert r.status == expect, "GET %s %r -> %d %r" % (path, params, r.status, r.body[:500])
        return r.json()

    def upload(self, data, params=None, content_type="application/octet-stream", **kw):
        path = "/api/v1/profiles"
        if params:
            path += "?" + urllib.parse.urlencode(params)
        return self.request("POST", path, body=data,
                            headers={"Content-Type": content_type}, **kw)

    def upload_ok(self, data, params=None):
        r = self.upload(data, params)
        assert r.status == 201, "upload -> %d %r" % (r.status, r.body[:500])
        meta = r.json()
        assert isinstance(meta.get("id"), str) and meta["id"], meta
        return meta

    def list_total(self):
        return self.get_json("/api/v1/profiles")["total"]

    def healthy(self):
        try:
            r = self.request("GET", "/healthz", timeout=5)
        except OSError:
            return False
        return r.status == 200 and r.body.strip() == b"ok"


def multipart(field, filename, data, boundary="flamedexTestBoundary7MA4YWxkTrZu0gW"):
    """Encode one file as multipart/form-data; returns (body, content type)."""
    body = (("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
             "Content-Type: application/octet-stream\r\n\r\n") % (boundary, field, filename)).encode()
    body += data + ("\r\n--%s--\r\n" % boundary).encode()
    return body, "multipart/form-data; boundary=" + boundary
