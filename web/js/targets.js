// targets.js: /targets, what the scraper does (GET /api/v1/targets, see
// docs/SCRAPE.md): one row per target with its health, last scrape,
// duration, bytes, error and next scrape, the state of each profile kind,
// how far back its data goes (GET /api/v1/series per job: the oldest
// profile, since when it is raw, how it was downsampled before), and links
// to the target's profiles, its timelines (one per kind it has) and its
// goroutine leak table. Reloads every few seconds while the page is
// visible; the data extents every minute.

import { api } from './api.js';
import { h, replace } from './dom.js';
import { formatBytes, formatTime, formatAgo } from './format.js';
import { appBar, showError } from './chrome.js';
import { extentsBy, extentText, stepWords } from './extent.js';

const REFRESH_MS = 5000;
const EXTENT_MS = 60000;

export function mountTargets(root) {
  const page = new TargetsPage(root);
  page.start();
  return page;
}

function fmtDuration(s) {
  if (!s) return 'kept';
  const units = [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]];
  for (const [u, n] of units) if (s % n === 0) return `${s / n}${u}`;
  return `${s}s`;
}

function fmtIn(iso, now = Date.now()) {
  if (!iso) return '—';
  const ms = new Date(iso).getTime() - now;
  if (isNaN(ms)) return '—';
  if (ms <= 1000) return 'now';
  const s = Math.round(ms / 1000);
  return s < 120 ? `in ${s} s` : `in ${Math.round(s / 60)} min`;
}

function labelLink(key, value) {
  return `/?label=${encodeURIComponent(`${key}:${value}`)}`;
}

function timelineLink(instance, kind) {
  return '/s?' + new URLSearchParams({ label: `instance:${instance}`, type: kind });
}

class TargetsPage {
  constructor(root) {
    this.root = root;
    this.timer = null;
    this.ctrl = null;
    this.extents = new Map();   // instance -> extent (extent.js)
    this.extentAt = 0;
    this.build();
  }

  build() {
    document.title = 'targets · flamedex';
    this.summaryEl = h('p', { class: 'muted', id: 'targets-summary' });
    this.retentionEl = h('p', { class: 'muted', id: 'targets-retention' });
    this.errorEl = h('div', { class: 'error-box', id: 'targets-error', role: 'alert', hidden: true });
    this.body = h('div', { class: 'table-wrap', id: 'targets-body' });
    replace(this.root,
      appBar([]),
      h('main', { class: 'page targets-page' },
        h('header', { class: 'profile-head' },
          h('h1', null, 'Targets'),
          h('p', { class: 'muted lead' }, 'Go services scraped on a schedule (the --config file; SIGHUP reloads it). Each profile kind of a target is fetched on its own; a target is up when the last scrape of every kind worked.')),
        h('section', { class: 'card' }, this.summaryEl, this.retentionEl, this.errorEl, this.body)));
  }

  start() {
    this.load();
    this.onVis = () => { if (!document.hidden) this.load(); };
    document.addEventListener('visibilitychange', this.onVis);
  }

  async load() {
    clearTimeout(this.timer);
    if (this.ctrl) this.ctrl.abort();
    this.ctrl = new AbortController();
    try {
      const data = await api.targets(this.ctrl.signal);
      if (Date.now() - this.extentAt > EXTENT_MS) await this.loadExtents(data, this.ctrl.signal);
      this.errorEl.hidden = true;
      this.render(data);
    } catch (e) {
      if (e.name === 'AbortError') return;
      showError(this.errorEl, e, { lead: 'Could not load the targets: ' });
    }
    if (!document.hidden) this.timer = setTimeout(() => this.load(), REFRESH_MS);
  }

  /** The series of each job, grouped by instance (one request per job). */
  async loadExtents(data, signal) {
    const jobs = [...new Set((data.targets || []).map((t) => t.job))];
    const rows = [];
    for (const job of jobs) {
      const r = await api.series({ label: `job:${job}` }, signal);
      for (const row of r.series || []) if (row.labels && row.labels.job === job) rows.push(row);
    }
    this.extents = extentsBy(rows, 'instance');
    this.extentAt = Date.now();
  }

  render(data) {
    const ts = data.targets || [];
    const up = ts.filter((t) => t.health === 'up').length;
    const down = ts.filter((t) => t.health === 'down').length;
    replace(this.summaryEl, data.config
      ? `${ts.length} target${ts.length === 1 ? '' : 's'}: ${up} up, ${down} down, ${ts.length - up - down} not scraped yet.`
      : 'No scrape configuration: start the server with --config FILE (docs/SCRAPE.md).');
    const r = data.retention || {};
    const ds = data.downsample || {};
    replace(this.retentionEl,
      `Scraped data goes back to ${r.oldest_scraped ? formatTime(r.oldest_scraped) : '—'}`,
      ` (retention: ${fmtDuration(r.scraped_seconds)}${r.scraped_bytes_cap ? `, at most ${formatBytes(r.scraped_bytes_cap)}` : ''}; `,
      `${formatBytes(r.scraped_bytes || 0)} stored; uploads ${r.uploads_seconds ? 'kept ' + fmtDuration(r.uploads_seconds) : 'kept'}).`,
      ds.after_seconds
        ? h('span', { id: 'targets-downsample' }, ` Profiles older than ${fmtDuration(ds.after_seconds)} are merged ${stepWords(ds.step_seconds)} (${ds.retention_seconds ? 'merges kept ' + fmtDuration(ds.retention_seconds) : 'merges kept'}; ${ds.downsampled || 0} merged into ${ds.merged || 0}, ${formatBytes(ds.saved_bytes || 0)} saved).`)
        : h('span', { id: 'targets-downsample' }, ' No downsampling.'));
    if (!ts.length) {
      replace(this.body, h('div', { class: 'empty' }, 'No targets.'));
      return;
    }
    const now = Date.now();
    const rows = ts.map((t) => {
      const extra = Object.entries(t.labels || {}).filter(([k]) => k !== 'job' && k !== 'instance');
      const kinds = (t.profiles || []).map((p) =>
        h('span', { class: 'kind-health', 'data-health': p.health, title: p.health === 'down' ? `${p.name}: ${p.last_error}` : `${p.name}: ${p.health}, ${p.scrapes} scrapes` }, p.name));
      const ext = this.extents.get(t.instance);
      const et = extentText(ext, formatTime);
      const data = h('td', { class: 'target-data' },
        et.from ? h('span', { class: 'target-extent' }, `data from ${et.from} `, h('span', { class: 'muted' }, `(${et.detail})`)) : h('span', { class: 'muted target-extent' }, et.detail),
        ext && ext.kinds.length ? h('div', { class: 'kinds' }, h('span', { class: 'muted small' }, 'timeline:'),
          ext.kinds.map((k) => h('a', { href: timelineLink(t.instance, k), class: 'chip target-timeline', 'data-kind': k, title: `Timeline of this target's ${k} profiles` }, k))) : null);
      return h('tr', { 'data-job': t.job, 'data-instance': t.instance, 'data-health': t.health },
        h('td', null, h('a', { href: labelLink('job', t.job) }, t.job)),
        h('td', { class: 'mono' }, h('a', { href: labelLink('instance', t.instance), class: 'target-profiles', title: 'Profiles of this target' }, t.instance),
          extra.length ? h('div', { class: 'muted small' }, extra.map(([k, v]) => `${k}=${v}`).join(' ')) : null),
        h('td', null, h('span', { class: 'health', 'data-health': t.health }, t.health), h('div', { class: 'kinds' }, kinds)),
        h('td', { title: t.last_scrape ? formatTime(t.last_scrape) : '' }, t.last_scrape ? formatAgo(t.last_scrape, now) : '—'),
        h('td', { class: 'num' }, t.last_duration_ms == null ? '—' : `${Math.round(t.last_duration_ms)} ms`),
        h('td', { class: 'num' }, t.last_bytes == null ? '—' : formatBytes(t.last_bytes)),
        h('td', { class: 'fn target-error' }, t.last_error || ''),
        h('td', { title: t.next_scrape ? formatTime(t.next_scrape) : '' }, fmtIn(t.next_scrape, now)),
        data,
        h('td', { class: 'act' },
          h('a', { href: labelLink('instance', t.instance), class: 'btn small' }, 'Profiles'), ' ',
          h('a', { href: `/leaks?label=${encodeURIComponent('instance:' + t.instance)}&type=goroutine`, class: 'btn small target-leaks' }, 'Leaks')));
    });
    replace(this.body, h('table', { class: 'data targets-table', id: 'targets-table' },
      h('thead', null, h('tr', null, ['Job', 'Instance', 'Health', 'Last scrape', 'Duration', 'Bytes', 'Error', 'Next', 'Data', ''].map((x) =>
        h('th', { class: x === 'Duration' || x === 'Bytes' ? 'num' : null }, x)))),
      h('tbody', null, rows)));
  }
}
