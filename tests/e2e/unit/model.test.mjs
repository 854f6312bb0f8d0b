// flame/model.js: the wire tree into columns; paths, search and matchers.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlameModel, makeMatcher } from '../../../web/js/flame/model.js';

// root 10 → a 6 (self 2) → a1 4; root → b 4
const small = () => new FlameModel({ names: ['root', 'a', 'a1', 'b'], nodes: [[0, 0, 0, 10], [1, 1, 2, 6], [2, 2, 4, 4], [3, 1, 4, 4]] });

test('columns: parent, subtree end, start offset, depth', () => {
  const m = small();
  assert.equal(m.n, 4);
  assert.deepEqual([...m.parent], [-1, 0, 1, 0]);
  assert.deepEqual([...m.end], [4, 3, 3, 4]);
  assert.deepEqual([...m.start], [0, 0, 0, 6]);
  assert.deepEqual([...m.self], [0, 2, 4, 4]);
  assert.equal(m.maxDepth, 2);
  assert.equal(m.rootTotal, 10);
  assert.equal(m.valueTotal, 10);
  assert.equal(new FlameModel({ names: ['root'], nodes: [[0, 0, 0, 3]], total: 7 }).valueTotal, 7);
  assert.equal(m.nameOf(3), 'b');
  assert.equal(m.fileOf(3), '');
  assert.equal(new FlameModel({ names: ['root', 'f'], files: ['', 'f.go'], nodes: [[0, 0, 0, 1], [1, 1, 1, 1]] }).fileOf(1), 'f.go');
});

test('paths: ancestry, pathOf and findPath agree; children, subtree depth', () => {
  const m = small();
  assert.deepEqual(m.ancestry(2), [0, 1, 2]);
  assert.deepEqual(m.pathOf(2), ['a', 'a1']);
  assert.deepEqual(m.pathOf(0), []);
  for (let i = 0; i < m.n; i++) assert.deepEqual(m.findPath(m.pathOf(i)), { node: i, matched: m.pathOf(i).length });
  assert.deepEqual(m.findPath(['a', 'nope', 'a1']), { node: 1, matched: 1 });
  assert.deepEqual(m.children(0), [1, 3]);
  assert.deepEqual(m.children(2), []);
  assert.equal(m.subtreeMaxDepth(0), 2);
  assert.equal(m.subtreeMaxDepth(3), 1);
  assert.deepEqual(new FlameModel({ names: [], nodes: [] }).findPath(['a']), { node: -1, matched: 0 });
});

test('a tree that is not in pre-order is refused; unknown name indices read as the root\'s', () => {
  assert.throws(() => new FlameModel({ names: ['root', 'a'], nodes: [[0, 0, 0, 1], [1, 2, 1, 1]] }), /not a pre-order tree/);
  assert.throws(() => new FlameModel({ names: ['root', 'a'], nodes: [[0, 1, 0, 1]] }), /not a pre-order tree/);
  assert.equal(new FlameModel({ names: ['root', 'a'], nodes: [[0, 0, 0, 1], [9, 1, 1, 1]] }).nameOf(1), 'root');
});

test('search counts every matching frame, but each sample once (recursion)', () => {
  // root 10 → f 10 → g 6 → f 4; root → h 0
  const m = new FlameModel({ names: ['root', 'f', 'g', 'h'], nodes: [[0, 0, 0, 10], [1, 1, 4, 10], [2, 2, 2, 6], [1, 3, 4, 4]] });
  const r = m.search((n) => n === 'f');
  assert.equal(r.count, 2);
  assert.equal(r.value, 10);
  assert.deepEqual([...r.hit], [0, 1, 0, 1]);
  const g = m.search((n) => n.startsWith('g'));
  assert.deepEqual([g.count, g.value], [1, 6]);
  assert.equal(m.search(() => false).count, 0);
});

test('negative totals (a saved diff) are found', () => {
  assert.equal(small().hasNegative(), false);
  assert.equal(new FlameModel({ names: ['root', 'a'], nodes: [[0, 0, 0, 1], [1, 1, -2, -2]] }).hasNegative(), true);
});

test('matchers: substring ignoring case, or a regex; a bad regex is an error', () => {
  assert.equal(makeMatcher('', false).test, null);
  const sub = makeMatcher('MallocGC', false);
  assert.equal(sub.test('runtime.mallocgc'), true);
  assert.equal(sub.test('runtime.malloc'), false);
  const re = makeMatcher('^runtime\\.(mallocgc|memmove)$', true);
  assert.equal(re.test('runtime.memmove'), true);
  assert.equal(re.test('xruntime.memmove'), false);
  const bad = makeMatcher('(unclosed', true);
  assert.match(bad.error, /^invalid regular expression/);
  assert.equal(bad.test, undefined);
});
