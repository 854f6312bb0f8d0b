// leaks.js: /leaks, the leak candidates of a series of goroutine (or heap)
// snapshots (GET /api/v1/leaks, see docs/LEAKS.md). The series is a label
// (service:NAME) and a kind, or a list of snapshot ids; both live in the
// query string, so the link reopens the same table. Snapshots can be
// uploaded here, several at once, under a service label.

import { api, regexEscape } from './api.js';
import { h, svg, replace } from './dom.js';
import { formatInt, formatBytes, formatTime, formatNanos } from './format.js';
import { UrlState } from './urlstate.js';
import { appBar, copyLinkButton, showError, curlSnippet } from './chrome.js';
import { UploadList, fileInput } from './uploads.js';

const DEFAULTS = {
  label: '',
  type: '',
  ids: '',
  only: '',             // 'leaks': hide the candidates that are not leaks
  min_age: '',          // passed to the API unchanged when set
  min_count: '',
  single_min_count: '',
};
const KINDS = ['goroutine', 'heap'];
const FIRST_ROWS = 100;

export function mountLeaks(root) {
  const page = new LeaksPage(root);
  page.start();
  return page;
}

class LeaksPage {
  constructor(root) {
    this.root = root;
    this.us = new UrlState(DEFAULTS);
    this.services = [];  // [{label, counts: {kind: n}}]
    this.data = null;
    this.ctrl = null;
    this.open = new Set(); // expanded rows, by site + wait
    this.showAll = false;
    this.build();
  }

  build() {
    document.title = 'leaks · flamedex';
    this.serviceSel = h('select', { class: 'select', id: 'series-service', 'aria-label': 'Series label', onchange: () => this.pickService() });
    this.kindSel = h('select', { class: 'select', id: 'series-kind', 'aria-label': 'Kind', onchange: () => this.set({ type: this.kindSel.value }) },
      KINDS.map((k) => h('option', { value: k }, k)));
    this.idsEl = h('div', { class: 'ids-pick', id: 'series-ids', hidden: true });
    this.onlyBox = h('input', { type: 'checkbox', id: 'only-leaks', onchange: () => this.set({ only: this.onlyBox.checked ? 'leaks' : '' }) });

    this.fileIn = fileInput('leak-files', '.pb.gz,.pb,.pprof,.gz,.prof,.txt,.out,application/octet-stream,application/gzip,text/plain', (files) => this.uploadAll(files));
    this.svcIn = h('input', { class: 'input mono', id: 'leak-service', type: 'text', placeholder: 'checkout', autocomplete: 'off', spellcheck: 'false', 'aria-label': 'Service name for the uploaded snapshots' });
    this.svcErr = h('span', { class: 'field-error', id: 'leak-service-error', hidden: true });
    this.uploads = new UploadList();

    this.summaryEl = h('div', { class: 'leak-summary', id: 'leak-summary' });
    this.errorEl = h('div', { class: 'error-box', id: 'leak-error', role: 'alert', hidden: true });
    this.tableHost = h('div', { class: 'leak-body', id: 'leak-body' });
    this.wrap = h('section', { class: 'card leak-card views', 'aria-labelledby': 'leak-h' },
      h('div', { class: 'list-head' }, h('h2', { id: 'leak-h' }, 'Candidates'), h('span', { class: 'spacer' }),
        h('label', { class: 'check' }, this.onlyBox, h('span', null, 'leaks only'))),
      this.summaryEl, this.errorEl, this.tableHost);

    replace(this.root,
      appBar([copyLinkButton('this table')]),
      h('main', { class: 'page leaks-page' },
        h('header', { class: 'profile-head' },
          h('h1', null, 'Leak candidates'),
          h('p', { class: 'muted lead' }, 'Sites where goroutines pile up, or heap keeps growing, across snapshots of one process, ranked by score. The rules behind the verdict are in docs/LEAKS.md.')),
        h('section', { class: 'card series-card', 'aria-label': 'Series' },
          h('div', { class: 'series-row' },
            h('label', { class: 'field' }, h('span', null, 'Series'), this.serviceSel),
            h('label', { class: 'field' }, h('span', null, 'Kind'), this.kindSel),
            this.idsEl,
            h('span', { class: 'spacer' }),
            h('div', { class: 'leak-upload' },
              h('label', { class: 'field' }, h('span', null, 'Upload as service'), this.svcIn),
              this.fileIn,
              h('label', { class: 'btn primary', for: 'leak-files', title: 'Several goroutine or heap snapshots of one process (proto, or goroutine text dumps)' }, 'Upload snapshots…'),
              this.svcErr)),
          this.uploads.el),
        this.wrap));
    this.onPop = () => { this.us.reload(); this.refresh(); };
    window.addEventListener('popstate', this.onPop);
  }

  async start() {
    this.syncControls();
    this.loadServices();
    this.refresh();
  }

  set(patch) {
    if (this.us.update(patch).size) this.refresh();
  }

  syncControls() {
    const s = this.us.state;
    this.kindSel.value = KINDS.includes(s.type) ? s.type : 'goroutine';
    this.onlyBox.checked = s.only === 'leaks';
    const ids = s.ids ? s.ids.split(',').filter(Boolean) : [];
    this.idsEl.hidden = !ids.length;
    this.serviceSel.disabled = false;
    if (ids.length) {
      replace(this.idsEl, h('span', null, `${formatInt(ids.length)} selected snapshot${ids.length === 1 ? '' : 's'}`),
        h('button', { class: 'link', type: 'button', onclick: () => this.set({ ids: '' }) }, 'clear'));
    }
    this.kindSel.disabled = !!ids.length;
    this.fillServices();
    if (!this.svcIn.value && s.label.startsWith('service:')) this.svcIn.value = s.label.slice('service:'.length);
  }

  // ---- the series picker ------------------------------------------------

  async loadServices() {
    try {
      // every service label value, with its number of profiles per kind
      const d = await api.labelValues('service');
      this.services = (d.values || []).map((v) => ({ label: 'service:' + v.value, counts: v.kinds || {} }))
        .sort((a, b) => a.label.localeCompare(b.label));
    } catch (_) {
      this.services = [];
    }
    this.fillServices();
  }

  fillServices() {
    const s = this.us.state;
    const list = this.services.slice();
    if (s.label && !list.some((e) => e.label === s.label)) list.unshift({ label: s.label, counts: null });
    const desc = (e) => {
      if (!e.counts) return e.label;
      const parts = KINDS.filter((k) => e.counts[k]).map((k) => `${e.counts[k]} ${k}`);
      return `${e.label}${parts.length ? ' — ' + parts.join(', ') : ' — no goroutine or heap profiles'}`;
    };
    replace(this.serviceSel,
      h('option', { value: '' }, s.ids ? '(selected snapshots)' : list.length ? 'pick a service…' : 'no service labels yet'),
      list.map((e) => h('option', { value: e.label }, desc(e))));
    this.serviceSel.value = s.ids ? '' : s.label;
  }

  pickService() {
    const label = this.serviceSel.value;
    const e = this.services.find((x) => x.label === label);
    let type = this.us.state.type;
    if (e && e.counts && !(e.counts[type] > 0)) type = KINDS.find((k) => e.counts[k] > 0) || '';
    if (label.startsWith('service:')) this.svcIn.value = label.slice('service:'.length);
    this.set({ label, type: label ? type || 'goroutine' : '', ids: '' });
  }

  // ---- upload -----------------------------------------------------------

  async uploadAll(files) {
    if (!files.length) return;
    const name = this.svcIn.value.trim();
    const bad = !name ? 'Name the service first: the snapshots are stored with the label service:NAME.'
      : /[,]/.test(name) ? 'A service name cannot contain a comma.' : '';
    this.svcErr.hidden = !bad;
    this.svcErr.textContent = bad;
    this.svcIn.classList.toggle('invalid', !!bad);
    if (bad) { this.svcIn.focus(); return; }
    const stored = await this.uploads.uploadAll(files, (f) => ({ name: f.name, labels: 'service:' + name }));
    const kinds = {};
    for (const meta of stored) kinds[meta.kind] = (kinds[meta.kind] || 0) + 1;
    const kind = KINDS.filter((k) => kinds[k]).sort((a, b) => kinds[b] - kinds[a])[0];
    if (!kind) return;
    await this.loadServices();
    // the table of this service's series, reloaded even when the URL stays the same
    this.data = null;
    this.us.update({ label: 'service:' + name, type: kind, ids: '' });
    this.refresh(true);
  }

  // ---- the table --------------------------------------------------------

  query() {
    const s = this.us.state;
    const extra = { min_age: s.min_age, min_count: s.min_count, single_min_count: s.single_min_count };
    if (s.ids) return { ids: s.ids, ...extra };
    if (s.label) return { label: s.label, type: KINDS.includes(s.type) ? s.type : 'goroutine', ...extra };
    return null;
  }

  async refresh(force = false) {
    this.syncControls();
    const q = this.query();
    if (!q) {
      if (this.ctrl) this.ctrl.abort();
      this.data = null;
      this.errorEl.hidden = true;
      replace(this.summaryEl);
      replace(this.tableHost, h('div', { class: 'empty' },
        h('p', null, 'Pick a service above, upload a series of snapshots, or tick snapshots in the ', h('a', { href: '/' }, 'profile list'), ' and use "Leak table for selected".'),
        h('p', { class: 'muted' }, 'A series is best taken from one process at regular intervals, e.g. every few minutes:'),
        curlSnippet((a) => `for i in $(seq 6); do\n  curl -s localhost:6060/debug/pprof/goroutine > g$i.pb.gz\n  curl${a} --data-binary @g$i.pb.gz '${location.origin}/api/v1/profiles?labels=service:checkout'\n  sleep 300\ndone`)));
      return;
    }
    const key = JSON.stringify(q);
    if (!force && this.data && this.data.key === key) { this.render(); return; }
    if (this.ctrl) this.ctrl.abort();
    const ctrl = new AbortController();
    this.ctrl = ctrl;
    this.wrap.classList.add('loading');
    try {
      const data = await api.leaks(q, ctrl.signal);
      if (this.ctrl !== ctrl) return;
      this.errorEl.hidden = true;
      this.wrap.classList.remove('stale');
      if (!this.data || this.data.key !== key) { this.open.clear(); this.showAll = false; }
      this.data = { key, data };
      this.render();
    } catch (e) {
      if (e.name === 'AbortError' || this.ctrl !== ctrl) return;
      this.data = null;
      showError(this.errorEl, e, { hint: e.code === 'not_found' && q.label ? `No ${q.type} profiles carry the label ${q.label}. Try the other kind, or upload snapshots with it.` : '' });
      replace(this.summaryEl);
      replace(this.tableHost);
    } finally {
      if (this.ctrl === ctrl) this.wrap.classList.remove('loading');
    }
  }

  render() {
    const d = this.data.data;
    const heap = d.kind === 'heap';
    const snaps = Array.isArray(d.snapshots) ? d.snapshots : [];
    const all = Array.isArray(d.candidates) ? d.candidates : [];
    const leaks = all.filter((c) => c.leak).length;
    const latest = snaps.length ? snaps[snaps.length - 1] : null;
    const t0 = snaps.length ? Date.parse(snaps[0].time) : NaN;
    const t1 = latest ? Date.parse(latest.time) : NaN;
    const span = isFinite(t0) && isFinite(t1) && t1 > t0 ? ` (${seconds((t1 - t0) / 1000)})` : '';
    replace(this.summaryEl,
      h('span', { class: 'badge', dataset: { kind: d.kind } }, d.kind),
      h('span', null, `${formatInt(snaps.length)} snapshot${snaps.length === 1 ? '' : 's'}`,
        snaps.length > 1 ? ` from ${formatTime(snaps[0].time)} to ${formatTime(latest.time)}${span}` : snaps.length ? ` at ${formatTime(latest.time)}` : ''),
      timeNote(snaps),
      h('span', { class: leaks ? 'leak-count has' : 'leak-count' }, `${formatInt(leaks)} leak${leaks === 1 ? '' : 's'} flagged among ${formatInt(all.length)} site${all.length === 1 ? '' : 's'}`),
      d.restart_at !== null && d.restart_at !== undefined && d.restart_at > 0
        ? h('span', { class: 'restart', title: 'The total fell by more than half: the process restarted. Trends use the snapshots after it.' }, `restart before snapshot ${d.restart_at + 1}`) : null,
      h('span', { class: 'spacer' }),
      h('span', { class: 'snaps' }, 'snapshots: ', snaps.map((sn, i) => h('a', {
        href: '/p/' + encodeURIComponent(sn.id),
        class: 'snap-link' + (sn.time_source === 'upload' ? ' by-upload' : ''),
        dataset: { timeSource: sn.time_source || '' },
        title: `${formatTime(sn.time)} (${TIME_SOURCES[sn.time_source] || 'time'}) · total ${heap ? formatBytes(sn.total || 0) : formatInt(sn.total || 0)}`,
      }, String(i + 1) + (sn.time_source === 'upload' ? '*' : '')))));

    let rows = all;
    if (this.us.state.only === 'leaks') rows = rows.filter((c) => c.leak);
    const shown = this.showAll ? rows : rows.slice(0, FIRST_ROWS);
    if (!rows.length) {
      replace(this.tableHost, h('p', { class: 'empty' }, all.length ? 'No candidate is flagged as a leak. Untick "leaks only" to see every site.' : 'No goroutines or allocations in these snapshots.'));
      return;
    }
    const body = h('tbody');
    shown.forEach((c, i) => this.row(body, c, i, d, heap, latest));
    replace(this.tableHost,
      h('div', { class: 'table-wrap' },
        h('table', { class: 'data leak-table', id: 'leak-table' },
          h('thead', null, h('tr', null,
            h('th', { class: 'num' }, '#'),
            h('th', null, 'Verdict'),
            heap ? null : h('th', null, 'Wait'),
            h('th', { class: 'fn' }, 'Site'),
            h('th', { class: 'fn' }, 'Entry'),
            h('th', { class: 'num' }, heap ? 'In use now' : 'Now'),
            h('th', { class: 'num' }, 'Growth / h'),
            h('th', { title: heap ? 'In-use bytes per snapshot' : 'Goroutines per snapshot' }, 'Trend'),
            h('th', { class: 'act' }, h('span', { class: 'sr-only' }, 'Actions')))),
          body)),
      rows.length > shown.length ? h('button', { class: 'link more-btn', type: 'button', onclick: () => { this.showAll = true; this.render(); } }, `Show all ${formatInt(rows.length)} sites`) : null);
  }

  row(body, c, i, d, heap, latest) {
    const site = String(c.site || '');
    const fn = String(c.function || site.replace(/\s+\([^()]*\)$/, ''));
    const where = c.file ? `${String(c.file).split('/').pop()}${c.line ? ':' + c.line : ''}` : (/\(([^()]*)\)$/.exec(site) || [])[1] || '';
    const key = site + '\u0000' + (c.wait || '');
    const counts = Array.isArray(c.counts) ? c.counts.map((x) => +x || 0) : [];
    const now = c.count !== undefined ? +c.count : counts.length ? counts[counts.length - 1] : 0;
    const fmt = (v) => (heap ? formatBytes(v) : formatInt(Math.round(v)));
    const slope = +c.slope_per_hour || 0;
    const href = latest ? `/p/${encodeURIComponent(latest.id)}?${new URLSearchParams({ ...(heap ? { sample_type: 'inuse_space' } : {}), focus: '^' + regexEscape(fn) + '$' })}` : null;
    const open = this.open.has(key);
    const toggle = h('button', { class: 'icon-btn expand', type: 'button', 'aria-expanded': open ? 'true' : 'false', title: 'Stack and reason', 'aria-label': 'Show the stack and the reason' }, open ? '▾' : '▸');
    const detail = h('tr', { class: 'detail', hidden: !open },
      h('td', { colspan: heap ? 8 : 9 }, this.detail(c, d, heap, fn)));
    const tr = h('tr', { class: 'cand' + (c.leak ? ' is-leak' : ''), dataset: { site, leak: c.leak ? '1' : '0' } },
      h('td', { class: 'num muted' }, String(i + 1)),
      h('td', null, c.leak ? h('span', { class: 'badge leak-badge', title: String(c.reason || '') }, 'leak') : h('span', { class: 'muted' }, '—')),
      heap ? null : h('td', { class: 'nowrap' }, String(c.wait || '')),
      h('td', { class: 'fn' }, h('span', { class: 'site-fn' }, fn), where ? h('span', { class: 'site-where muted' }, ' ' + where) : null),
      h('td', { class: 'fn' }, h('span', { class: 'entry-fn' }, String(c.entry || ''))),
      h('td', { class: 'num' }, fmt(now)),
      h('td', { class: 'num ' + (slope > 0 && c.leak ? 'up' : slope ? '' : 'muted') }, slope ? (slope > 0 ? '+' : '−') + fmt(Math.abs(slope)) + '/h' : '0'),
      h('td', { class: 'spark-cell' }, sparkline(counts, d.snapshots || [], { leak: !!c.leak, restartAt: d.restart_at, fmt })),
      h('td', { class: 'act' },
        href ? h('a', { class: 'btn small flame-link', href, title: 'The latest snapshot\'s flame graph, focused on this site' }, 'flame →') : null,
        toggle));
    const flip = () => {
      const o = !this.open.has(key);
      if (o) this.open.add(key); else this.open.delete(key);
      detail.hidden = !o;
      toggle.textContent = o ? '▾' : '▸';
      toggle.setAttribute('aria-expanded', o ? 'true' : 'false');
    };
    toggle.addEventListener('click', flip);
    tr.addEventListener('click', (ev) => { if (!ev.target.closest('a, button')) flip(); });
    body.append(tr, detail);
  }

  detail(c, d, heap, fn) {
    const stack = Array.isArray(c.stack) ? c.stack.map(String) : [];
    const facts = [];
    const fact = (k, v) => facts.push(h('div', { class: 'fact' }, h('dt', null, k), h('dd', null, v)));
    fact('Score', (+c.score || 0).toPrecision(3));
    if (c.trend_tau !== undefined) fact('Trend τ', (+c.trend_tau).toFixed(2) + (c.trend_p !== undefined ? ` (p = ${(+c.trend_p).toPrecision(2)})` : ''));
    if (c.growth !== undefined) fact('Growth', (heap ? formatBytes(+c.growth || 0) : formatInt(+c.growth || 0)) + (c.growth_share !== undefined ? ` · ${Math.round(100 * c.growth_share)}% of the total growth` : ''));
    if (c.min_rising !== undefined) fact('Floor rising', c.min_rising ? 'yes' : 'no');
    if (c.plateau) fact('Plateau', 'yes (warming up, not leaking)');
    if (c.lifetime_s) fact('Oldest', seconds(c.lifetime_s) + (c.old_count ? ` · ${formatInt(c.old_count)} at least ${seconds(+this.us.state.min_age || 30)} old` : ''));
    if (c.wait_reason) fact('Wait reason', String(c.wait_reason));
    const counts = Array.isArray(c.counts) ? c.counts : [];
    fact(heap ? 'In use' : 'Counts', counts.map((x) => (heap ? formatBytes(+x || 0) : formatInt(+x || 0))).join(' → '));
    return h('div', { class: 'cand-detail' },
      c.reason ? h('p', { class: 'reason' }, String(c.reason)) : null,
      h('dl', { class: 'facts' }, facts),
      stack.length ? h('ol', { class: 'stack', 'aria-label': 'Stack, leaf first' }, stack.map((f) => h('li', { class: f === fn ? 'site' : '' }, f))) : null);
  }
}

/** "3.5 s", "36 s", and past two minutes formatNanos's minutes and hours. */
function seconds(s) {
  return s < 10 ? `${s.toFixed(1)} s` : s < 120 ? `${Math.round(s)} s` : formatNanos(s * 1e9);
}

// Where a snapshot's time is from (docs/API.md, time_source).
const TIME_SOURCES = {
  profile: 'time from the profile',
  client: 'time given at upload, the file\'s time',
  upload: 'upload time: the file has no time of its own',
};

/** The summary's word on times: which are upload times, which were given at upload. */
function timeNote(snaps) {
  const n = snaps.length;
  const up = snaps.filter((s) => s.time_source === 'upload').length;
  const given = snaps.filter((s) => s.time_source === 'client').length;
  const parts = [];
  if (up) {
    parts.push(h('span', { class: 'time-note by-upload', id: 'leak-time-note', title: 'Text dumps carry no time. Upload them with time= (the page sends each file\'s time) to time them by capture.' },
      `${up === n ? (n === 1 ? 'The snapshot is' : `All ${formatInt(n)} snapshots are`) : `${formatInt(up)} of ${formatInt(n)} snapshots are`} timed by upload* (no time of their own): rates and ages follow the upload pace, not the capture`));
  }
  if (given) {
    parts.push(h('span', { class: 'time-note given muted', id: 'leak-time-given' },
      `${given === n ? (n === 1 ? 'its time' : 'their times') : `${formatInt(given)} of ${formatInt(n)} times`} given at upload (file times)`));
  }
  return parts;
}

/** An inline SVG sparkline of the counts per snapshot. */
export function sparkline(counts, snaps, { leak = false, restartAt = null, fmt = String } = {}) {
  const W = 132, H = 30, P = 3;
  const n = counts.length;
  const el = svg('svg', { class: 'spark' + (leak ? ' leak' : ''), width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'trend: ' + counts.map(fmt).join(', ') });
  if (!n) return el;
  let lo = Math.min(...counts), hi = Math.max(...counts);
  if (hi === lo) { lo -= 1; hi += 1; }
  const x = (i) => (n === 1 ? W / 2 : P + (i * (W - 2 * P)) / (n - 1));
  const y = (v) => H - P - ((v - lo) * (H - 2 * P)) / (hi - lo);
  if (restartAt !== null && restartAt !== undefined && restartAt > 0 && restartAt < n) {
    const rx = (x(restartAt - 1) + x(restartAt)) / 2;
    el.append(svg('line', { class: 'spark-restart', x1: rx.toFixed(1), x2: rx.toFixed(1), y1: 0, y2: H }));
  }
  const pts = counts.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  el.append(svg('polyline', { class: 'spark-line', points: pts }));
  el.append(svg('circle', { class: 'spark-dot', cx: x(n - 1).toFixed(1), cy: y(counts[n - 1]).toFixed(1), r: 2.5 }));
  el.append(svg('title', null, counts.map((v, i) => `${snaps[i] ? formatTime(snaps[i].time) : '#' + (i + 1)}: ${fmt(v)}`).join('\n')));
  return el;
}
