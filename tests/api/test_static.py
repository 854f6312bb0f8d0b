"""The app's files: ETag validators and 304s, versioned paths cached for
good (/static/v/VERSION/...), index.html naming every module of the graph
as a modulepreload, and bad versioned paths refused."""

import os
import re

import pytest

WEB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "web")


def module_graph():
    """Every module app.js imports, directly or not (relative .js imports)."""
    seen, todo = [], ["/js/app.js"]
    while todo:
        m = todo.pop(0)
        if m in seen:
            continue
        seen.append(m)
        with open(os.path.join(WEB, m.lstrip("/"))) as f:
            src = f.read()
        for spec in re.findall(r"""(?:from|import)\s*\(?\s*['"](\.{1,2}/[^'"]+\.js)['"]""", src):
            todo.append(os.path.normpath(os.path.join(os.path.dirname(m), spec)))
    return seen


def index(client, path="/"):
    r = client.get(path)
    assert r.status == 200, r
    html = r.body.decode()
    m = re.search(r'src="/static/v/([0-9a-f]{16})/js/app\.js"', html)
    assert m, html[:1000]
    return r, html, m.group(1)


def test_index_is_versioned_and_preloads_the_module_graph(client):
    r, html, version = index(client, "/p/someid")
    assert r.headers["cache-control"] == "no-cache"
    assert 'href="/static/v/%s/css/app.css"' % version in html
    preloaded = re.findall(r'<link rel="modulepreload" href="/static/v/%s(/js/[^"]+)">' % version, html)
    graph = module_graph()
    assert len(graph) >= 15
    assert sorted(preloaded) == sorted(graph), set(preloaded) ^ set(graph)
    assert '="/js/' not in html and '="/css/' not in html, "every reference is versioned"
    # prefetch.js (data in parallel with code) runs before app.js
    assert html.index("/js/prefetch.js") < html.index('src="/static/v/%s/js/app.js"' % version)
    # the same version on every page, until a file changes
    assert index(client, "/")[2] == version


def test_versioned_files_are_immutable_and_revalidate(client):
    _, html, version = index(client)
    for mod in module_graph() + ["/css/app.css"]:
        r = client.get("/static/v/%s%s" % (version, mod))
        assert r.status == 200, mod
        with open(os.path.join(WEB, mod.lstrip("/")), "rb") as f:
            assert r.body == f.read(), mod
        assert r.headers["cache-control"] == "public, max-age=31536000, immutable", mod
        etag = r.headers["etag"]
        assert re.fullmatch(r'"[0-9a-f]{16}"', etag)
        again = client.get("/static/v/%s%s" % (version, mod), headers={"If-None-Match": etag})
        assert again.status == 304 and again.body == b"", mod
        assert again.headers["etag"] == etag


def test_plain_paths_revalidate_with_etag(client):
    for path in ("/js/app.js", "/css/app.css", "/favicon.svg", "/", "/index.html"):
        r = client.get(path)
        assert r.status == 200, path
        assert r.headers["cache-control"] == "no-cache", path
        etag = r.headers["etag"]
        assert client.get(path, headers={"If-None-Match": etag}).status == 304, path
        assert client.get(path, headers={"If-None-Match": '"0000000000000000"'}).status == 200, path
        assert client.get(path, headers={"If-None-Match": "W/" + etag + ', "x"'}).status == 304, path


def test_an_old_version_is_served_but_not_cached_for_good(client):
    r = client.get("/static/v/0123456789abcdef/js/app.js")
    assert r.status == 200
    assert r.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize("path", [
    "/static/v/short/js/app.js", "/static/v/0123456789abcdef/../../etc/passwd",
    "/static/v/0123456789abcdef/index.html", "/static/v/0123456789abcdef/js/nope.js",
    "/static/v/0123456789abcdef/js/app.exe", "/static/v/0123456789abcdef", "/static/v/",
    "/static/v/0123456789abcdef//js/app.js", "/static/x/0123456789abcdef/js/app.js",
])
def test_bad_versioned_paths_are_404(client, path):
    r = client.get(path)
    assert r.status == 404, (path, r)
    assert r.error_code() == "not_found"
