// flame/diffmodel.js: the /diff response as a flame graph model, change
// classes with thresholds and significance, category shares.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DiffModel, SAME, GREW, SHRANK, MARK_NEW, MARK_GONE } from '../../../web/js/flame/diffmodel.js';

// root: base 10 → target 20; a only in base (10), b only in target (15), c only in target (5)
const wire = (extra = {}) => ({
  names: ['root', 'a', 'b', 'c'],
  nodes: [[0, 0, 0, 10, 0, 20], [1, 1, 10, 10, 0, 0], [2, 1, 0, 0, 15, 15], [3, 1, 0, 0, 5, 5]],
  base_total: 10, target_total: 20, ...extra,
});

test('widths by target, or by the larger side bottom-up so children fit', () => {
  const t = new DiffModel(wire());
  assert.equal(t.width, 'target');
  assert.deepEqual([...t.flame.total], [20, 0, 15, 5]);
  const m = new DiffModel(wire(), 'max');
  assert.deepEqual([...m.flame.total], [30, 10, 15, 5]);
  assert.deepEqual(m.flame.pathOf(2), ['b']);
  assert.equal(new DiffModel(wire(), 'bogus').width, 'target');
});

test('columns, marks, delta and relative change', () => {
  const dm = new DiffModel(wire());
  assert.deepEqual([...dm.baseTotal], [10, 10, 0, 0]);
  assert.deepEqual([...dm.targetSelf], [0, 0, 15, 5]);
  assert.deepEqual([...dm.mark], [0, MARK_GONE, MARK_NEW, MARK_NEW]);
  assert.equal(dm.delta(0), 10);
  assert.equal(dm.relative(0), 1);
  assert.equal(dm.relative(1), -1);
  assert.equal(dm.relative(2), Infinity);
  assert.deepEqual([dm.baseAll, dm.targetAll, dm.normalize, dm.scale, dm.hasSig], [10, 20, false, 1, false]);
  const n = new DiffModel(wire({ normalize: true, scale: 0.5 }));
  assert.deepEqual([n.normalize, n.scale], [true, 0.5]);
});

test('classify: grew / shrank with a strength from log2(target/base), thresholds, noise', () => {
  const dm = new DiffModel(wire({ significant: [true, false, null, true] }));
  assert.equal(dm.hasSig, true);
  assert.deepEqual(dm.classify({ minPct: 15, minAbs: 0, useSig: false }), { grew: 3, shrank: 1, same: 0, noise: 0 });
  assert.deepEqual([...dm.cls], [GREW, SHRANK, GREW, GREW]);
  assert.deepEqual([...dm.level], [0.5, 1, 1, 1]); // ×2 is half strength; new or gone is full
  // the server calls a's change noise: grey, counted as noise
  assert.deepEqual(dm.classify({ minPct: 15, minAbs: 0, useSig: true }), { grew: 3, shrank: 0, same: 1, noise: 1 });
  assert.equal(dm.cls[1], SAME);
  // an absolute bound: c (+5) is small; a relative one: the root (+100%) is small
  dm.classify({ minPct: 0, minAbs: 6, useSig: false });
  assert.deepEqual([...dm.cls], [GREW, SHRANK, GREW, SAME]);
  dm.classify({ minPct: 150, minAbs: 0, useSig: false });
  assert.deepEqual([...dm.cls], [SAME, SAME, GREW, GREW]); // −100% too
  assert.equal(dm.passes(0, 150, 0), false);
  assert.equal(dm.passes(2, 1e9, 0), true, 'a new frame passes any relative bound');
  assert.equal(dm.passes(3, 0, 6), false);
});

test('categories: the outermost matching frame takes its subtree, the rest is other', () => {
  // root → runtime.gcBgMarkWorker → runtime.mallocgc (both GC); root → main.f → runtime.mallocgc
  const dm = new DiffModel({
    names: ['root', 'runtime.gcBgMarkWorker', 'runtime.mallocgc', 'main.f'],
    nodes: [[0, 0, 0, 100, 0, 120], [1, 1, 10, 30, 10, 40], [2, 2, 20, 20, 30, 30], [3, 1, 50, 70, 60, 80], [2, 2, 20, 20, 20, 20]],
  });
  const cats = dm.categories([{ key: 'gc', test: (n) => /^runtime\.(gc|mallocgc)/.test(n) }, { key: 'user', test: (n) => n.startsWith('main.') }]);
  assert.deepEqual(cats, [
    { key: 'gc', base: 30, target: 40 },
    { key: 'user', base: 70, target: 80 },
    { key: 'other', base: 0, target: 0 },
  ]);
  const gcOnly = dm.categories([{ key: 'gc', test: (n) => /^runtime\.(gc|mallocgc)/.test(n) }]);
  assert.deepEqual(gcOnly, [{ key: 'gc', base: 50, target: 60 }, { key: 'other', base: 50, target: 60 }]);
});
