// list.js: the line table of functions, like `go tool pprof -list=RE`
// (GET /profiles/{id}/list): per function and file, its flat and cum, then
// each line that has a value with its own flat and cum and a bar. The
// server never sends source text (source is null), so a line is its number.
// Also the helpers that turn a name printed at a granularity back into its
// function, for the views that link to a function (list, focus).

import { h, replace } from '../dom.js';
import { formatValue, pprofPercent, formatInt } from '../format.js';
import { regexEscape } from '../api.js';

/** The granularities of the server (?granularity=), with their labels. */
export const GRANULARITIES = [
  ['', 'functions'],
  ['filefunctions', 'file:function'],
  ['files', 'files'],
  ['lines', 'lines'],
  ['addresses', 'addresses'],
];

/**
 * The function of a name printed at granularity gran ("main.f" at
 * functions, "main.f /x.go:12" at lines, "00000000004a1b2c main.f /x.go:12"
 * at addresses); null at files (a file is no function) or when the name
 * has no function part ("[binary]", "<unknown>").
 */
export function functionOf(name, gran) {
  let s = String(name);
  if (!gran || gran === 'functions') return s;
  if (gran === 'files') return null;
  if (gran === 'addresses') {
    const m = /^[0-9a-f]{16} (.*)$/.exec(s);
    if (m) s = m[1];
  }
  // the last component is the file (and line); what is before it, the function
  const sp = s.lastIndexOf(' ');
  if (sp <= 0) return /^\[.*\]$|^<unknown>$/.test(s) ? null : s;
  return s.slice(0, sp);
}

/** The regex list?fn= takes for exactly one function. */
export function listRegex(fn) {
  return '^' + regexEscape(fn) + '$';
}

/** The name a line of function fn in file has at lines granularity ("main.f /x.go:12"), as the views print it. */
export function lineName(fn, file, line) {
  return `${fn} ${file}:${line}`;
}

/** The regex (Go syntax) that matches exactly the name of that line. */
export function lineRegex(fn, file, line) {
  return '^' + regexEscape(lineName(fn, file, line)) + '$';
}

/**
 * @param {HTMLElement} el
 * @param {{total:number, sample_type:{unit:string}, functions:{function:string, file:string,
 *          flat:number, cum:number, lines:{line:number, flat:number, cum:number}[]}[],
 *          no_source_info:string[]}} data
 * @param {{onSandwich:(fn:string)=>void, onFocus:(fn:string)=>void,
 *          onLineFlame?:(name:string)=>void, onLineSandwich?:(name:string)=>void}} o
 *   onLineFlame: a line's number shows where that line is in the flame graph
 *   (name: the line's name at lines granularity); onLineSandwich: its callers
 *   and callees there. Lines the listing skips (no samples) are one gap row.
 */
export function renderList(el, data, o) {
  const unit = data.sample_type ? data.sample_type.unit : '';
  const total = data.total || 0;
  const fns = Array.isArray(data.functions) ? data.functions : [];
  const blocks = fns.map((f, i) => {
    const max = Math.max(1, ...f.lines.map((l) => Math.abs(l.cum)));
    const rows = [];
    let prev = 0;
    for (const l of f.lines) {
      if (prev > 0 && l.line > prev + 1) {
        const n = l.line - prev - 1;
        rows.push(h('tr', { class: 'list-gap', 'aria-hidden': 'true' }, h('td', { class: 'num line-no' }, '⋮'),
          h('td', { colspan: '5', class: 'muted' }, `${n} line${n === 1 ? '' : 's'} without samples`)));
      }
      prev = l.line;
      const name = l.line > 0 ? lineName(f.function, f.file, l.line) : '';
      rows.push(h('tr', { dataset: { line: String(l.line) } },
        h('td', { class: 'num line-no' }, name && o.onLineFlame
          ? h('button', { class: 'link line-flame', type: 'button', title: `Where ${f.function} at line ${l.line} is in the flame graph (at lines, that line highlighted)`, onclick: () => o.onLineFlame(name) }, String(l.line))
          : (l.line > 0 ? String(l.line) : '?')),
        h('td', { class: 'num' }, l.flat ? formatValue(l.flat, unit) : '.'),
        h('td', { class: 'num' }, l.cum ? formatValue(l.cum, unit) : '.'),
        h('td', { class: 'num pct' }, pprofPercent(l.cum, total)),
        h('td', { class: 'list-bar-cell' }, bar(l.cum, max, l.flat)),
        h('td', { class: 'act' }, name && o.onLineSandwich
          ? h('button', { class: 'icon-btn line-sandwich', type: 'button', title: `Callers and callees of line ${l.line} (at lines)`, 'aria-label': `Callers and callees of line ${l.line}`, onclick: () => o.onLineSandwich(name) }, '⇅')
          : null)));
    }
    return h('section', { class: 'list-fn', id: 'list-fn-' + i, dataset: { function: f.function, file: f.file } },
      h('h3', { class: 'list-h' },
        h('span', { class: 'mono list-name' }, f.function),
        h('span', { class: 'muted' }, ' in '),
        h('span', { class: 'mono list-file', title: f.file }, f.file)),
      h('p', { class: 'list-totals' },
        h('span', { class: 'list-flat' }, formatValue(f.flat, unit), ' flat'), ' · ',
        h('span', { class: 'list-cum' }, formatValue(f.cum, unit), ' cum'), ' · ',
        pprofPercent(f.cum, total), ' of total · ',
        h('button', { class: 'link', type: 'button', onclick: () => o.onFocus(f.function) }, 'focus'), ' · ',
        h('button', { class: 'link', type: 'button', onclick: () => o.onSandwich(f.function) }, 'callers / callees')),
      h('div', { class: 'table-wrap' },
        h('table', { class: 'data list-table' },
          h('thead', null, h('tr', null,
            h('th', { class: 'num', scope: 'col' }, 'Line'),
            h('th', { class: 'num', scope: 'col' }, 'Flat'),
            h('th', { class: 'num', scope: 'col' }, 'Cum'),
            h('th', { class: 'num', scope: 'col' }, 'Cum %'),
            h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Share')),
            h('th', { class: 'act' }, h('span', { class: 'sr-only' }, 'Actions')))),
          h('tbody', null, rows))));
  });
  const nosrc = (data.no_source_info || []).length
    ? h('p', { class: 'muted' }, 'No source information for: ', data.no_source_info.join(', '))
    : null;
  replace(el,
    h('p', { class: 'table-note' },
      `${formatInt(fns.length)} routine${fns.length === 1 ? '' : 's'} · lines with samples only (the server keeps no source text) · total ${formatValue(total, unit)}`),
    ...blocks, nosrc,
    fns.length ? null : h('p', { class: 'empty' }, 'No line information for these functions.'));
}

function bar(cum, max, flat) {
  const track = h('span', { class: 'list-bar' });
  const c = h('span', { class: 'list-bar-cum' });
  const f = h('span', { class: 'list-bar-flat' });
  c.style.width = (Math.abs(cum) / max * 100).toFixed(1) + '%';
  f.style.width = (Math.abs(flat) / max * 100).toFixed(1) + '%';
  track.append(c, f);
  return track;
}
