// flamegraph.js: the interactive flame graph widget. It ties a FlameModel
// (model.js) to a layout (layout.js) and a canvas renderer (render.js) and
// handles sizing, hover tooltips and clicks. What a click means (zoom, URL
// update) is the page's business, through the callbacks.

import { layoutFlame, MERGED } from './layout.js';
import { renderFlame, renderHover, canvasTheme, isDark, rowAt, ROW_HEIGHT } from './render.js';
import { Palette } from './colors.js';
import { h, replace } from '../dom.js';
import { formatValue, formatPercent, formatInt } from '../format.js';

export class FlameGraph {
  /**
   * @param {HTMLElement} host  an empty element; the widget fills its width
   * @param {{flame?: boolean, onZoom?: (node:number)=>void, onSelect?: (name:string)=>void,
   *          label?: string, minHeight?: number,
   *          tip?: (node:number)=>Array<Node|string|null>, onScheme?: ()=>void,
   *          onContext?: (node:number, x:number, y:number)=>void}} opts
   *   tip builds the tooltip's content for a frame (default: total, self, parent);
   *   onScheme runs when the colour scheme changes, before the redraw;
   *   onContext takes a right click on a frame (the page's frame menu).
   */
  constructor(host, opts = {}) {
    this.host = host;
    this.opts = opts;
    this.flame = !!opts.flame;
    this.model = null;
    this.unit = '';
    this.zoom = 0;
    this.hits = null;
    this.lay = null;
    this.hover = { row: -1, k: -1 };
    this.width = 0;
    this.height = 0;
    this.frame = 0;
    this.palette = null;
    this.theme = null;
    this.paint = null;

    host.classList.add('flame-host');
    this.canvas = h('canvas', { class: 'flame-canvas', role: 'img', 'aria-label': opts.label || 'flame graph' });
    this.overlay = h('canvas', { class: 'flame-overlay', 'aria-hidden': 'true' });
    this.stack = h('div', { class: 'flame-stack' }, this.canvas, this.overlay);
    this.empty = h('div', { class: 'flame-empty', hidden: true });
    this.tip = h('div', { class: 'tooltip', role: 'tooltip', hidden: true });
    replace(host, this.stack, this.empty);
    document.body.appendChild(this.tip);
    // debugging hook: from devtools (and the e2e tests), canvas.flamegraph is this widget
    this.canvas.flamegraph = this;
    this.ctx = this.canvas.getContext('2d', { alpha: false });
    this.octx = this.overlay.getContext('2d');

    this.onMove = (ev) => this.handleMove(ev);
    this.onLeave = () => this.setHover(-1, -1, null);
    this.onClick = (ev) => this.handleClick(ev);
    this.onContext = (ev) => this.handleContext(ev);
    this.stack.addEventListener('mousemove', this.onMove);
    this.stack.addEventListener('mouseleave', this.onLeave);
    this.stack.addEventListener('click', this.onClick);
    this.stack.addEventListener('contextmenu', this.onContext);

    this.resizeObs = new ResizeObserver(() => {
      const w = Math.floor(this.host.clientWidth);
      if (w !== this.width) this.invalidate();
    });
    this.resizeObs.observe(host);
    this.mql = typeof matchMedia === 'function' ? matchMedia('(prefers-color-scheme: dark)') : null;
    this.onScheme = () => {
      this.palette = null;
      this.theme = null;
      if (this.opts.onScheme) this.opts.onScheme();
      this.invalidate();
    };
    if (this.mql) this.mql.addEventListener('change', this.onScheme);
  }

  destroy() {
    cancelAnimationFrame(this.frame);
    this.resizeObs.disconnect();
    if (this.mql) this.mql.removeEventListener('change', this.onScheme);
    this.tip.remove();
    this.host.replaceChildren();
  }

  /**
   * New data; zoom is a node index of the new model (0 = root); paint as
   * for setPaint (undefined keeps the current one).
   */
  setData(model, unit, zoom = 0, paint = undefined) {
    this.model = model;
    this.unit = unit;
    this.zoom = zoom;
    this.hits = null;
    this.palette = null;
    if (paint !== undefined) this.paint = paint;
    this.renderNow();
  }
  setZoom(node) {
    if (node === this.zoom) return;
    this.zoom = node;
    this.renderNow();
  }
  /** Colours per frame instead of per package (see render.js); null = package colours. Zoom as for setZoom. */
  setPaint(paint, zoom = this.zoom) {
    this.paint = paint;
    this.zoom = zoom;
    if (this.model) this.renderNow();
  }
  setHits(hits) {
    this.hits = hits;
    this.renderNow();
  }
  setOrientation(flame) {
    if (this.flame === !!flame) return;
    this.flame = !!flame;
    this.renderNow();
  }

  invalidate() {
    cancelAnimationFrame(this.frame);
    this.frame = requestAnimationFrame(() => this.renderNow());
  }

  /** Layout and draw synchronously. */
  renderNow() {
    cancelAnimationFrame(this.frame);
    const t0 = performance.now();
    const m = this.model;
    const width = Math.max(Math.floor(this.host.clientWidth), 100);
    this.width = width;
    this.setHover(-1, -1, null);
    if (!m || !m.n || m.rootTotal <= 0) {
      this.lay = null;
      this.stack.hidden = true;
      this.empty.hidden = false;
      this.empty.textContent = !m ? 'Loading…'
        : m.hasNegative() ? 'This view holds negative values (the profile looks like a saved diff), which a flame graph cannot draw. The Top table lists them.'
          : m.n > 1 ? 'Nothing to draw: the samples of this view add up to zero. Another sample type may have values.'
            : 'No samples in this view. A filter, or another sample type, may show some.';
      this.canvas.dataset.ready = m ? '1' : '';
      this.canvas.dataset.rects = '0';
      return;
    }
    this.stack.hidden = false;
    this.empty.hidden = true;
    if (this.zoom < 0 || this.zoom >= m.n) this.zoom = 0;
    const lay = layoutFlame(m, { zoom: this.zoom, width });
    this.lay = lay;
    const minH = this.opts.minHeight || 0;
    const height = Math.max(lay.levels * ROW_HEIGHT, minH);
    this.height = height;
    const dpr = window.devicePixelRatio || 1;
    for (const c of [this.canvas, this.overlay]) {
      const cw = Math.round(width * dpr), ch = Math.round(height * dpr);
      if (c.width !== cw) c.width = cw;
      if (c.height !== ch) c.height = ch;
      c.style.width = width + 'px';
      c.style.height = height + 'px';
    }
    this.stack.style.height = height + 'px';
    if (!this.theme) this.theme = canvasTheme(this.host);
    if (!this.palette) this.palette = new Palette(m.names, isDark());
    this.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    this.octx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const stats = renderFlame(this.ctx, lay, m, {
      width, height, flame: this.flame, theme: this.theme, palette: this.palette, hits: this.hits, zoom: this.zoom, paint: this.paint,
    });
    const ms = performance.now() - t0;
    const ds = this.canvas.dataset;
    ds.ready = '1';
    ds.nodes = String(m.n);
    ds.rects = String(stats.drawn);
    ds.highlighted = String(this.hits ? stats.highlighted : 0);
    ds.zoom = m.nameOf(this.zoom);
    ds.orientation = this.flame ? 'flame' : 'icicle';
    ds.drawMs = ms.toFixed(1);
  }

  /** (row, rect index) under a mouse event, or [-1, -1]. */
  locate(ev) {
    if (!this.lay) return [-1, -1];
    const r = this.canvas.getBoundingClientRect();
    const x = ev.clientX - r.left;
    const y = ev.clientY - r.top;
    const row = rowAt(y, this.height, this.flame);
    if (row < 0 || row >= this.lay.levels) return [-1, -1];
    return [row, this.lay.hit(row, x)];
  }

  handleMove(ev) {
    const [row, k] = this.locate(ev);
    this.setHover(row, k, ev);
  }

  handleClick(ev) {
    const [row, k] = this.locate(ev);
    if (row < 0 || k < 0) return;
    const node = this.lay.rows[row].node[k];
    if (node === MERGED) return;
    if (this.opts.onZoom) this.opts.onZoom(node);
  }

  /** Right click: the page's frame menu (opts.onContext), not the browser's. */
  handleContext(ev) {
    if (!this.opts.onContext) return;
    const [row, k] = this.locate(ev);
    if (row < 0 || k < 0) return;
    const node = this.lay.rows[row].node[k];
    if (node === MERGED) return;
    ev.preventDefault();
    this.setHover(-1, -1, null);
    this.opts.onContext(node, ev.clientX, ev.clientY);
  }

  /** The client point at the start of node's rectangle (for a menu opened
   *  from the keyboard), or null when it is not drawn. */
  nodePoint(node) {
    if (!this.lay || !this.model || node < 0 || node >= this.model.n) return null;
    const d = this.model.depth[node];
    const row = this.lay.rows[d];
    if (!row) return null;
    const k = row.node.indexOf(node);
    if (k < 0) return null;
    const r = this.canvas.getBoundingClientRect();
    const y = this.flame ? this.height - (d + 1) * ROW_HEIGHT : d * ROW_HEIGHT;
    return { x: r.left + row.x[k] + Math.min(8, row.w[k] / 2), y: r.top + y + ROW_HEIGHT };
  }

  /** The node under the mouse, or -1. */
  hoveredNode() {
    const { row, k } = this.hover;
    if (!this.lay || row < 0 || k < 0) return -1;
    return this.lay.rows[row].node[k];
  }

  setHover(row, k, ev) {
    const changed = row !== this.hover.row || k !== this.hover.k;
    this.hover = { row, k };
    if (changed && this.lay) {
      renderHover(this.octx, this.lay, { width: this.width, height: this.height, flame: this.flame, theme: this.theme || canvasTheme(this.host) }, row, k);
    }
    if (row < 0 || k < 0 || !ev) {
      this.tip.hidden = true;
      this.stack.classList.remove('pointing');
      return;
    }
    this.stack.classList.add('pointing');
    if (changed) this.fillTip(this.lay.rows[row].node[k], this.lay.rows[row].merged[k]);
    this.tip.hidden = false;
    this.placeTip(ev.clientX, ev.clientY);
  }

  fillTip(node, mergedCount) {
    const m = this.model;
    if (node === MERGED) {
      replace(this.tip,
        h('div', { class: 'tt-name' }, `${formatInt(mergedCount)} frames too narrow to draw`),
        h('div', { class: 'tt-hint' }, 'Click a wider frame above them to zoom in.'));
      return;
    }
    if (this.opts.tip) {
      replace(this.tip, this.opts.tip(node),
        h('div', { class: 'tt-hint' }, node === this.zoom ? (node ? 'Click an ancestor above to zoom out · Esc resets' : 'Click a frame to zoom in') : 'Click to zoom'));
      return;
    }
    const total = m.total[node];
    const self = m.self[node];
    const p = m.parent[node];
    const all = m.rootTotal;
    const rows = [
      ['Total', `${formatValue(total, this.unit)}`, formatPercent(total, all) + ' of all'],
      ['Self', `${formatValue(self, this.unit)}`, formatPercent(self, all) + ' of all'],
    ];
    if (p >= 0) rows.push(['Parent', formatPercent(total, m.total[p]) + ' of parent', m.nameOf(p)]);
    const file = m.fileOf(node);
    replace(this.tip,
      h('div', { class: 'tt-name' }, m.nameOf(node)),
      file ? h('div', { class: 'tt-file' }, file) : null,
      h('table', { class: 'tt-table' },
        h('tbody', null, rows.map(([a, b, c]) => h('tr', null, h('th', null, a), h('td', { class: 'num' }, b), h('td', { class: 'tt-rel' }, c))))),
      h('div', { class: 'tt-hint' }, node === this.zoom ? (node ? 'Click an ancestor above to zoom out · Esc resets' : 'Click a frame to zoom in') : 'Click to zoom' + (this.opts.onSelect ? ' · s: callers/callees' : '')));
  }

  placeTip(cx, cy) {
    const tip = this.tip;
    const pad = 14;
    const tw = tip.offsetWidth, th = tip.offsetHeight;
    let x = cx + pad, y = cy + pad;
    if (x + tw > window.innerWidth - 4) x = Math.max(4, cx - tw - pad);
    if (y + th > window.innerHeight - 4) y = Math.max(4, cy - th - pad);
    tip.style.left = x + 'px';
    tip.style.top = y + 'px';
  }
}
