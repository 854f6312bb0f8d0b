// views/list.js: the function of a name printed at a granularity (what the
// Lines view and focus link to), and the regex list?fn= gets for it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { functionOf, listRegex, GRANULARITIES } from '../../../web/js/views/list.js';

test('the function of a name at each granularity', () => {
  assert.equal(functionOf('main.mix', ''), 'main.mix');
  assert.equal(functionOf('main.mix', 'functions'), 'main.mix');
  assert.equal(functionOf('main.mix /src/main.go', 'filefunctions'), 'main.mix');
  assert.equal(functionOf('main.mix /src/main.go:25', 'lines'), 'main.mix');
  assert.equal(functionOf('0000000000401a2b main.mix /src/main.go:25', 'addresses'), 'main.mix');
  assert.equal(functionOf('github.com/a/b.(*T).F /x/b.go:3', 'lines'), 'github.com/a/b.(*T).F');
  assert.equal(functionOf('/src/main.go', 'files'), null);
  assert.equal(functionOf('[app]', 'lines'), null);
  assert.equal(functionOf('<unknown>', 'lines'), null);
});

test('the regex of one function matches it alone', () => {
  const re = new RegExp(listRegex('main.(*T).F[go.shape.int]'));
  assert.ok(re.test('main.(*T).F[go.shape.int]'));
  assert.ok(!re.test('main.(*T).F[go.shape.int]2'));
  assert.ok(!re.test('xmain.(*T).F[go.shape.int]'));
});

test('the granularities are the server\'s', () => {
  assert.deepEqual(GRANULARITIES.map(([v]) => v), ['', 'filefunctions', 'files', 'lines', 'addresses']);
});
