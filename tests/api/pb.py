"""A tiny protobuf encoder/decoder for pprof profiles (profile.proto).

Written for the tests from the published field numbers of
github.com/google/pprof/proto/profile.proto (also visible in the vendored
copy, profile/encode.go).  The encoder builds small hand-made profiles,
valid or deliberately broken (bad indices, negative values, ...); the
decoder reads just enough of a profile (string table, sample types,
samples, labels) for the tests to know what to ask the server.

Field numbers:
  Profile: 1 sample_type (ValueType), 2 sample, 3 mapping, 4 location,
           5 function, 6 string_table, 7 drop_frames, 8 keep_frames,
           9 time_nanos, 10 duration_nanos, 11 period_type (ValueType),
           12 period, 13 comment, 14 default_sample_type
  ValueType: 1 type, 2 unit                      (string table indices)
  Sample:    1 location_id (packed uint64), 2 value (packed int64), 3 label
  Label:     1 key, 2 str, 3 num, 4 num_unit
  Mapping:   1 id, 2 memory_start, 3 memory_limit, 4 file_offset,
             5 filename, 6 build_id, 7 has_functions, 8 has_filenames,
             9 has_line_numbers, 10 has_inline_frames
  Location:  1 id, 2 mapping_id, 3 address, 4 line, 5 is_folded
  Line:      1 function_id, 2 line
  Function:  1 id, 2 name, 3 system_name, 4 filename, 5 start_line
"""

import gzip
import struct

# ---------------------------------------------------------------- encoding


def varint(n):
    """Encode an integer as a protobuf varint (negative -> 10-byte two's complement)."""
    if n < 0:
        n += 1 << 64
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def key(field, wire):
    return varint((field << 3) | wire)


def f_varint(field, n):
    return key(field, 0) + varint(n)


def f_bytes(field, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return key(field, 2) + varint(len(data)) + data


def f_packed(field, nums):
    return f_bytes(field, b"".join(varint(n) for n in nums))


def f_fixed64(field, n):
    return key(field, 1) + struct.pack("<Q", n & ((1 << 64) - 1))


def f_fixed32(field, n):
    return key(field, 5) + struct.pack("<I", n & 0xFFFFFFFF)


class Builder:
    """Build a pprof Profile message field by field.

    Indices are normally produced by the builder (strings interned, ids
    assigned), but every method accepts raw numbers so tests can write
    out-of-range references on purpose.
    """

    def __init__(self):
        self.strings = [""]
        self._string_index = {"": 0}
        self.parts = []           # encoded top-level fields, in order
        self.trailer = []         # fields written after the string table

    def s(self, text):
        """Intern a string and return its index."""
        if text not in self._string_index:
            self._string_index[text] = len(self.strings)
            self.strings.append(text)
        return self._string_index[text]

    # -- messages ----------------------------------------------------------
    def sample_type(self, typ, unit):
        t = typ if isinstance(typ, int) else self.s(typ)
        u = unit if isinstance(unit, int) else self.s(unit)
        self.parts.append(f_bytes(1, f_varint(1, t) + f_varint(2, u)))
        return self

    def period_type(self, typ, unit, period):
        t = typ if isinstance(typ, int) else self.s(typ)
        u = unit if isinstance(unit, int) else self.s(unit)
        self.trailer.append(f_bytes(11, f_varint(1, t) + f_varint(2, u)))
        self.trailer.append(f_varint(12, period))
        return self

    def default_sample_type(self, typ):
        t = typ if isinstance(typ, int) else self.s(typ)
        self.trailer.append(f_varint(14, t))
        return self

    def mapping(self, id, start=0x400000, limit=0x800000, offset=0, filename="/bin/app",
                build_id="", has_functions=True):
        fn = filename if isinstance(filename, int) else self.s(filename)
        bid = build_id if isinstance(build_id, int) else self.s(build_id)
        m = (f_varint(1, id) + f_varint(2, start) + f_varint(3, limit) + f_varint(4, offset)
             + f_varint(5, fn) + f_varint(6, bid) + f_varint(7, 1 if has_functions else 0))
        self.parts.append(f_bytes(3, m))
        return self

    def function(self, id, name, system_name=None, filename="main.go", start_line=1):
        n = name if isinstance(name, int) else self.s(name)
        sn = n if system_name is None else (
            system_name if isinstance(system_name, int) else self.s(system_name))
        fn = filename if isinstance(filename, int) else self.s(filename)
        m = f_varint(1, id) + f_varint(2, n) + f_varint(3, sn) + f_varint(4, fn) + f_varint(5, start_line)
        self.parts.append(f_bytes(5, m))
        return self

    def location(self, id, lines, mapping_id=None, address=0):
        """lines: [(function_id, line)] leaf first (inlined callee first)."""
        m = f_varint(1, id)
        if mapping_id is not None:
            m += f_varint(2, mapping_id)
        if address:
            m += f_varint(3, address)
        for fid, ln in lines:
            m += f_bytes(4, f_varint(1, fid) + f_varint(2, ln))
        self.parts.append(f_bytes(4, m))
        return self

    def sample(self, location_ids, values, labels=(), num_labels=()):
        """location_ids leaf first; labels [(key, str)]; num_labels [(key, num, unit)]."""
        m = f_packed(1, location_ids) + f_packed(2, values)
        for k, v in labels:
            kk = k if isinstance(k, int) else self.s(k)
            vv = v if isinstance(v, int) else self.s(v)
            m += f_bytes(3, f_varint(1, kk) + f_varint(2, vv))
        for k, n, u in num_labels:
            kk = k if isinstance(k, int) else self.s(k)
            m += f_bytes(3, f_varint(1, kk) + f_varint(3, n) + (f_varint(4, self.s(u)) if u else b""))
        self.parts.append(f_bytes(2, m))
        return self

    def raw(self, data):
        """Append already-encoded bytes as a top-level field."""
        self.parts.append(data)
        return self

    def encode(self, gzipped=False, extra_strings=()):
        for x in extra_strings:
            self.s(x)
        out = b"".join(self.parts)
        out += b"".join(f_bytes(6, x) for x in self.strings)
        out += b"".join(self.trailer)
        if gzipped:
            return gzip.compress(out, mtime=0)
        return out


def simple_profile(values_by_stack, types=(("samples", "count"), ("cpu", "nanoseconds")),
                   labels_by_stack=None, gzipped=True, default=None):
    """A valid profile from {("main.main", "main.f"): [v0, v1]} (stacks root first).

    Every function gets one location in one mapping; returns bytes.
    """
    b = Builder()
    for t, u in types:
        b.sample_type(t, u)
    b.mapping(1)
    fids = {}
    for stack in values_by_stack:
        for fn in stack:
            if fn not in fids:
                fids[fn] = len(fids) + 1
                b.function(fids[fn], fn, filename="src/%s.go" % fn.split(".")[0],
                           start_line=fids[fn] * 10)
                b.location(fids[fn], [(fids[fn], fids[fn] * 10 + 1)], mapping_id=1,
                           address=0x400000 + 0x10 * fids[fn])
    for stack, values in values_by_stack.items():
        labels = (labels_by_stack or {}).get(stack, ())
        b.sample([fids[fn] for fn in reversed(stack)], values, labels=labels)
    if types:
        b.period_type(types[-1][0], types[-1][1], 10000000)
    if default:
        b.default_sample_type(default)
    return b.encode(gzipped=gzipped)


# ---------------------------------------------------------------- decoding


class DecodeError(Exception):
    pass


def _read_varint(buf, pos):
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise DecodeError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise DecodeError("varint too long")


def fields(buf):
    """Yield (field number, wire type, value) for each field of a message.

    Length-delimited values are bytes; varints are unsigned ints.
    """
    pos = 0
    n = len(buf)
    while pos < n:
        k, pos = _read_varint(buf, pos)
        field, wire = k >> 3, k & 7
        if wire == 0:
            v, pos = _read_varint(buf, pos)
        elif wire == 1:
            if pos + 8 > n:
                raise DecodeError("truncated fixed64")
            v = struct.unpack_from("<Q", buf, pos)[0]
            pos += 8
        elif wire == 2:
            ln, pos = _read_varint(buf, pos)
            if pos + ln > n:
                raise DecodeError("truncated bytes")
            v = bytes(buf[pos:pos + ln])
            pos += ln
        elif wire == 5:
            if pos + 4 > n:
                raise DecodeError("truncated fixed32")
            v = struct.unpack_from("<I", buf, pos)[0]
            pos += 4
        else:
            raise DecodeError("bad wire type %d" % wire)
        yield field, wire, v


def keep_samples(data, keep):
    """The profile with only the samples whose index `keep(i)` is true; every
    other field (locations, functions, string table, ...) kept as it was, so
    variants of one profile share their locations but not their stacks."""
    out = bytearray()
    i = 0
    for field, wire, v in fields(maybe_gunzip(data)):
        if field == 2 and wire == 2:
            take = keep(i)
            i += 1
            if not take:
                continue
        if wire == 0:
            out += f_varint(field, v)
        elif wire == 1:
            out += f_fixed64(field, v)
        elif wire == 2:
            out += f_bytes(field, v)
        else:
            out += f_fixed32(field, v)
    return gzip.compress(bytes(out))


def _signed(v):
    return v - (1 << 64) if v >= 1 << 63 else v


def _ints(wire, v):
    """Values of a repeated integer field (packed or not)."""
    if wire == 2:
        out, pos = [], 0
        while pos < len(v):
            x, pos = _read_varint(v, pos)
            out.append(x)
        return out
    return [v]


def maybe_gunzip(data):
    if data[:2] == b"\x1f\x8b":
        return gzip.decompress(data)
    return data


class Profile:
    """The parts of a decoded profile the tests need."""

    def __init__(self):
        self.strings = []
        self.sample_types = []         # [(type, unit)]
        self.default_sample_type = ""
        self.samples = []              # [(location ids, values, labels, num_labels)]
        self.drop_frames = ""
        self.time_nanos = 0
        self.duration_nanos = 0
        self.period_type = None        # (type, unit) or None
        self.period = 0

    def default_index(self):
        """Index go tool pprof uses without -sample_index (SampleIndexByName)."""
        if self.default_sample_type:
            for i, (t, _) in enumerate(self.sample_types):
                if t == self.default_sample_type:
                    return i
        return len(self.sample_types) - 1

    def str_label_keys(self):
        return sorted({k for s in self.samples for k, _ in s[2]})


def decode(data, samples=True):
    """Decode a profile; samples=False skips samples (fast, for listings)."""
    data = maybe_gunzip(data)
    p = Profile()
    st_raw, samples_raw = [], []
    dst = dropx = 0
    pt_raw = None
    for field, wire, v in fields(data):
        if field == 1 and wire == 2:
            t = u = 0
            for f2, w2, v2 in fields(v):
                if f2 == 1:
                    t = v2
                elif f2 == 2:
                    u = v2
            st_raw.append((t, u))
        elif field == 2 and wire == 2:
            if samples:
                samples_raw.append(v)
        elif field == 6 and wire == 2:
            p.strings.append(v.decode("utf-8", "replace"))
        elif field == 14 and wire == 0:
            dst = v
        elif field == 7 and wire == 0:
            dropx = v
        elif field == 9 and wire == 0:
            p.time_nanos = _signed(v)
        elif field == 10 and wire == 0:
            p.duration_nanos = _signed(v)
        elif field == 11 and wire == 2:
            t = u = 0
            for f2, w2, v2 in fields(v):
                if f2 == 1:
                    t = v2
                elif f2 == 2:
                    u = v2
            pt_raw = (t, u)
        elif field == 12 and wire == 0:
            p.period = _signed(v)
    S = p.strings
    p.sample_types = [(S[t], S[u]) for t, u in st_raw]
    p.default_sample_type = S[dst] if dst < len(S) else ""
    p.drop_frames = S[dropx] if dropx < len(S) else ""
    if pt_raw is not None:
        p.period_type = (S[pt_raw[0]], S[pt_raw[1]])
    for raw in samples_raw:
        locs, vals, labels, nums = [], [], [], []
        for f2, w2, v2 in fields(raw):
            if f2 == 1:
                locs.extend(_ints(w2, v2))
            elif f2 == 2:
                vals.extend(_signed(x) for x in _ints(w2, v2))
            elif f2 == 3 and w2 == 2:
                k = s = n = nu = 0
                for f3, w3, v3 in fields(v2):
                    if f3 == 1:
                        k = v3
                    elif f3 == 2:
                        s = v3
                    elif f3 == 3:
                        n = _signed(v3)
                    elif f3 == 4:
                        nu = v3
                if s:
                    labels.append((S[k], S[s]))
                else:
                    nums.append((S[k], n, S[nu]))
        p.samples.append((locs, vals, labels, nums))
    return p
