// urlstate.js: the view state of a page lives in the URL query string, so a
// copied link reopens exactly the same view. Only values that differ from the
// defaults are written, in a fixed order, so links stay short and stable.

/**
 * A zoom path is a list of function names joined by ';' (the folded-stack
 * convention). A name that itself holds ';' or a backslash has them escaped with a
 * backslash, so every list survives the round trip; ordinary names read as is.
 */
export function joinPath(names) {
  return names.map((n) => String(n).replace(/[\\;]/g, '\\$&')).join(';');
}

export function splitPath(s) {
  const out = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && i + 1 < s.length) cur += s[++i];
    else if (c === ';') { out.push(cur); cur = ''; }
    else cur += c;
  }
  out.push(cur);
  return out;
}

export class UrlState {
  /** @param {Record<string,string>} defaults  key order = order in the URL */
  constructor(defaults) {
    this.defaults = defaults;
    this.state = this.read();
  }

  read() {
    const q = new URLSearchParams(location.search);
    const s = {};
    for (const [k, def] of Object.entries(this.defaults)) s[k] = q.has(k) ? q.get(k) : def;
    return s;
  }

  /** The query string for a state (with '?' or empty). */
  search(state = this.state) {
    const q = new URLSearchParams();
    for (const [k, def] of Object.entries(this.defaults)) {
      const v = state[k];
      if (v !== undefined && v !== null && v !== def) q.set(k, v);
    }
    const s = q.toString();
    return s ? '?' + s : '';
  }

  /**
   * Merge a patch; write the URL with pushState (push: a step the Back button
   * should undo, such as a zoom) or replaceState. Returns the changed keys.
   */
  update(patch, { push = false } = {}) {
    const changed = new Set();
    for (const [k, v] of Object.entries(patch)) {
      if (!(k in this.defaults)) continue;
      const nv = v === undefined || v === null ? this.defaults[k] : String(v);
      if (this.state[k] !== nv) { this.state[k] = nv; changed.add(k); }
    }
    if (changed.size) {
      const url = location.pathname + this.search() + location.hash;
      if (push) history.pushState(null, '', url);
      else history.replaceState(null, '', url);
    }
    return changed;
  }

  /** Re-read after popstate; returns the changed keys. */
  reload() {
    const next = this.read();
    const changed = new Set();
    for (const k of Object.keys(this.defaults)) if (next[k] !== this.state[k]) changed.add(k);
    this.state = next;
    return changed;
  }
}
