"""Merges of series-stored profiles equal merges of the same profiles stored
alone.

A profile read back from its series' group names, per string, function,
frame, location and trie node, the group's id of it (server/prof.h, struct
prof_origin), and a merge takes what a group's earlier sources already
brought from its per-group maps instead of looking it up again
(server/merge.c). The merged model must be the one the plain path builds:
here two servers get the same uploads, one storing every labelled upload
against its series (--series-storage labelled), the other none (off), and
every merged view of the same id lists is compared byte for byte (the
"first" id aside: ids differ between the servers). The selections repeat
profiles within one group (the maps hit), span two groups, and mix
series-stored and alone-stored profiles. Both servers decode every profile
cold (--cache-bytes 1).
"""

import os

import catalog
import pb
from client import Client
from flamedex_server import Server, db_query

FILES = ["parca/labels.pb.gz", "pyroscope/go.cpu.labels.pprof", "agent-insight/cpu.pb.gz",
         "go/inline_hot.pprof", "go/devirt.pprof"]

# (labels, index into FILES): series a repeats profiles (its group's map
# hits), series b shares content with a in another group, the unlabelled
# ones are stored alone on both servers
UPLOADS = [("service:ma", 0), ("service:ma", 1), ("service:ma", 0), ("service:mb", 1), ("", 2),
           ("service:ma", 2), ("service:mb", 3), ("service:ma", 0), ("service:mb", 1), ("", 4),
           ("service:ma", 1), ("service:mb", 0)]

VIEWS = [("/merge/top", [("limit", "0")]), ("/merge/top", [("limit", "0"), ("sample_type", "1")]),
         ("/merge/top", [("limit", "0"), ("granularity", "lines")]), ("/merge/flamegraph", []),
         ("/merge/flamegraph", [("sample_type", "1")]), ("/merge/tags", [])]


def read(rel):
    path = os.path.join(catalog.CORPUS, rel)
    assert os.path.isfile(path), "corpus file missing: %s" % path
    with open(path, "rb") as f:
        return f.read()


def formats(srv, ids):
    rows = []
    for pid in ids:
        (fmt, grp), = db_query(srv, "SELECT s.format, coalesce(s.grp, '') FROM stacks s "
                               "JOIN profiles p ON p.seq=s.profile_seq WHERE p.id=?", (pid,))
        rows.append((fmt, grp))
    return rows


def merged(c, ids, path, params):
    r = c.get("/api/v1" + path, [("ids", ",".join(ids))] + params)
    assert r.status == 200, "%s %r -> %d %r" % (path, params, r.status, r.body[:300])
    # the first source's id is the one thing that differs between servers
    return r.body.replace(ids[0].encode(), b"FIRST")


def test_merge_of_series_profiles_equals_the_merge_of_the_same_profiles_stored_alone():
    series = Server(["--series-storage", "labelled", "--cache-bytes", "1"]).start()
    alone = Server(["--series-storage", "off", "--cache-bytes", "1"]).start()
    try:
        cs, ca = Client(series.url), Client(alone.url)
        datas = [read(rel) for rel in FILES]
        ids_s, ids_a = [], []
        for labels, k in UPLOADS:
            q = {"name": FILES[k]}
            if labels:
                q["labels"] = labels
            ids_s.append(cs.upload_ok(datas[k], q)["id"])
            ids_a.append(ca.upload_ok(datas[k], q)["id"])
        fs = formats(series, ids_s)
        groups = {grp for (fmt, grp), (labels, _) in zip(fs, UPLOADS) if labels}
        assert all((fmt == 16) == bool(labels) for (fmt, _), (labels, _) in zip(fs, UPLOADS)), fs
        assert len(groups) == 2 and "" not in groups, groups
        assert all(fmt != 16 for fmt, _ in formats(alone, ids_a))

        def pick(pred):
            return [i for i, (labels, _) in enumerate(UPLOADS) if pred(labels)]

        selections = {
            "one group, repeats": pick(lambda lb: lb == "service:ma"),
            "two groups": pick(lambda lb: lb != ""),
            "series and alone mixed": list(range(len(UPLOADS))),
            "alone first": pick(lambda lb: lb == "") + pick(lambda lb: lb != ""),
            "reversed": list(reversed(range(len(UPLOADS)))),
        }
        for name, sel in selections.items():
            a = [ids_a[i] for i in sel]
            s = [ids_s[i] for i in sel]
            for path, params in VIEWS:
                got, want = merged(cs, s, path, params), merged(ca, a, path, params)
                assert got == want, "%s %s %r: series %r vs alone %r" % (name, path, params, got[:300], want[:300])
        # the same selection again (every profile decoded again, the maps
        # built anew) answers the same
        sel = selections["two groups"]
        assert merged(cs, [ids_s[i] for i in sel], "/merge/top", [("limit", "0")]) == \
            merged(ca, [ids_a[i] for i in sel], "/merge/top", [("limit", "0")])
    finally:
        problems = [series.stop(), alone.stop()]
    assert not any(problems), problems


# Profiles of one program taken one after another share nearly all their
# locations but not all their stacks: a later source meets locations its
# group's map already holds under trie nodes it does not. Each file here is
# cut into variants that keep different samples (every other field as it
# was), all stored in one group, so every per-group map is consulted for
# entries whose parents are new.
VARIANT_FILES = ["pyroscope/go.cpu.labels.pprof", "go-profiler-notes/benchmark.cpu.pb.gz",
                 "apm-server/testdata-heap.pprof", "go/inline_hot.pprof"]
VARIANTS = [lambda i: i % 3 == 0, lambda i: i % 3 == 1, lambda i: i % 3 != 0, lambda i: i % 2 == 1,
            lambda i: True]
VARIANT_VIEWS = VIEWS + [
                         ("/merge/top", [("limit", "0"), ("granularity", "files")]),
                         ("/merge/flamegraph", [("granularity", "lines")])]


def test_variants_sharing_locations_but_not_stacks_merge_as_when_stored_alone():
    series = Server(["--series-storage", "labelled", "--cache-bytes", "1"]).start()
    alone = Server(["--series-storage", "off", "--cache-bytes", "1"]).start()
    try:
        cs, ca = Client(series.url), Client(alone.url)
        for n, rel in enumerate(VARIANT_FILES):
            data = read(rel)
            ids_s, ids_a = [], []
            for k, keep in enumerate(VARIANTS):
                v = pb.keep_samples(data, keep)
                q = {"name": "%s #%d" % (rel, k), "labels": "service:variants%d" % n}
                ids_s.append(cs.upload_ok(v, q)["id"])
                ids_a.append(ca.upload_ok(v, q)["id"])
            fs = formats(series, ids_s)
            assert all(fmt == 16 for fmt, _ in fs) and len({g for _, g in fs}) == 1, (rel, fs)
            for sel in (ids_s, list(reversed(ids_s))):
                a = [ids_a[ids_s.index(i)] for i in sel]
                for path, params in VARIANT_VIEWS:
                    got, want = merged(cs, sel, path, params), merged(ca, a, path, params)
                    assert got == want, "%s %s %r: series %r vs alone %r" % (rel, path, params, got[:300], want[:300])
    finally:
        problems = [series.stop(), alone.stop()]
    assert not any(problems), problems
