"""/api/v1/leaks on hand-made profiles: Go 1.26's goroutineleak profile,
errors and limits. (tests/leaks runs real Go programs.)"""
import pb


def upload(client, data, **params):
    return client.upload_ok(data, params or None)["id"]


def goroutineleak_profile(n):
    """A Go 1.26+ goroutineleak profile (sample type goroutineleak/count):
    n goroutines the GC proved can never be woken, sending on a channel."""
    b = pb.Builder()
    b.sample_type("goroutineleak", "count").period_type("goroutineleak", "count", 1)
    b.mapping(1)
    for i, name in enumerate(["runtime.gopark", "runtime.chansend", "runtime.chansend1",
                              "app.(*Server).AggregateResults.func1", "runtime.goexit"], 1):
        b.function(i, name)
        b.location(i, [(i, 10 * i)], mapping_id=1, address=0x401000 + i)
    b.sample([1, 2, 3, 4, 5], [n])
    return b.encode()


def test_goroutineleak_profile_is_a_confirmed_leak(client):
    pid = upload(client, goroutineleak_profile(6))
    meta = client.get_json("/api/v1/profiles/%s" % pid)
    assert meta["kind"] == "goroutine"
    j = client.get_json("/api/v1/leaks", {"ids": pid})
    c = j["candidates"][0]
    assert c["leak"] is True
    assert c["function"] == "app.(*Server).AggregateResults.func1"
    assert c["wait"] == "chan send"
    assert c["counts"] == [6]
    assert "goroutineleak" in c["reason"]


def test_leaks_errors(client):
    r = client.get("/api/v1/leaks")
    assert r.status == 400 and r.error_code() == "bad_request"
    r = client.get("/api/v1/leaks", {"ids": "nope"})
    assert r.status == 404 and r.error_code() == "not_found"
    r = client.get("/api/v1/leaks", {"ids": ",".join(["A" * 22] * 300)})
    assert r.status == 400 and r.error_code() == "bad_request"
    r = client.get("/api/v1/leaks", {"label": "service:nobody-has-this", "type": "heap"})
    assert r.status == 404 and "heap" in r.json()["error"]["message"]
    r = client.get("/api/v1/leaks", {"label": "service:x", "type": "cpu"})
    assert r.status == 400
    r = client.get("/api/v1/leaks", {"ids": "A" * 22, "min_age": "-1"})
    assert r.status == 400
