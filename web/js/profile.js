// profile.js: the page of one profile, /p/{id}: metadata, controls, and the
// flame graph / top / sandwich / labels views. All view state is kept in the
// URL (urlstate.js); refresh() makes the page match the state, loading what
// is missing and reusing what was already fetched.

import { api, regexEscape } from './api.js';
import { h, replace, isTyping, copyText, toast } from './dom.js';
import { formatValue, formatPercent, formatInt, formatTime, formatNanos, formatBytes, formatPeriod } from './format.js';
import { UrlState } from './urlstate.js';
import { FlameModel, makeMatcher } from './flame/model.js';
import { FlameGraph } from './flame/flamegraph.js';
import { renderTop } from './views/top.js';
import { renderLabels } from './views/labels.js';
import { SandwichView } from './views/sandwich.js';
import { GraphView, fetchGraphSvg, renderPeek } from './views/graph.js';
import { renderList, functionOf, listRegex, GRANULARITIES } from './views/list.js';
import { appBar, copyLinkButton, showError } from './chrome.js';
import { FilterBar, FILTER_KEYS, FILTER_DEFAULTS, STACK_KEYS, filterParams, mergeTags, parseTagExpr, tagExpr } from './filterbar.js';
import { ExportMenu } from './exportmenu.js';
import { ContextMenu } from './contextmenu.js';
import { frameActions } from './frameactions.js';
import { LatestFetch } from './fetchonce.js';
import { RuntimeStrip } from './runtime.js';
import { renderCrumbs, zoomNode, zoomParam } from './crumbs.js';
import { typeValue, typeLabel, selectedType, typeUnit } from './sampletypes.js';
import { previousInSeries } from './series.js';
import { parseLabels } from './home.js';

const DEFAULTS = {
  view: 'flame',
  sample_type: '',
  ...FILTER_DEFAULTS,
  zoom: '',
  search: '',
  re: '',
  orient: 'icicle',
  fn: '',
  sort: 'flat',
  gran: '',
  nodecount: '',
  peek: '',
  list: '',
};
const VIEWS = [
  ['flame', 'Flame graph'],
  ['top', 'Top'],
  ['sandwich', 'Callers / callees'],
  ['graph', 'Graph'],
  ['peek', 'Peek'],
  ['list', 'Lines'],
  ['labels', 'Labels'],
];
const TOP_LIMIT = 1000;

export function mountProfile(root, id) {
  const page = new ProfilePage(root, id);
  page.start();
  return page;
}

/** Where the page's data comes from: one stored profile (merge.js gives a
 *  merge of many the same shape, with merged: true). */
function profileSource(id) {
  return {
    merged: false,
    meta: () => api.profile(id),
    flamegraph: (params, signal, timing) => api.flamegraph(id, params, signal, timing),
    top: (params, signal) => api.top(id, params, signal),
    tags: (params, signal) => api.tags(id, params, signal),
    sandwich: (params, signal) => api.sandwich(id, params, signal),
    rawUrl: () => api.rawUrl(id),
  };
}

export class ProfilePage {
  constructor(root, id, src) {
    this.root = root;
    this.id = id;
    this.src = src || profileSource(id);
    this.us = this.src.urlState ? this.src.urlState(DEFAULTS) : new UrlState(DEFAULTS);
    this.meta = null;
    this.tags = null;          // {key (sample type), data} of /tags
    this.flame = null;         // {data, model, unit} of /flamegraph
    this.sandwich = null;      // SandwichView
    this.searchKey = '';
    this.build();
  }

  // ---- skeleton -------------------------------------------------------

  build() {
    const s = this.us.state;
    this.titleEl = h('h1', { class: 'profile-title' }, 'Loading profile…');
    this.kindEl = h('span', { class: 'badge', hidden: true });
    this.formatEl = h('span', { class: 'badge format-badge', id: 'profile-format', hidden: true });
    this.editBtn = h('button', { class: 'link edit-btn', type: 'button', id: 'edit-profile', title: 'Rename this profile or change its labels', onclick: () => this.toggleEdit() }, 'Rename / labels…');
    this.editPanel = h('form', { class: 'edit-panel', id: 'edit-panel', hidden: true });
    this.metaEl = h('dl', { class: 'meta' });
    this.compareBtn = h('button', { class: 'btn', type: 'button', id: 'compare-with', 'aria-expanded': 'false', title: 'Diff this profile against another one', onclick: () => this.toggleCompare() }, 'Compare with…');
    this.comparePanel = h('div', { class: 'compare-panel', id: 'compare-panel', hidden: true });
    this.downloadA = h('a', { class: 'btn', href: this.src.rawUrl(), download: '', title: 'The uploaded file, unchanged (works with go tool pprof)' }, 'Download');
    // exports are of one stored profile (GET /profiles/{id}/export); a merge downloads its raw merge only
    this.exportMenu = this.src.merged ? null : new ExportMenu(this.id);

    this.typeSel = h('select', { class: 'select', id: 'sample-type', 'aria-label': 'Sample type', onchange: () => this.set({ sample_type: this.typeSel.value }) });
    this.searchIn = h('input', { class: 'input search', id: 'search', type: 'search', placeholder: 'Search functions  ( / )', autocomplete: 'off', spellcheck: 'false', 'aria-label': 'Search functions', value: s.search });
    // typing is debounced; the pending text wins over the URL until it lands
    this.searchPending = null;
    const flushSearch = () => {
      clearTimeout(this.searchTimer);
      if (this.searchPending === null) return;
      const v = this.searchPending;
      this.searchPending = null;
      this.set({ search: v });
    };
    this.searchIn.addEventListener('input', () => {
      this.searchPending = this.searchIn.value;
      clearTimeout(this.searchTimer);
      this.searchTimer = setTimeout(flushSearch, 120);
    });
    this.searchIn.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') flushSearch(); });
    this.searchIn.addEventListener('blur', flushSearch);
    this.reBox = h('input', { type: 'checkbox', id: 're', checked: s.re === '1', onchange: () => this.set({ re: this.reBox.checked ? '1' : '' }) });
    this.matchInfo = h('span', { class: 'match-info', id: 'match-info', 'aria-live': 'polite' });
    this.orientBtn = h('button', { class: 'btn', type: 'button', id: 'orient', title: 'Flame (root at the bottom) or icicle (root at the top)  ( o )', onclick: () => this.toggleOrientation() });
    this.resetBtn = h('button', { class: 'btn', type: 'button', title: 'Reset zoom and search  ( r )', onclick: () => this.resetView() }, 'Reset');

    this.filters = new FilterBar({
      state: () => this.us.state,
      set: (patch, opts) => this.set(patch, opts),
    });
    this.errorEl = h('div', { class: 'error-box', role: 'alert', hidden: true });

    this.tabs = h('div', { class: 'tabs', role: 'tablist' }, VIEWS.map(([key, label]) =>
      h('button', { class: 'tab', type: 'button', role: 'tab', id: 'tab-' + key, dataset: { view: key }, onclick: () => this.set({ view: key }, { push: true }) }, label)));

    // flame view
    this.crumbs = h('nav', { class: 'crumbs', id: 'breadcrumb', 'aria-label': 'Zoom path' });
    this.flameHost = h('div', { class: 'flame-main' });
    this.flameView = h('section', { class: 'view', id: 'view-flame' }, this.crumbs, this.flameHost);
    // other views
    this.topView = h('section', { class: 'view', id: 'view-top' });
    this.sandwichPick = h('input', { class: 'input mono', id: 'sandwich-fn', type: 'text', list: 'fn-list', placeholder: 'Function name (exact)', autocomplete: 'off', spellcheck: 'false', 'aria-label': 'Function for callers and callees' });
    this.sandwichPick.addEventListener('change', () => this.set({ fn: this.sandwichPick.value.trim() }, { push: true }));
    this.fnList = h('datalist', { id: 'fn-list' });
    this.sandwichBody = h('div', { class: 'sandwich-body' });
    this.sandwichView = h('section', { class: 'view', id: 'view-sandwich' },
      h('label', { class: 'field wide' }, h('span', null, 'Function'), this.sandwichPick), this.fnList, this.sandwichBody);
    this.labelsView = h('section', { class: 'view', id: 'view-labels' });
    // call graph and peek (views/graph.js)
    // one granularity for the flame graph, top, callers/callees, graph and peek (views/list.js names them);
    // a merge keeps no addresses
    this.granSel = h('select', { class: 'select gran-select', id: 'gran', 'aria-label': 'Granularity', title: 'Name frames by function, file:function, file, line or address (pprof -functions … -addresses)', onchange: () => this.set({ gran: this.granSel.value, zoom: '' }, { push: true }) },
      GRANULARITIES.filter(([v]) => !(this.src.merged && v === 'addresses')).map(([v, l]) => h('option', { value: v }, l)));
    this.graphCount = h('input', { class: 'input', id: 'graph-nodecount', type: 'number', min: '1', max: '300', placeholder: '80', 'aria-label': 'Nodes shown' });
    this.graphCount.addEventListener('change', () => this.set({ nodecount: this.graphCount.value.trim() }, { push: true }));
    this.graphBody = h('div', { class: 'graph-body' });
    this.graphView = h('section', { class: 'view', id: 'view-graph' },
      h('div', { class: 'graph-controls' },
        h('label', { class: 'field' }, h('span', null, 'Nodes'), this.graphCount)),
      this.graphBody);
    this.graph = new GraphView(this.graphBody, { onFocus: (fn) => this.focusOn(fn) });
    this.peekIn = h('input', { class: 'input mono', id: 'peek-re', type: 'text', placeholder: 'Regex (Go syntax), e.g. ^main\\.', autocomplete: 'off', spellcheck: 'false', 'aria-label': 'Functions to peek at' });
    this.peekIn.addEventListener('change', () => this.set({ peek: this.peekIn.value.trim() }, { push: true }));
    this.peekBody = h('div', { class: 'peek-body' });
    this.peekView = h('section', { class: 'view', id: 'view-peek' },
      h('div', { class: 'graph-controls' },
        h('label', { class: 'field wide' }, h('span', null, 'Peek at'), this.peekIn)),
      this.peekBody);
    // the line table of functions (views/list.js), pprof -list
    this.listIn = h('input', { class: 'input mono', id: 'list-re', type: 'text', placeholder: 'Functions, regex (Go syntax), e.g. ^main\\.handle', autocomplete: 'off', spellcheck: 'false', 'aria-label': 'Functions to list' });
    this.listIn.addEventListener('change', () => this.set({ list: this.listIn.value.trim() }, { push: true }));
    this.listBody = h('div', { class: 'list-body', id: 'list-body' });
    this.listView = h('section', { class: 'view', id: 'view-list' },
      h('div', { class: 'graph-controls' },
        h('label', { class: 'field wide' }, h('span', null, 'List'), this.listIn)),
      this.listBody);
    this.views = { flame: this.flameView, top: this.topView, sandwich: this.sandwichView, labels: this.labelsView, graph: this.graphView, peek: this.peekView, list: this.listView };
    this.viewWrap = h('div', { class: 'views' }, this.flameView, this.topView, this.sandwichView, this.labelsView, this.graphView, this.peekView, this.listView);
    if (this.src.merged) this.tabs.querySelector('#tab-list').hidden = true; // a merge has no /list
    this.runtime = new RuntimeStrip(); // the runtime share summary of CPU profiles (runtime.js)

    replace(this.root,
      appBar([this.compareBtn, copyLinkButton('this exact view'), this.downloadA, ...(this.exportMenu ? [this.exportMenu.el] : [])]),
      h('main', { class: 'page profile-page' },
        h('header', { class: 'profile-head' },
          h('div', { class: 'title-row' }, this.titleEl, this.kindEl, this.formatEl, this.editBtn),
          this.editPanel,
          this.metaEl),
        this.comparePanel,
        this.runtime.el,
        h('div', { class: 'toolbar', role: 'toolbar', 'aria-label': 'View controls' },
          h('label', { class: 'field' }, h('span', null, 'Sample type'), this.typeSel),
          h('label', { class: 'field' }, h('span', null, 'Granularity'), this.granSel),
          h('div', { class: 'search-box' }, this.searchIn,
            h('label', { class: 'check', title: 'Treat the search as a regular expression' }, this.reBox, h('span', null, 'regex'))),
          this.matchInfo,
          h('span', { class: 'spacer' }),
          this.orientBtn, this.resetBtn),
        this.filters.el,
        this.filters.chips,
        this.errorEl,
        this.tabs,
        this.viewWrap,
        h('footer', { class: 'keys' },
          h('kbd', null, '/'), ' search · ', h('kbd', null, 'Esc'), ' reset zoom · ', h('kbd', null, 'r'), ' reset zoom and search · ',
          h('kbd', null, 'o'), ' flip orientation · ', h('kbd', null, 's'), ' callers/callees of the frame under the mouse · ',
          h('kbd', null, 'c'), ' collapse recursion · ', h('kbd', null, 'm'), ' merge the frame under the mouse into its callers · ',
          h('kbd', null, 'l'), ' line table of the frame under the mouse (Lines) · ',
          h('kbd', null, 'g'), ' graph · ', h('kbd', null, 'p'), ' peek · ',
          'right click or ', h('kbd', null, 'a'), ' actions of the frame under the mouse (or the zoomed one)')));

    this.fg = new FlameGraph(this.flameHost, {
      flame: s.orient === 'flame',
      label: 'flame graph',
      minHeight: 0,
      onZoom: (node) => this.zoomTo(node),
      onSelect: (name) => this.set({ view: 'sandwich', fn: name }, { push: true }),
      onContext: (node, x, y) => this.openFrameMenu(node, x, y),
    });
    // the frame menu of the flame graph and the Top table (frameactions.js)
    this.menu = new ContextMenu((entry) => this.runAction(entry));

    this.loader = new LatestFetch({
      onBusy: (busy) => this.viewWrap.classList.toggle('loading', busy),
      onData: (kind) => { if (kind !== 'tags') this.hideError(); },
      onError: (e, kind) => this.showError(e, kind !== 'tags'),
    });
    this.onKey = (ev) => this.handleKey(ev);
    this.onPop = () => { this.us.reload(); this.refresh(); };
    document.addEventListener('keydown', this.onKey);
    window.addEventListener('popstate', this.onPop);
  }

  destroy() {
    document.removeEventListener('keydown', this.onKey);
    window.removeEventListener('popstate', this.onPop);
    this.loader.abortAll();
    this.menu.destroy();
    this.fg.destroy();
    if (this.sandwich) this.sandwich.destroy();
  }

  async start() {
    this.syncControls();
    this.showView();
    try {
      this.meta = await this.src.meta();
    } catch (e) {
      this.destroy();
      document.title = 'not found · flamedex';
      replace(this.root, appBar(), h('main', { class: 'page narrow' },
        h('h1', null, e.status === 404 ? 'Profile not found' : 'Could not load the profile'),
        h('p', { class: 'error-box' }, String(e.message), h('span', { class: 'muted' }, e.code ? ` (${e.code})` : '')),
        h('p', null, e.status === 404 ? 'It may have been deleted, or the link is incomplete. ' : '', h('a', { href: '/' }, 'All profiles'))));
      return;
    }
    this.fillMeta();
    this.refresh();
  }

  // ---- state ------------------------------------------------------------

  /** Change the state (URL) and bring the page up to date. */
  set(patch, opts) {
    const changed = this.us.update(patch, opts);
    if (changed.size) this.refresh(changed);
  }

  filterParams() {
    const p = { sample_type: this.us.state.sample_type, ...filterParams(this.us.state) };
    if (this.us.state.gran) p.granularity = this.us.state.gran;
    return p;
  }

  /** The filters the runtime share takes (it refuses the stack-cutting ones, and is per function). */
  runtimeParams() {
    const p = this.filterParams();
    for (const k of STACK_KEYS) delete p[k];
    delete p.granularity;
    return p;
  }

  /** Focus the profile on the function of a name shown at the current granularity. */
  focusOn(name, patch = {}) {
    const fn = functionOf(name, this.us.state.gran);
    if (fn === null) return;
    this.filters.set({ focus: '^' + regexEscape(fn) + '$', ...patch }, { push: true });
  }

  /** The Lines view of the function of a name shown at the current granularity. */
  listOf(name) {
    const fn = functionOf(name, this.us.state.gran);
    if (fn === null) return;
    this.set({ view: 'list', list: listRegex(fn) }, { push: true });
  }

  refresh() {
    if (!this.meta) return;
    this.updateCompareLink();
    // the export is of what the page shows: its filters, granularity and, on the flame graph, its zoom
    if (this.exportMenu) this.exportMenu.update({ ...this.filterParams(), zoom: this.us.state.view === 'flame' ? this.us.state.zoom : '' });
    this.hideError();
    this.syncControls();
    this.showView();
    const v = this.us.state.view;
    let main;
    if (v === 'flame') main = this.loadFlame();
    else if (v === 'top') main = this.loadTop();
    else if (v === 'sandwich') main = this.loadSandwich();
    else if (v === 'graph') main = this.loadGraph();
    else if (v === 'peek') main = this.loadPeek();
    else if (v === 'list') main = this.loadList();
    else { this.renderLabelsView(); main = this.loadTags(); }
    // the label picker's data comes second: it must not delay the first graph
    Promise.resolve(main).finally(() => { this.loadTags(); if (!this.src.merged) this.runtime.loadProfile(this.id, this.runtimeParams()); });
  }

  syncControls() {
    const s = this.us.state;
    this.filters.sync();
    if (document.activeElement !== this.searchIn && this.searchPending === null) this.searchIn.value = s.search;
    this.reBox.checked = s.re === '1';
    this.orientBtn.textContent = s.orient === 'flame' ? 'Flame ▲' : 'Icicle ▼';
    this.fg.setOrientation(s.orient === 'flame');
    if (this.meta) this.typeSel.value = this.selectedType();
    if (document.activeElement !== this.sandwichPick) this.sandwichPick.value = s.fn;
    this.granSel.value = s.gran;
    if (document.activeElement !== this.listIn) this.listIn.value = s.list;
    if (document.activeElement !== this.graphCount) this.graphCount.value = s.nodecount;
    if (document.activeElement !== this.peekIn) this.peekIn.value = s.peek;
    for (const b of this.tabs.children) {
      const on = b.dataset.view === s.view;
      b.classList.toggle('active', on);
      b.setAttribute('aria-selected', on ? 'true' : 'false');
    }
  }

  showView() {
    const v = this.us.state.view in this.views ? this.us.state.view : 'flame';
    for (const [k, el] of Object.entries(this.views)) el.hidden = k !== v;
  }

  /** The sample type select's value for the current state. */
  selectedType() {
    return selectedType(this.meta, this.us.state.sample_type);
  }

  currentUnit() {
    return typeUnit(this.meta.sample_types, this.selectedType());
  }

  // ---- metadata ---------------------------------------------------------

  fillMeta() {
    const m = this.meta;
    const name = m.name || m.id;
    this.titleEl.textContent = name;
    document.title = name + ' · flamedex';
    if (m.kind) { this.kindEl.textContent = m.kind; this.kindEl.hidden = false; this.kindEl.dataset.kind = m.kind; }
    if (m.format) {
      this.formatEl.textContent = m.format;
      this.formatEl.dataset.format = m.format;
      this.formatEl.title = 'Uploaded as ' + m.format;
      this.formatEl.hidden = false;
    }
    const types = m.sample_types || [];
    replace(this.typeSel, types.map((t, i) => h('option', { value: typeValue(types, i) }, typeLabel(t))));
    this.typeSel.disabled = types.length < 2;
    const labels = Object.entries(m.labels || {});
    const item = (k, v) => h('div', { class: 'meta-item' }, h('dt', null, k), h('dd', null, v));
    replace(this.metaEl,
      item('Type', types.map((t) => `${t.type}/${t.unit}`).join(', ') || '—'),
      item('Period', formatPeriod(m.period)),
      m.duration_ns ? item('Duration', formatNanos(m.duration_ns)) : null,
      item('Time', m.time ? formatTime(m.time) : '—'),
      item('Samples', formatInt(m.samples || 0)),
      item('Functions', formatInt(m.functions || 0)),
      item('Size', formatBytes(m.bytes || 0)),
      item('Uploaded', formatTime(m.uploaded_at)),
      labels.length ? item('Labels', h('span', { class: 'chips inline' }, labels.map(([k, v]) => h('a', { class: 'chip timeline-link', href: '/s?' + new URLSearchParams({ label: `${k}:${v}`, type: m.kind || '' }), title: 'Timeline of the profiles with this label' }, `${k}:${v}`)))) : null);
    this.syncControls();
  }

  // ---- rename and relabel ------------------------------------------------

  toggleEdit() {
    if (!this.editPanel.hidden) { this.editPanel.hidden = true; return; }
    if (!this.meta) return;
    const m = this.meta;
    const nameIn = h('input', { class: 'input', id: 'edit-name', type: 'text', value: m.name || '', autocomplete: 'off', 'aria-label': 'Name', maxlength: 256 });
    const labelsIn = h('input', { class: 'input mono', id: 'edit-labels', type: 'text', value: Object.entries(m.labels || {}).map(([k, v]) => `${k}:${v}`).join(','), placeholder: 'service:checkout,env:prod', autocomplete: 'off', spellcheck: 'false', 'aria-label': 'Labels' });
    const err = h('span', { class: 'field-error', id: 'edit-error', role: 'alert', hidden: true });
    const fail = (msg) => { err.textContent = msg; err.hidden = false; };
    this.editPanel.onsubmit = async (ev) => {
      ev.preventDefault();
      const name = nameIn.value.trim();
      if (!name) { fail('A name is needed.'); nameIn.focus(); return; }
      const r = parseLabels(labelsIn.value);
      if (!r.ok) { fail(r.error); labelsIn.focus(); return; }
      const labels = {};
      for (const kv of r.value ? r.value.split(',') : []) { const c = kv.indexOf(':'); labels[kv.slice(0, c)] = kv.slice(c + 1); }
      try {
        this.meta = await api.editProfile(this.id, { name, labels });
      } catch (e) {
        fail(e.message);
        return;
      }
      this.editPanel.hidden = true;
      this.fillMeta();
    };
    replace(this.editPanel,
      h('label', { class: 'field' }, h('span', null, 'Name'), nameIn),
      h('label', { class: 'field grow' }, h('span', null, 'Labels'), labelsIn),
      h('button', { class: 'btn primary', type: 'submit', id: 'edit-save' }, 'Save'),
      h('button', { class: 'link', type: 'button', onclick: () => { this.editPanel.hidden = true; } }, 'cancel'),
      err);
    this.editPanel.hidden = false;
    nameIn.focus();
    nameIn.select();
  }

  // ---- filters ----------------------------------------------------------

  async loadTags() {
    const key = this.us.state.sample_type;
    const data = await this.loader.load('tags', key, (signal) => this.src.tags({ sample_type: key }, signal));
    if (!data || (this.tags && this.tags.data === data)) return;
    this.tags = { key, data };
    this.filters.setTags(mergeTags([data]), this.currentUnit());
    if (this.us.state.view === 'labels') this.renderLabelsView();
  }

  // ---- loading ----------------------------------------------------------

  /** Show a failed request's error; stale: the view shown is out of date. */
  showError(e, stale = true) {
    showError(this.errorEl, e);
    if (stale) this.viewWrap.classList.add('stale');
  }
  hideError() {
    this.errorEl.hidden = true;
    this.viewWrap.classList.remove('stale');
  }

  // ---- flame view -------------------------------------------------------

  async loadFlame() {
    const params = this.filterParams();
    const timing = {};
    const data = await this.loader.load('flame', JSON.stringify(params), (signal) => this.src.flamegraph(params, signal, timing));
    if (!data) return;
    if (!this.flame || this.flame.data !== data) {
      const t0 = timing.received || performance.now();
      let model;
      try {
        model = new FlameModel(data);
      } catch (e) {
        this.showError(e);
        return;
      }
      const unit = data.sample_type ? data.sample_type.unit : this.currentUnit();
      this.flame = { data, model, unit };
      this.searchKey = null;
      this.fg.setData(model, unit, this.resolveZoom(model));
      this.fg.canvas.dataset.firstDrawMs = (performance.now() - t0).toFixed(1);
      this.fillFnList(model.names);
      if (this.us.state.view !== 'flame') return;
    }
    const model = this.flame.model;
    this.fg.setZoom(this.resolveZoom(model));
    this.applySearch();
    this.renderCrumbs();
  }

  /** The node of the zoom path in the URL (the deepest one that exists). */
  resolveZoom(model) {
    return zoomNode(model, this.us.state.zoom);
  }

  zoomTo(node) {
    const model = this.flame && this.flame.model;
    if (!model) return;
    this.set({ zoom: zoomParam(model, node) }, { push: true });
  }

  renderCrumbs() {
    const model = this.flame && this.flame.model;
    if (!model) return;
    const z = this.fg.zoom;
    renderCrumbs(this.crumbs, model, z, {
      onZoom: (node) => this.zoomTo(node),
      info: z ? `${formatValue(model.total[z], this.flame.unit)} · ${formatPercent(model.total[z], model.rootTotal)} of all` : `${formatValue(model.rootTotal, this.flame.unit)} total · ${formatInt(model.n)} nodes`,
    });
  }

  matcher() {
    const s = this.us.state;
    return makeMatcher(s.search, s.re === '1');
  }

  applySearch() {
    const model = this.flame && this.flame.model;
    if (!model) return;
    const s = this.us.state;
    const key = s.search + '\u0000' + s.re;
    if (key === this.searchKey) return;
    this.searchKey = key;
    const m = this.matcher();
    this.searchIn.classList.toggle('invalid', !!m.error);
    if (m.error) {
      this.matchInfo.textContent = m.error;
      this.matchInfo.dataset.matches = '0';
      this.fg.setHits(null);
      return;
    }
    if (!m.test) {
      this.matchInfo.textContent = '';
      delete this.matchInfo.dataset.matches;
      this.fg.setHits(null);
      return;
    }
    const r = model.search(m.test);
    this.fg.setHits(r.hit);
    this.matchInfo.dataset.matches = String(r.count);
    this.matchInfo.dataset.share = formatPercent(r.value, model.rootTotal);
    this.matchInfo.textContent = r.count
      ? `${formatInt(r.count)} frame${r.count === 1 ? '' : 's'} match · ${formatValue(r.value, this.flame.unit)} · ${formatPercent(r.value, model.rootTotal)} of total`
      : 'no frames match';
    this.matchInfo.title = this.matchInfo.textContent;
  }

  fillFnList(names) {
    const max = 3000;
    replace(this.fnList, names.slice(1, max).map((n) => h('option', { value: n })));
  }

  // ---- top view ---------------------------------------------------------

  async loadTop() {
    const s = this.us.state;
    const params = { ...this.filterParams(), sort: s.sort === 'cum' || s.sort === 'name' ? s.sort : 'flat', limit: TOP_LIMIT };
    const data = await this.loader.load('top', JSON.stringify(params), (signal) => this.src.top(params, signal));
    if (!data || this.us.state.view !== 'top') return;
    const m = this.matcher();
    renderTop(this.topView, data, {
      sort: s.sort,
      test: m.test || null,
      limit: TOP_LIMIT,
      onSort: (k) => this.set({ sort: k }),
      onFocus: (fn) => this.focusOn(fn, { view: 'flame' }),
      onSandwich: (fn) => this.set({ view: 'sandwich', fn }, { push: true }),
      onMenu: (fn, x, y) => this.openMenu(fn, x, y, null),
      onList: this.src.merged || this.us.state.gran === 'files' ? null : (fn) => this.listOf(fn),
      gran: s.gran,
    });
    this.matchInfo.textContent = m.error || '';
  }

  // ---- graph and peek views (views/graph.js) ---------------------------

  async loadGraph() {
    const s = this.us.state;
    const params = { ...this.filterParams(), nodecount: s.nodecount };
    const key = JSON.stringify(params);
    if (this.graphKey === key) return;
    this.graphBody.querySelector('#graph-host').dataset.ready = '0';
    // a failure shows in the page's error box, as for every view
    const text = await this.loader.load('graph', key, (signal) => fetchGraphSvg(this.id, params, signal));
    if (text == null || this.us.state.view !== 'graph') return;
    this.graph.setSvg(text);
    this.graphKey = key;
  }

  async loadPeek() {
    const s = this.us.state;
    if (!s.peek) {
      replace(this.peekBody, h('p', { class: 'empty' },
        'Type a regex above: each function it matches is listed with its callers (↑) and callees (↓) and the weight of each call, as go tool pprof -peek prints them.'));
      return;
    }
    const params = { ...this.filterParams(), re: s.peek };
    const data = await this.loader.load('peek', JSON.stringify(params), (signal) => api.peek(this.id, params, signal));
    if (!data || this.us.state.view !== 'peek') return;
    renderPeek(this.peekBody, data, { onFocus: (fn) => this.set({ peek: '^' + regexEscape(fn) + '$' }, { push: true }) });
  }

  // ---- list view (views/list.js) ------------------------------------------

  async loadList() {
    const s = this.us.state;
    if (!s.list) {
      replace(this.listBody, h('p', { class: 'empty' },
        'Type a regex above, or press l over a frame of the flame graph, or use ≡ in the Top table: each function it matches is listed line by line with its flat and cum, as go tool pprof -list prints them.'));
      return;
    }
    // always at lines (pprof -list is); the other filters apply
    const params = { ...this.filterParams(), fn: s.list };
    delete params.granularity;
    const data = await this.loader.load('list', JSON.stringify(params), (signal) => api.list(this.id, params, signal));
    if (!data || this.us.state.view !== 'list') return;
    renderList(this.listBody, data, {
      onFocus: (fn) => this.focusOn(fn, { view: 'flame', gran: '' }),
      onSandwich: (fn) => this.set({ view: 'sandwich', fn, gran: '' }, { push: true }),
      // a line in the call tree: the flame graph at lines with that line's frames highlighted, or its callers/callees
      onLineFlame: (name) => {
        clearTimeout(this.searchTimer);
        this.searchPending = null;
        this.set({ view: 'flame', gran: 'lines', zoom: '', search: '^' + regexEscape(name) + '$', re: '1' }, { push: true });
      },
      onLineSandwich: (name) => this.set({ view: 'sandwich', gran: 'lines', fn: name }, { push: true }),
    });
  }

  // ---- sandwich view ----------------------------------------------------

  async loadSandwich() {
    const fn = this.us.state.fn;
    if (!fn) {
      if (this.sandwich) { this.sandwich.destroy(); this.sandwich = null; }
      replace(this.sandwichBody, h('p', { class: 'empty' },
        'Pick a function above, or hover a frame in the flame graph and press s, or use ⇅ in the Top table.'));
      if (!this.flame) this.loadNamesForPicker();
      return;
    }
    const params = { ...this.filterParams(), function: fn };
    const data = await this.loader.load('sandwich', JSON.stringify(params), (signal) => this.src.sandwich(params, signal));
    if (!data || this.us.state.view !== 'sandwich') return;
    if (!this.sandwich) this.sandwich = new SandwichView(this.sandwichBody, { onPick: (name) => this.set({ fn: name }, { push: true }) });
    if (this.sandwich.shown !== data) {
      this.sandwich.setData(data);
      this.sandwich.shown = data;
    }
  }

  async loadNamesForPicker() {
    const params = { ...this.filterParams(), sort: 'flat', limit: TOP_LIMIT };
    try {
      const d = await this.src.top(params);
      if (!this.flame) replace(this.fnList, (d.rows || []).map((r) => h('option', { value: String(r.function) })));
    } catch (_) { /* the picker still takes typed names */ }
  }

  // ---- labels view ------------------------------------------------------

  renderLabelsView() {
    if (!this.tags || this.tags.key !== this.us.state.sample_type) {
      replace(this.labelsView, h('p', { class: 'empty' }, 'Loading labels…'));
      return;
    }
    const tf = parseTagExpr(this.us.state.tagfocus);
    renderLabels(this.labelsView, this.tags.data, {
      unit: this.currentUnit(),
      active: tf ? tf.key + '\u0000' + tf.value : '',
      onPick: (key, value) => this.set({ ...this.filters.tagPatch('tagfocus', key, value), view: 'flame' }, { push: true }),
      compareUrl: (key, value, other) => this.labelDiffUrl(key, value, other),
      onBaseline: this.src.merged ? null : (key, value, group) => this.openBaselineDiff(key, value, group),
    });
  }

  /**
   * The diff of label key=value (a request) against its baseline: the
   * other samples of the value of `group` (its endpoint) that carries most
   * of key=value's samples (from /tags under tagfocus=key=^value$),
   * normalized, since one request is a slice of its endpoint.
   */
  async openBaselineDiff(key, value, group) {
    let data;
    try {
      data = await this.src.tags({ sample_type: this.us.state.sample_type, tagfocus: tagExpr(key, value, false) });
    } catch (e) {
      this.showError(e, false);
      return;
    }
    const t = (data.tags || []).find((x) => String(x.key) === group);
    const best = t && (t.values || []).slice().sort((a, b) => b.total - a.total)[0];
    if (!best) {
      toast(`${key}=${value} has no ${group} label`, 'error');
      return;
    }
    location.assign(this.baselineDiffUrl(key, value, group, String(best.value)));
  }

  /** /diff of this profile: base group=gvalue without key=value, target key=value, normalized. */
  baselineDiffUrl(key, value, group, gvalue) {
    const id = encodeURIComponent(this.id);
    const q = new URLSearchParams();
    if (this.us.state.sample_type) q.set('sample_type', this.us.state.sample_type);
    q.set('base_tagfocus', tagExpr(group, gvalue, false));
    q.set('base_tagignore', tagExpr(key, value, false));
    q.set('target_tagfocus', tagExpr(key, value, false));
    q.set('normalize', '1');
    if (this.us.state.gran) q.set('gran', this.us.state.gran);
    return `/diff/${id}/${id}?${q}`;
  }

  /**
   * The diff page of this profile against itself: base = label `key`'s
   * `other` value (or every sample without `value`), target = `value`.
   */
  labelDiffUrl(key, value, other, focus = '') {
    const id = encodeURIComponent(this.id);
    const one = (v) => tagExpr(key, v, false);
    const q = new URLSearchParams();
    if (this.us.state.sample_type) q.set('sample_type', this.us.state.sample_type);
    if (other === null) q.set('base_tagignore', one(value));
    else q.set('base_tagfocus', one(other));
    q.set('target_tagfocus', one(value));
    if (focus) q.set('focus', focus);
    if (this.us.state.gran) q.set('gran', this.us.state.gran);
    return `/diff/${id}/${id}?${q}`;
  }

  // ---- compare with… ----------------------------------------------------

  /** Open or close the picker of the profile to diff against. */
  async toggleCompare() {
    const show = this.comparePanel.hidden;
    this.comparePanel.hidden = !show;
    this.compareBtn.setAttribute('aria-expanded', show ? 'true' : 'false');
    if (!show || this.compareList) return;
    replace(this.comparePanel, h('span', { class: 'muted' }, 'Loading profiles…'));
    const kind = this.meta && this.meta.kind && this.meta.kind !== 'other' ? this.meta.kind : '';
    let list;
    try {
      const d = await api.listProfiles({ limit: 500, type: kind });
      list = (d.profiles || []).filter((p) => String(p.id) !== this.id);
    } catch (e) {
      replace(this.comparePanel, h('span', { class: 'err-text' }, 'Could not list the profiles: ' + e.message));
      return;
    }
    this.compareList = list;
    if (!list.length) {
      replace(this.comparePanel, h('span', { class: 'muted' }, `No other ${kind ? kind + ' ' : ''}profile to compare with. Upload one on the `, h('a', { href: '/' }, 'front page'), '.'));
      return;
    }
    const when = (p) => (p.time ? formatTime(p.time) : 'uploaded ' + formatTime(p.uploaded_at));
    this.compareSel = h('select', { class: 'select', id: 'compare-select', 'aria-label': 'The other profile' },
      list.map((p) => h('option', { value: String(p.id) }, `${p.name || p.id} — ${when(p)}`)));
    this.compareRole = h('select', { class: 'select', id: 'compare-role', 'aria-label': 'Role of this profile' },
      h('option', { value: 'target' }, 'this is the target (the other is the base)'),
      h('option', { value: 'base' }, 'this is the base (the other is the target)'));
    this.compareGo = h('a', { class: 'btn primary', id: 'compare-go' }, 'Open diff');
    const t = (p) => Date.parse(p.time || p.uploaded_at) || 0;
    const autoRole = () => {
      const other = list.find((p) => String(p.id) === this.compareSel.value);
      // the older profile is the base
      this.compareRole.value = other && t(other) > t(this.meta) ? 'base' : 'target';
      this.updateCompareLink();
    };
    // preselect the previous profile of this one's series (series.js)
    const prev = previousInSeries(this.meta || { id: this.id }, list);
    if (prev) this.compareSel.value = String(prev.id);
    this.compareSel.addEventListener('change', autoRole);
    this.compareRole.addEventListener('change', () => this.updateCompareLink());
    replace(this.comparePanel,
      h('label', { class: 'field' }, h('span', null, 'Compare with'), this.compareSel),
      this.compareRole, this.compareGo,
      h('button', { class: 'link', type: 'button', onclick: () => this.toggleCompare() }, 'cancel'),
      h('span', { class: 'muted small-note' }, `${kind ? kind + ' profiles' : 'profiles'}, newest first; preselected: the previous one with the same labels and sample types; the sample type and filters of this view are kept`));
    autoRole();
    this.compareSel.focus();
  }

  updateCompareLink() {
    if (!this.compareGo) return;
    const other = this.compareSel.value;
    const [base, target] = this.compareRole.value === 'base' ? [this.id, other] : [other, this.id];
    const q = new URLSearchParams();
    const s = this.us.state;
    for (const k of ['sample_type', ...FILTER_KEYS, 'gran']) if (s[k]) q.set(k, s[k]);
    const qs = q.toString();
    this.compareGo.setAttribute('href', `/diff/${encodeURIComponent(base)}/${encodeURIComponent(target)}${qs ? '?' + qs : ''}`);
  }

  // ---- the frame menu (contextmenu.js, frameactions.js) -----------------

  /** The label a tagroot/tagleaf pseudo-frame stands for, or null. */
  pseudoOf(node) {
    const model = this.flame && this.flame.model;
    if (!model || node <= 0) return null;
    const s = this.us.state;
    const d = model.depth[node];
    const roots = s.tagroot ? s.tagroot.split(',') : [];
    if (d <= roots.length) return { key: roots[d - 1], value: model.nameOf(node) };
    const leaves = s.tagleaf ? s.tagleaf.split(',') : [];
    // every stack ends in one frame per tagleaf key: a frame less than
    // that many levels above the leaves is one of them
    const height = model.subtreeMaxDepth(node) - d;
    if (height < leaves.length) return { key: leaves[leaves.length - 1 - height], value: model.nameOf(node) };
    return null;
  }

  openFrameMenu(node, x, y) {
    const model = this.flame && this.flame.model;
    if (!model || node <= 0) return;
    this.openMenu(model.nameOf(node), x, y, this.pseudoOf(node));
  }

  openMenu(name, x, y, pseudo) {
    const entries = frameActions(this.us.state, name, {
      pseudo,
      list: !this.src.merged,
      compareUrl: this.src.merged ? null : (key, value, focus) => this.labelDiffUrl(key, value, null, focus),
    });
    this.menu.open(x, y, name, entries);
  }

  /** One entry of the frame menu, picked. */
  async runAction(e) {
    if (e.patch) this.filters.set(e.patch, { push: true });
    else if (e.href) location.assign(e.href);
    else if (e.copy !== undefined) {
      const ok = await copyText(e.copy);
      this.menu.el.dataset.copied = ok ? e.copy : '';
      toast(ok ? 'Copied: ' + e.copy : 'Could not copy the name', ok ? 'info' : 'error');
    }
  }

  /** The a key (or the context-menu key, Shift+F10): the menu of the frame
   *  under the mouse, else of the zoomed one. */
  menuFromKey() {
    if (this.us.state.view !== 'flame' || !this.flame) return false;
    let node = this.fg.hoveredNode();
    if (!(node > 0)) node = this.fg.zoom;
    if (!(node > 0)) return false;
    const r = this.fg.canvas.getBoundingClientRect();
    const pt = this.fg.nodePoint(node) || { x: r.left + 20, y: r.top + 20 };
    this.openFrameMenu(node, pt.x, pt.y);
    return true;
  }

  // ---- actions ----------------------------------------------------------

  toggleOrientation() {
    this.set({ orient: this.us.state.orient === 'flame' ? 'icicle' : 'flame' });
  }

  resetView() {
    clearTimeout(this.searchTimer);
    this.searchPending = null;
    this.searchIn.value = '';
    this.set({ zoom: '', search: '' }, { push: true });
  }

  handleKey(ev) {
    if (ev.defaultPrevented) return;
    const typing = isTyping(ev);
    if ((ev.ctrlKey || ev.metaKey) && !ev.altKey && (ev.key === 'f' || ev.key === 'F')) {
      ev.preventDefault();
      this.focusSearch();
      return;
    }
    if (ev.key === 'Escape') {
      if (typing) { ev.target.blur(); return; }
      if (this.us.state.zoom) this.set({ zoom: '' }, { push: true });
      return;
    }
    if (ev.key === 'ContextMenu' || (ev.key === 'F10' && ev.shiftKey)) {
      if (!typing && this.menuFromKey()) ev.preventDefault();
      return;
    }
    if (typing || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (ev.key === '/') { ev.preventDefault(); this.focusSearch(); }
    else if (ev.key === 'a') { if (this.menuFromKey()) ev.preventDefault(); }
    else if (ev.key === 'r') this.resetView();
    else if (ev.key === 'o') this.toggleOrientation();
    else if (ev.key === 'g') this.set({ view: 'graph' }, { push: true });
    else if (ev.key === 'p') this.set({ view: 'peek' }, { push: true });
    else if (ev.key === 'l' && !this.src.merged) {
      // over a frame: its function's lines; else the Lines view
      const node = this.us.state.view === 'flame' && this.flame ? this.fg.hoveredNode() : 0;
      if (node > 0) this.listOf(this.flame.model.nameOf(node));
      else this.set({ view: 'list' }, { push: true });
    }
    else if (ev.key === 'c') this.filters.set({ collapse_recursion: this.us.state.collapse_recursion === '1' ? '' : '1' }, { push: true });
    else if (ev.key === 'm' && this.us.state.view === 'flame') {
      // merge_fn takes a regex: the frame's function, whole and escaped (the frame
      // menu's Merge, frameactions.js); a second one is added as an alternative
      const node = this.fg.hoveredNode();
      if (node > 0) {
        const e = frameActions(this.us.state, this.flame.model.nameOf(node)).find((a) => a.id === 'merge');
        if (e && e.patch) this.filters.set(e.patch, { push: true });
      }
    } else if (ev.key === 's' && this.us.state.view === 'flame') {
      const node = this.fg.hoveredNode();
      if (node > 0) this.set({ view: 'sandwich', fn: this.flame.model.nameOf(node) }, { push: true });
    }
  }

  focusSearch() {
    this.searchIn.focus();
    this.searchIn.select();
  }
}
