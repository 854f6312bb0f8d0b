"""Which profiles the API tests run on.

Corpus: ../shared/corpus next to the repository (override with
FLAMEDEX_CORPUS), described by its MANIFEST.tsv (columns path, ..., format,
notes).  When it is absent, the small copies in tests/data (with their own
MANIFEST.tsv) are used instead.

Generated: small Go programs in tests/progs write fresh CPU, heap,
goroutine, mutex and block profiles at test time (see conftest.py).
"""

import csv
import os

import pb

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
DATA_DIR = os.path.join(REPO_ROOT, "tests", "data")
PROGS_DIR = os.path.join(REPO_ROOT, "tests", "progs")


def corpus_dir():
    d = os.environ.get("FLAMEDEX_CORPUS") or os.path.join(REPO_ROOT, "..", "shared", "corpus")
    d = os.path.abspath(d)
    if os.path.isfile(os.path.join(d, "MANIFEST.tsv")):
        return d
    return DATA_DIR


CORPUS = corpus_dir()


def _manifest():
    path = os.path.join(CORPUS, "MANIFEST.tsv")
    if not os.path.isfile(path):
        return []
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return [r for r in rows if os.path.isfile(os.path.join(CORPUS, r["path"]))]


MANIFEST = _manifest()

# Generated profiles: id -> (program directory under tests/progs, sample types).
GENERATED = {
    "gen/cpu": ("cpuprof", [("samples", "count"), ("cpu", "nanoseconds")]),
    "gen/heap": ("heapprof", [("alloc_objects", "count"), ("alloc_space", "bytes"),
                              ("inuse_objects", "count"), ("inuse_space", "bytes")]),
    "gen/goroutine": ("goroutineprof", [("goroutine", "count")]),
    "gen/mutex": ("mutexprof", [("contentions", "count"), ("delay", "nanoseconds")]),
    "gen/block": ("blockprof", [("contentions", "count"), ("delay", "nanoseconds")]),
}


def proto_corpus():
    """[(corpus path, [(type, unit)])] for every proto profile in the corpus."""
    out = []
    for r in MANIFEST:
        if r["format"] != "proto":
            continue
        with open(os.path.join(CORPUS, r["path"]), "rb") as f:
            p = pb.decode(f.read(), samples=False)
        out.append((r["path"], p.sample_types))
    return out


def non_proto_corpus():
    """[(corpus path, format, go tool pprof reads it)] for every corpus file
    that is not a proto profile."""
    return [(r["path"], r["format"], "parses OK" in r["notes"])
            for r in MANIFEST if r["format"] != "proto"]


PROTO = proto_corpus()
ALL_PROFILES = [(p, st) for p, st in PROTO] + [(g, st) for g, (_, st) in GENERATED.items()]


def sample_type_params():
    """(profile id, sample index) for every profile and every sample type."""
    return [(pid, i) for pid, st in ALL_PROFILES for i in range(len(st))]


def sample_types_of(pid):
    for p, st in ALL_PROFILES:
        if p == pid:
            return st
    raise KeyError(pid)


_decoded = {}


def decoded(path):
    """pb.Profile of a file (cached)."""
    if path not in _decoded:
        with open(path, "rb") as f:
            _decoded[path] = pb.decode(f.read())
    return _decoded[path]


def numeric_label_info(prof):
    """({numeric label key: unit}, a unit pprof knows for them or None).

    Units as profile.NumLabelUnits infers them: the first num_unit given for
    the key, else "bytes" for keys bytes/alignment/request, else the key.
    """
    import pproftool
    units = {}
    for s in prof.samples:
        for k, _n, u in s[3]:
            if u and not units.get(k):
                units[k] = u
            else:
                units.setdefault(k, "")
    for k, u in units.items():
        if not u:
            units[k] = "bytes" if k in ("bytes", "alignment", "request") else k
    known = [u for u in units.values() if pproftool.sniff_unit(u)]
    return units, (known[0] if known else None)
