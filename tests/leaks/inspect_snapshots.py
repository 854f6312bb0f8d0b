#!/usr/bin/env python3
"""Print per-site goroutine counts across a scenario's debug=2 text dumps.

    python3 tests/leaks/inspect_snapshots.py OUTDIR

A site is the innermost non-runtime frame of a goroutine's stack plus its
wait reason; one column per snapshot.  A developer's aid for checking that a
scenario behaves as its manifest says (not used by the tests).
"""

import glob
import os
import re
import sys

HEAD = re.compile(r"^goroutine \d+ \[([^\],]+)")
SKIP = ("runtime.", "runtime/", "sync.runtime_", "internal/")


def sites(path):
    counts = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        blocks = f.read().split("\n\n")
    for b in blocks:
        lines = b.strip().splitlines()
        if not lines:
            continue
        m = HEAD.match(lines[0])
        if not m:
            continue
        funcs = [l.rsplit("(", 1)[0] for l in lines[1:]
                 if not l.startswith("\t") and not l.startswith("created by")]
        site = next((fn for fn in funcs if not fn.startswith(SKIP)), funcs[0] if funcs else "?")
        key = "%s [%s]" % (site, m.group(1))
        counts[key] = counts.get(key, 0) + 1
    return counts


def main():
    d = sys.argv[1]
    files = sorted(glob.glob(os.path.join(d, "goroutine-*.txt")))
    per = [sites(f) for f in files]
    keys = sorted({k for p in per for k in p}, key=lambda k: -per[-1].get(k, 0))
    for k in keys:
        print("%-70s %s" % (k[:70], " ".join("%4d" % p.get(k, 0) for p in per)))


if __name__ == "__main__":
    main()
