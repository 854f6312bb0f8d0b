// frameactions.js, the pure part of the frame menu: the patch of each
// entry (what the filter bar would write), alternatives added once, the
// entries of a tagroot/tagleaf pseudo-frame, and when a label comparison
// is offered.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { frameActions, exactRe, addAlternative, comparedLabel } from '../../../web/js/frameactions.js';
import { FILTER_DEFAULTS } from '../../../web/js/filterbar.js';

const base = { view: 'flame', ...FILTER_DEFAULTS, zoom: '' };
const by = (list) => Object.fromEntries(list.map((e) => [e.id, e]));

test('a name becomes ^NAME$, escaped', () => {
  assert.equal(exactRe('main.(*T).m'), '^main\\.\\(\\*T\\)\\.m$');
  assert.equal(exactRe('a|b[0]'), '^a\\|b\\[0\\]$');
});

test('alternatives are added once', () => {
  assert.equal(addAlternative('', '^a$'), '^a$');
  assert.equal(addAlternative('^a$', '^b$'), '^a$|^b$');
  assert.equal(addAlternative('^a$|^b$', '^a$'), '^a$|^b$');
});

test('every entry patches what the filter bar would', () => {
  const a = by(frameActions({ ...base, ignore: 'runtime', merge_fn: '^x$' }, 'main.f'));
  assert.deepEqual(Object.keys(a), ['focus', 'ignore', 'hide', 'show_from', 'peek', 'collapse', 'merge', 'copy']);
  assert.deepEqual(a.focus.patch, { focus: '^main\\.f$' });
  assert.deepEqual(a.ignore.patch, { ignore: 'runtime|^main\\.f$' });
  assert.deepEqual(a.hide.patch, { hide: '^main\\.f$' });
  assert.deepEqual(a.show_from.patch, { show_from: '^main\\.f$' });
  assert.deepEqual(a.peek.patch, { view: 'peek', peek: '^main\\.f$' });
  assert.deepEqual(a.collapse.patch, { collapse_recursion: '1' });
  assert.deepEqual(a.merge.patch, { merge_fn: '^x$|^main\\.f$' });
  assert.equal(a.copy.copy, 'main.f');
  // each letter picks one entry
  const keys = Object.values(a).map((e) => e.key);
  assert.equal(new Set(keys).size, keys.length);
  // collapse toggles
  const b = by(frameActions({ ...base, collapse_recursion: '1' }, 'main.f'));
  assert.deepEqual(b.collapse.patch, { collapse_recursion: '' });
});

test('the label comparison: a focused value, or a pseudo-frame', () => {
  const url = (k, v, f) => `${k}|${v}|${f}`;
  assert.equal(by(frameActions(base, 'main.f', { compareUrl: url })).compare, undefined);
  const one = { ...base, tagfocus: 'endpoint=^/a\\.b$' };
  assert.deepEqual(comparedLabel(one, null), { key: 'endpoint', value: '/a.b' });
  assert.equal(by(frameActions(one, 'main.f', { compareUrl: url })).compare.href, 'endpoint|/a.b|^main\\.f$');
  // not one literal value: no comparison
  for (const tf of ['endpoint=/a', 'endpoint=^(a|b)$', 'endpoint=^a$,^b$', 'bytes=1kb:']) {
    assert.equal(comparedLabel({ ...base, tagfocus: tf }, null), null, tf);
  }
  const p = by(frameActions({ ...base, tagroot: 'endpoint' }, '/cart', { pseudo: { key: 'endpoint', value: '/cart' }, compareUrl: url }));
  assert.equal(p.compare.href, 'endpoint|/cart|');
  for (const id of ['focus', 'ignore', 'hide', 'show_from', 'peek', 'merge']) assert.equal(p[id].disabled, true, id);
  assert.ok(!p.collapse.disabled && !p.copy.disabled);
  // a merged view has no label diff
  assert.equal(by(frameActions(one, 'main.f', {})).compare, undefined);
});
