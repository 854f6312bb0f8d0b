// prefetch.js: the first API requests of the page, started while the app's
// modules are still loading (index.html runs this module, which imports
// nothing, before app.js): data is fetched in parallel with code. api.js
// takes a prefetched response when it asks for the very same URL (once);
// a URL guessed wrong is only a request wasted.
// earlyUrls is pure: tests/e2e/unit/prefetch.test.mjs checks it against the
// URLs profile.js asks for.

const FILTERS = ['focus', 'ignore', 'hide', 'tagfocus', 'tagignore', 'show', 'show_from', 'prune_from', 'tagroot', 'tagleaf', 'collapse_recursion', 'merge_fn']; // filterbar.js FILTER_KEYS

/** The API URLs the page at `loc` ({pathname, search}) asks for first. */
export function earlyUrls(loc) {
  const m = /^\/p\/([^/]+)\/?$/.exec(loc.pathname);
  if (!m) return [];
  const id = encodeURIComponent(decodeURIComponent(m[1]));
  const s = new URLSearchParams(loc.search);
  const urls = [`/api/v1/profiles/${id}`];
  const view = s.get('view') || 'flame';
  if (view === 'flame') {
    // api.js query() of {sample_type, ...filters}: empty values left out, in this order
    const q = new URLSearchParams();
    for (const k of ['sample_type', ...FILTERS]) {
      const v = s.get(k);
      if (v) q.append(k, v);
    }
    const qs = q.toString();
    urls.push(`/api/v1/profiles/${id}/flamegraph${qs ? '?' + qs : ''}`);
  }
  return urls;
}

if (typeof document !== 'undefined' && typeof fetch === 'function') {
  const early = new Map();
  for (const u of earlyUrls(location)) {
    const p = fetch(u, { headers: { Accept: 'application/json' }, credentials: 'same-origin' });
    p.catch(() => {}); // an unused failure is nobody's error
    early.set(u, p);
  }
  globalThis.__flamedexEarly = early;
}
