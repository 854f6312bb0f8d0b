"""Content coding (server/encoding.c): bodies go gzipped when the client's
Accept-Encoding admits gzip and the body is worth it (>= 1 KiB, a text
type), with Vary: Accept-Encoding; the gzipped body inflates to exactly the
plain one; tiny bodies, refusals (q=0) and clients that ask for nothing get
the body as it is."""

import gzip
import os

import pytest

import catalog

WEB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "web")
PROFILE = "Golbat/default.pgo"


@pytest.fixture(scope="module")
def pid(uploads):
    path = os.path.join(catalog.CORPUS, PROFILE)
    if not os.path.isfile(path):
        pytest.fail("corpus file missing: " + path, pytrace=False)
    r, _ = uploads.get(PROFILE)
    assert r.status == 201, r
    return r.json()["id"]


def test_views_are_gzipped_when_accepted(client, pid):
    for view in ("flamegraph", "top"):
        url = "/api/v1/profiles/%s/%s" % (pid, view)
        plain = client.get(url)
        assert plain.status == 200, plain
        assert len(plain.body) >= 1024, view
        assert "content-encoding" not in plain.headers, view
        assert plain.headers.get("vary") == "Accept-Encoding", view
        gz = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
        assert gz.status == 200, gz
        assert gz.headers.get("content-encoding") == "gzip", view
        assert gz.headers.get("vary") == "Accept-Encoding", view
        assert int(gz.headers["content-length"]) == len(gz.body)
        assert len(gz.body) < len(plain.body) / 2, (view, len(gz.body), len(plain.body))
        assert gzip.decompress(gz.body) == plain.body, view


def test_refused_or_unknown_codings_get_identity(client, pid):
    url = "/api/v1/profiles/%s/flamegraph" % pid
    plain = client.get(url).body
    for ae in ("gzip;q=0", "identity", "br", "gzip;q=0, *;q=1", "*;q=0"):
        r = client.get(url, headers={"Accept-Encoding": ae})
        assert r.status == 200, (ae, r)
        assert "content-encoding" not in r.headers, ae
        assert r.body == plain, ae
    for ae in ("GZIP", "x-gzip", "*", "br;q=1, gzip;q=0.5"):
        r = client.get(url, headers={"Accept-Encoding": ae})
        assert r.headers.get("content-encoding") == "gzip", ae
        assert gzip.decompress(r.body) == plain, ae


def test_tiny_bodies_and_errors_are_not_compressed(client):
    r = client.get("/healthz", headers={"Accept-Encoding": "gzip"})
    assert r.status == 200 and r.body.strip() == b"ok"
    assert "content-encoding" not in r.headers
    r = client.get("/api/v1/profiles/nosuchprofile0000/top", headers={"Accept-Encoding": "gzip"})
    assert r.status == 404, r
    assert "content-encoding" not in r.headers
    assert r.json()["error"]["code"] == "not_found"


def test_static_assets_gzip_and_keep_their_etag(client):
    with open(os.path.join(WEB, "css", "app.css"), "rb") as f:
        src = f.read()
    assert len(src) >= 1024
    plain = client.get("/css/app.css")
    assert plain.status == 200 and plain.body == src
    r = client.get("/css/app.css", headers={"Accept-Encoding": "gzip"})
    assert r.status == 200
    assert r.headers.get("content-encoding") == "gzip"
    assert gzip.decompress(r.body) == src
    # two representations, two strong ETags; each revalidates as itself
    assert r.headers["etag"] != plain.headers["etag"]
    again = client.get("/css/app.css", headers={"Accept-Encoding": "gzip", "If-None-Match": r.headers["etag"]})
    assert again.status == 304 and again.body == b""
    assert "content-encoding" not in again.headers
    assert again.headers.get("vary") == "Accept-Encoding"
    other = client.get("/css/app.css", headers={"If-None-Match": r.headers["etag"]})
    assert other.status == 200 and other.body == src


def test_views_have_strong_etags_and_revalidate(client, pid, upload):
    url = "/api/v1/profiles/%s/flamegraph?max_nodes=50" % pid
    a = client.get(url)
    assert a.status == 200, a
    etag = a.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"') and len(etag) == 34, etag
    # the same view again: the same tag, whatever the order of the query
    assert client.get(url).headers["etag"] == etag
    b = client.get("/api/v1/profiles/%s/flamegraph?max_nodes=50&sample_type=" % pid)
    assert b.status == 200 and b.headers["etag"] != etag   # another query, another tag
    r1 = client.get("/api/v1/profiles/%s/top?limit=5&sort=cum" % pid)
    r2 = client.get("/api/v1/profiles/%s/top?sort=cum&limit=5" % pid)
    assert r1.status == r2.status == 200
    assert r1.headers["etag"] == r2.headers["etag"] and r1.body == r2.body
    assert r1.headers["etag"] != client.get("/api/v1/profiles/%s/top?limit=5" % pid).headers["etag"]
    # revalidation: 304, no body, the tag again
    nm = client.get(url, headers={"If-None-Match": etag})
    assert nm.status == 304 and nm.body == b"", nm
    assert nm.headers["etag"] == etag
    assert client.get(url, headers={"If-None-Match": 'W/%s, "other"' % etag}).status == 304
    assert client.get(url, headers={"If-None-Match": '"other"'}).status == 200
    # the gzipped representation has its own tag
    gz = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert gz.status == 200 and gz.headers["etag"] != etag
    assert client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": etag}).status == 200
    assert client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": gz.headers["etag"]}).status == 304
    # another profile's view never matches
    with open(os.path.join(catalog.CORPUS, "apm-server/testdata-cpu.pprof"), "rb") as f:
        other = upload(f.read(), name="etag-other")["id"]
    ourl = "/api/v1/profiles/%s/flamegraph?max_nodes=50" % other
    assert client.get(ourl, headers={"If-None-Match": etag}).status == 200
    # a deleted profile is a 404, not a 304
    oetag = client.get(ourl).headers["etag"]
    assert client.request("DELETE", "/api/v1/profiles/%s" % other).status in (200, 204)
    gone = client.get(ourl, headers={"If-None-Match": oetag})
    assert gone.status == 404 and gone.json()["error"]["code"] == "not_found"
