// views/labels.js: which key groups a key's values for "vs its KEY" (a
// request's trace_id against its endpoint).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { baselineKey } from '../../../web/js/views/labels.js';

const key = (k, n, numeric = false) => ({ key: k, numeric, n_values: n, values: [] });

test('the grouping key: the string key with the fewest values, fewer than the key has', () => {
  const tags = [key('trace_id', 500), key('endpoint', 12), key('worker', 3), key('bytes', 2, true)];
  assert.equal(baselineKey(tags, 'trace_id'), 'worker');
  assert.equal(baselineKey(tags, 'endpoint'), 'worker');
  assert.equal(baselineKey(tags, 'worker'), null, 'no key has fewer values');
  assert.equal(baselineKey(tags, 'bytes'), null, 'numeric keys take no baseline');
  assert.equal(baselineKey(tags, 'nope'), null);
  // ties by name; values counted when n_values is absent
  assert.equal(baselineKey([{ key: 'span', values: [1, 2, 3] }, key('b', 2), key('a', 2)], 'span'), 'a');
  assert.equal(baselineKey([key('a', 2), key('b', 2)], 'a'), null, 'as many values is no grouping');
});
