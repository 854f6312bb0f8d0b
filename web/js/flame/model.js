// model.js: a call tree from the wire format into flat typed arrays.
//
// The server sends {names, files?, nodes: [[name_index, depth, self, total]…]}
// in pre-order. This module turns that into columns (one entry per node) plus
// the derived facts the layout needs: parent, subtree end and the horizontal
// start offset (in sample units) of each node within the root. It knows
// nothing about pixels or canvases.

export class FlameModel {
  /**
   * @param {{names: string[], files?: string[], nodes: number[][], total?: number}} data
   */
  constructor(data) {
    const names = Array.isArray(data.names) ? data.names.map((s) => String(s)) : [];
    const nodes = Array.isArray(data.nodes) ? data.nodes : [];
    const n = nodes.length;
    this.names = names;
    this.files = Array.isArray(data.files) ? data.files : null;
    this.n = n;
    this.name = new Int32Array(n);
    this.depth = new Int32Array(n);
    this.self = new Float64Array(n);
    this.total = new Float64Array(n);
    this.start = new Float64Array(n);
    this.parent = new Int32Array(n);
    this.end = new Int32Array(n);
    this.maxDepth = 0;

    const pathNode = []; // pathNode[d] = current node at depth d
    const cursor = [];   // cursor[d] = next child start at depth d
    for (let i = 0; i < n; i++) {
      const row = nodes[i];
      let ni = row[0] | 0;
      if (ni < 0 || ni >= names.length) ni = 0;
      const d = row[1] | 0;
      if (i === 0 ? d !== 0 : d < 1 || d > this.depth[i - 1] + 1) {
        throw new Error(`flame graph data is not a pre-order tree (node ${i} has depth ${d})`);
      }
      this.name[i] = ni;
      this.depth[i] = d;
      this.self[i] = +row[2] || 0;
      this.total[i] = +row[3] || 0;
      // close the subtrees that end here
      while (pathNode.length > d) this.end[pathNode.pop()] = i;
      if (d === 0) {
        this.parent[i] = -1;
        this.start[i] = 0;
      } else {
        this.parent[i] = pathNode[d - 1];
        this.start[i] = cursor[d];
      }
      cursor[d] = this.start[i] + this.total[i];
      cursor[d + 1] = this.start[i];
      pathNode.push(i);
      if (d > this.maxDepth) this.maxDepth = d;
    }
    while (pathNode.length) this.end[pathNode.pop()] = n;
    this.rootTotal = n ? this.total[0] : 0;
    this.valueTotal = typeof data.total === 'number' ? data.total : this.rootTotal;
  }

  nameOf(i) { return this.names[this.name[i]] ?? ''; }
  fileOf(i) { return this.files ? (this.files[this.name[i]] || '') : ''; }

  /** Node indices from the root down to i (inclusive). */
  ancestry(i) {
    const out = [];
    for (let j = i; j >= 0; j = this.parent[j]) out.push(j);
    return out.reverse();
  }

  /** Deepest depth inside the subtree of i. */
  subtreeMaxDepth(i) {
    let m = this.depth[i];
    for (let j = i + 1; j < this.end[i]; j++) if (this.depth[j] > m) m = this.depth[j];
    return m;
  }

  /** Names from the root's child down to i: the stable key of a frame. */
  pathOf(i) {
    return this.ancestry(i).slice(1).map((j) => this.nameOf(j));
  }

  /**
   * Find a node by its path of names (children are merged by name, so the
   * path is unique). Returns {node, matched}: the deepest node reached and
   * how many path entries matched.
   */
  findPath(path) {
    let node = 0, matched = 0;
    if (!this.n) return { node: -1, matched: 0 };
    for (const want of path) {
      let found = -1;
      for (let c = node + 1; c < this.end[node]; c = this.end[c]) {
        if (this.nameOf(c) === want) { found = c; break; }
      }
      if (found < 0) break;
      node = found;
      matched++;
    }
    return { node, matched };
  }

  /** Does any node have a negative total (a saved diff, which has no flame graph)? */
  hasNegative() {
    for (let i = 0; i < this.n; i++) if (this.total[i] < 0) return true;
    return false;
  }

  /** Direct children of i. */
  children(i) {
    const out = [];
    for (let c = i + 1; c < this.end[i]; c = this.end[c]) out.push(c);
    return out;
  }

  /**
   * Search: mark nodes whose name matches (test is a predicate on a name).
   * value sums the totals of matching nodes that have no matching ancestor,
   * so each sample is counted once however often it matches.
   */
  search(test) {
    const nameHit = new Uint8Array(this.names.length);
    for (let k = 0; k < this.names.length; k++) nameHit[k] = test(this.names[k]) ? 1 : 0;
    const hit = new Uint8Array(this.n);
    const under = new Uint8Array(this.n); // a strict ancestor matched
    let count = 0, value = 0;
    for (let i = 1; i < this.n; i++) {
      const p = this.parent[i];
      under[i] = under[p] || hit[p];
      if (nameHit[this.name[i]]) {
        hit[i] = 1;
        count++;
        if (!under[i]) value += this.total[i];
      }
    }
    return { hit, count, value };
  }
}

/**
 * Build a name predicate from the search box: plain text matches as a
 * case-insensitive substring; with regex on it is a JavaScript RegExp.
 * Returns {test} or {error}.
 */
export function makeMatcher(text, isRegex) {
  if (!text) return { test: null };
  if (isRegex) {
    try {
      const re = new RegExp(text);
      return { test: (s) => re.test(s) };
    } catch (e) {
      return { error: 'invalid regular expression: ' + e.message };
    }
  }
  const needle = text.toLowerCase();
  return { test: (s) => s.toLowerCase().includes(needle) };
}
