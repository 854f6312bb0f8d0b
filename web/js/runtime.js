// runtime.js: the runtime-share strip, from the server's classification
// (GET /api/v1/profiles/{id}/runtime and /api/v1/diff/runtime; the
// categories and their frame lists are in docs/RUNTIME.md). Where a CPU
// profile's time went: GC work, allocation, syscalls, the scheduler, user
// code, one bar per profile (or per value of its go_version / version
// label) and a table of shares. For sample types that are not CPU time the
// strip says it is not shown, and why (the server's reason).

import { api } from './api.js';
import { h, replace } from './dom.js';
import { formatValue } from './format.js';
import { LatestFetch } from './fetchonce.js';

/** Category keys in the server's order (its precedence; user last). */
export const CATEGORY_KEYS = ['gc', 'alloc', 'syscall', 'sched', 'user'];

const HELP = 'Each sample is counted once, by its stack: GC work if any frame is (mark workers, assists, scanning, write barriers, sweeping, scavenging, stopping the world), '
  + 'else Allocation (runtime.mallocgc and its callees), else Syscalls (syscall.*, entersyscall/exitsyscall, cgo), else Scheduler (schedule, findRunnable, park_m, wakep, …), else User code. '
  + 'docs/RUNTIME.md lists every frame and the Go releases that use it.';

/** Shares of one response (or version group) as {key: {value, pct}}. */
function shares(doc) {
  const out = {};
  const total = doc.total || 0;
  for (const c of doc.categories || []) out[c.key] = { value: c.value, label: c.label, pct: total > 0 ? (100 * c.value) / total : 0 };
  return out;
}

/** The bars of one side: its version groups when there are several, else one. */
function seriesOf(doc, side) {
  const label = doc.label || 'version';
  const versions = Array.isArray(doc.versions) ? doc.versions : [];
  const prefix = side ? side + ' · ' : '';
  if (versions.length > 1) {
    return versions.map((v) => ({
      name: prefix + (v.version === null ? 'unlabelled' : v.version),
      title: v.version === null ? `samples without a ${label} label (the runtime's own goroutines carry none)` : `${label}=${v.version}`,
      version: v.version, doc: v,
    }));
  }
  const v = versions.length === 1 ? versions[0].version : null;
  return [{ name: side ? (v ? `${side} · ${v}` : side) : (v || 'all samples'), title: v ? `${label}=${v}` : '', version: v, doc }];
}

/** What the label did with unlabelled samples, in a sentence (or null). */
function labelNote(doc, unit, side) {
  if (!doc.label) return null;
  const who = side ? `${side}: ` : '';
  const v = doc.versions || [];
  const amount = unit === 'count' ? `${formatValue(doc.unlabelled, unit)} samples` : formatValue(doc.unlabelled, unit);
  if (doc.unlabelled_merged && v.length === 1) {
    return `${who}${amount} had no ${doc.label} label (the runtime's own goroutines carry none) and are counted as ${v[0].version}, the profile's only value.`;
  }
  if (v.some((g) => g.version === null)) return `${who}split by the ${doc.label} label; "unlabelled" (${amount}) is the runtime's own goroutines, which carry no labels.`;
  return null;
}

export class RuntimeStrip {
  constructor() {
    this.el = h('div', { class: 'runtime-share', id: 'runtime-share', 'aria-label': 'Runtime share', hidden: true });
    this.loader = new LatestFetch({ onError: (e) => this.renderError(e) });
    this.data = null;
  }

  /** The share of one profile under params (sample_type and filters). */
  async loadProfile(pid, params) {
    const d = await this.loader.load('runtime', JSON.stringify([pid, params]), (signal) => api.runtime(pid, params, signal));
    if (d && d !== this.data) {
      this.data = d;
      this.render([d], [null]);
    }
  }

  /** Both sides of a diff under params (base, target, sample_type, filters). */
  async loadDiff(params) {
    const d = await this.loader.load('runtime', JSON.stringify(params), (signal) => api.diffRuntime(params, signal));
    if (d && d !== this.data) {
      this.data = d;
      this.render([d.base, d.target], ['base', 'target']);
    }
  }

  renderError(e) {
    this.el.hidden = false;
    this.el.dataset.applicable = 'error';
    replace(this.el, h('p', { class: 'muted cat-note', id: 'runtime-error' }, `Runtime share unavailable: ${e.message}`));
  }

  render(docs, sides) {
    this.el.hidden = false;
    const na = docs.find((d) => !d.applicable);
    if (na) {
      this.el.dataset.applicable = 'false';
      const t = na.sample_type || {};
      replace(this.el, h('p', { class: 'muted cat-note', id: 'runtime-na' },
        `Runtime share not shown for ${t.type || 'this sample type'}${t.unit ? '/' + t.unit : ''}: ${na.reason}`));
      return;
    }
    this.el.dataset.applicable = 'true';
    const unit = (docs[0].sample_type && docs[0].sample_type.unit) || '';
    const series = docs.flatMap((d, i) => seriesOf(d, sides[i]).map((s) => ({ ...s, shares: shares(s.doc) })));
    const cats = (docs[0].categories || []).map((c) => ({ key: c.key, label: c.label }));
    const delta = series.length === 2;
    const bar = (s) => h('div', { class: 'cat-bar', dataset: { which: s.name }, title: s.title || null },
      cats.map((c) => {
        const x = s.shares[c.key];
        const seg = h('span', { class: 'cat-seg', dataset: { cat: c.key }, title: `${c.label}: ${x.pct.toFixed(1)}% (${formatValue(x.value, unit)})` });
        seg.style.width = Math.max(0, x.pct).toFixed(2) + '%';
        return seg;
      }));
    const notes = docs.map((d, i) => labelNote(d, unit, sides[i])).filter(Boolean);
    replace(this.el,
      h('div', { class: 'cat-bars' }, series.flatMap((s) => [h('span', { class: 'cat-bar-k', title: s.title || null }, s.name), bar(s)])),
      h('table', { class: 'cat-table', id: 'categories', title: HELP },
        h('thead', null, h('tr', null,
          h('th', null, 'Share of CPU'),
          series.map((s) => h('th', { class: 'num', title: s.title || null }, s.name)),
          delta ? h('th', { class: 'num' }, 'Δ') : null)),
        h('tbody', null, cats.map((c) => {
          const ps = series.map((s) => s.shares[c.key].pct);
          const dp = delta ? ps[1] - ps[0] : 0;
          return h('tr', { dataset: { cat: c.key } },
            h('th', null, h('span', { class: 'cat-dot', dataset: { cat: c.key } }), c.label),
            series.map((s, i) => h('td', { class: 'num', title: formatValue(s.shares[c.key].value, unit) }, ps[i].toFixed(1) + '%')),
            delta ? h('td', { class: 'num ' + (dp >= 0.05 ? 'up' : dp <= -0.05 ? 'down' : 'muted') }, (dp >= 0 ? '+' : '−') + Math.abs(dp).toFixed(1) + ' pp') : null);
        }))),
      notes.length ? h('p', { class: 'muted cat-note', id: 'runtime-label-note' }, notes.join(' ')) : null);
  }
}
