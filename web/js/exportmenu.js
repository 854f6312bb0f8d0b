// exportmenu.js: the "Export" links of the profile page: the view as the
// server exports it (GET /api/v1/profiles/{id}/export, docs/API.md) with
// the page's sample type, filters, granularity and (on the flame graph)
// zoom: a pprof profile (go tool pprof reads it), folded stacks
// (flamegraph.pl, speedscope) and a standalone SVG flame graph. Plain
// links with `download`, so nothing runs in the page.

import { h } from './dom.js';
import { query } from './api.js';

export const EXPORT_FORMATS = [
  ['pprof', 'pprof', 'The current view as a pprof profile (.pb.gz) that go tool pprof reads'],
  ['folded', 'folded', 'The current view as folded stacks (a;b;c N), for flamegraph.pl and speedscope'],
  ['svg', 'SVG', 'The current view as a standalone SVG flame graph'],
];

/** The export URL of profile `id` in `format` with `params` (empty values left out). */
export function exportUrl(id, format, params) {
  return `/api/v1/profiles/${encodeURIComponent(id)}/export` + query({ format, ...params });
}

export class ExportMenu {
  constructor(id) {
    this.id = id;
    this.links = EXPORT_FORMATS.map(([fmt, label, title]) =>
      h('a', { class: 'btn export-link', href: exportUrl(id, fmt, {}), download: '', title, dataset: { format: fmt } }, label));
    this.el = h('span', { class: 'export-menu', id: 'export-menu', title: 'Export the current view (filters, granularity and zoom applied)' },
      h('span', { class: 'muted' }, 'Export'), ...this.links);
  }

  /** Point the links at the view of `params` ({sample_type, ...filters, granularity, zoom}). */
  update(params) {
    for (const a of this.links) a.setAttribute('href', exportUrl(this.id, a.dataset.format, params));
  }
}
