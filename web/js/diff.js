// diff.js: /diff/{base}/{target}, two profiles compared. One flame graph of
// the union of both call trees (width by target, or by the larger of both),
// coloured by change; a regression table by function (/diff/top); a summary
// strip with totals and the runtime share (runtime.js, /diff/runtime). The whole view state is in
// the query string (urlstate.js), so a copied link reopens the same view.
//
// One notion of "changed" for the whole page, the CI gate's
// (/api/v1/diff/check, docs/GATE.md): the server judges every function
// (growth beyond sampling noise, and beyond max_growth % in a function
// holding min_share %) and sends the verdicts with the tree
// (function_change) and the table (change); the page colours a frame when
// its function changed that way and the frame itself moved in that
// direction, and the legend and the table count functions, saying so.

import { api } from './api.js';
import { h, replace, isTyping } from './dom.js';
import { formatValue, formatPercent, formatInt, formatTime, formatDelta, formatRelative, unitKind, shortName } from './format.js';
import { UrlState } from './urlstate.js';
import { FlameGraph } from './flame/flamegraph.js';
import { DiffModel, GREW, SHRANK, SAME, MARK_NEW, MARK_GONE } from './flame/diffmodel.js';
import { diffPaint, swatch, PALETTES } from './flame/diffcolors.js';
import { isDark } from './flame/render.js';
import { appBar, copyLinkButton, showError } from './chrome.js';
import { FilterBar, FILTER_DEFAULTS, STACK_KEYS, filterParams, mergeTags } from './filterbar.js';
import { LatestFetch } from './fetchonce.js';
import { renderCrumbs, zoomNode, zoomParam } from './crumbs.js';
import { typeValue, typeLabel, selectedType, typeUnit } from './sampletypes.js';
import { RuntimeStrip } from './runtime.js';
import { GRANULARITIES } from './views/list.js';
import { filterTarget } from './frameactions.js';

const DEFAULTS = {
  sample_type: '',
  normalize: '',
  width: 'target',
  palette: 'rg',
  max_growth: '10', // the gate's thresholds (the README recipe's)
  min_share: '1',
  ...FILTER_DEFAULTS,
  // one side's label filters (docs/API.md): a label value against another, or the rest
  base_tagfocus: '',
  base_tagignore: '',
  target_tagfocus: '',
  target_tagignore: '',
  zoom: '',
  gran: '',
  sort: 'cum_delta',
  limit: '50',
};
const SORTS = [['cum_delta', 'Δ cum'], ['flat_delta', 'Δ flat'], ['relative', 'Δ %']];
const LIMITS = ['20', '50', '100', '500'];
// The runtime categories of the summary strip are the server's (runtime.js).

/** The server's verdict on the function of node i: 1 grew, -1 shrank, 0, or null (not judged). */
function functionChange(data, i) {
  const fc = data && Array.isArray(data.function_change) ? data.function_change : null;
  const node = data && Array.isArray(data.nodes) ? data.nodes[i] : null;
  if (!fc || !node) return null;
  const c = fc[node[0]];
  return c === 1 || c === -1 || c === 0 ? c : null;
}

/**
 * Colour classes of every frame from the server's verdicts: a frame is
 * drawn grown when its function grew (beyond noise and the thresholds) and
 * the frame itself grew, shrunk likewise; everything else is grey.
 * @returns {{grew: number|null, shrank: number|null, frames: {grew: number, shrank: number}, judged: boolean}}
 *   grew, shrank: functions (the server's counts); frames: frames drawn so
 */
export function classifyFrames(dm, data) {
  const out = { grew: null, shrank: null, frames: { grew: 0, shrank: 0 }, judged: false };
  for (let i = 0; i < dm.n; i++) {
    const c = i === 0 ? 0 : functionChange(data, i);
    if (c !== null) out.judged = true;
    const d = dm.delta(i), b = dm.baseTotal[i], t = dm.targetTotal[i];
    const cls = c === 1 && d > 0 ? GREW : c === -1 && d < 0 ? SHRANK : SAME;
    dm.cls[i] = cls;
    // strength: |log2(target/base)| / 2 (×2 or ÷2 half, ×4 full), never so
    // faint that a change reads as grey
    dm.level[i] = cls === SAME ? 0 : b <= 0 || t <= 0 ? 1 : Math.max(0.35, Math.min(1, Math.abs(Math.log2(t / b)) / 2));
    if (cls === GREW) out.frames.grew++;
    else if (cls === SHRANK) out.frames.shrank++;
  }
  if (data && typeof data.grew === 'number') out.grew = data.grew;
  if (data && typeof data.shrank === 'number') out.shrank = data.shrank;
  out.judged = out.judged && out.grew !== null;
  return out;
}

export function mountDiff(root, base, target) {
  const page = new DiffPage(root, base, target);
  page.start();
  return page;
}

class DiffPage {
  constructor(root, base, target) {
    this.root = root;
    this.baseId = base;
    this.targetId = target;
    this.us = new UrlState(DEFAULTS);
    this.meta = { base: null, target: null };
    this.data = null;     // the /diff response shown
    this.dm = null;       // DiffModel of data, for this.dm.width
    this.top = null;      // {data, sort} of /diff/top
    this.tags = null;     // the /tags responses (base, target) the picker has
    this.build();
  }

  // ---- skeleton -------------------------------------------------------

  build() {
    document.title = 'diff · flamedex';
    this.swapBtn = h('button', { class: 'btn', type: 'button', id: 'swap', title: 'Swap base and target', onclick: () => this.swap() }, '⇄ Swap');
    this.headEl = h('div', { class: 'diff-pair' });

    this.typeSel = h('select', { class: 'select', id: 'sample-type', 'aria-label': 'Sample type', onchange: () => this.set({ sample_type: this.typeSel.value }) });
    this.normBox = h('input', { type: 'checkbox', id: 'normalize', onchange: () => this.set({ normalize: this.normBox.checked ? '1' : '' }) });
    this.widthSel = h('select', { class: 'select', id: 'width', 'aria-label': 'Frame width', onchange: () => this.set({ width: this.widthSel.value }) },
      h('option', { value: 'target' }, 'target'), h('option', { value: 'max' }, 'max of both'));
    this.paletteSel = h('select', { class: 'select', id: 'palette', 'aria-label': 'Colours', onchange: () => this.set({ palette: this.paletteSel.value }) },
      Object.entries(PALETTES).map(([k, p]) => h('option', { value: k }, p.label)));
    this.growthIn = h('input', { class: 'input num-input', id: 'max-growth', type: 'number', min: 0, step: 1, 'aria-label': 'Smallest change counted, in percent' });
    this.shareIn = h('input', { class: 'input num-input', id: 'min-share', type: 'number', min: 0, max: 100, step: 0.5, 'aria-label': 'Smallest share of a function counted, in percent' });
    const commitThreshold = () => this.commitThreshold();
    for (const el of [this.growthIn, this.shareIn]) {
      el.addEventListener('change', commitThreshold);
      el.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') commitThreshold(); });
    }
    // frames named as pprof's -lines (-files, …) name them; the filters still match functions and files
    this.granSel = h('select', { class: 'select gran-select', id: 'gran', 'aria-label': 'Granularity', title: 'Name frames by function, file:function, file, line or address (pprof -functions … -addresses)', onchange: () => this.set({ gran: this.granSel.value, zoom: '' }, { push: true }) },
      GRANULARITIES.map(([v, l]) => h('option', { value: v }, l)));
    this.resetBtn = h('button', { class: 'btn small', type: 'button', id: 'reset-zoom', title: 'Reset the zoom (Esc)', onclick: () => this.set({ zoom: '' }, { push: true }) }, 'Reset zoom');

    this.filters = new FilterBar({ state: () => this.us.state, set: (patch, opts) => this.set(patch, opts), pair: true });
    this.errorEl = h('div', { class: 'error-box', id: 'diff-error', role: 'alert', hidden: true });

    this.summaryEl = h('section', { class: 'diff-summary', id: 'diff-summary', 'aria-label': 'Summary' });
    this.runtime = new RuntimeStrip(); // the server's runtime share of both sides
    this.legendEl = h('div', { class: 'diff-legend', id: 'diff-legend' });
    this.crumbs = h('nav', { class: 'crumbs', id: 'breadcrumb', 'aria-label': 'Zoom path' });
    this.flameHost = h('div', { class: 'flame-main' });
    this.tableEl = h('div', { class: 'regress-body', id: 'regressions' });
    this.sortBtns = h('div', { class: 'seg', role: 'group', 'aria-label': 'Sort the regression table' },
      SORTS.map(([k, label]) => h('button', { class: 'seg-btn', type: 'button', dataset: { sort: k }, title: k === 'relative' ? 'By |Δ cum / base cum|, new functions first' : `By |${label.slice(2)} Δ|`, onclick: () => this.set({ sort: k }) }, label)));
    this.limitSel = h('select', { class: 'select small', id: 'top-limit', 'aria-label': 'Rows', onchange: () => this.set({ limit: this.limitSel.value }) },
      LIMITS.map((n) => h('option', { value: n }, n + ' rows')));
    this.viewWrap = h('div', { class: 'diff-body views' },
      h('section', { class: 'diff-graph', 'aria-label': 'Diff flame graph' }, this.legendEl, h('div', { class: 'graph-bar' }, this.crumbs, this.resetBtn), this.flameHost),
      h('aside', { class: 'card regress', 'aria-labelledby': 'regress-h' },
        h('div', { class: 'regress-head' }, h('h2', { id: 'regress-h' }, 'By function'), h('span', { class: 'spacer' }), this.sortBtns, this.limitSel),
        this.tableEl));

    /** One side's label filters, when set (a label value against another, or the rest). */
    this.sideEl = h('p', { class: 'side-filters muted', id: 'side-filters', hidden: true });
    replace(this.root,
      appBar([this.swapBtn, copyLinkButton('this exact view')]),
      h('main', { class: 'page diff-page' },
        h('header', { class: 'profile-head' }, h('h1', { class: 'profile-title' }, 'Compare profiles'), this.headEl),
        h('div', { class: 'toolbar', role: 'toolbar', 'aria-label': 'Diff controls' },
          h('label', { class: 'field' }, h('span', null, 'Sample type'), this.typeSel),
          h('label', { class: 'field' }, h('span', null, 'Granularity'), this.granSel),
          h('label', { class: 'check', title: 'Scale the target to the base\'s total (go tool pprof -normalize): compare shares, not amounts' }, this.normBox, h('span', null, 'normalize')),
          h('label', { class: 'field' }, h('span', null, 'Width'), this.widthSel),
          h('label', { class: 'field' }, h('span', null, 'Colours'), this.paletteSel),
          h('div', { class: 'field threshold', id: 'threshold', title: 'A function changed when its share (normalize) or amount moved beyond sampling noise (binomial test of its sample counts, Holm-corrected across functions, as the CI gate /api/v1/diff/check does) by more than this percentage, and it holds at least this share of the profile. Everything else is drawn grey.' },
            h('span', null, 'Changed: beyond noise and over'), this.growthIn, h('span', { class: 'unit' }, '% in functions of ≥'), this.shareIn, h('span', { class: 'unit' }, '%'))),
        this.filters.el,
        this.filters.chips,
        this.sideEl,
        this.errorEl,
        this.summaryEl,
        this.viewWrap));

    this.fg = new FlameGraph(this.flameHost, {
      flame: false,
      label: 'diff flame graph',
      onZoom: (node) => this.zoomTo(node),
      tip: (node) => this.tipFor(node),
      onScheme: () => { this.repaint(); this.renderLegend(); },
    });
    this.loader = new LatestFetch({
      onBusy: (busy) => this.viewWrap.classList.toggle('loading', busy),
      onData: (kind) => { if (kind !== 'tags') this.hideError(); },
      onError: (e, kind) => { if (kind !== 'tags') this.showError(e); },
    });
    this.onKey = (ev) => {
      if (ev.key !== 'Escape' || ev.defaultPrevented) return;
      if (isTyping(ev)) { ev.target.blur(); return; }
      if (this.us.state.zoom) this.set({ zoom: '' }, { push: true });
    };
    this.onPop = () => { this.us.reload(); this.refresh(); };
    document.addEventListener('keydown', this.onKey);
    window.addEventListener('popstate', this.onPop);
  }

  async start() {
    this.syncControls();
    const get = (id) => api.profile(id).then((m) => ({ m }), (e) => ({ e }));
    const [b, t] = await Promise.all([get(this.baseId), get(this.targetId)]);
    if (b.e || t.e) {
      const which = [b.e ? ['base', this.baseId, b.e] : null, t.e ? ['target', this.targetId, t.e] : null].filter(Boolean);
      this.fatal(which.map(([role, id, e]) => h('p', { class: 'error-box' },
        h('strong', null, `The ${role} profile `), h('code', null, id), e.status === 404 ? ' does not exist (deleted, or the link is incomplete).' : ': ' + e.message,
        h('span', { class: 'muted' }, e.code ? ` (${e.code})` : ''))));
      return;
    }
    this.meta = { base: b.m, target: t.m };
    this.fillHead();
    this.fillTypes();
    this.refresh();
  }

  fatal(children) {
    this.loader.abortAll();
    this.fg.destroy();
    document.removeEventListener('keydown', this.onKey);
    window.removeEventListener('popstate', this.onPop);
    replace(this.root, appBar(), h('main', { class: 'page narrow' },
      h('h1', null, 'Cannot compare these profiles'), children,
      h('p', null, h('a', { href: '/' }, 'All profiles'))));
  }

  // ---- state ------------------------------------------------------------

  set(patch, opts) {
    const changed = this.us.update(patch, opts);
    if (changed.size) this.refresh();
  }

  params() {
    const s = this.us.state;
    const th = this.threshold();
    return {
      base: this.baseId, target: this.targetId, sample_type: s.sample_type, normalize: s.normalize === '1' ? '1' : '',
      max_growth: String(th.maxGrowth), min_share: String(th.minShare), ...filterParams(s),
      base_tagfocus: s.base_tagfocus, base_tagignore: s.base_tagignore, target_tagfocus: s.target_tagfocus, target_tagignore: s.target_tagignore,
      granularity: s.gran,
    };
  }

  unit() {
    if (this.data && this.data.sample_type) return this.data.sample_type.unit || '';
    return this.meta.base ? typeUnit(this.meta.base.sample_types, this.selectedType()) : '';
  }

  /** The gate's thresholds in force: {maxGrowth, minShare} (percent). */
  threshold() {
    const s = this.us.state;
    const g = parseFloat(s.max_growth), m = parseFloat(s.min_share);
    return { maxGrowth: isFinite(g) && g >= 0 ? g : +DEFAULTS.max_growth, minShare: isFinite(m) && m >= 0 && m <= 100 ? m : +DEFAULTS.min_share };
  }

  commitThreshold() {
    const g = this.growthIn.value.trim(), m = this.shareIn.value.trim();
    const num = (v, d, hi) => (v === '' || !isFinite(parseFloat(v)) ? d : String(Math.min(hi, Math.max(0, parseFloat(v)))));
    this.set({ max_growth: num(g, DEFAULTS.max_growth, 1e6), min_share: num(m, DEFAULTS.min_share, 100) });
  }

  syncControls() {
    const s = this.us.state;
    this.filters.sync();
    {
      const st = this.us.state;
      const parts = [['base', 'base_tagfocus', 'only'], ['base', 'base_tagignore', 'without'], ['target', 'target_tagfocus', 'only'], ['target', 'target_tagignore', 'without']]
        .filter(([, k]) => st[k]).map(([side, k, how]) => h('span', null, `${side}: ${how} `, h('code', null, st[k]), ' · '));
      replace(this.sideEl, parts.length ? ['Label slices — ', ...parts] : []);
      this.sideEl.hidden = !parts.length;
    }
    this.normBox.checked = s.normalize === '1';
    this.granSel.value = GRANULARITIES.some(([v]) => v === s.gran) ? s.gran : '';
    this.widthSel.value = s.width === 'max' ? 'max' : 'target';
    this.paletteSel.value = s.palette in PALETTES ? s.palette : 'rg';
    // on the root element: the tooltip lives outside the page's main element
    document.documentElement.dataset.palette = this.paletteSel.value;
    const th = this.threshold();
    if (document.activeElement !== this.growthIn) this.growthIn.value = String(th.maxGrowth);
    if (document.activeElement !== this.shareIn) this.shareIn.value = String(th.minShare);
    if (this.meta.base && this.commonTypes) this.typeSel.value = this.selectedType();
    for (const b of this.sortBtns.children) b.classList.toggle('active', b.dataset.sort === (SORTS.some(([k]) => k === s.sort) ? s.sort : 'cum_delta'));
    this.limitSel.value = LIMITS.includes(s.limit) ? s.limit : DEFAULTS.limit;
    this.resetBtn.disabled = !s.zoom;
  }

  refresh() {
    if (!this.meta.base) return;
    this.hideError();
    this.syncControls();
    this.loadDiff();
    this.loadTop();
    this.loadTags();
  }

  // ---- header -----------------------------------------------------------

  fillHead() {
    const one = (role, m) => h('div', { class: 'pair-item', dataset: { role } },
      h('span', { class: 'pair-role' }, role),
      h('a', { class: 'pair-name', href: '/p/' + encodeURIComponent(m.id), id: role + '-link' }, m.name || m.id),
      m.kind ? h('span', { class: 'badge', dataset: { kind: m.kind } }, m.kind) : null,
      h('span', { class: 'muted' }, m.time ? formatTime(m.time) : 'uploaded ' + formatTime(m.uploaded_at)));
    const { base, target } = this.meta;
    replace(this.headEl, one('base', base), h('span', { class: 'pair-arrow', 'aria-hidden': 'true' }, '→'), one('target', target));
    document.title = `${base.name || base.id} → ${target.name || target.id} · diff · flamedex`;
  }

  /** Sample types both profiles have (same type and unit), valued as the base resolves them. */
  fillTypes() {
    const bt = this.meta.base.sample_types || [];
    const tt = this.meta.target.sample_types || [];
    const opts = [];
    bt.forEach((t, i) => {
      if (tt.some((x) => x.type === t.type && x.unit === t.unit)) opts.push(h('option', { value: typeValue(bt, i) }, typeLabel(t)));
    });
    this.commonTypes = opts.length;
    replace(this.typeSel, opts.length ? opts : h('option', { value: '' }, 'no common type'));
    this.typeSel.disabled = opts.length < 2;
    this.typeSel.value = opts.length ? this.selectedType() : '';
  }

  /** The sample type in force, as the base names it. */
  selectedType() {
    return selectedType(this.meta.base, this.us.state.sample_type);
  }

  // ---- loading ----------------------------------------------------------

  showError(e) {
    const code = e.code || '';
    const hint = code === 'incompatible_profiles'
      ? 'The two profiles have no sample type with the same unit in common (for instance a CPU profile and a heap profile). Compare two profiles of the same kind.'
      : code === 'bad_regex' ? 'Fix the regular expression in the filters above.'
        : code === 'unknown_sample_type' ? 'Pick another sample type.' : '';
    showError(this.errorEl, e, { lead: code === 'incompatible_profiles' ? 'These profiles cannot be compared: ' : 'Error: ', hint });
    this.viewWrap.classList.add('stale');
    // nothing drawn yet: no empty graph and table under the message
    if (!this.data) this.viewWrap.hidden = true;
  }

  hideError() {
    this.errorEl.hidden = true;
    this.viewWrap.classList.remove('stale');
    this.viewWrap.hidden = false;
  }

  async loadDiff() {
    const params = this.params();
    const data = await this.loader.load('diff', JSON.stringify(params), (signal) => api.diff(params, signal));
    if (!data) return;
    if (this.data !== data) {
      this.data = data;
      this.dm = null;
    }
    const width = this.us.state.width === 'max' ? 'max' : 'target';
    let fresh = false;
    if (!this.dm || this.dm.width !== width) {
      try {
        this.dm = new DiffModel(this.data, width);
      } catch (e) {
        this.showError(e);
        return;
      }
      fresh = true;
    }
    this.repaint(fresh);
    this.renderSummary();
    this.renderCrumbs();
    this.renderTable();
  }

  /** Classify (the server's verdicts) and colour (palette) and draw; fresh = new model. */
  repaint(fresh = false) {
    const dm = this.dm;
    if (!dm) return;
    const s = this.us.state;
    const paintKey = [s.palette, isDark()].join('|');
    if (!fresh && this.paintKey === paintKey) {
      this.fg.setZoom(this.resolveZoom());
      return;
    }
    this.paintKey = paintKey;
    this.counts = classifyFrames(dm, this.data);
    const paint = diffPaint(dm, { palette: s.palette, dark: isDark() });
    if (fresh) this.fg.setData(dm.flame, this.unit(), this.resolveZoom(), paint);
    else this.fg.setPaint(paint, this.resolveZoom());
    const ds = this.fg.canvas.dataset;
    ds.grew = String(this.counts.frames.grew);      // frames drawn as grown
    ds.shrank = String(this.counts.frames.shrank);
    ds.fnGrew = String(this.counts.grew ?? '');     // functions the server says grew
    ds.fnShrank = String(this.counts.shrank ?? '');
    ds.width = dm.width;
    ds.palette = s.palette;
    ds.normalize = dm.normalize ? '1' : '0';
    this.renderLegend();
  }

  async loadTop() {
    const s = this.us.state;
    const params = { ...this.params(), sort: SORTS.some(([k]) => k === s.sort) ? s.sort : 'cum_delta', limit: LIMITS.includes(s.limit) ? s.limit : DEFAULTS.limit };
    const data = await this.loader.load('top', JSON.stringify(params), (signal) => api.diffTop(params, signal));
    if (!data) return;
    this.top = { data, sort: params.sort };
    this.renderTable();
  }

  async loadTags() {
    const st = this.us.state.sample_type;
    // a profile whose labels cannot be had counts as one without labels
    const data = await this.loader.load('tags', st, (signal) => Promise.all([
      api.tags(this.baseId, { sample_type: st }, signal).catch(() => ({ tags: [] })),
      api.tags(this.targetId, { sample_type: st }, signal).catch(() => ({ tags: [] })),
    ]));
    if (!data || data === this.tags) return;
    this.tags = data;
    this.filters.setTags(mergeTags(data), this.unit());
  }

  // ---- flame graph ------------------------------------------------------

  resolveZoom() {
    return this.dm ? zoomNode(this.dm.flame, this.us.state.zoom) : 0;
  }

  zoomTo(node) {
    if (!this.dm) return;
    this.set({ zoom: zoomParam(this.dm.flame, node) }, { push: true });
  }

  renderCrumbs() {
    const dm = this.dm;
    if (!dm) return;
    const z = this.fg.zoom;
    const unit = this.unit();
    renderCrumbs(this.crumbs, dm.flame, z, {
      onZoom: (node) => this.zoomTo(node),
      info: `${formatValue(dm.baseTotal[z] || 0, unit)} → ${formatValue(dm.targetTotal[z] || 0, unit)} · ${formatRelative(dm.delta(z), dm.baseTotal[z])}`,
    });
  }

  renderLegend() {
    const s = this.us.state;
    const dark = isDark();
    const sw = (cls, extra) => {
      const el = h('span', { class: 'swatch' + (extra ? ' ' + extra : '') });
      el.style.background = swatch(s.palette, cls, dark);
      return el;
    };
    const c = this.counts || { grew: null, shrank: null, frames: { grew: 0, shrank: 0 }, judged: false };
    const showGone = this.dm && this.dm.width === 'max';
    const th = this.threshold();
    const fns = (n) => (n === null ? '?' : `${formatInt(n)} function${n === 1 ? '' : 's'}`);
    const frames = (n) => `${formatInt(n)} frame${n === 1 ? '' : 's'}`;
    replace(this.legendEl,
      h('span', { class: 'lg', id: 'legend-grew', title: 'Functions that grew beyond sampling noise and the thresholds (the CI gate\'s verdict), and the frames of theirs that grew, drawn in this colour' },
        sw(GREW), `grew: ${fns(c.grew)} (${frames(c.frames.grew)})`),
      h('span', { class: 'lg', id: 'legend-shrank', title: 'Functions that shrank beyond sampling noise and the thresholds, and the frames of theirs that shrank' },
        sw(SHRANK), `shrank: ${fns(c.shrank)} (${frames(c.frames.shrank)})`),
      h('span', { class: 'lg' }, sw(SAME), `unchanged: within noise, under ${th.maxGrowth}% or under ${th.minShare}% of the profile`),
      h('span', { class: 'lg' }, sw(GREW, 'hatch-new'), 'new in target'),
      h('span', { class: 'lg', title: showGone ? '' : 'Frames gone from the target have no width when frames are as wide as the target: pick width "max of both" to see them' },
        sw(SHRANK, 'hatch-gone'), showGone ? 'gone from target' : 'gone (width: max of both)'),
      h('span', { class: 'lg muted' }, `width: ${this.dm && this.dm.width === 'max' ? 'max of base and target' : 'target'}${this.dm && this.dm.normalize ? ' · target normalized ×' + this.dm.scale.toPrecision(3) : ''}`),
      this.dm && !c.judged ? h('span', { class: 'lg-note', id: 'legend-unjudged' }, 'These profiles have no count sample type (samples, objects, contentions): changes cannot be told from sampling noise, so none is coloured.') : null);
  }

  tipFor(node) {
    const dm = this.dm;
    const unit = this.unit();
    const b = dm.baseTotal[node], t = dm.targetTotal[node], d = t - b;
    const mk = dm.mark[node];
    const status = mk === MARK_NEW ? ['new', 'new in the target (absent from the base)']
      : mk === MARK_GONE ? ['gone', 'gone from the target (only in the base)'] : null;
    const fc = functionChange(this.data, node);
    const fnName = dm.flame.nameOf(node);
    let verdict;
    if (node === 0) verdict = '';
    else if (fc === null) verdict = 'not judged: no count sample type';
    else if (fc === 1) verdict = `${fnName} grew beyond sampling noise and the thresholds` + (dm.cls[node] === GREW ? '' : '; this frame did not (drawn grey)');
    else if (fc === -1) verdict = `${fnName} shrank beyond sampling noise and the thresholds` + (dm.cls[node] === SHRANK ? '' : '; this frame did not (drawn grey)');
    else verdict = `${fnName}, all its frames together: unchanged — within sampling noise, or under the thresholds (drawn grey)`;
    const norm = dm.normalize;
    const rows = [
      ['Base', formatValue(b, unit), formatPercent(b, dm.baseAll) + ' of base'],
      [norm ? 'Target (norm.)' : 'Target', formatValue(t, unit), norm ? `raw ${formatValue(t / dm.scale, unit)}` : formatPercent(t, dm.targetAll) + ' of target'],
      ['Delta', formatDelta(d, unit), formatRelative(d, b)],
      ['Self', `${formatValue(dm.baseSelf[node], unit)} → ${formatValue(dm.targetSelf[node], unit)}`, formatDelta(dm.targetSelf[node] - dm.baseSelf[node], unit)],
    ];
    if (norm) rows.splice(2, 0, ['Share', `${formatPercent(b, dm.baseAll)} → ${formatPercent(t, dm.targetAll)}`, 'of all']);
    return [
      h('div', { class: 'tt-name' }, dm.flame.nameOf(node)),
      status ? h('div', { class: 'tt-status', dataset: { status: status[0] } }, status[1]) : null,
      h('table', { class: 'tt-table' }, h('tbody', null, rows.map(([a, v, c]) =>
        h('tr', null, h('th', null, a), h('td', { class: 'num' + (a === 'Delta' ? (d > 0 ? ' up' : d < 0 ? ' down' : '') : '') }, v), h('td', { class: 'tt-rel' }, c))))),
      verdict ? h('div', { class: 'tt-verdict' }, verdict) : null,
    ];
  }

  // ---- summary ----------------------------------------------------------

  renderSummary() {
    const dm = this.dm;
    if (!dm) return;
    const unit = this.unit();
    // normalized, the totals are equal by construction (up to rounding)
    const d = dm.normalize ? 0 : dm.targetAll - dm.baseAll;
    replace(this.summaryEl,
      h('div', { class: 'sum-totals' },
        h('div', { class: 'sum-item' }, h('span', { class: 'sum-k' }, 'Base'), h('span', { class: 'sum-v', id: 'sum-base' }, formatValue(dm.baseAll, unit))),
        h('div', { class: 'sum-item' }, h('span', { class: 'sum-k' }, dm.normalize ? 'Target (normalized)' : 'Target'), h('span', { class: 'sum-v', id: 'sum-target' }, formatValue(dm.targetAll, unit)),
          dm.normalize ? h('span', { class: 'muted' }, `raw ${formatValue(dm.targetAll / dm.scale, unit)}`) : null),
        h('div', { class: 'sum-item' }, h('span', { class: 'sum-k' }, 'Change'),
          h('span', { class: 'sum-v ' + (d > 0 ? 'up' : d < 0 ? 'down' : ''), id: 'sum-delta' }, dm.normalize ? 'normalized' : `${formatDelta(d, unit)} (${formatRelative(d, dm.baseAll)})`),
          dm.normalize ? h('span', { class: 'muted' }, `raw: ${formatDelta(dm.targetAll / dm.scale - dm.baseAll, unit)} (${formatRelative(dm.targetAll / dm.scale - dm.baseAll, dm.baseAll)})`) : null)),
      h('div', { class: 'sum-cats' }, this.runtime.el));
    const rp = { ...this.params(), normalize: '' }; // shares: normalize changes nothing
    for (const k of [...STACK_KEYS, 'base_tagfocus', 'base_tagignore', 'target_tagfocus', 'target_tagignore', 'granularity']) delete rp[k]; // not taken there (per function)
    this.runtime.loadDiff(rp);
  }

  // ---- regression table -------------------------------------------------

  renderTable() {
    if (!this.top) return;
    const d = this.top.data;
    const unit = (d.sample_type && d.sample_type.unit) || this.unit();
    const sort = this.top.sort;
    const flat = sort === 'flat_delta';
    const th = this.threshold();
    const rows = (Array.isArray(d.rows) ? d.rows : []).map((r) => {
      const b = flat ? +r.base_flat || 0 : +r.base_cum || 0;
      const t = flat ? +r.target_flat || 0 : +r.target_cum || 0;
      return { fn: String(r.function), status: r.status || '', change: r.change ?? null, q: r.p_adjusted, b, t, d: t - b };
    });
    const key = (r) => (sort === 'relative' ? (r.b ? Math.abs(r.d / r.b) : Infinity) : Math.abs(r.d));
    const by = (list) => list.sort((a, b) => key(b) - key(a));
    const grew = by(rows.filter((r) => r.change === 'grew'));
    const shrank = by(rows.filter((r) => r.change === 'shrank'));
    const rest = by(rows.filter((r) => r.change !== 'grew' && r.change !== 'shrank' && r.d !== 0));
    const judged = typeof d.grew === 'number';
    const focusRe = this.us.state.focus;
    const row = (r) => {
      const dir = r.change === 'grew' ? ' up' : r.change === 'shrank' ? ' down' : ' muted';
      // at a granularity a row is a line (file, address): the focus takes its function (its file), as pprof's -focus
      const re = filterTarget(r.fn, this.us.state.gran).re;
      return h('tr', { class: (dir === ' muted' ? 'small' : '') + (re && focusRe === re ? ' active' : ''), dataset: { fn: r.fn, status: r.status, change: r.change || '' } },
        h('td', { class: 'fn' },
          h('div', { class: 'fn-cell' },
            r.status === 'new' || r.status === 'gone' ? h('span', { class: 'status-tag', dataset: { status: r.status } }, r.status) : null,
            h('button', { class: 'link fn-focus', type: 'button', title: r.fn + (typeof r.q === 'number' ? `\nHolm-adjusted p = ${r.q}` : '') + '\nClick: focus the diff on this function', dataset: { fn: r.fn }, onclick: () => { if (re) this.filters.set({ focus: re }, { push: true }); } }, shortName(r.fn)))),
        h('td', { class: 'num' }, formatValue(r.b, unit)),
        h('td', { class: 'num' }, formatValue(r.t, unit)),
        h('td', { class: 'num delta' + dir }, formatDelta(r.d, unit)),
        h('td', { class: 'num rel' + dir }, formatRelative(r.d, r.b)));
    };
    // the heading counts functions: all the server judged so, and how many
    // of them the rows shown (the top `limit`) hold
    // what a row is at the granularity (a function, or a line, file, address of one)
    const [one, many, heading] = { lines: ['line', 'lines', 'Function, file and line'], files: ['file', 'files', 'File'], addresses: ['address', 'addresses', 'Address, function and line'], filefunctions: ['function', 'functions', 'Function and file'] }[this.us.state.gran] || ['function', 'functions', 'Function'];
    const count = (total, shown) => {
      if (total === null) return `(${formatInt(shown)} shown)`;
      const f = `${formatInt(total)} ${total === 1 ? one : many}`;
      return shown < total ? `(${f}; ${formatInt(shown)} shown)` : `(${f})`;
    };
    const group = (label, list, cls, total, id) => h('tbody', { class: 'grp ' + cls, id },
      h('tr', { class: 'grp-head' }, h('th', { colspan: 5, scope: 'rowgroup' }, `${label} `, h('span', { class: 'muted grp-count' }, count(total, list.length)))),
      list.length ? list.map(row) : h('tr', null, h('td', { class: 'muted', colspan: 5 }, 'none')));
    const metric = flat ? 'flat' : 'cum';
    replace(this.tableEl,
      h('p', { class: 'table-note' }, judged
        ? `Grew / shrank: beyond sampling noise (Holm-corrected binomial test of each function's samples, α = ${d.alpha}), by more than ${th.maxGrowth}%, holding at least ${th.minShare}% — the CI gate's test. ${formatInt(d.count ?? rows.length)} ${many} differ; the top ${formatInt((d.rows || []).length)} by ${SORTS.find(([k]) => k === sort)[1]}. ${metric} values${this.dm && this.dm.normalize ? ', target normalized' : ''}. Click a function to focus on it.`
        : `No count sample type: changes are not judged. ${formatInt(d.count ?? rows.length)} ${many} differ. Click a function to focus on it.`),
      h('div', { class: 'table-wrap' },
        h('table', { class: 'data regress-table', id: 'regress-table' },
          h('thead', null, h('tr', null,
            h('th', { class: 'fn' }, heading), h('th', { class: 'num' }, 'Base'), h('th', { class: 'num' }, 'Target'),
            h('th', { class: 'num' + (sort !== 'relative' ? ' sorted' : '') }, 'Δ ' + metric), h('th', { class: 'num' + (sort === 'relative' ? ' sorted' : '') }, 'Δ %'))),
          group('Grew', grew, 'grew', judged ? d.grew : null),
          group('Shrank', shrank, 'shrank', judged ? d.shrank : null),
          group(judged ? 'Within noise or under the thresholds' : 'Changed (not judged)', rest, 'rest', null))));
  }

  // ---- actions ----------------------------------------------------------

  swap() {
    location.assign(`/diff/${encodeURIComponent(this.targetId)}/${encodeURIComponent(this.baseId)}${this.us.search({ ...this.us.state, zoom: '' })}`);
  }
}
