// top.js: the "top" table (flat, flat%, sum%, cum, cum%, function with
// pprof's "(inline)" marker), like `go tool pprof -top`. Rows come sorted by
// the server (sort=flat|cum|name), so sum% is pprof's running sum of flat
// in the order shown; percentages are printed as pprof prints them.

import { h, replace } from '../dom.js';
import { formatValue, pprofPercent, formatInt } from '../format.js';

const COLS = [
  { key: 'flat', label: 'Flat', num: true },
  { key: 'flatp', label: 'Flat %', num: true, sortAs: 'flat' },
  { key: 'sump', label: 'Sum %', num: true, sortAs: null },
  { key: 'cum', label: 'Cum', num: true },
  { key: 'cump', label: 'Cum %', num: true, sortAs: 'cum' },
  { key: 'name', label: 'Function', num: false },
];

/** What a row is at each granularity (?granularity=): [column heading, plural]. */
const ROW_NAMES = {
  '': ['Function', 'functions'],
  functions: ['Function', 'functions'],
  filefunctions: ['Function and file', 'functions'],
  files: ['File', 'files'],
  lines: ['Function, file and line', 'lines'],
  addresses: ['Address, function and line', 'addresses'],
};

/**
 * @param {HTMLElement} el
 * @param {{total:number, rows:{function:string, flat:number, cum:number}[], sample_type:{unit:string}}} data
 * @param {{sort:string, test:((s:string)=>boolean)|null, limit:number,
 *          onSort:(k:string)=>void, onFocus:(fn:string)=>void, onSandwich:(fn:string)=>void,
 *          onMenu?:(fn:string, x:number, y:number)=>void,
 *          onList?:((fn:string)=>void)|null, gran?:string}} o
 *   onMenu opens the frame menu of a row (right click, or its ⋯ button);
 *   onList: a ≡ button to the row's line table; gran: the granularity the rows are named at
 */
export function renderTop(el, data, o) {
  const unit = data.sample_type ? data.sample_type.unit : '';
  const total = data.total || 0;
  let rows = Array.isArray(data.rows) ? data.rows.slice() : [];
  const all = rows.length;
  if (o.test) rows = rows.filter((r) => o.test(String(r.function)));
  const sort = o.sort === 'cum' || o.sort === 'name' ? o.sort : 'flat';
  const [heading, plural] = ROW_NAMES[o.gran || ''] || ROW_NAMES[''];

  const head = h('tr', null, COLS.map((c) => {
    if (c.sortAs === null) return h('th', { class: 'num', scope: 'col', title: 'Running sum of flat, in the order shown (pprof\'s sum%)' }, c.label);
    const key = c.sortAs || c.key;
    const active = key === sort && !c.sortAs;
    const label = c.key === 'name' ? heading : c.label;
    return h('th', { class: (c.num ? 'num' : 'fn') + (active ? ' sorted' : ''), scope: 'col', 'aria-sort': active ? (c.num ? 'descending' : 'ascending') : null },
      h('button', { class: 'th-sort', type: 'button', title: `Sort by ${c.key === 'name' ? 'name' : label.toLowerCase()}`, onclick: () => o.onSort(key) },
        label, active ? (c.num ? ' ▾' : ' ▴') : ''));
  }), h('th', { class: 'act' }, h('span', { class: 'sr-only' }, 'Actions')));

  const body = h('tbody');
  for (const r of rows) {
    const fn = String(r.function);
    const menu = o.onMenu ? (ev) => {
      // the frame menu (contextmenu.js): right click on the row, or its ⋯ button
      ev.preventDefault();
      const r = ev.currentTarget.getBoundingClientRect();
      const atMouse = ev.type === 'contextmenu' && (ev.clientX || ev.clientY);
      o.onMenu(fn, atMouse ? ev.clientX : r.left, atMouse ? ev.clientY : r.bottom);
    } : null;
    body.appendChild(h('tr', { oncontextmenu: menu, dataset: { fn } },
      h('td', { class: 'num' }, formatValue(r.flat, unit)),
      h('td', { class: 'num pct' }, pctCell(r.flat, total)),
      h('td', { class: 'num sum-pct' }, typeof r.sum === 'number' ? pprofPercent(r.sum, total) : ''),
      h('td', { class: 'num' }, formatValue(r.cum, unit)),
      h('td', { class: 'num pct' }, pctCell(r.cum, total)),
      h('td', { class: 'fn' }, h('button', { class: 'link fn-focus', type: 'button', title: 'Focus the flame graph on this function', onclick: () => o.onFocus(fn) }, fn),
        r.inline ? h('span', { class: 'inline-mark muted', title: r.inline === 'inline' ? 'every call of this function was inlined' : 'some calls of this function were inlined' }, ` (${r.inline})`) : null),
      h('td', { class: 'act' }, h('button', { class: 'icon-btn', type: 'button', title: 'Callers and callees of this function', 'aria-label': 'Callers and callees', onclick: () => o.onSandwich(fn) }, '⇅'),
        o.onList ? h('button', { class: 'icon-btn list-btn', type: 'button', title: 'Line table of this function (Lines)', 'aria-label': 'Line table', onclick: () => o.onList(fn) }, '≡') : null,
        menu ? h('button', { class: 'icon-btn row-menu', type: 'button', title: 'Actions: focus, ignore, hide, show from, peek, merge, copy… (or right click the row)', 'aria-label': 'Actions', 'aria-haspopup': 'menu', onclick: menu }, '⋯') : null),
    ));
  }
  const note = o.test
    ? `${formatInt(rows.length)} of ${formatInt(all)} ${plural} match the search`
    : `${formatInt(all)} ${plural}${all >= o.limit ? ` (the top ${formatInt(o.limit)})` : ''} · total ${formatValue(total, unit)}`;
  replace(el,
    h('p', { class: 'table-note' }, note),
    h('div', { class: 'table-wrap' },
      h('table', { class: 'data top-table' }, h('thead', null, head), body)),
    rows.length ? null : h('p', { class: 'empty' }, `No ${plural} to show.`));
}

function pctCell(v, total) {
  const p = total ? Math.max(0, Math.min(1, v / total)) : 0;
  const bar = h('span', { class: 'pct-bar' });
  bar.style.width = (p * 100).toFixed(1) + '%';
  return [h('span', { class: 'pct-track' }, bar), h('span', { class: 'pct-text' }, pprofPercent(v, total))];
}
