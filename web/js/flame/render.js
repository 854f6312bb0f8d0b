// render.js: draws a FlameLayout on a 2D canvas. One fillRect per laid-out
// rectangle, text only where it fits; there is no DOM node per frame. The
// colours come from outside (colors.js, diffcolors.js: plain strings and
// hatch descriptions); this module alone reads the page's theme and makes
// canvas objects (patterns).

import { MERGED } from './layout.js';
import { shortName } from '../format.js';

export const ROW_HEIGHT = 18;
const FONT_PX = 12;
const TEXT_PAD = 4;
const MIN_TEXT_WIDTH = 22;

/** Is the page in the dark colour scheme? */
export function isDark() {
  return typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches;
}

/** Top of a layout row in a canvas `height` px tall; flame: root at the bottom. */
export function rowY(row, height, flame) {
  return flame ? height - (row + 1) * ROW_HEIGHT : row * ROW_HEIGHT;
}

/** The layout row at y px (inverse of rowY; may be out of range). */
export function rowAt(y, height, flame) {
  return Math.floor((flame ? height - y : y) / ROW_HEIGHT);
}

/** Theme colours for the canvas, read from the CSS custom properties. */
export function canvasTheme(el) {
  const cs = getComputedStyle(el);
  const v = (name, fb) => (cs.getPropertyValue(name) || '').trim() || fb;
  return {
    bg: v('--canvas-bg', '#fff'),
    text: v('--frame-text', '#1a1a1a'),
    dimFill: v('--frame-dim', '#e4e1de'),
    dimText: v('--frame-dim-text', '#8a8580'),
    merged: v('--frame-merged', '#c9c4bf'),
    hitStroke: v('--frame-hit-stroke', '#1d4ed8'),
    font: `${FONT_PX}px ${v('--font-ui', 'system-ui, sans-serif')}`,
  };
}

/**
 * Fit a name into maxW pixels, cutting it with an ellipsis; Go names are cut
 * from the left of the package path first, so "…/pkg.Func" stays readable.
 */
function fitText(ctx, text, maxW, charW) {
  if (text.length * charW * 0.8 <= maxW && ctx.measureText(text).width <= maxW) return text;
  let n = Math.floor(maxW / charW);
  if (n < 2) return '';
  let s = text.slice(0, n - 1) + '…';
  while (n > 1 && ctx.measureText(s).width > maxW) {
    n--;
    s = text.slice(0, n - 1) + '…';
  }
  return n > 1 ? s : '';
}

// hatch description ({dir, colour}) → CanvasPattern, per canvas context
const patterns = new WeakMap();

/** A repeating 8 px tile of diagonal lines: dir > 0 rising (/), else falling (\). */
function hatchPattern(ctx, hatch) {
  let byCtx = patterns.get(ctx);
  if (!byCtx) { byCtx = new Map(); patterns.set(ctx, byCtx); }
  const key = hatch.dir + '|' + hatch.colour;
  let pat = byCtx.get(key);
  if (pat) return pat;
  const n = 8;
  const tile = document.createElement('canvas');
  tile.width = n; tile.height = n;
  const c = tile.getContext('2d');
  c.strokeStyle = hatch.colour;
  c.lineWidth = 1.2;
  c.beginPath();
  if (hatch.dir > 0) { c.moveTo(0, n); c.lineTo(n, 0); c.moveTo(-n / 2, n / 2); c.lineTo(n / 2, -n / 2); c.moveTo(n / 2, n + n / 2); c.lineTo(n + n / 2, n / 2); }
  else { c.moveTo(0, 0); c.lineTo(n, n); c.moveTo(n / 2, -n / 2); c.lineTo(n + n / 2, n / 2); c.moveTo(-n / 2, n / 2); c.lineTo(n / 2, n + n / 2); }
  c.stroke();
  pat = ctx.createPattern(tile, 'repeat');
  byCtx.set(key, pat);
  return pat;
}

/**
 * @param {CanvasRenderingContext2D} ctx  already scaled for devicePixelRatio
 * @param {import('./layout.js').FlameLayout} lay
 * @param {import('./model.js').FlameModel} model
 * @param {{width:number, height:number, flame:boolean, palette, theme, hits?:Uint8Array|null, zoom:number,
 *          paint?: {fill:(node:number)=>string, text?:(node:number)=>string,
 *                   hatch?:(node:number)=>({dir:number, colour:string}|null)}|null}} o
 *   paint replaces the package colours (the diff view colours by change);
 *   hatch(node) lays diagonal lines over the frame (new / gone frames).
 */
export function renderFlame(ctx, lay, model, o) {
  const { width, height, theme, palette, hits } = o;
  const paint = o.paint || null;
  ctx.fillStyle = theme.bg;
  ctx.fillRect(0, 0, width, height);
  ctx.font = theme.font;
  ctx.textBaseline = 'middle';
  const charW = ctx.measureText('abcdefghijklmnopqrstuvwxyz').width / 26;
  const zoomDepth = lay.zoom >= 0 ? model.depth[lay.zoom] : 0;
  let drawn = 0, highlighted = 0;
  for (let d = 0; d < lay.levels; d++) {
    const row = lay.rows[d];
    const y = rowY(d, height, o.flame);
    if (y + ROW_HEIGHT < 0 || y > height) continue;
    const context = d < zoomDepth; // ancestors of the zoomed frame
    for (let k = 0; k < row.x.length; k++) {
      const x = row.x[k];
      const w = row.w[k];
      const node = row.node[k];
      let fill;
      let dim = false;
      if (node === MERGED) fill = theme.merged;
      else if (hits && !hits[node]) { fill = theme.dimFill; dim = true; }
      else {
        fill = paint ? paint.fill(node) : palette.forName(model.name[node]);
        if (hits) highlighted++;
      }
      ctx.globalAlpha = context ? 0.55 : 1;
      ctx.fillStyle = fill;
      const gap = w > 3 ? 1 : 0;
      ctx.fillRect(x, y, Math.max(w - gap, 0.5), ROW_HEIGHT - 1);
      if (paint && paint.hatch && node !== MERGED && !dim) {
        const hatch = paint.hatch(node);
        if (hatch) {
          ctx.fillStyle = hatchPattern(ctx, hatch);
          ctx.fillRect(x, y, Math.max(w - gap, 0.5), ROW_HEIGHT - 1);
        }
      }
      drawn++;
      if (node !== MERGED && w >= MIN_TEXT_WIDTH) {
        const full = model.nameOf(node);
        const avail = w - 2 * TEXT_PAD;
        const label = full.length * charW * 0.8 <= avail && ctx.measureText(full).width <= avail
          ? full : fitText(ctx, shortName(full), avail, charW);
        if (label) {
          ctx.fillStyle = dim ? theme.dimText : paint && paint.text ? paint.text(node) : theme.text;
          ctx.fillText(label, x + TEXT_PAD, y + ROW_HEIGHT / 2);
        }
      }
    }
  }
  ctx.globalAlpha = 1;
  return { drawn, highlighted };
}

/** Outline one rectangle on the overlay canvas (hover). */
export function renderHover(ctx, lay, o, row, k) {
  ctx.clearRect(0, 0, o.width, o.height);
  if (row < 0 || k < 0) return;
  const r = lay.rows[row];
  const y = rowY(row, o.height, o.flame);
  ctx.strokeStyle = o.theme.hitStroke;
  ctx.lineWidth = 2;
  ctx.strokeRect(r.x[k] + 1, y + 1, Math.max(r.w[k] - 2, 1), ROW_HEIGHT - 3);
}
