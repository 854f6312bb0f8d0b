"""The decoder gives back the pages of an inflated upload as its last walk
(the samples) reads past them (decode_samples.c, release_read), but not
the string table's: a label's strings are copied from the table when a
sample first uses them. Here the table comes first in the message (any
field order is valid) and a label key and its values are first used by
samples more than the release step (4 MB) after it, so a table given back
too early would read as zeros and the labels would come out wrong.
"""

import gzip

import checks
import pb

LATE = 50          # samples with the late labels, after the bulk
BULK = 150000      # samples before them: ~53 bytes each, ~8 MB
DEPTH = 40


def _profile():
    b = pb.Builder()
    # unused strings, so that the table spans many pages and the late
    # labels' strings (interned last) are not on the message's first one,
    # which is never given back (it may share the allocator's header)
    for i in range(4000):
        b.s("unused-string-%06d" % i)
    b.sample_type("samples", "count")
    b.mapping(1)
    for f in range(1, DEPTH + 1):
        b.function(f, "pkg.f%02d" % f, filename="pkg/f.go", start_line=f)
        b.location(f, [(f, f * 10)], mapping_id=1, address=0x400000 + 0x10 * f)
    early = [("phase", "bulk")]
    for i in range(BULK):
        # distinct stacks would not matter; the bytes before the late samples do
        b.sample(list(range(DEPTH, 0, -1)), [1], labels=early)
    for i in range(LATE):
        b.sample(list(range(DEPTH, 0, -1)), [i + 1], labels=[("late-key", "late-value-%02d" % i)])
    table = b"".join(pb.f_bytes(6, s) for s in b.strings)
    msg = table + b"".join(b.parts) + b"".join(b.trailer)
    assert len(msg) > 6 << 20, len(msg)
    return gzip.compress(msg, compresslevel=1, mtime=0)


def test_string_table_first_labels_survive(client):
    meta = client.upload_ok(_profile())
    tags = checks.server_tags(client.get_json("/api/v1/profiles/%s/tags" % meta["id"]))
    assert tags.get("phase") == {"bulk": BULK}, tags.get("phase")
    want = {"late-value-%02d" % i: i + 1 for i in range(LATE)}
    assert tags.get("late-key") == want, sorted(tags)
