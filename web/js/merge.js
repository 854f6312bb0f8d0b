// merge.js: the page of a merge, /m?<selection>: the profile page (profile.js)
// driven by a selection of many profiles instead of one id. The selection
// (ids=A,B,C, or label=k:v repeated with type=, from=, to=) is the fixed part
// of the URL; the view state follows it as on /p/{id}. agg=sum|avg is in the
// URL too; without it the page picks avg for snapshot kinds (goroutine,
// heap), where a sum of snapshots means nothing to a person, and says so.

import { ApiError, query } from './api.js';
import { h, replace } from './dom.js';
import { formatInt, formatNanos } from './format.js';
import { UrlState } from './urlstate.js';
import { ProfilePage } from './profile.js';

const SELECTION_KEYS = ['ids', 'label', 'type', 'from', 'to'];
const SNAPSHOT_KINDS = new Set(['goroutine', 'heap']);

/** The selection part of a query string, in URL order ('' when none). */
export function selectionQuery(search) {
  const q = new URLSearchParams(search);
  const out = new URLSearchParams();
  for (const [k, v] of q) if (SELECTION_KEYS.includes(k) && v !== '') out.append(k, v);
  return out.toString();
}

/** The agg a merge page uses: the URL's, else avg for snapshot kinds. */
export function pickAgg(urlAgg, kind) {
  if (urlAgg === 'sum' || urlAgg === 'avg') return urlAgg;
  return SNAPSHOT_KINDS.has(kind) ? 'avg' : 'sum';
}

/** A UrlState that keeps the selection (and agg) in front of the view state. */
class MergeUrlState extends UrlState {
  constructor(defaults, sel, agg) {
    super(defaults);
    this.sel = sel;
    this.agg = agg;
  }

  search(state = this.state) {
    const view = super.search(state).replace(/^\?/, '');
    const parts = [this.sel, this.agg ? 'agg=' + this.agg : '', view].filter(Boolean);
    return parts.length ? '?' + parts.join('&') : '';
  }
}

async function getJson(path, sel, params, signal, timing) {
  const rest = query(params).replace(/^\?/, '');
  const url = '/api/v1' + path + '?' + [sel, rest].filter(Boolean).join('&');
  const res = await fetch(url, { signal, headers: { Accept: 'application/json' }, credentials: 'same-origin' });
  const text = await res.text();
  if (timing) timing.received = performance.now();
  let j = null;
  try { j = JSON.parse(text); } catch (_) { /* below */ }
  if (!res.ok) {
    const e = j && j.error;
    throw new ApiError(res.status, e ? e.code : 'http_' + res.status, e ? e.message : `${res.status} ${res.statusText}`);
  }
  if (!j) throw new ApiError(res.status, 'bad_json', 'the server sent a response that is not JSON');
  return j;
}

export function mountMerge(root) {
  const sel = selectionQuery(location.search);
  const urlAgg = new URLSearchParams(location.search).get('agg') || '';
  const state = { agg: urlAgg, info: null };
  const withAgg = (params) => ({ ...params, agg: state.agg });
  const src = {
    merged: true,
    urlState: (defaults) => (state.us = new MergeUrlState(defaults, sel, urlAgg)),
    async meta() {
      if (!sel) throw new ApiError(400, 'bad_request', 'this page needs a selection: /m?ids=A,B,C or /m?label=k:v&type=cpu');
      const j = await getJson('/merge/top', sel, { limit: 1, agg: urlAgg || 'sum' });
      const m = j.merge;
      state.info = m;
      state.agg = pickAgg(urlAgg, m.kind);
      const labels = {};
      for (const [k, v] of new URLSearchParams(sel)) {
        if (k !== 'label') continue;
        const i = v.indexOf(':');
        if (i > 0) labels[v.slice(0, i)] = v.slice(i + 1);
      }
      return {
        id: '', name: `Merge of ${m.profiles} ${m.kind} profile${m.profiles === 1 ? '' : 's'}`,
        kind: m.kind, sample_types: m.sample_types, default_sample_type: m.default_sample_type,
        duration_ns: m.duration_ns, labels,
      };
    },
    flamegraph: (params, signal, timing) => getJson('/merge/flamegraph', sel, withAgg(params), signal, timing),
    top: (params, signal) => getJson('/merge/top', sel, withAgg(params), signal),
    tags: (params, signal) => getJson('/merge/tags', sel, withAgg(params), signal),
    sandwich: (params, signal) => getJson('/merge/sandwich', sel, withAgg(params), signal),
    rawUrl: () => '/api/v1/merge/raw?' + sel + (urlAgg ? '&agg=' + urlAgg : ''),
  };
  const page = new ProfilePage(root, '', src);
  // one profile's controls that a merge has not: rename, compare
  page.editBtn.hidden = true;
  page.compareBtn.hidden = true;
  page.downloadA.title = 'The merged profile (works with go tool pprof)';
  const fill = page.fillMeta.bind(page);
  page.fillMeta = () => {
    fill();
    const m = state.info;
    const item = (k, v, id) => h('div', { class: 'meta-item', id }, h('dt', null, k), h('dd', null, v));
    const aggText = state.agg === 'avg'
      ? `mean of the ${formatInt(m.profiles)} profiles (agg=avg${urlAgg ? '' : `, chosen for ${m.kind} snapshots: a sum of snapshots means nothing`})`
      : `sum of the ${formatInt(m.profiles)} profiles (agg=sum, as go tool pprof -top A B C)`;
    const other = state.agg === 'avg' ? 'sum' : 'avg';
    const switchA = h('a', { href: location.pathname + '?' + [sel, 'agg=' + other].join('&'), id: 'merge-agg-switch' }, `show the ${other}`);
    replace(page.metaEl,
      item('Values', h('span', null, aggText, ' · ', switchA), 'merge-agg'),
      item('Type', (m.sample_types || []).map((t) => `${t.type}/${t.unit}`).join(', ') || '—'),
      m.duration_ns ? item('Duration', formatNanos(m.duration_ns) + ' (summed)') : null,
      item('Selection', h('code', null, decodeURIComponent(sel))),
      item('First', h('a', { href: '/p/' + encodeURIComponent(m.first) }, m.first)));
    document.title = page.titleEl.textContent + ' · flamedex';
  };
  page.start();
  return page;
}
