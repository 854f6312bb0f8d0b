"""Run `go tool pprof` and parse its text reports.

The API tests compare the server with the reference implementation, never
with numbers computed here.  This module only runs the tool and turns its
text output (-top, -tags) back into exact integers.

How pprof prints numbers (internal/measurement/measurement.go):
  ScaledLabel formats float64(value) converted to the output unit with
  "%.2f", trims ".00" and appends the unit's canonical name.  With the
  default -unit=minimum values are auto-scaled ("1.50s", "512.02kB") and
  lose precision, so for units pprof knows (bytes, time, GCU) we pass
  -unit=<the sample type's own unit>: value*factor/factor is exact for any
  value below 2^53, and the tool prints e.g. "11000000000ns" or "4096B".
  For units it does not know (count, cycles, "", ...) no scaling happens and
  the number is printed as is, followed by nothing (count-like units) or by
  the lower-cased unit name.
"""

import functools
import os
import re
import subprocess
import tempfile

# Mirror of the unit tables in internal/measurement/measurement.go, used only
# to decide which -unit flag keeps numbers exact and which suffix to expect.
_UNIT_TYPES = [
    # (canonical name, aliases, factor)
    [("B", ["b", "byte"], 1), ("kB", ["kb", "kbyte", "kilobyte"], 1 << 10),
     ("MB", ["mb", "mbyte", "megabyte"], 1 << 20),
     ("GB", ["gb", "gbyte", "gigabyte"], 1 << 30),
     ("TB", ["tb", "tbyte", "terabyte"], 1 << 40),
     ("PB", ["pb", "pbyte", "petabyte"], 1 << 50)],
    [("ns", ["ns", "nanosecond"], 1), ("us", ["\u03bcs", "us", "microsecond"], 1000),
     ("ms", ["ms", "millisecond"], 10 ** 6), ("s", ["s", "sec", "second"], 10 ** 9),
     ("hrs", ["hour", "hr"], 3600 * 10 ** 9)],
    [("n*GCU", ["nanogcu"], 1e-9), ("u*GCU", ["microgcu"], 1e-6),
     ("m*GCU", ["milligcu"], 1e-3), ("GCU", ["gcu"], 1), ("k*GCU", ["kilogcu"], 1e3),
     ("M*GCU", ["megagcu"], 1e6), ("G*GCU", ["gigagcu"], 1e9),
     ("T*GCU", ["teragcu"], 1e12), ("P*GCU", ["petagcu"], 1e15)],
]


def sniff_unit(unit):
    """Canonical pprof unit name for `unit`, or None if pprof does not know it."""
    u = unit.lower()
    if len(u) > 2:
        u = u[:-1] if u.endswith("s") else u
    for ut in _UNIT_TYPES:
        for canon, aliases, _ in ut:
            if u in aliases:
                return canon
    return None


def percentage(ratio):
    """A percentage (ratio x 100) as pprof's measurement.Percentage prints it:
    "  100%", "%5.2f%%" at 1% and above, "%5.2g%%" below."""
    ratio = abs(ratio)
    if 99.95 <= ratio <= 100.05:
        return "  100%"
    if ratio >= 1.0:
        return "%5.2f%%" % ratio
    return "%5.2g%%" % ratio


def unit_args(unit):
    """(-unit flags, expected suffix on printed numbers) for a sample unit."""
    canon = sniff_unit(unit)
    if canon is not None:
        return ["-unit=" + unit], canon
    lu = unit.lower()
    if lu in ("count", "sample", "unit", "minimum", "auto"):
        return [], ""
    # selectOutputUnit falls back to the sample unit itself; Scale then
    # returns it as the suffix, except for the count-like names above.
    return [], lu


_NUM_RE = re.compile(r"^(-?\d+)(?:\.(\d+))?(e[+-]?\d+)?(.*)$")


def parse_value(text, suffix):
    """Parse one number as printed by measurement.ScaledLabel; exact or raise."""
    if text in ("0", "-0"):
        return 0
    m = _NUM_RE.match(text)
    if not m:
        raise ValueError("cannot parse pprof value %r" % text)
    ip, frac, exp, rest = m.groups()
    if exp:
        raise ValueError("pprof printed %r in exponent form; not exact" % text)
    if frac is not None and frac.strip("0"):
        raise ValueError("pprof printed non-integer %r; not exact" % text)
    if rest != suffix:
        raise ValueError("pprof printed %r, expected unit suffix %r" % (text, suffix))
    return int(ip)


def go_env():
    env = dict(os.environ)
    env.setdefault("PPROF_TMPDIR", tempfile.gettempdir())
    env["HOME"] = env.get("HOME") or tempfile.gettempdir()
    # pprof must not try to open a browser or any binary to symbolize.
    env["PPROF_BINARY_PATH"] = "/nonexistent"
    return env


def run_pprof(args, source, timeout=300):
    cmd = ["go", "tool", "pprof", "-symbolize=none"] + list(args) + [source]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=go_env(), timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd), p.returncode,
                                                   p.stderr.decode("utf-8", "replace")))
    return p.stdout.decode("utf-8", "surrogateescape")


def raw_sample_types(source):
    """[(type, unit)] and default index from `pprof -raw` (for non-proto
    files, which pb.py cannot decode; types must not contain spaces)."""
    lines = run_pprof(["-raw"], source).split("\n")
    idx = lines.index("Samples:")
    types, default = [], None
    for tok in lines[idx + 1].split():
        dflt = tok.endswith("[dflt]")
        if dflt:
            tok = tok[: -len("[dflt]")]
        typ, _, unit = tok.rpartition("/")
        if dflt and typ and default is None:
            default = len(types)
        types.append((typ, unit))
    return types, (len(types) - 1 if default is None else default)


def _value_re(suffix):
    """Regex for one printed value: "0" or digits followed by the suffix."""
    return r"(0|-?\d[\d.e+-]*%s)" % re.escape(suffix)


def _top_row_re(suffix):
    v = _value_re(suffix)
    return re.compile(r"^\s*%s\s+(\S+%%)\s+(\S+%%)\s+%s\s+(\S+%%)  (.*)$" % (v, v))


_TOP_TOTAL = re.compile(r"^Showing nodes accounting for (.+), (\S+) of (.+) total$")


class TopReport:
    def __init__(self, type_name, total, rows, flatsum):
        self.type_name = type_name    # "Type: X" header (None if absent)
        self.total = total            # "of X total"
        self.rows = rows              # [(name, flat, cum)] in pprof order
        self.flatsum = flatsum


def parse_top(text, suffix):
    type_name = None
    total = flatsum = None
    rows = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if line.startswith("Type: ") and type_name is None and total is None:
            type_name = line[len("Type: "):]
            continue
        m = _TOP_TOTAL.match(line)
        if m:
            flatsum = parse_value(m.group(1), suffix)
            total = parse_value(m.group(3), suffix)
            continue
        if re.match(r"^\s+flat\s+flat%\s+sum%\s+cum\s+cum%$", line):
            break
    if total is None:
        raise ValueError("no total line in pprof -top output:\n" + text[:2000])
    row_re = _top_row_re(suffix)
    for line in lines[i:]:
        if line == "":
            continue
        m = row_re.match(line)
        if not m:
            raise ValueError("cannot parse pprof -top row %r" % line)
        name = m.group(6)
        for sfx in (" (partial-inline)", " (inline)"):
            if name.endswith(sfx):
                name = name[: -len(sfx)]
                break
        rows.append((name, parse_value(m.group(1), suffix),
                     parse_value(m.group(4), suffix)))
    return TopReport(type_name, total, rows, flatsum)


@functools.lru_cache(maxsize=None)
def top(source, sample_index=None, unit="count", filters=(), relative=False):
    """`pprof -top` over every node; returns a TopReport with exact integers.

    `unit` is the unit of the selected sample type (chooses -unit).
    `filters` is a list of (flag, value), e.g. [("focus", "^main\\.")].
    """
    flags, suffix = unit_args(unit)
    args = ["-top", "-nodecount=1000000", "-nodefraction=0", "-edgefraction=0"] + flags
    if sample_index is not None:
        args.append("-sample_index=%s" % sample_index)
    if relative:
        args.append("-relative_percentages")
    for k, v in filters:
        args.append("-%s=%s" % (k, v))
    return parse_top(run_pprof(args, source), suffix)


def top_by_name(report):
    """{printable name: (flat, cum)}; duplicate printable names -> None.

    pprof keys nodes by more than the printed name (e.g. unnamed functions
    in different mappings); a name printed twice cannot be compared with a
    per-name server row, so callers are told about it.
    """
    out = {}
    dups = set()
    for name, flat, cum in report.rows:
        if name in out:
            dups.add(name)
        out[name] = (flat, cum)
    return out, dups


_TAG_KEY = re.compile(r"^\s*(.*?):\s+Total (.+)$")


def _tag_val_re(suffix):
    return re.compile(r"^\s+(-?\d+\.\d%s)(?: \(\s*[^()]*%%\))?: (.*)$" % re.escape(suffix))


def parse_tags(text, suffix):
    """Parse printTags output: {key: {value string: total}} and {key: total}."""
    tags, totals = {}, {}
    key = None
    val_re = _tag_val_re(suffix)
    for line in text.split("\n"):
        if line.strip() == "":
            key = None
            continue
        m = _TAG_KEY.match(line)
        if m and key is None:
            key = m.group(1)
            totals[key] = _parse_tag_number(m.group(2), suffix)
            tags[key] = {}
            continue
        m = val_re.match(line)
        if m and key is not None:
            val = m.group(2)
            tags[key][val] = tags[key].get(val, 0) + _parse_tag_number(m.group(1), suffix)
            continue
        raise ValueError("cannot parse pprof -tags line %r" % line)
    return tags, totals


def _parse_tag_number(text, suffix):
    # printTags uses "%.1f%s".
    m = re.match(r"^(-?\d+)\.(\d)(.*)$", text)
    if not m or m.group(2) != "0" or m.group(3) != suffix:
        raise ValueError("pprof -tags printed %r (suffix %r); not exact" % (text, suffix))
    return int(m.group(1))


@functools.lru_cache(maxsize=None)
def tags(source, sample_index=None, unit="count", num_unit=None, filters=()):
    """`pprof -tags`: ({key: {value string: total}}, {key: total}).

    printTags prints totals with "%.1f" after scaling to -unit, and numeric
    label values with ScaledLabel(value, label unit, -unit).  Both are exact
    when -unit is the sample type's own unit (if pprof knows it); for unknown
    sample units we pass the numeric labels' unit instead (pprof then prints
    sample values unscaled with that suffix, and label values exactly).
    Without -unit the tags report prints no suffix at all.
    """
    flags, suffix = unit_args(unit)
    if not flags:
        suffix = ""
        canon = sniff_unit(num_unit) if num_unit else None
        if canon:
            flags, suffix = ["-unit=" + canon], canon
    args = ["-tags"] + flags
    if sample_index is not None:
        args.append("-sample_index=%s" % sample_index)
    for k, v in filters:
        args.append("-%s=%s" % (k, v))
    return parse_tags(run_pprof(args, source), suffix)


def scale(value, from_unit, to_unit):
    """measurement.Scale: (float value, unit suffix)."""
    if value < 0:
        v, u = scale(-value, from_unit, to_unit)
        return -v, u
    fu = from_unit.lower()
    if len(fu) > 2 and fu.endswith("s"):
        fu = fu[:-1]
    for ut in _UNIT_TYPES:
        src = [x for x in ut if fu in x[1]]
        if not src:
            continue
        v = float(value) * src[0][2]
        default = ("B", 1) if ut is _UNIT_TYPES[0] else (("s", 10 ** 9) if ut is _UNIT_TYPES[1] else ("GCU", 1))
        if to_unit in ("minimum", "auto"):
            best = None
            for canon, _aliases, factor in ut:
                if (best is None or factor >= best[1]) and v / factor >= 1.0:
                    best = (canon, factor)
            if best is None:
                return v / default[1], default[0]
            return v / best[1], best[0]
        canon = sniff_unit(to_unit)
        for c, _a, factor in ut:
            if c == canon:
                return v / factor, c
        return v / default[1], default[0]
    if to_unit in ("count", "sample", "unit", "minimum", "auto"):
        return float(value), ""
    return float(value), to_unit


def scaled_label(value, from_unit, to_unit="minimum"):
    """measurement.ScaledLabel: how pprof prints a value by default."""
    v, u = scale(value, from_unit, to_unit)
    sv = "%.2f" % v
    if sv.endswith(".00"):
        sv = sv[:-3]
    if sv in ("0", "-0"):
        return "0"
    return sv + u


_TAG_VAL_LOOSE = re.compile(r"^\s+\S.*? \(\s*[0-9.e+-]+%\): (.*)$|^\s+\S+: (.*)$")


@functools.lru_cache(maxsize=None)
def tag_value_strings(source, sample_index=None):
    """{key: set of value strings} as `pprof -tags` prints them by default."""
    args = ["-tags"]
    if sample_index is not None:
        args.append("-sample_index=%s" % sample_index)
    out, key = {}, None
    for line in run_pprof(args, source).split("\n"):
        if line.strip() == "":
            key = None
            continue
        m = _TAG_KEY.match(line)
        if m and key is None:
            key = m.group(1)
            out[key] = set()
            continue
        m = _TAG_VAL_LOOSE.match(line)
        if m and key is not None:
            out[key].add(m.group(1) if m.group(1) is not None else m.group(2))
    return out


def numeric_tag_value(text):
    """Integer value of a numeric label as printed by pprof (e.g. "512B")."""
    m = re.match(r"^(-?\d+)(\D.*)?$", text)
    if not m:
        raise ValueError("numeric label %r not printed exactly" % text)
    return int(m.group(1))
