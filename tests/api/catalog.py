"""Which profiles the API tests run on.

Corpus: ../shared/corpus next to the repository, or the directory
FLAMEDEX_CORPUS names (FLAMEDEX_CORPUS=tests/data runs on the small copies
kept in the repository), described by its MANIFEST.tsv (columns path, ...,
format, notes).  A corpus that is missing, has no MANIFEST.tsv, lists no
profile or lacks a file it lists stops the run with CorpusError at import:
the tests never pass on fewer profiles than the manifest promises.

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


class CorpusError(RuntimeError):
    pass


def corpus_dir():
    given = os.environ.get("FLAMEDEX_CORPUS")
    d = given or os.path.join(REPO_ROOT, "..", "shared", "corpus")
    if not os.path.isabs(d):
        d = os.path.join(os.getcwd() if given else REPO_ROOT, d)
    d = os.path.abspath(d)
    if not os.path.isfile(os.path.join(d, "MANIFEST.tsv")):
        raise CorpusError("no profile corpus: %s/MANIFEST.tsv not found (%s; "
                          "FLAMEDEX_CORPUS=tests/data runs on the copies in the repository)"
                          % (d, "FLAMEDEX_CORPUS" if given else "the default, ../shared/corpus"))
    return d


CORPUS = corpus_dir()


def _manifest():
    path = os.path.join(CORPUS, "MANIFEST.tsv")
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    if not rows:
        raise CorpusError("%s lists no profile" % path)
    missing = [r["path"] for r in rows if not os.path.isfile(os.path.join(CORPUS, r["path"]))]
    if missing:
        raise CorpusError("%d of the %d files %s lists are missing: %s" % (
            len(missing), len(rows), path, ", ".join(missing[:10])))
    return rows


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
if not PROTO:
    raise CorpusError("%s lists no proto profile" % os.path.join(CORPUS, "MANIFEST.tsv"))
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
