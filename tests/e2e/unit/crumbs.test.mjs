// crumbs.js, the pure part: a zoom parameter names a frame by its path.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { zoomNode, zoomParam } from '../../../web/js/crumbs.js';
import { FlameModel } from '../../../web/js/flame/model.js';

// root → main.main → a;b (a name with ';') → c\d
const m = new FlameModel({ names: ['root', 'main.main', 'a;b', 'c\\d', 'x'], nodes: [[0, 0, 0, 9], [1, 1, 0, 9], [2, 2, 1, 5], [3, 3, 4, 4], [4, 2, 4, 4]] });

test('zoom parameter and node go round, whatever the names', () => {
  assert.equal(zoomParam(m, 0), '');
  assert.equal(zoomParam(m, 3), 'main.main;a\\;b;c\\\\d');
  for (let i = 0; i < m.n; i++) assert.equal(zoomNode(m, zoomParam(m, i)), i);
});

test('a path that no longer exists (other filters) zooms to its deepest frame that does', () => {
  assert.equal(zoomNode(m, 'main.main;gone;x'), 1);
  assert.equal(zoomNode(m, 'nothing'), 0);
  assert.equal(zoomNode(m, ''), 0);
});
