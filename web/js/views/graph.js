// graph.js: pprof's call graph (GET /graph?format=svg, laid out by Graphviz
// on the server) with pan (drag) and zoom (wheel, +/-, 0 to fit), and the
// peek table (GET /peek: callers and callees of the functions matching a
// regex, as go tool pprof -peek prints them).
//
// The SVG is parsed with DOMParser and only its drawing elements are kept
// (no scripts, no foreignObject, no event attributes, no links), so names in
// it are text, never markup. A click on a node calls onFocus with the
// node's full name (from its tooltip, "NAME (value)").

import { h, replace } from '../dom.js';
import { query, ApiError } from '../api.js';
import { formatValue, formatPercent } from '../format.js';

const SVGNS = 'http://www.w3.org/2000/svg';
const XLINK = 'http://www.w3.org/1999/xlink';

/** Fetch the SVG text of a graph; rejects with an ApiError. */
export async function fetchGraphSvg(pid, params, signal) {
  const res = await fetch(`/api/v1/profiles/${encodeURIComponent(pid)}/graph` + query({ ...params, format: 'svg' }),
    { signal, credentials: 'same-origin', headers: { Accept: 'image/svg+xml' } });
  const text = await res.text();
  if (!res.ok) {
    let code = 'http_' + res.status, msg = text.slice(0, 200);
    try { const j = JSON.parse(text); code = j.error.code; msg = j.error.message; } catch (_) { /* not JSON */ }
    throw new ApiError(res.status, code, msg);
  }
  return text;
}

/** Keep only the drawing of a Graphviz SVG. */
function sanitize(node) {
  for (const el of [...node.querySelectorAll('script, foreignObject, style, iframe, image')]) el.remove();
  for (const el of [node, ...node.querySelectorAll('*')]) {
    for (const a of [...el.attributes]) {
      const n = a.name.toLowerCase();
      if (n.startsWith('on') || n === 'href' || n === 'xlink:href' || n === 'style') el.removeAttribute(a.name);
    }
  }
  return node;
}

/** "FULL.NAME (123ns)" -> "FULL.NAME" */
export function nameOfTooltip(t) {
  const i = t.lastIndexOf(' (');
  return i > 0 ? t.slice(0, i) : t;
}

export class GraphView {
  /** @param {HTMLElement} el  @param {{onFocus:(name:string)=>void}} o */
  constructor(el, o) {
    this.el = el;
    this.o = o;
    this.host = h('div', { class: 'graph-host', id: 'graph-host', tabindex: '0', 'aria-label': 'call graph; drag to pan, wheel to zoom' });
    this.info = h('p', { class: 'muted small-note graph-note' },
      'Drag to pan, wheel or + / − to zoom, 0 to fit; click a node to focus on it.');
    const btn = (label, title, fn) => h('button', { class: 'btn', type: 'button', title, onclick: fn }, label);
    this.tools = h('div', { class: 'graph-tools' },
      btn('+', 'zoom in (+)', () => this.zoom(1 / 1.25)),
      btn('−', 'zoom out (−)', () => this.zoom(1.25)),
      btn('Fit', 'fit (0)', () => this.fit()));
    replace(el, this.tools, this.info, this.host);
    this.svg = null;
    this.vb = null;
    this.full = null;
    this.drag = null;
    this.host.addEventListener('wheel', (ev) => {
      if (!this.svg) return;
      ev.preventDefault();
      const r = this.host.getBoundingClientRect();
      this.zoom(ev.deltaY > 0 ? 1.15 : 1 / 1.15, (ev.clientX - r.left) / r.width, (ev.clientY - r.top) / r.height);
    }, { passive: false });
    this.host.addEventListener('pointerdown', (ev) => {
      if (!this.svg || ev.button !== 0) return;
      this.drag = { x: ev.clientX, y: ev.clientY, vb: { ...this.vb }, moved: false };
      this.host.setPointerCapture(ev.pointerId);
    });
    this.host.addEventListener('pointermove', (ev) => {
      if (!this.drag) return;
      const r = this.host.getBoundingClientRect();
      const dx = (ev.clientX - this.drag.x) * this.drag.vb.w / r.width;
      const dy = (ev.clientY - this.drag.y) * this.drag.vb.h / r.height;
      if (Math.abs(ev.clientX - this.drag.x) + Math.abs(ev.clientY - this.drag.y) > 3) this.drag.moved = true;
      this.vb = { ...this.drag.vb, x: this.drag.vb.x - dx, y: this.drag.vb.y - dy };
      this.apply();
    });
    const end = (ev) => {
      const d = this.drag;
      this.drag = null;
      if (d && !d.moved && ev.type === 'pointerup') this.clickAt(ev);
    };
    this.host.addEventListener('pointerup', end);
    this.host.addEventListener('pointercancel', end);
    this.host.addEventListener('keydown', (ev) => {
      if (ev.key === '+' || ev.key === '=') { this.zoom(1 / 1.25); ev.preventDefault(); }
      else if (ev.key === '-') { this.zoom(1.25); ev.preventDefault(); }
      else if (ev.key === '0') { this.fit(); ev.preventDefault(); }
    });
  }

  clickAt(ev) {
    const target = document.elementFromPoint(ev.clientX, ev.clientY);
    const g = target && target.closest && target.closest('g.node');
    if (!g || !this.host.contains(g)) return;
    const name = g.dataset.name;
    if (name) this.o.onFocus(name);
  }

  /** Show the SVG text of a graph. */
  setSvg(text) {
    const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
    const src = doc.documentElement;
    if (!src || src.namespaceURI !== SVGNS || src.localName !== 'svg') throw new Error('the server sent no SVG');
    const svg = sanitize(document.importNode(src, true));
    svg.removeAttribute('width');
    svg.removeAttribute('height');
    svg.setAttribute('class', 'graph-svg');
    svg.setAttribute('preserveAspectRatio', 'xMidYMid meet');
    let n = 0;
    for (const g of svg.querySelectorAll('g.node')) {
      const a = g.querySelector('a');
      const tip = a ? (a.getAttributeNS(XLINK, 'title') || a.getAttribute('xlink:title') || '') : '';
      const title = g.querySelector('title');
      if (!title || !/^N\d+$/.test(title.textContent)) { g.classList.add('graph-legend'); continue; }
      g.dataset.name = nameOfTooltip(tip);
      g.dataset.node = title.textContent;
      g.setAttribute('role', 'button');
      n++;
    }
    const vb = (svg.getAttribute('viewBox') || '0 0 100 100').split(/[\s,]+/).map(Number);
    this.full = { x: vb[0], y: vb[1], w: vb[2] || 100, h: vb[3] || 100 };
    this.svg = svg;
    replace(this.host, svg);
    this.host.dataset.nodes = String(n);
    this.fit();
    this.host.dataset.ready = '1';
  }

  setError(msg) {
    this.svg = null;
    replace(this.host, h('p', { class: 'empty' }, msg));
    this.host.dataset.ready = '1';
  }

  fit() {
    if (!this.full) return;
    this.vb = { ...this.full };
    this.apply();
  }

  zoom(f, fx = 0.5, fy = 0.5) {
    if (!this.vb) return;
    const w = Math.min(Math.max(this.vb.w * f, this.full.w / 50), this.full.w * 4);
    const hh = this.vb.h * (w / this.vb.w);
    this.vb = { x: this.vb.x + (this.vb.w - w) * fx, y: this.vb.y + (this.vb.h - hh) * fy, w, h: hh };
    this.apply();
  }

  apply() {
    if (this.svg && this.vb) this.svg.setAttribute('viewBox', `${this.vb.x} ${this.vb.y} ${this.vb.w} ${this.vb.h}`);
  }
}

/** The peek table: per matching function, callers above it and callees below. */
export function renderPeek(el, data, { onFocus }) {
  const unit = data.sample_type ? data.sample_type.unit : '';
  const rows = [];
  for (const e of data.entries || []) {
    const edge = (c, kind) => h('tr', { class: 'peek-' + kind },
      h('td', { class: 'num' }, formatValue(c.weight, unit)),
      h('td', { class: 'num' }, formatPercent(c.weight, e.cum)),
      h('td', null), h('td', null),
      h('td', { class: 'peek-name mono' }, kind === 'caller' ? '↑ ' : '↓ ',
        h('button', { class: 'peek-link', type: 'button', onclick: () => onFocus(c.function) }, c.function),
        c.inline ? h('span', { class: 'muted' }, ' (inline)') : null));
    rows.push(h('tbody', { class: 'peek-entry' },
      ...e.callers.map((c) => edge(c, 'caller')),
      h('tr', { class: 'peek-self' },
        h('td', { class: 'num' }, formatValue(e.flat, unit)),
        h('td', { class: 'num' }, formatPercent(e.flat, data.total)),
        h('td', { class: 'num' }, formatValue(e.cum, unit)),
        h('td', { class: 'num' }, formatPercent(e.cum, data.total)),
        h('td', { class: 'peek-name mono' }, h('strong', null, e.function))),
      ...e.callees.map((c) => edge(c, 'callee'))));
  }
  replace(el, h('table', { class: 'data peek-table', id: 'peek-table' },
    h('thead', null, h('tr', null,
      h('th', { class: 'num' }, 'flat / calls'), h('th', { class: 'num' }, '%'),
      h('th', { class: 'num' }, 'cum'), h('th', { class: 'num' }, 'cum%'), h('th', null, 'function and context'))),
    ...rows));
}
