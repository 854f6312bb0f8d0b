// series.js: which stored profile a profile is naturally compared with.
// Pure (no DOM): tests/e2e/unit/series.test.mjs imports it into node.
//
// The previous profile of the same series: the same profile labels (the
// same service, host, version...), the same kind of data (the same sample
// types, so a Go CPU profile is not offered a Java one), and the newest
// one older than this. When no profile is all of that, the nearest is
// taken, by how much of it holds: sample types first (a diff of other
// sample types cannot be drawn), then labels, then older before newer,
// then nearness in time.

const when = (p) => Date.parse(p.time || p.uploaded_at) || 0;

function sameLabels(a, b) {
  const x = a.labels || {}, y = b.labels || {};
  const kx = Object.keys(x), ky = Object.keys(y);
  return kx.length === ky.length && kx.every((k) => Object.prototype.hasOwnProperty.call(y, k) && y[k] === x[k]);
}

function typesOf(p) {
  return (Array.isArray(p.sample_types) ? p.sample_types : []).map((t) => `${t.type}/${t.unit}`).join(',');
}

/**
 * The profile of list to preselect for comparing with meta, or null.
 * @param {{id:string, kind?:string, labels?:object, sample_types?:{type:string,unit:string}[], time?:string, uploaded_at?:string}} meta
 * @param {typeof meta[]} list
 */
export function previousInSeries(meta, list) {
  const t0 = when(meta), types = typesOf(meta);
  let best = null, bestKey = null;
  for (const p of list) {
    if (String(p.id) === String(meta.id)) continue;
    const t = when(p);
    const key = [
      typesOf(p) === types ? 1 : 0,
      sameLabels(p, meta) ? 1 : 0,
      p.kind === meta.kind ? 1 : 0,
      t <= t0 ? 1 : 0,
      -Math.abs(t0 - t),
    ];
    if (!bestKey || less(bestKey, key)) { best = p; bestKey = key; }
  }
  return best;
}

function less(a, b) {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i];
  return false;
}
