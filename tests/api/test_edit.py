"""A stored profile's name and labels: renaming and relabelling with
PATCH /api/v1/profiles/{id}, and the download name /raw gives."""

import json
import os
import urllib.parse

import pytest

import pb

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")


def _profile(tag, gzipped=True):
    return pb.simple_profile({("main.main", "main.%s" % tag): [3, 30]}, gzipped=gzipped)


def _patch(client, pid, body, ctype="application/json"):
    if not isinstance(body, bytes):
        body = json.dumps(body).encode()
    return client.request("PATCH", "/api/v1/profiles/" + pid, body=body, headers={"Content-Type": ctype})


def _disposition(client, pid):
    r = client.get("/api/v1/profiles/%s/raw" % pid)
    assert r.status == 200, r
    return r.headers["content-disposition"], r.body


def test_rename_and_relabel(client):
    meta = client.upload_ok(_profile("edit"), {"name": "cpu.pb.gz", "labels": "service:old,zone:eu"})
    r = _patch(client, meta["id"], {"name": "checkout before the fix", "labels": {"service": "checkout"}})
    assert r.status == 200, r
    got = r.json()
    assert got["name"] == "checkout before the fix"
    assert got["labels"] == {"service": "checkout"}, "labels are replaced, not merged"
    assert client.get_json("/api/v1/profiles/" + meta["id"]) == got
    # the list and its label filter see the change
    listed = client.get_json("/api/v1/profiles", {"label": "service:checkout"})
    assert meta["id"] in [p["id"] for p in listed["profiles"]]
    old = client.get_json("/api/v1/profiles", {"label": "service:old"})
    assert meta["id"] not in [p["id"] for p in old["profiles"]]
    # name only keeps the labels; labels only keeps the name; {} removes them
    assert _patch(client, meta["id"], {"name": "renamed"}).json()["labels"] == {"service": "checkout"}
    j = _patch(client, meta["id"], {"labels": {}}).json()
    assert j["name"] == "renamed" and j["labels"] == {}
    # escapes and non-ASCII arrive as text
    j = _patch(client, meta["id"], {"name": "caf\u00e9 \"quoted\" \U0001F600"}).json()
    assert j["name"] == "caf\u00e9 \"quoted\" \U0001F600"
    # nothing else about the profile changed
    for k in ("id", "samples", "bytes", "sample_types", "uploaded_at", "time"):
        assert j[k] == meta[k], k


BAD_BODIES = [
    b"", b"not json", b"[]", b'"name"', b'{"name": "x"', b'{"name": "x"} trailing',
    b'{"name": 3}', b'{"name": ""}', b'{"name": null}', b'{}', b'{"nme": "x"}',
    b'{"name": "a", "name": "b"}', b'{"labels": "service:x"}', b'{"labels": {"service": 1}}',
    b'{"labels": {"": "x"}}', b'{"labels": {"k": ""}}', b'{"labels": {"a:b": "x"}}',
    b'{"labels": {"k": "a,b"}}', b'{"labels": {"k": "v", "k": "w"}}',
    b'{"name": "x",}', b'{"name": "bad \\x escape"}', b'{"name": "\\u0000"}',
    json.dumps({"name": "n" * 257}).encode(),
    json.dumps({"labels": {"k": "v" * 129}}).encode(),
    json.dumps({"labels": {"k" * 129: "v"}}).encode(),
    json.dumps({"labels": {"k%d" % i: "v" for i in range(33)}}).encode(),
]


def test_too_long_labels_say_so(client):
    meta = client.upload_ok(_profile("long"))
    for labels in ({"k": "v" * 129}, {"k" * 129: "v"}):
        r = _patch(client, meta["id"], {"labels": labels})
        assert r.status == 400 and b"limited to 128 bytes" in r.body, r
    r = _patch(client, meta["id"], {"name": "n" * 257})
    assert r.status == 400 and b"longer than 256 bytes" in r.body, r


@pytest.mark.parametrize("body", BAD_BODIES, ids=lambda b: b[:40].decode(errors="replace"))
def test_bad_bodies_are_400_and_change_nothing(client, body):
    meta = client.upload_ok(_profile("bad"), {"name": "keep", "labels": "service:keep"})
    r = _patch(client, meta["id"], body)
    assert r.status == 400, r
    assert r.error_code() == "bad_request"
    after = client.get_json("/api/v1/profiles/" + meta["id"])
    assert after["name"] == "keep" and after["labels"] == {"service": "keep"}


def test_limits_are_the_uploads(client):
    meta = client.upload_ok(_profile("lim"))
    labels = {"k%d" % i: "v" * 128 for i in range(32)}
    j = _patch(client, meta["id"], {"name": "n" * 256, "labels": labels}).json()
    assert j["name"] == "n" * 256 and j["labels"] == labels


def test_unknown_id_is_404(client):
    for pid in ("A" * 22, "not-an-id", "x"):
        r = _patch(client, pid, {"name": "x"})
        assert r.status == 404, r
        assert r.error_code() == "not_found"


def test_collection_and_views_refuse_patch(client):
    meta = client.upload_ok(_profile("m"))
    for path in ("/api/v1/profiles", "/api/v1/profiles/%s/raw" % meta["id"]):
        r = client.request("PATCH", path, body=b'{"name":"x"}')
        assert r.status == 405, (path, r)
    allow = client.request("OPTIONS", "/api/v1/profiles/" + meta["id"]).headers.get("allow", "")
    assert "PATCH" in allow, allow


# ---- /raw: the download is named after the profile ---------------------------

def test_raw_download_names(client):
    gz = client.upload_ok(_profile("gz"), {"name": "checkout cpu"})
    d, body = _disposition(client, gz["id"])
    assert body[:2] == b"\x1f\x8b"
    assert d == "attachment; filename=\"checkout cpu.pb.gz\"; filename*=UTF-8''checkout%20cpu.pb.gz", d
    plain = client.upload_ok(_profile("plain", gzipped=False), {"name": "heap.pb.gz"})
    d, body = _disposition(client, plain["id"])
    assert body[:2] != b"\x1f\x8b"
    assert d == "attachment; filename=\"heap.pb\"; filename*=UTF-8''heap.pb", "not gzip: not .gz"
    with open(os.path.join(DATA, "go-profiler-notes", "1.net.http.pprof.goroutine.debug1.txt"), "rb") as f:
        text = client.upload_ok(f.read(), {"name": "goroutines.txt"})
    d, _ = _disposition(client, text["id"])
    assert d == "attachment; filename=\"goroutines.txt\"; filename*=UTF-8''goroutines.txt", d
    # a rename renames the download; quotes and slashes never reach the header raw
    _patch(client, gz["id"], {"name": "a\"b/../c;\u00e9"})
    d, _ = _disposition(client, gz["id"])
    assert d == "attachment; filename=\"a_b_.._c___.pb.gz\"; filename*=UTF-8''a%22b_.._c%3B%C3%A9.pb.gz", d
    star = d.split("filename*=UTF-8''")[1]
    assert urllib.parse.unquote(star) == "a\"b_.._c;\u00e9.pb.gz"
