// layout.js: a FlameModel plus a zoomed node and a width in pixels → rows of
// rectangles. No drawing here.
//
// The zoomed node fills the full width; its ancestors are shown above it at
// full width too (as context), so a row's index is simply the node's depth.
// A node narrower than minWidth pixels is not laid out alone: its whole
// subtree is skipped (children are never wider than their parent) and
// adjacent tiny nodes of one row are merged into one "merged" rectangle,
// so the work per frame is bounded by width × depth, not by node count.

export const MERGED = -1;

export class FlameLayout {
  constructor(levels) {
    // per row: parallel arrays, sorted by x
    this.rows = [];
    for (let d = 0; d < levels; d++) this.rows.push({ x: [], w: [], node: [], merged: [] });
    this.levels = levels;
    this.count = 0;
  }
  push(d, x, w, node, merged) {
    const r = this.rows[d];
    r.x.push(x); r.w.push(w); r.node.push(node); r.merged.push(merged);
    this.count++;
  }
  /** Rectangle index at (row, x) or -1, by binary search. */
  hit(row, x) {
    const r = this.rows[row];
    if (!r) return -1;
    let lo = 0, hi = r.x.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (x < r.x[mid]) hi = mid - 1;
      else if (x >= r.x[mid] + r.w[mid]) lo = mid + 1;
      else return mid;
    }
    return -1;
  }
}

/**
 * @param {import('./model.js').FlameModel} model
 * @param {{zoom: number, width: number, minWidth?: number, maxLevels?: number}} opts
 */
export function layoutFlame(model, { zoom = 0, width, minWidth = 1, maxLevels = 1500 }) {
  if (!model.n) return new FlameLayout(0);
  if (zoom < 0 || zoom >= model.n) zoom = 0;
  const levels = Math.min(model.subtreeMaxDepth(zoom) + 1, maxLevels);
  const out = new FlameLayout(levels);
  out.zoom = zoom;
  out.width = width;
  out.truncated = model.subtreeMaxDepth(zoom) + 1 > maxLevels;
  const z0 = model.start[zoom];
  const zt = model.total[zoom];
  if (zt <= 0) {
    for (const a of model.ancestry(zoom)) out.push(model.depth[a], 0, width, a, 0);
    return out;
  }
  const scale = width / zt;
  out.scale = scale;

  // ancestors and the zoomed node itself: full width
  for (const a of model.ancestry(zoom)) if (model.depth[a] < levels) out.push(model.depth[a], 0, width, a, 0);

  // pending merged run per row
  const runX = new Float64Array(levels).fill(-1);
  const runEnd = new Float64Array(levels);
  const runN = new Int32Array(levels);
  const flush = (d) => {
    if (runX[d] < 0) return;
    const w = runEnd[d] - runX[d];
    if (w >= 0.5) out.push(d, runX[d], w, MERGED, runN[d]);
    runX[d] = -1;
  };

  const end = model.end[zoom];
  const { start, total, depth } = model;
  let i = zoom + 1;
  while (i < end) {
    const d = depth[i];
    if (d >= levels) { i = model.end[i]; continue; }
    const w = total[i] * scale;
    const x = (start[i] - z0) * scale;
    if (w < minWidth) {
      if (w > 0) {
        if (runX[d] >= 0 && x - runEnd[d] < 0.5) {
          runEnd[d] = x + w;
          runN[d]++;
        } else {
          flush(d);
          runX[d] = x; runEnd[d] = x + w; runN[d] = 1;
        }
      }
      i = model.end[i]; // skip the subtree: all of it is narrower still
      continue;
    }
    flush(d);
    out.push(d, x, w, i, 0);
    i++;
  }
  for (let d = 0; d < levels; d++) flush(d);
  // rows that only held frames too narrow to draw: drop them, so the canvas
  // is as tall as what is visible
  let last = out.rows.length - 1;
  while (last > 0 && out.rows[last].x.length === 0) last--;
  out.rows.length = last + 1;
  out.levels = last + 1;
  return out;
}
