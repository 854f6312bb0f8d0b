// extent.js: a target's data extent from /api/v1/series rows (their
// "retention" member): oldest, raw since, downsampled until, per instance.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extentsBy, extentText, stepWords } from '../../../web/js/extent.js';

const row = (instance, kind, ret, profiles = 1) => ({ labels: { job: 'j', instance }, kind, profiles, retention: ret });
const fmt = (iso) => iso.slice(0, 16).replace('T', ' ');

test('rows of one instance combine: the oldest, the earliest raw, the latest downsampled', () => {
  const m = extentsBy([
    row('a:1', 'goroutine', { oldest: '2026-01-01T00:00:00Z', newest: '2026-01-03T00:00:00Z', raw_since: '2026-01-02T00:00:00Z', downsampled_until: '2026-01-02T00:00:00Z', downsample_step_seconds: 3600 }, 30),
    row('a:1', 'cpu', { oldest: '2025-12-31T00:00:00Z', newest: '2026-01-03T00:00:00Z', raw_since: '2026-01-01T12:00:00Z', downsampled_until: '2026-01-01T12:00:00Z', downsample_step_seconds: 3600 }, 20),
    row('b:2', 'heap', { oldest: '2026-01-02T00:00:00Z', newest: '2026-01-02T01:00:00Z', raw_since: '2026-01-02T00:00:00Z', downsampled_until: null, downsample_step_seconds: null }),
    { labels: { job: 'j' }, kind: 'cpu', profiles: 5, retention: {} },   // no instance: not a target's
  ], 'instance');
  assert.deepEqual([...m.keys()], ['a:1', 'b:2']);
  const a = m.get('a:1');
  assert.equal(a.oldest, '2025-12-31T00:00:00Z');
  assert.equal(a.rawSince, '2026-01-01T12:00:00Z');
  assert.equal(a.downsampledUntil, '2026-01-02T00:00:00Z');
  assert.equal(a.step, 3600);
  assert.equal(a.profiles, 50);
  assert.deepEqual(a.kinds, ['cpu', 'goroutine']);
  assert.deepEqual(extentText(a, fmt), { from: '2025-12-31 00:00', detail: 'raw since 2026-01-01 12:00, hourly before' });
  assert.deepEqual(extentText(m.get('b:2'), fmt), { from: '2026-01-02 00:00', detail: 'all raw' });
});

test('only merged history, and no data at all', () => {
  const m = extentsBy([row('a:1', 'cpu', { oldest: '2026-01-01T00:00:00Z', newest: '2026-01-01T05:00:00Z', raw_since: null, downsampled_until: '2026-01-01T06:00:00Z', downsample_step_seconds: 60 })], 'instance');
  assert.deepEqual(extentText(m.get('a:1'), fmt), { from: '2026-01-01 00:00', detail: 'per minute merges only, until 2026-01-01 06:00' });
  assert.deepEqual(extentText(undefined, fmt), { from: null, detail: 'no data stored yet' });
});

test('steps in words', () => {
  assert.equal(stepWords(3600), 'hourly');
  assert.equal(stepWords(86400), 'daily');
  assert.equal(stepWords(300), 'per 5m');
  assert.equal(stepWords(7200), 'per 2h');
  assert.equal(stepWords(90), 'per 90s');
});
