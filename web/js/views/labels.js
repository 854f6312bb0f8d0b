// labels.js: the pprof label breakdown (from /tags): each key, each value
// with its total. A click on a value focuses the flame graph on it.

import { h, replace } from '../dom.js';
import { formatValue, formatPercent, formatInt } from '../format.js';

/**
 * @param {HTMLElement} el
 * @param {{tags:{key:string, values:{value:string,total:number}[]}[]}} data
 * @param {{unit:string, active:string, onPick:(key:string, value:string)=>void}} o
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
    const FIRST = 25;
    return h('section', { class: 'card label-card' },
      h('h3', null, key, h('span', { class: 'muted' }, ` · ${formatInt(values.length)} value${values.length === 1 ? '' : 's'}`)),
      h('div', { class: 'table-wrap' },
        h('table', { class: 'data label-table' },
          h('thead', null, h('tr', null, h('th', { class: 'fn' }, 'Value'), h('th', { class: 'num' }, 'Total'), h('th', { class: 'num' }, 'Share'))),
          h('tbody', null, values.map((v, i) => {
            const value = String(v.value);
            const p = sum ? v.total / sum : 0;
            const bar = h('span', { class: 'pct-bar' });
            bar.style.width = (p * 100).toFixed(1) + '%';
            const cls = [o.active === key + '\u0000' + value ? 'active' : '', i >= FIRST ? 'more' : ''].join(' ').trim();
            return h('tr', { class: cls || null, hidden: i >= FIRST },
              h('td', { class: 'fn' }, h('button', { class: 'link label-value', type: 'button', title: `Focus the flame graph on ${key}=${value}`, dataset: { key, value }, onclick: () => o.onPick(key, value) }, value || '(empty)')),
              h('td', { class: 'num' }, formatValue(v.total, o.unit)),
              h('td', { class: 'num pct' }, h('span', { class: 'pct-track' }, bar), h('span', { class: 'pct-text' }, formatPercent(v.total, sum))));
          })))),
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
