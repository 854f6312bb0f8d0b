"""Profile collection endpoints: list, metadata, labels, multipart, delete,
healthz and error shapes not covered elsewhere."""


import checks
import pb
from client import multipart


def _profile(tag, n=1):
    return pb.simple_profile({("main.main", "main.%s" % tag): [n, n * 10],
                              ("main.main", "main.%s" % tag, "main.leaf"): [1, 5]})


def test_healthz(client):
    r = client.get("/healthz")
    assert r.status == 200 and r.body.strip() == b"ok"


def test_multipart_upload_equals_octet_stream(client):
    data = _profile("multipart")
    body, ctype = multipart("file", "cpu.pb.gz", data)
    r = client.upload(body, content_type=ctype)
    assert r.status == 201, r
    meta = r.json()
    raw = client.get("/api/v1/profiles/%s/raw" % meta["id"])
    assert raw.status == 200 and raw.body == data
    plain = client.upload_ok(data)
    a = client.get_json("/api/v1/profiles/%s/top" % meta["id"], {"limit": 0})
    b = client.get_json("/api/v1/profiles/%s/top" % plain["id"], {"limit": 0})
    assert a["total"] == b["total"] and checks.server_top_rows(a) == checks.server_top_rows(b)


def test_multipart_without_file_field(client):
    before = client.list_total()
    body, ctype = multipart("notfile", "cpu.pb.gz", _profile("nofield"))
    r = client.upload(body, content_type=ctype)
    assert 400 <= r.status < 500, r
    r.error_code()
    assert client.list_total() == before


def test_name_and_labels(client):
    meta = client.upload_ok(_profile("labels"), {"name": "checkout cpu",
                                                 "labels": "service:checkout,zone:eu-1"})
    assert meta["name"] == "checkout cpu"
    assert meta["labels"] == {"service": "checkout", "zone": "eu-1"}
    listed = client.get_json("/api/v1/profiles", {"label": "service:checkout"})
    ids = [p["id"] for p in listed["profiles"]]
    assert meta["id"] in ids
    assert all(p["labels"].get("service") == "checkout" for p in listed["profiles"])
    assert listed["total"] == len(listed["profiles"]) or listed["total"] >= len(ids)
    none = client.get_json("/api/v1/profiles", {"label": "service:no-such-service"})
    assert none["total"] == 0 and none["profiles"] == []


def test_list_newest_first_and_paging(client):
    ids = [client.upload_ok(_profile("page%d" % i, i + 1))["id"] for i in range(5)]
    j = client.get_json("/api/v1/profiles", {"limit": 5})
    assert [p["id"] for p in j["profiles"]] == ids[::-1], "newest first"
    total = j["total"]
    assert checks.is_int(total) and total >= 5
    j2 = client.get_json("/api/v1/profiles", {"limit": 2, "offset": 1})
    assert [p["id"] for p in j2["profiles"]] == ids[::-1][1:3]
    assert j2["total"] == total


def test_list_by_type(client, generated_profiles):
    with open(generated_profiles["gen/goroutine"], "rb") as f:
        meta = client.upload_ok(f.read())
    j = client.get_json("/api/v1/profiles", {"type": "goroutine", "limit": 1000})
    assert meta["id"] in [p["id"] for p in j["profiles"]]
    for p in j["profiles"]:
        # goroutine profiles, and Go 1.26's goroutineleak profiles
        assert {"goroutine", "goroutineleak"} & {st["type"] for st in p["sample_types"]}


def test_delete(client):
    meta = client.upload_ok(_profile("delete"))
    before = client.list_total()
    r = client.request("DELETE", "/api/v1/profiles/" + meta["id"])
    assert r.status == 204, r
    assert client.list_total() == before - 1
    for suffix in ("", "/top", "/flamegraph", "/tags", "/raw"):
        r = client.get("/api/v1/profiles/%s%s" % (meta["id"], suffix))
        assert r.status == 404 and r.error_code() == "not_found", (suffix, r)
    r = client.request("DELETE", "/api/v1/profiles/" + meta["id"])
    assert r.status == 404 and r.error_code() == "not_found"


def test_ids_are_unique_for_identical_uploads(client):
    data = _profile("same")
    a = client.upload_ok(data)["id"]
    b = client.upload_ok(data)["id"]
    assert a != b
    assert checks.ID_RE.match(a) and checks.ID_RE.match(b)


def test_zero_sample_profile(client):
    b = pb.Builder()
    b.sample_type("samples", "count").sample_type("cpu", "nanoseconds")
    data = b.encode(gzipped=True)
    meta = client.upload_ok(data)
    j = client.get_json("/api/v1/profiles/%s/top" % meta["id"], {"limit": 0})
    assert j["total"] == 0 and j["rows"] == []
    fg = client.get_json("/api/v1/profiles/%s/flamegraph" % meta["id"])
    t = checks.Tree(fg)
    t.check_sums()
    assert t.nodes[0][3] == 0 and len(t.nodes) == 1


# ------------------------------------------------------------ list filters, multipart

import pytest  # noqa: E402 (this part was appended to the file)


KINDS = ["other", "cpu", "heap", "goroutine", "mutex", "block"]


@pytest.mark.parametrize("kind", ["bogus", "CPU", "goroutines", "cpu,heap", " cpu"])
def test_list_unknown_type_is_a_400_naming_the_kinds(client, kind):
    r = client.get("/api/v1/profiles", {"type": kind})
    assert r.status == 400 and r.error_code() == "bad_request", r
    msg = r.json()["error"]["message"]
    for k in KINDS:
        assert k in msg, (k, msg)


def test_list_every_kind_is_accepted(client):
    meta = client.upload_ok(_profile("kinds"))
    assert meta["kind"] in KINDS
    for k in KINDS:
        j = client.get_json("/api/v1/profiles", {"type": k, "limit": 1000})
        ids = [p["id"] for p in j["profiles"]]
        assert (meta["id"] in ids) == (k == meta["kind"]), (k, meta["kind"])
        assert all(p["kind"] == k for p in j["profiles"])
    everything = client.get_json("/api/v1/profiles", {"type": ""})
    assert everything["total"] == client.list_total()


BOUNDARY = "flamedexTwoFilesBoundary9x"


def _multipart_parts(parts):
    """multipart/form-data of (field, filename or None, bytes) parts."""
    body = b""
    for field, filename, data in parts:
        disp = 'form-data; name="%s"' % field
        if filename is not None:
            disp += '; filename="%s"' % filename
        body += ("--%s\r\nContent-Disposition: %s\r\n" % (BOUNDARY, disp)).encode()
        if filename is not None:
            body += b"Content-Type: application/octet-stream\r\n"
        body += b"\r\n" + data + b"\r\n"
    body += ("--%s--\r\n" % BOUNDARY).encode()
    return body, "multipart/form-data; boundary=" + BOUNDARY


def test_multipart_with_two_files_is_refused(client):
    """curl -F file=@a.pb.gz -F file=@b.pb.gz: one profile per request, so
    a 400 that says so, and nothing stored (it used to glue b onto a)."""
    before = client.list_total()
    a, b = _profile("first", 3), _profile("second", 5)
    body, ctype = _multipart_parts([("file", "a.pb.gz", a), ("file", "b.pb.gz", b)])
    r = client.upload(body, content_type=ctype)
    assert r.status == 400 and r.error_code() == "bad_request", r
    msg = r.json()["error"]["message"]
    assert "2" in msg and '"file"' in msg and "one profile per request" in msg, msg
    assert client.list_total() == before


def test_multipart_with_an_empty_file_and_a_real_one_is_refused(client):
    before = client.list_total()
    body, ctype = _multipart_parts([("file", "empty.pb.gz", b""), ("file", "b.pb.gz", _profile("b"))])
    r = client.upload(body, content_type=ctype)
    assert r.status == 400 and r.error_code() == "bad_request", r
    assert client.list_total() == before


def test_multipart_one_file_among_other_fields(client):
    """Other form fields (as a browser form may send) are ignored; the one
    file is stored byte for byte, named after its file name."""
    data = _profile("withfields", 4)
    body, ctype = _multipart_parts([("note", None, b"hello"), ("file", "mine.pb.gz", data),
                                    ("other", None, b"x" * 100000)])
    r = client.upload(body, content_type=ctype)
    assert r.status == 201, r
    meta = r.json()
    assert meta["name"] == "mine.pb.gz"
    raw = client.get("/api/v1/profiles/%s/raw" % meta["id"])
    assert raw.status == 200 and raw.body == data


def test_multipart_with_one_empty_file(client):
    before = client.list_total()
    body, ctype = _multipart_parts([("file", "empty.pb.gz", b"")])
    r = client.upload(body, content_type=ctype)
    assert r.status == 400 and r.error_code() in ("empty_body", "bad_request"), r
    assert client.list_total() == before


def test_multipart_one_big_file_in_many_chunks(client):
    """A file part far bigger than the multipart parser's buffer arrives in
    many pieces and is still one part."""
    stacks = {("main.main", "pkg%d.handler" % i, "pkg%d.leaf%d" % (i, i)): [i, 10 * i]
              for i in range(1, 4000)}
    data = pb.simple_profile(stacks, gzipped=False)
    assert len(data) > 4 * 64 * 1024
    body, ctype = _multipart_parts([("file", "big.pb", data)])
    r = client.upload(body, content_type=ctype)
    assert r.status == 201, r
    raw = client.get("/api/v1/profiles/%s/raw" % r.json()["id"])
    assert raw.body == data


def test_goroutine_text_after_blank_lines(client, tmp_path):
    """debug=1 and debug=2 goroutine text after leading blank lines and
    whitespace, with LF or CRLF line ends, reads as the plain text does
    (a debug=1 profile with a leading blank line used to be refused with
    415 "unsupported format: goroutine text profile (debug=1)")."""
    import pproftool
    debug1 = ("goroutine profile: total 3\n"
              "2 @ 0x1 0x2\n"
              "#\t0x1\tmain.worker+0x2a\t/src/main.go:20\n"
              "#\t0x2\tmain.main+0x1d\t/src/main.go:10\n"
              "\n"
              "1 @ 0x2\n"
              "#\t0x2\tmain.main+0x1d\t/src/main.go:10\n")
    debug2 = ("goroutine 1 [running]:\n"
              "main.main()\n"
              "\t/src/main.go:10 +0x1d\n"
              "\n"
              "goroutine 7 [chan receive]:\n"
              "main.worker()\n"
              "\t/src/main.go:20 +0x2a\n"
              "main.main()\n"
              "\t/src/main.go:12 +0x3b\n")
    # {function: (flat, cum)} of the goroutine counts
    want = {debug1: {"main.main": (1, 3), "main.worker": (2, 2)},
            debug2: {"main.main": (1, 2), "main.worker": (1, 1)}}
    for text, rows in want.items():
        for prefix in ("", "\n", "\n\n", " \t\r\n", "\r\n\r\n"):
            for eol in ("\n", "\r\n"):
                data = (prefix + text.replace("\n", eol)).encode()
                r = client.upload(data)
                assert r.status == 201, (prefix, eol, r)
                meta = r.json()
                assert [st["type"] for st in meta["sample_types"]] == ["goroutine"]
                j = client.get_json("/api/v1/profiles/%s/top" % meta["id"], {"limit": 0})
                assert checks.server_top_rows(j) == rows, (prefix, eol)
                assert j["total"] == sum(flat for flat, _cum in rows.values())
    # go tool pprof reads the debug=1 text after blank lines too, to the
    # same total.
    path = tmp_path / "debug1.txt"
    path.write_bytes(("\n\n" + debug1).encode())
    assert pproftool.top(str(path)).total == 3
