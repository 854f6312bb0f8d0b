// format.js: numbers in a profile's own unit, made readable.
// Values arrive as exact integers; only display rounds them.

const TIME_UNITS = { nanoseconds: 1, ns: 1, microseconds: 1e3, us: 1e3, milliseconds: 1e6, ms: 1e6, seconds: 1e9, s: 1e9 };
const BYTE_UNITS = { bytes: 1, b: 1, byte: 1, kilobytes: 1024, megabytes: 1024 * 1024 };

function trim(x) {
  const a = Math.abs(x);
  const digits = a >= 100 ? 0 : a >= 10 ? 1 : 2;
  return x.toFixed(digits);
}

const intFmt = new Intl.NumberFormat('en-US');
export function formatInt(n) { return intFmt.format(n); }

/** Kind of a unit string: 'time', 'bytes' or 'count'. */
export function unitKind(unit) {
  const u = String(unit || '').toLowerCase();
  if (u in TIME_UNITS) return 'time';
  if (u in BYTE_UNITS) return 'bytes';
  return 'count';
}

/** Format a nanosecond count: 1.23 s, 456 ms, 12.3 µs, 80 ns, 2.5 min, 1.2 h. */
export function formatNanos(ns) {
  const a = Math.abs(ns);
  if (a === 0) return '0';
  if (a < 1e3) return trim(ns) + ' ns';
  if (a < 1e6) return trim(ns / 1e3) + ' µs';
  if (a < 1e9) return trim(ns / 1e6) + ' ms';
  if (a < 600e9) return trim(ns / 1e9) + ' s';
  if (a < 36000e9) return trim(ns / 60e9) + ' min';
  return trim(ns / 3600e9) + ' h';
}

export function formatBytes(b) {
  const a = Math.abs(b);
  if (a < 1024) return formatInt(b) + ' B';
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = b / 1024, i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return trim(v) + ' ' + units[i];
}

/** A sample value in its unit: ns as ms/s, bytes as KiB/MiB/GiB, counts plain. */
export function formatValue(v, unit) {
  const u = String(unit || '').toLowerCase();
  if (u in TIME_UNITS) return formatNanos(v * TIME_UNITS[u]);
  if (u in BYTE_UNITS) return formatBytes(v * BYTE_UNITS[u]);
  return formatInt(v);
}

export function formatPercent(part, whole) {
  if (!whole) return '0%';
  const p = (100 * part) / whole;
  if (p === 0) return '0%';
  if (Math.abs(p) < 0.01) return '<0.01%';
  if (Math.abs(p) >= 99.995 && Math.abs(p) <= 100.005) return '100%';
  return p.toFixed(2) + '%';
}

/**
 * A share as go tool pprof prints it (measurement.Percentage, without its
 * padding): "100%" within 0.05 of it, "%.2f%%" from 1%, "%.2g%%" below;
 * ties of the exact binary value round to even, as Go's formatting does.
 */
export function pprofPercent(part, whole) {
  const r = whole ? Math.abs(part / whole) * 100 : 0;
  if (r >= 99.95 && r <= 100.05) return '100%';
  // toFixed and toExponential round the exact binary value, as Go does, but
  // send an exact tie up where Go picks the even digit. The only exact ties
  // at these precisions are multiples of 1/8 (x.125, x.375 ...).
  const tie = Number.isInteger(r * 8) && (r * 8) % 2 === 1;
  if (r >= 1) {
    if (!tie) return r.toFixed(2) + '%';
    const f = Math.floor(r * 100);
    return ((f % 2 === 0 ? f : f + 1) / 100).toFixed(2) + '%';
  }
  if (r === 0) return '0%';
  // %.2g: two significant digits, no trailing zeros, exponent below 1e-4
  let [mant, exp] = r.toExponential(1).split('e');
  if (tie) mant = { 1.3: '1.2', 3.8: '3.8', 6.3: '6.2', 8.8: '8.8' }[mant] || mant;
  const e = Number(exp);
  if (e < -4) return `${mant.replace(/\.0$/, '')}e-${String(-e).padStart(2, '0')}%`;
  return Number(`${mant}e${e}`).toFixed(1 - e).replace(/0+$/, '').replace(/\.$/, '') + '%';
}

/** RFC 3339 → "2024-05-01 12:34:56" in the viewer's local time. */
export function formatTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (isNaN(d.getTime())) return String(iso);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** "3 min ago" style; falls back to the date after a week. */
export function formatAgo(iso, now = Date.now()) {
  const d = new Date(iso).getTime();
  if (isNaN(d)) return '—';
  const s = Math.round((now - d) / 1000);
  if (s < 45) return 'just now';
  if (s < 3600) return Math.round(s / 60) + ' min ago';
  if (s < 86400) return Math.round(s / 3600) + ' h ago';
  if (s < 7 * 86400) return Math.round(s / 86400) + ' d ago';
  return formatTime(iso).slice(0, 10);
}

/** A period like {type:'cpu', unit:'nanoseconds', value:10000000} → "10 ms cpu". */
export function formatPeriod(period) {
  if (!period || !period.value) return '—';
  const v = formatValue(period.value, period.unit);
  return period.type ? `${v} (${period.type})` : v;
}

const TIME_SUFFIX = { ns: 1, us: 1e3, 'µs': 1e3, ms: 1e6, s: 1e9, sec: 1e9, m: 60e9, min: 60e9, h: 3600e9 };
const BYTE_SUFFIX = { b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3 };

/**
 * Parse an amount typed by a person ("1ms", "250 µs", "2s", "64KiB", "10")
 * into the profile's unit. A bare number is ms for time units, bytes for
 * byte units, a count otherwise. Returns null when it does not parse.
 */
export function parseAmount(text, unit) {
  const m = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-zµ]*)\s*$/i.exec(String(text));
  if (!m) return null;
  const x = parseFloat(m[1]);
  const suf = m[2].toLowerCase();
  const u = String(unit || '').toLowerCase();
  if (u in TIME_UNITS) {
    const f = suf ? TIME_SUFFIX[suf] : 1e6;
    return f === undefined ? null : (x * f) / TIME_UNITS[u];
  }
  if (u in BYTE_UNITS) {
    const f = suf ? BYTE_SUFFIX[suf] : 1;
    return f === undefined ? null : (x * f) / BYTE_UNITS[u];
  }
  return suf ? null : x;
}

/** A signed difference in a unit: "+1.20 s", "−340 ms", "0". */
export function formatDelta(v, unit) {
  if (!v) return '0';
  return (v > 0 ? '+' : '−') + formatValue(Math.abs(v), unit);
}

/** A relative change: "+12.3%", "−100%", "new" for a change from zero. */
export function formatRelative(delta, base) {
  if (!delta) return '0%';
  if (!base) return delta > 0 ? 'new' : '—';
  const p = (100 * delta) / Math.abs(base);
  const a = Math.abs(p);
  const s = a >= 100 ? a.toFixed(0) : a >= 10 ? a.toFixed(1) : a.toFixed(2);
  return (p > 0 ? '+' : '−') + s + '%';
}

/**
 * A Go name without its import path, for narrow places
 * ("github.com/a/b/pkg.(*T).F" → "pkg.(*T).F"); a '/' in the receiver,
 * the arguments or the type arguments (after the first '(' or '[') stays.
 * A name printed at a granularity keeps its parts, each shortened:
 * "github.com/a/b.F /src/b/x.go:12" → "b.F x.go:12" (the function first,
 * so a cut from the right keeps it), "/src/b/x.go" → "x.go", an address
 * without its leading zeros ("00000000004a1b2c main.f /x.go:3" →
 * "4a1b2c main.f x.go:3").
 */
export function shortName(name) {
  const s = String(name);
  const sp = s.lastIndexOf(' ');
  if (sp > 0 && isFileRef(s.slice(sp + 1))) {
    let head = s.slice(0, sp);
    const a = /^([0-9a-f]{16}) (.+)$/.exec(head);
    const addr = a ? (a[1].replace(/^0+(?=.)/, '') + ' ') : '';
    if (a) head = a[2];
    return addr + goShort(head) + ' ' + baseName(s.slice(sp + 1));
  }
  if (sp < 0 && s.startsWith('/') && isFileRef(s)) return baseName(s);
  return goShort(s);
}

function goShort(s) {
  const open = s.search(/[([]/);
  const cut = open > 0 ? s.lastIndexOf('/', open) : s.lastIndexOf('/');
  return cut >= 0 ? s.slice(cut + 1) : s;
}

/** A file as the granularities print it: a path, or a name with a line ("x.go:12"). */
function isFileRef(t) {
  return /^\/\S*$/.test(t) || /^[^\s()]+\.[A-Za-z0-9]+:\d+$/.test(t);
}

function baseName(t) {
  return t.slice(t.lastIndexOf('/') + 1);
}
