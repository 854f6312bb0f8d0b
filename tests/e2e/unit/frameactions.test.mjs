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

test('at a granularity the name filters take the frame\'s function, or its file', () => {
  const ctx = { list: true };
  const l = by(frameActions({ ...base, gran: 'lines', ignore: '^x$' }, 'main.(*T).f /src/a.go:12', ctx));
  assert.deepEqual(Object.keys(l), ['focus', 'ignore', 'hide', 'show_from', 'peek', 'list', 'collapse', 'merge', 'copy']);
  assert.deepEqual(l.focus.patch, { focus: '^main\\.\\(\\*T\\)\\.f$' });
  assert.deepEqual(l.ignore.patch, { ignore: '^x$|^main\\.\\(\\*T\\)\\.f$' });
  assert.deepEqual(l.hide.patch, { hide: '^main\\.\\(\\*T\\)\\.f$' });
  assert.deepEqual(l.show_from.patch, { show_from: '^main\\.\\(\\*T\\)\\.f$' });
  assert.deepEqual(l.merge.patch, { merge_fn: '^main\\.\\(\\*T\\)\\.f$' });
  assert.equal(l.focus.label, 'Focus on its function');
  // peek matches the names of the view: the whole printed name
  assert.deepEqual(l.peek.patch, { view: 'peek', peek: '^main\\.\\(\\*T\\)\\.f /src/a\\.go:12$' });
  assert.deepEqual(l.list.patch, { view: 'list', list: '^main\\.\\(\\*T\\)\\.f$' });
  assert.equal(l.copy.copy, 'main.(*T).f /src/a.go:12');
  const a = by(frameActions({ ...base, gran: 'addresses' }, '00000000004a1b2c main.f /x.go:3', ctx));
  assert.deepEqual(a.focus.patch, { focus: '^main\\.f$' });
  assert.deepEqual(by(frameActions({ ...base, gran: 'filefunctions' }, 'main.f /x.go', ctx)).focus.patch, { focus: '^main\\.f$' });
  // files: the file (the filters match files as pprof's do); no line table, no merge (a function's)
  const f = by(frameActions({ ...base, gran: 'files' }, '/src/a.go', ctx));
  assert.deepEqual(f.focus.patch, { focus: '^/src/a\\.go$' });
  assert.equal(f.focus.label, 'Focus on it');
  assert.equal(f.list.disabled, true);
  assert.equal(f.merge.disabled, true);
  assert.equal(f.merge.patch, undefined);
  // a frame without function or file: only peek, collapse and copy
  const u = by(frameActions({ ...base, gran: 'lines' }, '[app]', ctx));
  for (const id of ['focus', 'ignore', 'hide', 'show_from', 'list', 'merge']) assert.equal(u[id].disabled, true, id);
  assert.ok(!u.peek.disabled && !u.collapse.disabled && !u.copy.disabled);
  // a label comparison from a line focuses on its function
  const url = (k, v, fo) => `${k}|${v}|${fo}`;
  assert.equal(by(frameActions({ ...base, gran: 'lines', tagfocus: 'endpoint=^/a$' }, 'main.f /x.go:3', { compareUrl: url })).compare.href, 'endpoint|/a|^main\\.f$');
  // no list entry unless asked (a merge has no /list)
  assert.equal(by(frameActions(base, 'main.f')).list, undefined);
});
