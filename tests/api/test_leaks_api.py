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


# ---- times given at upload (time=) ----------------------------------------

T0 = 1714564800  # 2024-05-01T12:00:00Z


def dump(sites, minutes=None, first_goid=10):
    """A debug=2 goroutine dump: sites is [(function, reason, goids)] with
    goids a list of goroutine ids; minutes {goid: N} adds ", N minutes"."""
    out = ["goroutine 1 [running]:\nmain.main()\n\t/src/app/main.go:3 +0x1\n"]
    for fn, reason, goids in sites:
        for g in goids:
            m = (minutes or {}).get(g)
            out.append("goroutine %d [%s%s]:\n%s()\n\t/src/app/%s.go:10 +0x1\ncreated by main.main\n"
                       "\t/src/app/main.go:5 +0x2\n" % (g, reason, ", %d minutes" % m if m else "",
                                                        fn, fn.split(".")[-1]))
    return "\n".join(out).encode()


def timed_profile(time_nanos):
    """A goroutine proto profile with its own time_nanos."""
    b = pb.Builder()
    b.sample_type("goroutine", "count").period_type("goroutine", "count", 1)
    b.mapping(1)
    for i, name in enumerate(["runtime.gopark", "runtime.chanrecv", "main.worker"], 1):
        b.function(i, name)
        b.location(i, [(i, 10 * i)], mapping_id=1, address=0x401000 + i)
    b.sample([1, 2, 3], [4])
    b.raw(pb.f_varint(9, time_nanos))
    return b.encode()


def test_time_param_forms(client):
    text = dump([("main.worker", "chan receive", [20, 21])])
    for given, want in [("2024-05-01T12:00:00Z", "2024-05-01T12:00:00Z"),
                        ("2024-05-01T14:00:00.25+02:00", "2024-05-01T12:00:00.25Z"),
                        (str(T0), "2024-05-01T12:00:00Z"),
                        ("%d.5" % T0, "2024-05-01T12:00:00.5Z"),
                        ("%d000000123" % T0, "2024-05-01T12:00:00.000000123Z")]:
        meta = client.upload_ok(text, {"time": given})
        assert (meta["time"], meta["time_source"]) == (want, "client"), given
        assert client.get_json("/api/v1/profiles/%s" % meta["id"])["time_source"] == "client"
    meta = client.upload_ok(text)
    assert meta["time"] is None and meta["time_source"] == "upload"


def test_bad_time_is_a_400_and_stores_nothing(client):
    before = client.list_total()
    text = dump([("main.worker", "chan receive", [20])])
    for bad, says in [("yesterday", "not a time"), ("2024-05-01", "not a time"),
                      ("2024-02-30T00:00:00Z", "not a time"), ("%d000" % T0, "ambiguous"),
                      ("0", "out of range"), ("-5", "not a time")]:
        r = client.upload(text, {"time": bad})
        assert r.status == 400 and r.error_code() == "bad_request", (bad, r)
        assert says in r.json()["error"]["message"], (bad, r.json())
    # a bad time is refused even for a profile with its own time
    r = client.upload(timed_profile(T0 * 10**9), {"time": "soon"})
    assert r.status == 400
    assert client.list_total() == before


def test_a_profile_keeps_its_own_time(client):
    """time= is for files without one: the profile's time_nanos wins."""
    meta = client.upload_ok(timed_profile(T0 * 10**9), {"time": str(T0 + 3600)})
    assert (meta["time"], meta["time_source"]) == ("2024-05-01T12:00:00Z", "profile")
    j = client.get_json("/api/v1/leaks", {"ids": meta["id"]})
    assert j["snapshots"][0]["time"] == "2024-05-01T12:00:00Z"
    assert j["snapshots"][0]["time_source"] == "profile"


def leaking_series(step_s=12, n=4, per_step=60):
    """n dumps step_s apart: main.leakyWorker gains per_step goroutines per
    dump and keeps the old ones; main.pool holds 8."""
    out = []
    for i in range(n):
        leaked = list(range(100, 100 + per_step * (i + 1)))
        out.append((T0 + i * step_s, dump([("main.leakyWorker", "chan send", leaked),
                                            ("main.pool", "chan receive", list(range(10, 18)))])))
    return out


def leaky(j):
    return next(c for c in j["candidates"] if c["function"] == "main.leakyWorker")


def test_dumps_timed_by_the_client(client):
    """Four dumps taken 12 s apart, uploaded at once: rates and ages are the
    real ones, and 60 goroutines older than 30 s make a leak."""
    label = "service:timed-by-client"
    for t, text in leaking_series():
        client.upload_ok(text, {"labels": label, "time": str(t)})
    j = client.get_json("/api/v1/leaks", {"label": label, "type": "goroutine"})
    assert [s["time_source"] for s in j["snapshots"]] == ["client"] * 4
    assert j["upload_times"] == 0
    c = leaky(j)
    assert c["counts"] == [60, 120, 180, 240]
    assert c["lifetime_s"] == 36
    assert c["old_count"] == 60            # seen in the first dump, 36 s before the last
    assert abs(c["slope_per_hour"] - 5 * 3600) < 1e-6
    assert c["leak"] is True
    assert "+5 goroutines a second for 36 s (4 snapshots)" in c["reason"], c["reason"]
    assert "the oldest 36 s old, 60 of them at least 30 s old" in c["reason"], c["reason"]
    assert "upload times" not in c["reason"]


def test_dumps_timed_by_upload_say_so(client):
    label = "service:timed-by-upload"
    for _t, text in leaking_series():
        client.upload_ok(text, {"labels": label})
    j = client.get_json("/api/v1/leaks", {"label": label, "type": "goroutine"})
    assert [s["time_source"] for s in j["snapshots"]] == ["upload"] * 4
    assert j["upload_times"] == 4
    c = leaky(j)
    assert "some times are upload times" in c["reason"], c["reason"]
    assert c["lifetime_s"] < 30 and c["old_count"] == 0   # uploaded within moments


def test_wait_minutes_are_ages(client):
    """A dump's "N minutes" is a lower bound of the age, and adds to the
    time between the snapshots a goroutine was seen in."""
    one = dump([("main.stuck", "chan receive", list(range(200, 260)))], minutes={g: 5 for g in range(200, 260)})
    j = client.get_json("/api/v1/leaks", {"ids": client.upload_ok(one, {"time": str(T0)})["id"]})
    c = next(c for c in j["candidates"] if c["function"] == "main.stuck")
    assert (c["lifetime_s"], c["old_count"], c["leak"]) == (300, 60, True)
    assert "the oldest 5 min old" in c["reason"], c["reason"]
    # seen with 2 minutes, then 36 s later without: at least 156 s old
    a = dump([("main.stuck", "chan receive", [300, 301])], minutes={300: 2})
    b = dump([("main.stuck", "chan receive", [300, 301, 302])])
    ids = [client.upload_ok(a, {"time": str(T0)})["id"], client.upload_ok(b, {"time": str(T0 + 36)})["id"]]
    c = next(c for c in client.get_json("/api/v1/leaks", {"ids": ",".join(ids)})["candidates"]
             if c["function"] == "main.stuck")
    assert c["lifetime_s"] == 156
    # the goroutine that left does not count: only the last snapshot's
    gone = dump([("main.stuck", "chan receive", [401])])
    ids.append(client.upload_ok(gone, {"time": str(T0 + 72)})["id"])
    c = next(c for c in client.get_json("/api/v1/leaks", {"ids": ",".join(ids)})["candidates"]
             if c["function"] == "main.stuck")
    assert c["counts"][-1] == 1 and c["lifetime_s"] == 0


def test_growth_share_with_shrinking_neighbours(client):
    """main.grows +12 while main.shrinks loses 2: the total grew by 10, but
    main.grows holds all of the growth (1.0, not 1.2); with main.also +4
    beside it, 12 of 16."""
    def series(also):
        ids = []
        for i, (g, s, a) in enumerate([(0, 6, 0), (6, 5, also // 2), (12, 4, also)]):
            text = dump([("main.grows", "chan send", list(range(100, 100 + g))),
                         ("main.shrinks", "chan receive", list(range(50, 50 + s))),
                         ("main.also", "select", list(range(300, 300 + a)))])
            ids.append(client.upload_ok(text, {"time": str(T0 + 10 * i)})["id"])
        j = client.get_json("/api/v1/leaks", {"ids": ",".join(ids)})
        return {c["function"]: c["growth_share"] for c in j["candidates"]}
    shares = series(0)
    assert shares["main.grows"] == 1.0 and shares["main.shrinks"] == 0
    shares = series(4)
    assert shares["main.grows"] == 0.75 and shares["main.also"] == 0.25 and shares["main.shrinks"] == 0
    assert all(0 <= v <= 1 for v in shares.values())


def test_duplicate_ids_are_one_snapshot(client):
    a = client.upload_ok(dump([("main.worker", "chan receive", [20, 21])]), {"time": str(T0)})["id"]
    b = client.upload_ok(dump([("main.worker", "chan receive", [20, 21, 22])]), {"time": str(T0 + 60)})["id"]
    j = client.get_json("/api/v1/leaks", {"ids": ",".join([a] * 16)})
    assert [s["id"] for s in j["snapshots"]] == [a] and j["duplicate_ids"] == 15
    assert all(len(c["counts"]) == 1 for c in j["candidates"])
    j = client.get_json("/api/v1/leaks", {"ids": ",".join([a, b, a, b, b])})
    assert [s["id"] for s in j["snapshots"]] == [a, b] and j["duplicate_ids"] == 3
    worker = next(c for c in j["candidates"] if c["function"] == "main.worker")
    assert worker["counts"] == [2, 3]
    assert client.get_json("/api/v1/leaks", {"ids": a})["duplicate_ids"] == 0


def test_equal_times_keep_their_order(client):
    """Snapshots of one time (client times in whole seconds) keep the order
    of the uploads, or of ids=."""
    label = "service:same-second"
    ids = [client.upload_ok(dump([("main.worker", "chan receive", list(range(20, 20 + k)))]),
                            {"labels": label, "time": str(T0)})["id"] for k in (1, 2, 3)]
    j = client.get_json("/api/v1/leaks", {"label": label, "type": "goroutine"})
    assert [s["id"] for s in j["snapshots"]] == ids
    j = client.get_json("/api/v1/leaks", {"ids": ",".join(reversed(ids))})
    assert [s["id"] for s in j["snapshots"]] == ids[::-1]
    worker = next(c for c in j["candidates"] if c["function"] == "main.worker")
    assert worker["counts"] == [3, 2, 1]
