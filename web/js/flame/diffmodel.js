// diffmodel.js: the /diff response → a FlameModel to lay out, plus the base
// and target columns, the change class of every node, and the runtime
// category shares of the summary strip. No DOM here.
//
// Wire: {names, nodes: [[name, depth, base_self, base_total, target_self,
// target_total]…], significant: [true|false|null…], base_total, target_total}
// in pre-order; with normalize=1 the target columns are already scaled.

import { FlameModel } from './model.js';

// change classes (DiffModel.cls)
export const SAME = 0;      // unchanged, under the threshold, or within noise
export const GREW = 1;
export const SHRANK = 2;
// marks (DiffModel.mark)
export const MARK_NEW = 1;  // only in the target
export const MARK_GONE = 2; // only in the base

export class DiffModel {
  /**
   * @param {object} data   the /api/v1/diff response
   * @param {'target'|'max'} width  frame width: the target's value, or the larger of both
   */
  constructor(data, width = 'target') {
    const nodes = Array.isArray(data.nodes) ? data.nodes : [];
    const n = nodes.length;
    this.n = n;
    this.names = Array.isArray(data.names) ? data.names.map(String) : [];
    this.baseSelf = new Float64Array(n);
    this.baseTotal = new Float64Array(n);
    this.targetSelf = new Float64Array(n);
    this.targetTotal = new Float64Array(n);
    const sig = Array.isArray(data.significant) ? data.significant : [];
    this.sig = new Int8Array(n); // 1 significant, 0 not, -1 unknown (null)
    for (let i = 0; i < n; i++) {
      const r = nodes[i];
      this.baseSelf[i] = +r[2] || 0;
      this.baseTotal[i] = +r[3] || 0;
      this.targetSelf[i] = +r[4] || 0;
      this.targetTotal[i] = +r[5] || 0;
      const s = sig[i];
      this.sig[i] = s === true ? 1 : s === false ? 0 : -1;
    }
    this.hasSig = sig.some((s) => s === true || s === false);
    this.baseAll = typeof data.base_total === 'number' ? data.base_total : (n ? this.baseTotal[0] : 0);
    this.targetAll = typeof data.target_total === 'number' ? data.target_total : (n ? this.targetTotal[0] : 0);
    this.normalize = !!data.normalize;
    this.scale = typeof data.scale === 'number' && data.scale > 0 ? data.scale : 1;
    this.width = width === 'max' ? 'max' : 'target';

    // widths, bottom-up: a frame is as wide as its own (self) part plus its
    // children, so that children always fit in their parent (with "max",
    // max(base_total, target_total) would not: a frame may lose one child
    // and gain another)
    const depth = new Int32Array(n);
    const parent = new Int32Array(n);
    const stack = [];
    for (let i = 0; i < n; i++) {
      const d = nodes[i][1] | 0;
      depth[i] = d;
      stack.length = Math.min(stack.length, d);
      parent[i] = d > 0 && stack.length ? stack[stack.length - 1] : -1;
      stack.push(i);
    }
    const wSelf = new Float64Array(n);
    const w = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      wSelf[i] = this.width === 'max' ? Math.max(this.baseSelf[i], this.targetSelf[i], 0) : Math.max(this.targetSelf[i], 0);
      w[i] = wSelf[i];
    }
    for (let i = n - 1; i > 0; i--) if (parent[i] >= 0) w[parent[i]] += w[i];
    this.flame = new FlameModel({
      names: this.names,
      nodes: nodes.map((r, i) => [r[0], depth[i], wSelf[i], w[i]]),
    });
    this.cls = new Uint8Array(n);
    this.mark = new Uint8Array(n);
    this.level = new Float32Array(n); // 0..1, how strong the change is
    for (let i = 0; i < n; i++) {
      const b = this.baseTotal[i], t = this.targetTotal[i];
      this.mark[i] = b === 0 && t !== 0 ? MARK_NEW : t === 0 && b !== 0 ? MARK_GONE : 0;
    }
  }

  /** Δ = target − base of a node's total. */
  delta(i) { return this.targetTotal[i] - this.baseTotal[i]; }

  /** Δ relative to the base (Infinity for a new frame). */
  relative(i) {
    const b = this.baseTotal[i];
    const d = this.delta(i);
    if (b === 0) return d === 0 ? 0 : (d > 0 ? Infinity : -Infinity);
    return d / Math.abs(b);
  }

  /**
   * Classify every node: grew, shrank or same, with a strength.
   * @param {{minPct:number, minAbs:number, useSig:boolean}} t
   *   a change is drawn only when |Δ| ≥ minAbs, |Δ/base| ≥ minPct %, and
   *   (useSig) the server did not call it noise
   * @returns {{grew:number, shrank:number, same:number, noise:number}} node counts
   *   (noise: over the threshold, but called noise by the server)
   */
  classify({ minPct = 0, minAbs = 0, useSig = true } = {}) {
    const out = { grew: 0, shrank: 0, same: 0, noise: 0 };
    for (let i = 0; i < this.n; i++) {
      const b = this.baseTotal[i], t = this.targetTotal[i];
      const d = t - b;
      let c = SAME, level = 0;
      const rel = b === 0 ? Infinity : Math.abs(d) / Math.abs(b);
      const big = d !== 0 && Math.abs(d) >= minAbs && rel * 100 >= minPct;
      if (big && useSig && this.sig[i] === 0) out.noise++;
      if (big && !(useSig && this.sig[i] === 0)) {
        c = d > 0 ? GREW : SHRANK;
        // strength: |log2(target/base)| / 2, so ×2 or ÷2 is half, ×4 or ÷4 full
        level = b <= 0 || t <= 0 ? 1 : Math.min(1, Math.abs(Math.log2(t / b)) / 2);
      }
      this.cls[i] = c;
      this.level[i] = level;
      if (c === GREW) out.grew++; else if (c === SHRANK) out.shrank++; else out.same++;
    }
    return out;
  }

  /** Is the node's change beyond the threshold (not counting significance)? */
  passes(i, minPct, minAbs) {
    const b = this.baseTotal[i], d = this.delta(i);
    if (d === 0 || Math.abs(d) < minAbs) return false;
    return b === 0 || (100 * Math.abs(d)) / Math.abs(b) >= minPct;
  }

  /**
   * Shares of runtime categories in base and target. Each category is a name
   * predicate; walking the tree from the root, the outermost frame that
   * matches any category gives its whole total to that category (so nothing
   * is counted twice, even when categories nest), and the rest is "other".
   * @param {{key:string, test:(name:string)=>boolean}[]} cats
   * @returns {{key:string, base:number, target:number}[]} values (not shares), plus {key:'other'}
   */
  categories(cats) {
    const f = this.flame;
    const byName = new Int16Array(this.names.length).fill(-1);
    for (let k = 0; k < this.names.length; k++) {
      for (let c = 0; c < cats.length; c++) if (cats[c].test(this.names[k])) { byName[k] = c; break; }
    }
    const base = new Float64Array(cats.length), target = new Float64Array(cats.length);
    let i = 1;
    while (i < this.n) {
      const c = byName[f.name[i]];
      if (c >= 0) {
        base[c] += this.baseTotal[i];
        target[c] += this.targetTotal[i];
        i = f.end[i]; // the subtree is inside this category
      } else i++;
    }
    const rootB = this.n ? this.baseTotal[0] : 0, rootT = this.n ? this.targetTotal[0] : 0;
    const out = cats.map((c, k) => ({ key: c.key, base: base[k], target: target[k] }));
    out.push({ key: 'other', base: rootB - base.reduce((a, b) => a + b, 0), target: rootT - target.reduce((a, b) => a + b, 0) });
    return out;
  }
}
