// flame/layout.js: rectangles per row for a zoom and a width; frames under
// a pixel merged, their subtrees skipped.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlameModel } from '../../../web/js/flame/model.js';
import { layoutFlame, MERGED } from '../../../web/js/flame/layout.js';

const small = () => new FlameModel({ names: ['root', 'a', 'a1', 'b'], nodes: [[0, 0, 0, 10], [1, 1, 2, 6], [2, 2, 4, 4], [3, 1, 4, 4]] });
const row = (lay, d) => lay.rows[d].node.map((node, k) => [node, +lay.rows[d].x[k].toFixed(3), +lay.rows[d].w[k].toFixed(3)]);

test('the whole tree: widths in proportion, children from their parent\'s left edge', () => {
  const lay = layoutFlame(small(), { width: 100 });
  assert.equal(lay.levels, 3);
  assert.deepEqual(row(lay, 0), [[0, 0, 100]]);
  assert.deepEqual(row(lay, 1), [[1, 0, 60], [3, 60, 40]]);
  assert.deepEqual(row(lay, 2), [[2, 0, 40]]);
  assert.equal(lay.count, 4);
  assert.equal(lay.scale, 10);
});

test('zoomed: the zoomed frame and its ancestors span the width, its siblings are gone', () => {
  const lay = layoutFlame(small(), { zoom: 1, width: 120 });
  assert.equal(lay.zoom, 1);
  assert.deepEqual(row(lay, 0), [[0, 0, 120]]);
  assert.deepEqual(row(lay, 1), [[1, 0, 120]]);
  assert.deepEqual(row(lay, 2), [[2, 0, 80]]);
  // an out of range zoom is the root
  assert.equal(layoutFlame(small(), { zoom: 99, width: 100 }).zoom, 0);
});

test('frames narrower than a pixel: one merged rectangle per run, subtrees skipped, empty rows dropped', () => {
  const names = ['root', 'big'];
  const nodes = [[0, 0, 0, 1000], [1, 1, 900, 900]];
  for (let i = 0; i < 100; i++) {
    names.push('tiny' + i, 'under' + i);
    nodes.push([names.length - 2, 1, 0, 1], [names.length - 1, 2, 1, 1]);
  }
  const lay = layoutFlame(new FlameModel({ names, nodes }), { width: 100 });
  assert.deepEqual(row(lay, 1), [[1, 0, 90], [MERGED, 90, 10]]);
  assert.equal(lay.rows[1].merged[1], 100);
  assert.equal(lay.levels, 2, 'the row of the tiny frames\' children held nothing drawable');
  assert.equal(lay.count, 3);
});

test('hit test by row and x; empty model; a zero total', () => {
  const lay = layoutFlame(small(), { width: 100 });
  assert.equal(lay.hit(1, 59.9), 0);
  assert.equal(lay.hit(1, 60), 1);
  assert.equal(lay.hit(1, 100), -1);
  assert.equal(lay.hit(2, 50), -1);
  assert.equal(lay.hit(7, 1), -1);
  assert.equal(layoutFlame(new FlameModel({ names: [], nodes: [] }), { width: 100 }).levels, 0);
  const zero = layoutFlame(new FlameModel({ names: ['root', 'a'], nodes: [[0, 0, 0, 0], [1, 1, 0, 0]] }), { width: 50 });
  assert.deepEqual(row(zero, 0), [[0, 0, 50]]);
});
