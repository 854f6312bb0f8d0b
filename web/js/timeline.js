// timeline.js: /s, the timeline of a series (GET /api/v1/timeline): every
// profile of a selection over time, one point each, drawn as SVG. The
// metric depends on the kind (the server picks it, docs/API.md): CPU
// cores used, heap in use, goroutines, contention delay. A click on a
// point opens that profile; a function search plots its cum share of
// each profile (GET /api/v1/functions) on a second axis, 0-100%; a drag
// across the chart brushes a range, whose merged view (/m?...) is linked
// below. A second range (shift-drag, or "previous period": as long as the
// first, just before it) is compared with it: the diff of the two merged
// ranges (GET /api/v1/diff/top with a base.* and a target.* selection,
// docs/API.md) is drawn below, the second range as the base. Everything
// is in the URL: label, type, ids, from, to, fn, the brush (bfrom, bto)
// and the compared range (cfrom, cto).

import { api, query, ApiError } from './api.js';
import { h, svg, replace } from './dom.js';
import { formatBytes, formatDelta, formatInt, formatNanos, formatRelative, formatTime, formatValue } from './format.js';
import { UrlState } from './urlstate.js';
import { appBar, copyLinkButton, showError } from './chrome.js';

const DEFAULTS = { label: '', type: '', ids: '', from: '', to: '', fn: '', bfrom: '', bto: '', cfrom: '', cto: '' };
const DIFF_ROWS = 15;
const profilesText = (n) => `${formatInt(n)} profile${n === 1 ? '' : 's'}`;
const W = 900, H = 300, PAD = { l: 70, r: 60, t: 16, b: 36 };
const FN_COLORS = ['#d9480f', '#2b8a3e', '#5f3dc4', '#c2255c', '#0b7285'];

export function mountTimeline(root) {
  const page = new TimelinePage(root);
  page.start();
  return page;
}

function metricText(name, v) {
  if (v === null || v === undefined) return '—';
  if (name === 'cores') return v.toFixed(2) + ' cores';
  if (name === 'inuse_bytes') return formatBytes(v);
  if (name === 'delay_ns') return formatNanos(v);
  return formatInt(v);
}

const DENSE_POINTS = 300; // more points than this: columns (about 2.6 chart units a point)
const BAND_W = 2;         // chart units a column (the plot is W - PAD.l - PAD.r = 770 wide)
const N_COLS = Math.floor((W - PAD.l - PAD.r) / BAND_W);

/** Items (in time order) grouped into columns BAND_W wide by xOf: for
 * each, its lowest and highest vOf, their sum and count. */
function columns(items, xOf, vOf) {
  const cols = [];
  let cur = null;
  for (const it of items) {
    const v = vOf(it);
    if (v === null || v === undefined) continue;
    // the last column holds the right edge (the newest point)
    const k = Math.max(0, Math.min(N_COLS - 1, Math.floor((xOf(it) - PAD.l) / BAND_W)));
    if (!cur || cur.k !== k) { cur = { k, x: PAD.l + (k + 0.5) * BAND_W, lo: v, hi: v, sum: 0, n: 0 }; cols.push(cur); }
    if (v < cur.lo) cur.lo = v;
    if (v > cur.hi) cur.hi = v;
    cur.sum += v;
    cur.n++;
  }
  return cols;
}

/** The polygon of the columns' bands: along the highs, back along the lows. */
function bandPoints(cols, clampX, Y) {
  const up = cols.map((c) => `${clampX(c.x).toFixed(1)},${Y(c.hi).toFixed(1)}`);
  const down = cols.slice().reverse().map((c) => `${clampX(c.x).toFixed(1)},${Y(c.lo).toFixed(1)}`);
  return up.concat(down).join(' ');
}

/** The index of the point (time order) nearest to time t. */
function nearestIndex(pts, t) {
  let lo = 0, hi = pts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (pts[mid].t < t) lo = mid + 1; else hi = mid;
  }
  return lo > 0 && t - pts[lo - 1].t < pts[lo].t - t ? lo - 1 : lo;
}

const METRIC_TITLE = { cores: 'CPU cores used', inuse_bytes: 'Heap in use', goroutines: 'Goroutines', delay_ns: 'Contention (delay)', total: 'Total' };

class TimelinePage {
  constructor(root) {
    this.root = root;
    this.us = new UrlState(DEFAULTS);
    this.points = [];
    this.fns = [];
    this.build();
  }

  selection() {
    const s = this.us.state;
    return s.ids ? { ids: s.ids, from: s.from, to: s.to } : { label: s.label, type: s.type, from: s.from, to: s.to };
  }

  build() {
    document.title = 'timeline · flamedex';
    this.titleEl = h('h1', { id: 'tl-title' }, 'Timeline');
    this.summaryEl = h('p', { class: 'muted lead', id: 'tl-summary' });
    this.errorEl = h('div', { class: 'error-box', id: 'tl-error', role: 'alert', hidden: true });
    this.fnIn = h('input', { class: 'input mono', id: 'tl-fn', type: 'text', placeholder: 'function regex, e.g. encoding/json\\.', autocomplete: 'off', spellcheck: 'false', 'aria-label': 'Function to plot', value: this.us.state.fn });
    this.fnForm = h('form', { class: 'series-row', id: 'tl-fn-form', onsubmit: (e) => { e.preventDefault(); this.us.update({ fn: this.fnIn.value.trim() }); this.loadFns(); } },
      h('label', { class: 'field grow' }, h('span', null, 'Plot a function\'s share (cum %)'), this.fnIn),
      h('button', { class: 'btn', type: 'submit', id: 'tl-fn-go' }, 'Plot'));
    this.chartHost = h('div', { class: 'tl-chart', id: 'tl-chart' });
    this.legendEl = h('div', { class: 'chips inline', id: 'tl-legend' });
    this.brushEl = h('div', { class: 'tl-brush', id: 'tl-brush' });
    this.diffEl = h('section', { class: 'card tl-diff', id: 'tl-diff', 'aria-label': 'Diff of the two ranges', hidden: true });
    replace(this.root,
      appBar([copyLinkButton('this timeline')]),
      h('main', { class: 'page timeline-page' },
        h('header', { class: 'profile-head' }, this.titleEl, this.summaryEl),
        this.errorEl,
        h('section', { class: 'card', 'aria-label': 'Chart' }, this.fnForm, this.chartHost, this.legendEl, this.brushEl),
        this.diffEl));
    window.addEventListener('popstate', () => { this.us.reload(); this.fnIn.value = this.us.state.fn; this.start(); });
  }

  async start() {
    const s = this.us.state;
    const what = s.ids ? `${s.ids.split(',').length} profiles` : `${s.label}${s.type ? ' · ' + s.type : ''}`;
    this.titleEl.textContent = 'Timeline: ' + what;
    this.errorEl.hidden = true;
    try {
      const j = await api.timeline(this.selection());
      this.points = j.points.map((p) => ({ ...p, t: Date.parse(p.time) }));
      this.markerAt = undefined;
    } catch (e) {
      this.points = [];
      showError(this.errorEl, e, { hint: e instanceof ApiError && e.code === 'empty_selection' ? 'No stored profile has these labels and kind.' : '' });
      this.draw();
      return;
    }
    const m = this.points[0] ? this.points[0].metric.name : 'total';
    this.metric = m;
    this.summaryEl.textContent = `${formatInt(this.points.length)} profiles, ${METRIC_TITLE[m] || m} over time. ${this.points.length > DENSE_POINTS ? 'Point at the chart to pick a profile, click to open it' : 'Click a point to open it'}; drag across the chart to merge a range, shift-drag to compare it with a second.`;
    await this.loadFns();
  }

  async loadFns() {
    const fn = this.us.state.fn;
    this.fns = [];
    if (fn && this.points.length) {
      try {
        const j = await api.functions({ ...this.selection(), match: fn, functions: FN_COLORS.length });
        this.fns = j.functions;
      } catch (e) {
        showError(this.errorEl, e);
      }
    }
    this.draw();
  }

  draw() {
    const pts = this.points;
    if (!pts.length) { replace(this.chartHost); replace(this.legendEl); replace(this.brushEl); return; }
    let t0 = pts[0].t, t1 = pts[pts.length - 1].t;
    if (t1 === t0) { t0 -= 60000; t1 += 60000; }
    const vals = pts.map((p) => p.metric.value).filter((v) => v !== null);
    const vmax = vals.reduce((a, v) => (v > a ? v : a), 1e-9) * 1.1;
    const X = (t) => PAD.l + (t - t0) / (t1 - t0) * (W - PAD.l - PAD.r);
    const Y = (v) => H - PAD.b - v / vmax * (H - PAD.t - PAD.b);
    const Ys = (f) => H - PAD.b - f * (H - PAD.t - PAD.b);
    this.scale = { X, t0, t1 };
    const kids = [];
    // axes and ticks
    kids.push(svg('line', { x1: PAD.l, y1: H - PAD.b, x2: W - PAD.r, y2: H - PAD.b, class: 'tl-axis' }));
    kids.push(svg('line', { x1: PAD.l, y1: PAD.t, x2: PAD.l, y2: H - PAD.b, class: 'tl-axis' }));
    for (let i = 0; i <= 4; i++) {
      const v = vmax * i / 4;
      kids.push(svg('text', { x: PAD.l - 6, y: Y(v) + 4, 'text-anchor': 'end', class: 'tl-tick' }, metricText(this.metric, v)));
      kids.push(svg('line', { x1: PAD.l, y1: Y(v), x2: W - PAD.r, y2: Y(v), class: 'tl-grid' }));
    }
    for (let i = 0; i <= 4; i++) {
      const t = t0 + (t1 - t0) * i / 4;
      kids.push(svg('text', { x: X(t), y: H - PAD.b + 16, 'text-anchor': 'middle', class: 'tl-tick' }, formatTime(new Date(t).toISOString())));
    }
    if (this.fns.length) {
      kids.push(svg('line', { x1: W - PAD.r, y1: PAD.t, x2: W - PAD.r, y2: H - PAD.b, class: 'tl-axis' }));
      for (const f of [0, 0.5, 1]) kids.push(svg('text', { x: W - PAD.r + 6, y: Ys(f) + 4, class: 'tl-tick' }, `${f * 100}%`));
    }
    // brush
    const s = this.us.state;
    const clampX = (x) => Math.min(W - PAD.r, Math.max(PAD.l, x));
    const rangeRect = (from, to, cls, id, tag) => {
      const a = clampX(X(Date.parse(from))), b = clampX(X(Date.parse(to)));
      kids.push(svg('rect', { x: Math.min(a, b), y: PAD.t, width: Math.max(2, Math.abs(b - a)), height: H - PAD.t - PAD.b, class: cls, id }));
      kids.push(svg('text', { x: Math.min(a, b) + 4, y: PAD.t + 13, class: 'tl-rangetag ' + cls + '-tag' }, tag));
    };
    const cmp = s.bfrom && s.bto && s.cfrom && s.cto;
    if (cmp) rangeRect(s.cfrom, s.cto, 'tl-cmprect', 'tl-cmprect', 'A');
    if (s.bfrom && s.bto) rangeRect(s.bfrom, s.bto, 'tl-brushrect', 'tl-brushrect', cmp ? 'B' : '');
    // the metric, and each plotted function's share: a point per profile
    // while they fit; past DENSE_POINTS, a column per BAND_W units of the
    // chart: the band from the lowest to the highest profile in it, the
    // line through their mean (a polyline through 10,000 points that
    // alternate draws a solid block, and 10,000 circles hide each other).
    const valued = pts.filter((p) => p.metric.value !== null);
    const dense = valued.length > DENSE_POINTS;
    this.dense = dense;
    if (dense) {
      const cols = columns(valued, (p) => X(p.t), (p) => p.metric.value);
      kids.push(svg('polygon', { points: bandPoints(cols, clampX, Y), class: 'tl-band', id: 'tl-band' }));
      kids.push(svg('polyline', { points: cols.map((c) => `${clampX(c.x).toFixed(1)},${Y(c.sum / c.n).toFixed(1)}`).join(' '), class: 'tl-line', id: 'tl-line' }));
    } else {
      const line = valued.map((p) => `${X(p.t).toFixed(1)},${Y(p.metric.value).toFixed(1)}`).join(' ');
      kids.push(svg('polyline', { points: line, class: 'tl-line', id: 'tl-line' }));
    }
    this.fns.forEach((f, k) => {
      const byId = new Map(f.points.map((q) => [q.id, q]));
      const share = (p) => { const q = byId.get(p.id); return q.total ? Math.abs(q.cum) / Math.abs(q.total) : 0; };
      const on = pts.filter((p) => byId.has(p.id));
      const sp = dense
        ? columns(on, (p) => X(p.t), share).map((c) => `${clampX(c.x).toFixed(1)},${Ys(c.sum / c.n).toFixed(1)}`).join(' ')
        : on.map((p) => `${X(p.t).toFixed(1)},${Ys(share(p)).toFixed(1)}`).join(' ');
      kids.push(svg('polyline', { points: sp, class: 'tl-fnline', stroke: FN_COLORS[k % FN_COLORS.length], 'data-function': f.function }));
    });
    // points, each a link to its profile; dense: one marker, moved to the
    // profile nearest the pointer (or by the arrow keys), at the newest first
    const title = (p) => `${formatTime(p.time)} · ${metricText(p.metric.name, p.metric.value)}`;
    let marker = null;
    if (dense) {
      marker = svg('circle', { r: 5, class: 'tl-point tl-marker', id: 'tl-marker', tabindex: 0, role: 'link' }, svg('title'));
      const place = (i) => {
        const p = valued[i];
        this.markerAt = i;
        marker.setAttribute('cx', X(p.t).toFixed(1));
        marker.setAttribute('cy', Y(p.metric.value).toFixed(1));
        marker.dataset.id = p.id;
        marker.setAttribute('aria-label', 'open the profile of ' + title(p) + ' (arrow keys: the one before or after)');
        marker.firstChild.textContent = title(p);
      };
      place(Math.min(this.markerAt ?? valued.length - 1, valued.length - 1));
      marker.addEventListener('click', (e) => { e.stopPropagation(); location.href = valued[this.markerAt].url; });
      marker.addEventListener('keydown', (e) => {
        const step = { ArrowLeft: -1, ArrowRight: 1, PageUp: -10, PageDown: 10, Home: -Infinity, End: Infinity }[e.key];
        if (e.key === 'Enter') location.href = valued[this.markerAt].url;
        else if (step) { e.preventDefault(); place(Math.max(0, Math.min(valued.length - 1, this.markerAt + step))); }
      });
      this.nearest = (t) => { place(nearestIndex(valued, t)); };
      kids.push(marker);
    } else {
      this.nearest = null;
      for (const p of valued) {
        const c = svg('circle', { cx: X(p.t).toFixed(1), cy: Y(p.metric.value).toFixed(1), r: 4, class: 'tl-point', 'data-id': p.id, tabindex: 0, role: 'link' },
          svg('title', null, title(p)));
        c.addEventListener('click', (e) => { e.stopPropagation(); location.href = p.url; });
        c.addEventListener('keydown', (e) => { if (e.key === 'Enter') location.href = p.url; });
        kids.push(c);
      }
    }
    const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, width: '100%', class: 'tl-svg', id: 'tl-svg', role: 'img', 'aria-label': 'timeline chart', 'data-points': valued.length, 'data-mode': dense ? 'dense' : 'points' }, ...kids);
    this.wireBrush(chart);
    replace(this.chartHost, chart);
    replace(this.legendEl,
      h('span', { class: 'chip' }, METRIC_TITLE[this.metric] || this.metric),
      this.fns.map((f, k) => h('span', { class: 'chip tl-fnchip', dataset: { color: String(k) } }, h('span', { class: 'tl-swatch', dataset: { color: String(k) } }), f.function)),
      this.us.state.fn && !this.fns.length ? h('span', { class: 'muted', id: 'tl-fn-none' }, `no function matching ${this.us.state.fn} in these profiles`) : null,
      dense ? h('span', { class: 'muted', id: 'tl-dense-note' }, `${formatInt(valued.length)} profiles: each column of the chart is the range (band) and mean (line) of the profiles in it; point at one to pick it`) : null);
    this.drawBrushInfo();
  }

  wireBrush(chart) {
    let start = null;
    const tAt = (ev) => {
      const r = chart.getBoundingClientRect();
      const x = (ev.clientX - r.left) / r.width * W;
      const { t0, t1 } = this.scale;
      return t0 + Math.min(1, Math.max(0, (x - PAD.l) / (W - PAD.l - PAD.r))) * (t1 - t0);
    };
    let second = false;
    // dense: the marker follows the pointer to the nearest profile
    chart.addEventListener('mousemove', (ev) => {
      if (this.nearest && !ev.target.classList.contains('tl-point')) this.nearest(tAt(ev));
    });
    chart.addEventListener('mousedown', (ev) => {
      if (ev.target.classList.contains('tl-point')) return;
      start = tAt(ev);
      // shift-drag brushes the range compared with the first (once there is one)
      second = ev.shiftKey && !!(this.us.state.bfrom && this.us.state.bto);
      ev.preventDefault();
    });
    chart.addEventListener('mouseup', (ev) => {
      if (start === null) return;
      const end = tAt(ev);
      const a = Math.min(start, end), b = Math.max(start, end);
      start = null;
      if (b - a <= 0) return;
      const range = [new Date(a).toISOString(), new Date(b).toISOString()];
      this.us.update(second ? { cfrom: range[0], cto: range[1] } : { bfrom: range[0], bto: range[1] }, { push: true });
      this.draw();
    });
  }

  /** The selection of the profiles in [from, to] (inclusive, as the server reads it). */
  rangeSelection(from, to, prefix = '') {
    const s = this.us.state;
    const a = Date.parse(from), b = Date.parse(to);
    const inside = this.points.filter((p) => p.t >= a && p.t <= b);
    const sel = s.ids ? { ids: inside.map((p) => p.id).join(',') } : { label: s.label, type: s.type, from, to };
    const out = {};
    for (const [k, v] of Object.entries(sel)) out[prefix + k] = v;
    return { inside, sel: out };
  }

  /** The range as long as the brushed one, ending just (1 ms) before it. */
  previousPeriod() {
    const s = this.us.state;
    const a = Date.parse(s.bfrom), b = Date.parse(s.bto);
    this.us.update({ cfrom: new Date(a - (b - a) - 1).toISOString(), cto: new Date(a - 1).toISOString() }, { push: true });
    this.draw();
  }

  drawBrushInfo() {
    const s = this.us.state;
    if (!s.bfrom || !s.bto) {
      replace(this.brushEl, h('p', { class: 'muted' }, 'Drag across the chart to select a range of profiles.'));
      this.drawDiff();
      return;
    }
    const { inside, sel } = this.rangeSelection(s.bfrom, s.bto);
    const href = '/m' + query(sel);
    const cmp = s.cfrom && s.cto ? this.rangeSelection(s.cfrom, s.cto) : null;
    replace(this.brushEl,
      h('p', { id: 'tl-range-b' }, cmp ? h('span', { class: 'tl-rangetag-chip b' }, 'B') : null,
        `${profilesText(inside.length)} from ${formatTime(s.bfrom)} to ${formatTime(s.bto)}: `,
        inside.length ? h('a', { class: 'btn primary', id: 'tl-merge-link', href }, 'Open merged view') : h('span', { class: 'muted' }, 'none in range'),
        ' ',
        h('button', { class: 'link', type: 'button', id: 'tl-brush-clear', onclick: () => { this.us.update({ bfrom: '', bto: '', cfrom: '', cto: '' }, { push: true }); this.draw(); } }, 'clear')),
      cmp
        ? h('p', { id: 'tl-range-a' }, h('span', { class: 'tl-rangetag-chip a' }, 'A'),
          `${profilesText(cmp.inside.length)} from ${formatTime(s.cfrom)} to ${formatTime(s.cto)}, the base of the diff below: `,
          cmp.inside.length ? h('a', { class: 'btn', id: 'tl-cmp-merge-link', href: '/m' + query(cmp.sel) }, 'Open merged view') : h('span', { class: 'muted' }, 'none in range'),
          ' ',
          h('button', { class: 'link', type: 'button', id: 'tl-cmp-clear', onclick: () => { this.us.update({ cfrom: '', cto: '' }, { push: true }); this.draw(); } }, 'clear'))
        : h('p', { class: 'muted', id: 'tl-compare-hint' }, 'Shift-drag a second range to compare with this one, or ',
          h('button', { class: 'btn small', type: 'button', id: 'tl-prev-period', onclick: () => this.previousPeriod() }, 'compare with the previous period'), '.'));
    this.drawDiff();
  }

  /** The diff of range A (base) against range B (target), below the chart. */
  async drawDiff() {
    const s = this.us.state;
    const seq = (this.diffSeq = (this.diffSeq || 0) + 1);
    if (this.diffAbort) this.diffAbort.abort();
    if (!(s.bfrom && s.bto && s.cfrom && s.cto)) { this.diffEl.hidden = true; replace(this.diffEl); return; }
    const base = this.rangeSelection(s.cfrom, s.cto, 'base.');
    const target = this.rangeSelection(s.bfrom, s.bto, 'target.');
    this.diffEl.hidden = false;
    const head = h('h2', { class: 'tl-diff-head' }, 'A → B: what changed');
    if (!base.inside.length || !target.inside.length) {
      replace(this.diffEl, head, h('p', { class: 'muted', id: 'tl-diff-empty' }, `Range ${!base.inside.length ? 'A' : 'B'} holds no profile: nothing to compare.`));
      return;
    }
    replace(this.diffEl, head, h('p', { class: 'muted' }, 'Merging both ranges…'));
    const ac = (this.diffAbort = new AbortController());
    let j;
    try {
      j = await api.diffTop({ ...base.sel, ...target.sel, normalize: '1', limit: DIFF_ROWS }, ac.signal);
    } catch (e) {
      if (seq !== this.diffSeq) return;
      const box = h('div', { class: 'error-box', role: 'alert', id: 'tl-diff-error' });
      replace(this.diffEl, head, box);
      showError(box, e);
      return;
    }
    if (seq !== this.diffSeq) return;
    const unit = (j.sample_type && j.sample_type.unit) || '';
    const scale = typeof j.scale === 'number' ? j.scale : 1;
    const share = (v, tot) => (tot ? (Math.abs(v) / Math.abs(tot) * 100).toFixed(2) + '%' : '—');
    const rows = j.rows.map((r) => {
      const d = r.target_cum - r.base_cum;
      return h('tr', { dataset: { function: r.function, change: r.change || '', baseCum: String(r.base_cum), targetCum: String(r.target_cum) }, class: r.change === 'grew' ? 'grew' : r.change === 'shrank' ? 'shrank' : '' },
        h('td', { class: 'fn mono' }, r.function),
        h('td', { class: 'num' }, formatValue(r.base_cum, unit), h('span', { class: 'muted' }, ' ' + share(r.base_cum, j.base_total))),
        h('td', { class: 'num' }, formatValue(r.target_cum, unit), h('span', { class: 'muted' }, ' ' + share(r.target_cum, j.base_total))),
        h('td', { class: 'num delta' }, formatDelta(d, unit)),
        h('td', { class: 'num' }, r.status === 'new' ? 'new' : r.status === 'gone' ? 'gone' : formatRelative(d, r.base_cum)),
        h('td', null, r.change === 'grew' || r.change === 'shrank' ? h('span', { class: 'chip ' + r.change }, r.change) : ''));
    });
    const diffQuery = query({ ...base.sel, ...target.sel, normalize: '1' });
    replace(this.diffEl, head,
      h('p', { class: 'table-note', id: 'tl-diff-note' },
        `${profilesText(base.inside.length)} (A) against ${formatInt(target.inside.length)} (B), each range merged; `,
        `B scaled by ${scale.toPrecision(4)} to A's total (normalize), so shares are compared. `,
        `The ${formatInt(Math.min(DIFF_ROWS, j.count))} largest changes in cum of ${formatInt(j.count)} functions; `,
        h('a', { href: '/api/v1/diff/top' + diffQuery, id: 'tl-diff-json' }, 'all as JSON'), '.'),
      h('div', { class: 'table-wrap' },
        h('table', { class: 'data tl-diff-table', id: 'tl-diff-table' },
          h('thead', null, h('tr', null,
            h('th', null, 'function'), h('th', { class: 'num' }, 'A cum'), h('th', { class: 'num' }, 'B cum (scaled)'),
            h('th', { class: 'num' }, 'Δ cum'), h('th', { class: 'num' }, 'Δ %'), h('th', null, 'change'))),
          h('tbody', null, rows))));
  }
}
