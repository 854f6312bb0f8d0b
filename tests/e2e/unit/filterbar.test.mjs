// filterbar.js, the pure rules: which patch a filter change makes (the
// zoom goes), label expressions, and the labels of one or two profiles.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FILTER_KEYS, FILTER_DEFAULTS, filterParams, filterPatch, tagExpr, parseTagExpr, mergeTags, tagOptionText } from '../../../web/js/filterbar.js';

const state = { view: 'flame', focus: 'a', ignore: '', hide: '', tagfocus: '', tagignore: '', show: '', show_from: '', prune_from: '', tagroot: '', tagleaf: '', collapse_recursion: '', merge_fn: '', zoom: 'main.main' };

test('the filter keys, their defaults and the API parameters of a state', () => {
  assert.deepEqual(FILTER_KEYS, ['focus', 'ignore', 'hide', 'tagfocus', 'tagignore', 'show', 'show_from', 'prune_from', 'tagroot', 'tagleaf', 'collapse_recursion', 'merge_fn']);
  const empty = { show: '', show_from: '', prune_from: '', tagroot: '', tagleaf: '', collapse_recursion: '', merge_fn: '' };
  assert.deepEqual(FILTER_DEFAULTS, { focus: '', ignore: '', hide: '', tagfocus: '', tagignore: '', ...empty });
  assert.deepEqual(filterParams(state), { focus: 'a', ignore: '', hide: '', tagfocus: '', tagignore: '', ...empty });
});

test('a filter change clears the zoom; the value in force, or no filter at all, does not', () => {
  assert.deepEqual(filterPatch(state, { ignore: 'x' }), { ignore: 'x', zoom: '' });
  assert.deepEqual(filterPatch(state, { focus: '' }), { focus: '', zoom: '' });
  assert.deepEqual(filterPatch(state, { focus: 'a', view: 'top' }), { focus: 'a', view: 'top' });
  assert.deepEqual(filterPatch(state, { view: 'top' }), { view: 'top' });
  assert.deepEqual(filterPatch(state, { ...FILTER_DEFAULTS }), { ...FILTER_DEFAULTS, zoom: '' });
  assert.deepEqual(filterPatch({ ...state, focus: '' }, { focus: null }), { focus: null });
});

test('label expressions: an exact regex for strings, pprof\'s KEY=VALUE for numbers; parse inverts them', () => {
  assert.equal(tagExpr('handler', '/api/v1.x'), 'handler=^/api/v1\\.x$');
  assert.equal(tagExpr('bytes', '1.50kB', true), 'bytes=1.50kB');
  for (const value of ['/api', 'a.b*c', '(x)|[y]', '^$\\', '']) {
    assert.deepEqual(parseTagExpr(tagExpr('k', value)), { key: 'k', value });
  }
  assert.deepEqual(parseTagExpr('bytes=64'), { key: 'bytes', value: '64' });
  assert.equal(parseTagExpr('no equals sign'), null);
});

test('the labels of two profiles: keys in first-seen order, totals per profile, numeric when either says so', () => {
  const base = { tags: [
    { key: 'handler', numeric: false, values: [{ value: '/web', total: 5 }, { value: '/api', total: 1 }] },
    { key: 'size', numeric: false, values: [{ value: 'big', total: 2 }] },
  ] };
  const target = { tags: [
    { key: 'bytes', numeric: true, unit: 'bytes', values: [{ value: '64B', total: 7 }] },
    { key: 'handler', numeric: false, values: [{ value: '/api', total: 9 }, { value: '/new', total: 1 }] },
    { key: 'size', numeric: true, values: [{ value: '1kB', total: 3 }] },
  ] };
  assert.deepEqual(mergeTags([base, target]), [
    { key: 'handler', numeric: false, values: [{ value: '/api', totals: [1, 9] }, { value: '/web', totals: [5, 0] }, { value: '/new', totals: [0, 1] }] },
    { key: 'size', numeric: true, values: [{ value: '1kB', totals: [0, 3] }, { value: 'big', totals: [2, 0] }] },
    { key: 'bytes', numeric: true, values: [{ value: '64B', totals: [0, 7] }] },
  ]);
  // one profile; a failed or empty response is no labels
  assert.deepEqual(mergeTags([target])[0], { key: 'bytes', numeric: true, values: [{ value: '64B', totals: [7] }] });
  assert.deepEqual(mergeTags([null, { tags: [{ key: 'k', values: [{ value: 1, total: '2' }] }] }]), [{ key: 'k', numeric: false, values: [{ value: '1', totals: [0, 2] }] }]);
  assert.deepEqual(mergeTags([{}]), []);
});

test('a value\'s option text: its total in each profile, in the unit', () => {
  assert.equal(tagOptionText({ value: '64B', totals: [2048] }, 'bytes'), '64B — 2.00 KiB');
  assert.equal(tagOptionText({ value: '/api', totals: [1e9, 3e9] }, 'nanoseconds'), '/api — 1.00 s → 3.00 s');
  assert.equal(tagOptionText({ value: '', totals: [3] }, 'count'), '(empty) — 3');
});
