// series.js: "Compare with…" preselects the previous profile of the same
// series (same labels, same sample types, previous in time), not the newest
// profile of any service.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { previousInSeries } from '../../../web/js/series.js';
import { batchName } from '../../../web/js/home.js';

const cpu = [{ type: 'samples', unit: 'count' }, { type: 'cpu', unit: 'nanoseconds' }];
const java = [{ type: 'cpu', unit: 'nanoseconds' }];
const p = (id, time, labels, types = cpu, kind = 'cpu') => ({ id, time, labels, sample_types: types, kind });

const me = p('me', '2026-01-01T12:00:00Z', { service: 'checkout' });
// newest first, as the list comes
const list = [
  p('java-newest', '2026-01-02T00:00:00Z', { service: 'checkout' }, java),
  p('other-service', '2026-01-01T11:59:00Z', { service: 'billing' }),
  p('checkout-after', '2026-01-01T13:00:00Z', { service: 'checkout' }),
  p('checkout-prev', '2026-01-01T11:00:00Z', { service: 'checkout' }),
  p('checkout-older', '2026-01-01T10:00:00Z', { service: 'checkout' }),
  p('me', '2026-01-01T12:00:00Z', { service: 'checkout' }),
];

test('the previous profile with the same labels and sample types', () => {
  assert.equal(previousInSeries(me, list).id, 'checkout-prev');
});

test('without an older one, the next one of the series; never itself', () => {
  const l = list.filter((x) => !['checkout-prev', 'checkout-older'].includes(x.id));
  assert.equal(previousInSeries(me, l).id, 'checkout-after');
  assert.equal(previousInSeries(me, [me]), null);
  assert.equal(previousInSeries(me, []), null);
});

test('labels matter more than time: extra or different labels are another series', () => {
  const l = [p('more-labels', '2026-01-01T11:30:00Z', { service: 'checkout', zone: 'eu' }), p('same', '2026-01-01T09:00:00Z', { service: 'checkout' })];
  assert.equal(previousInSeries(me, l).id, 'same');
  // none with the same labels: the same sample types, previous in time
  const none = [list[0], list[1]];
  assert.equal(previousInSeries(me, none).id, 'other-service');
});

test('profiles without a time of their own are ordered by upload time', () => {
  const a = { id: 'a', uploaded_at: '2026-01-01T10:00:00Z', labels: {}, sample_types: cpu };
  const b = { id: 'b', uploaded_at: '2026-01-01T11:00:00Z', labels: {}, sample_types: cpu };
  const c = { id: 'c', uploaded_at: '2026-01-01T12:00:00Z', labels: {}, sample_types: cpu };
  assert.equal(previousInSeries(c, [c, b, a]).id, 'b');
});

test('a batch upload names each file by its file name', () => {
  assert.equal(batchName('', 'cpu1.pb.gz', 3), 'cpu1.pb.gz');
  assert.equal(batchName('nightly', 'cpu1.pb.gz', 3), 'nightly · cpu1.pb.gz');
  assert.notEqual(batchName('nightly', 'a.pb.gz', 2), batchName('nightly', 'b.pb.gz', 2));
  assert.equal(batchName('nightly', 'cpu1.pb.gz', 1), 'nightly');
});
