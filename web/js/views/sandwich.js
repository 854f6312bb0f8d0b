// sandwich.js: callers above, callees below one function. Both trees come
// from /sandwich with the function itself as root; callers are drawn as a
// flame (root at the bottom, callers growing up), callees as an icicle.

import { h, replace } from '../dom.js';
import { FlameModel } from '../flame/model.js';
import { FlameGraph } from '../flame/flamegraph.js';
import { formatValue, formatPercent } from '../format.js';

export class SandwichView {
  /** @param {HTMLElement} el  @param {{onPick:(name:string)=>void}} o */
  constructor(el, o) {
    this.el = el;
    this.o = o;
    this.summary = h('p', { class: 'sandwich-summary' });
    const callersHost = h('div', { class: 'sandwich-graph' });
    const calleesHost = h('div', { class: 'sandwich-graph' });
    replace(el,
      this.summary,
      h('h3', { class: 'sandwich-h' }, 'Callers ', h('span', { class: 'muted' }, '(who calls it; read upward)')),
      callersHost,
      h('h3', { class: 'sandwich-h' }, 'Callees ', h('span', { class: 'muted' }, '(what it calls; read downward)')),
      calleesHost);
    const pick = (fg, node) => { if (node > 0) o.onPick(fg.model.nameOf(node)); };
    this.callers = new FlameGraph(callersHost, { flame: true, label: 'callers flame graph', onZoom: (node) => pick(this.callers, node) });
    this.callees = new FlameGraph(calleesHost, { flame: false, label: 'callees flame graph', onZoom: (node) => pick(this.callees, node) });
  }

  setData(data) {
    const unit = data.sample_type ? data.sample_type.unit : '';
    const callers = new FlameModel(data.callers || { names: [], nodes: [] });
    const callees = new FlameModel(data.callees || { names: [], nodes: [] });
    const fnTotal = callees.n ? callees.total[0] : 0;
    const fnSelf = callees.n ? callees.self[0] : 0;
    replace(this.summary,
      h('strong', { class: 'fn-name' }, String(data.function || '')),
      ` — total ${formatValue(fnTotal, unit)} (${formatPercent(fnTotal, data.total)}), self ${formatValue(fnSelf, unit)} (${formatPercent(fnSelf, data.total)}). Click a caller or callee to centre on it.`);
    this.callers.setData(callers, unit, 0);
    this.callees.setData(callees, unit, 0);
  }

  destroy() {
    this.callers.destroy();
    this.callees.destroy();
  }
}
