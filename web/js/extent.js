// extent.js: how far back a target's data goes, from the rows of
// GET /api/v1/series (their "retention" member, docs/API.md): the oldest
// profile, since when the profiles are raw (scraped as they were), and until
// when older history was merged into one profile per step (downsampling).
// Pure (no DOM): tests/e2e/unit/extent.test.mjs imports it into node.

const KIND_ORDER = ['cpu', 'heap', 'goroutine', 'mutex', 'block', 'other'];

const earlier = (a, b) => (!a ? b : !b ? a : Date.parse(a) <= Date.parse(b) ? a : b);
const later = (a, b) => (!a ? b : !b ? a : Date.parse(a) >= Date.parse(b) ? a : b);

/**
 * Series rows grouped by one of their labels (instance for the Targets page):
 * Map value -> {oldest, newest, rawSince, downsampledUntil, step, profiles, kinds: [kind…]}.
 * @param {{labels:object, kind:string, profiles:number, retention?:object}[]} rows
 */
export function extentsBy(rows, key) {
  const out = new Map();
  for (const r of rows || []) {
    const v = r.labels && r.labels[key];
    if (v === undefined) continue;
    const ret = r.retention || {};
    const e = out.get(v) || { oldest: null, newest: null, rawSince: null, downsampledUntil: null, step: null, profiles: 0, kinds: [] };
    e.oldest = earlier(e.oldest, ret.oldest || r.first);
    e.newest = later(e.newest, ret.newest || r.last);
    e.rawSince = earlier(e.rawSince, ret.raw_since);
    e.downsampledUntil = later(e.downsampledUntil, ret.downsampled_until);
    if (ret.downsample_step_seconds) e.step = e.step ? Math.max(e.step, ret.downsample_step_seconds) : ret.downsample_step_seconds;
    e.profiles += r.profiles || 0;
    if (!e.kinds.includes(r.kind)) e.kinds.push(r.kind);
    out.set(v, e);
  }
  for (const e of out.values()) e.kinds.sort((a, b) => KIND_ORDER.indexOf(a) - KIND_ORDER.indexOf(b));
  return out;
}

/** "hourly", "daily", "per minute", "per 5m": a downsampling step in words. */
export function stepWords(s) {
  if (s === 3600) return 'hourly';
  if (s === 86400) return 'daily';
  if (s === 60) return 'per minute';
  if (s === 1) return 'per second';
  const units = [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]];
  for (const [u, n] of units) if (s % n === 0) return `per ${s / n}${u}`;
  return `per ${s}s`;
}

/**
 * The sentence of a target's extent, as parts: {from, detail}.
 * fmt formats a time (formatTime in the page).
 */
export function extentText(e, fmt) {
  if (!e || !e.oldest) return { from: null, detail: 'no data stored yet' };
  if (e.downsampledUntil && e.rawSince) return { from: fmt(e.oldest), detail: `raw since ${fmt(e.rawSince)}, ${stepWords(e.step)} before` };
  if (e.downsampledUntil) return { from: fmt(e.oldest), detail: `${stepWords(e.step)} merges only, until ${fmt(e.downsampledUntil)}` };
  return { from: fmt(e.oldest), detail: 'all raw' };
}
