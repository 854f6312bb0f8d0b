// labels.js: the pprof label breakdown (from /tags): each key, each value
// with its total. A click on a value focuses the flame graph on it.
// Shares are of the view's total (data.total), the same whole, and the same
// formatPercent, as the flame graph's: a key's values and its "no KEY
// label" row (the samples without the key) make up that whole.
//
// Comparisons (o.compareUrl): a value against the rest of the profile, or
// against the key's other largest value; and, for a key with more values
// than another (a request's trace_id against its endpoint), a value
// against its baseline: the other samples of the value of that grouping
// key it falls in (o.onBaseline; baselineKey says which key groups).

import { h, replace } from '../dom.js';
import { formatValue, formatPercent, formatInt } from '../format.js';

/**
 * The key that groups the values of key `key` (a request's endpoint): the
 * string key other than it with the fewest values, fewer than `key` has,
 * at least one; null when none.
 * @param {{key:string, numeric?:boolean, n_values?:number, values:any[]}[]} tags
 */
export function baselineKey(tags, key) {
  const count = (t) => (typeof t.n_values === 'number' ? t.n_values : (t.values || []).length);
  const me = tags.find((t) => String(t.key) === key);
  if (!me || me.numeric) return null;
  let best = null;
  for (const t of tags) {
    if (String(t.key) === key || t.numeric || count(t) < 1 || count(t) >= count(me)) continue;
    if (!best || count(t) < count(best) || (count(t) === count(best) && String(t.key) < String(best.key))) best = t;
  }
  return best ? String(best.key) : null;
}

/**
 * @param {HTMLElement} el
 * @param {{tags:{key:string, values:{value:string,total:number}[]}[]}} data
 * @param {{unit:string, active:string, onPick:(key:string, value:string)=>void,
 *          compareUrl?:(key:string, value:string, other:string|null)=>string,
 *          onBaseline?:(key:string, value:string, group:string)=>void}} o
 */
export function renderLabels(el, data, o) {
  const tags = Array.isArray(data.tags) ? data.tags : [];
  if (!tags.length) {
    replace(el, h('p', { class: 'empty' }, 'This profile has no pprof labels (tags).'));
    return;
  }
  const cards = tags.map((t) => {
    const key = String(t.key);
    const values = Array.isArray(t.values) ? t.values.slice() : [];
    values.sort((a, b) => b.total - a.total);
    const sum = values.reduce((s, v) => s + (+v.total || 0), 0);
    const whole = +data.total > 0 ? +data.total : sum;
    const labelled = typeof t.labelled === 'number' ? t.labelled : sum;
    const unlabelled = typeof t.unlabelled === 'number' ? t.unlabelled : 0;
    const FIRST = 25;
    const group = o.onBaseline ? baselineKey(tags, key) : null;
    const unlabelledRow = unlabelled > 0 ? h('tr', { class: 'unlabelled' },
      h('td', { class: 'fn muted' }, `(no ${key} label)`),
      h('td', { class: 'num' }, formatValue(unlabelled, o.unit)),
      h('td', { class: 'num pct' }, pctBar(unlabelled, whole), h('span', { class: 'pct-text' }, formatPercent(unlabelled, whole)))) : null;
    return h('section', { class: 'card label-card', dataset: { key } },
      h('h3', null, key, h('span', { class: 'muted' }, ` · ${formatInt(values.length)} value${values.length === 1 ? '' : 's'}`)),
      h('p', { class: 'label-total muted' }, `on ${formatValue(labelled, o.unit)} of ${formatValue(whole, o.unit)} (${formatPercent(labelled, whole)})`),
      h('div', { class: 'table-wrap' },
        h('table', { class: 'data label-table' },
          h('thead', null, h('tr', null, h('th', { class: 'fn' }, 'Value'), h('th', { class: 'num' }, 'Total'), h('th', { class: 'num' }, 'Share'))),
          h('tbody', null, values.map((v, i) => {
            const value = String(v.value);
            const bar = pctBar(v.total, whole);
            const cls = [o.active === key + '\u0000' + value ? 'active' : '', i >= FIRST ? 'more' : ''].join(' ').trim();
            return h('tr', { class: cls || null, hidden: i >= FIRST },
              h('td', { class: 'fn' }, h('button', { class: 'link label-value', type: 'button', title: `Focus the flame graph on ${key}=${value}`, dataset: { key, value }, onclick: () => o.onPick(key, value) }, value || '(empty)'),
                o.compareUrl && !t.numeric ? h('a', { class: 'link label-compare', href: o.compareUrl(key, value, null), title: `Diff ${key}=${value} against the rest of this profile`, dataset: { key, value } }, 'vs rest') : null,
                o.compareUrl && !t.numeric && values.length > 1 ? h('a', { class: 'link label-compare', href: o.compareUrl(key, value, String(values[i === 0 ? 1 : 0].value)), title: `Diff ${key}=${value} against ${key}=${values[i === 0 ? 1 : 0].value}`, dataset: { key, value } }, `vs ${values[i === 0 ? 1 : 0].value || '(empty)'}`) : null,
                group ? h('button', { class: 'link label-compare label-baseline', type: 'button', title: `Diff ${key}=${value} against the other samples of its ${group} (normalized)`, dataset: { key, value, group }, onclick: () => o.onBaseline(key, value, group) }, `vs its ${group}`) : null),
              h('td', { class: 'num' }, formatValue(v.total, o.unit)),
              h('td', { class: 'num pct' }, bar, h('span', { class: 'pct-text' }, formatPercent(v.total, whole))));
          }), unlabelledRow))),
      values.length > FIRST ? h('button', {
        class: 'link more-btn', type: 'button',
        onclick: (ev) => {
          for (const tr of ev.target.closest('.label-card').querySelectorAll('tr.more')) tr.hidden = false;
          ev.target.remove();
        },
      }, `Show all ${formatInt(values.length)} values`) : null);
  });
  replace(el, h('div', { class: 'label-grid' }, cards));
}

function pctBar(v, whole) {
  const p = whole ? Math.max(0, Math.min(1, v / whole)) : 0;
  const bar = h('span', { class: 'pct-bar' });
  bar.style.width = (p * 100).toFixed(1) + '%';
  return h('span', { class: 'pct-track' }, bar);
}
