// fetchonce.js: "latest wins" per kind of data.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LatestFetch } from '../../../web/js/fetchonce.js';

/** A request that settles when told to, and sees its abort signal. */
function deferred() {
  const d = { calls: 0 };
  d.fn = (signal) => {
    d.calls++;
    d.signal = signal;
    return new Promise((resolve, reject) => {
      d.resolve = resolve;
      d.reject = reject;
      signal.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' })));
    });
  };
  return d;
}

function recorder() {
  const log = [];
  return { log, lf: new LatestFetch({ onBusy: (b) => log.push(['busy', b]), onError: (e, kind) => log.push(['error', kind, e.message]) }) };
}

test('the same key shares one request; its data reaches every caller', async () => {
  const { log, lf } = recorder();
  const d = deferred();
  const p1 = lf.get('flame', 'k', d.fn);
  const p2 = lf.get('flame', 'k', d.fn);
  assert.equal(d.calls, 1);
  d.resolve({ n: 1 });
  assert.deepEqual(await Promise.all([p1, p2]), [{ n: 1 }, { n: 1 }]);
  assert.deepEqual(log, [['busy', true], ['busy', false]]);
  // settled: the next get asks again
  const d2 = deferred();
  const p3 = lf.get('flame', 'k', d2.fn);
  d2.resolve(2);
  assert.equal(await p3, 2);
});

test('a new key aborts the older request of its kind, whose callers get null; other kinds go on', async () => {
  const { log, lf } = recorder();
  const old = deferred(), cur = deferred(), tags = deferred();
  const pOld = lf.get('flame', 'a', old.fn);
  const pTags = lf.get('tags', 't', tags.fn);
  const pCur = lf.get('flame', 'b', cur.fn);
  assert.equal(old.signal.aborted, true);
  assert.equal(cur.signal.aborted, false);
  assert.equal(tags.signal.aborted, false);
  assert.equal(await pOld, null);
  cur.resolve('B');
  assert.equal(await pCur, 'B');
  assert.deepEqual(log, [['busy', true]], 'still busy: the tags are under way');
  tags.resolve('T');
  assert.equal(await pTags, 'T');
  assert.deepEqual(log, [['busy', true], ['busy', false]]);
});

test('a failure of the latest request is reported once and resolves to null; a superseded one is not reported', async () => {
  const { log, lf } = recorder();
  const bad = deferred();
  const p1 = lf.get('top', 'x', bad.fn);
  const p2 = lf.get('top', 'x', bad.fn);
  bad.reject(new Error('boom'));
  assert.deepEqual(await Promise.all([p1, p2]), [null, null]);
  assert.deepEqual(log.filter((e) => e[0] === 'error'), [['error', 'top', 'boom']]);

  // a request that fails after it was superseded
  let fail;
  const stale = lf.get('top', 'y', () => new Promise((_, reject) => { fail = reject; }));
  const fresh = deferred();
  const pFresh = lf.get('top', 'z', fresh.fn);
  fail(new Error('late'));
  assert.equal(await stale, null);
  fresh.resolve('Z');
  assert.equal(await pFresh, 'Z');
  assert.equal(log.filter((e) => e[0] === 'error').length, 1);

  // a request that throws before it returns a promise
  assert.equal(await lf.get('top', 'w', () => { throw new Error('sync'); }), null);
  assert.deepEqual(log.at(-2), ['error', 'top', 'sync']);
  assert.deepEqual(log.at(-1), ['busy', false]);
});

test('abortAll: every request aborted, its callers get null, nothing reported', async () => {
  const { log, lf } = recorder();
  const a = deferred(), b = deferred();
  const pa = lf.get('flame', 1, a.fn);
  const pb = lf.get('tags', 2, b.fn);
  lf.abortAll();
  assert.equal(a.signal.aborted && b.signal.aborted, true);
  assert.deepEqual(await Promise.all([pa, pb]), [null, null]);
  assert.deepEqual(log, [['busy', true], ['busy', false]]);
});

test('load keeps the last data of each kind: the same key again costs no request', async () => {
  const data = [];
  const lf = new LatestFetch({ onData: (kind) => data.push(kind) });
  let calls = 0;
  const fn = (v) => async () => { calls++; return { v }; };
  const a = await lf.load('top', 'a', fn(1));
  assert.equal(await lf.load('top', 'a', fn(2)), a, 'the same object, not asked again');
  assert.equal(calls, 1);
  const b = await lf.load('top', 'b', fn(3));
  assert.deepEqual(b, { v: 3 });
  assert.deepEqual(await lf.load('top', 'a', fn(4)), { v: 4 }, 'only the last key is kept');
  assert.equal(calls, 3);
  assert.deepEqual(data, ['top', 'top', 'top']);
  // a failed load leaves the last data in place, and is asked again next time
  assert.equal(await lf.load('top', 'c', async () => { throw new Error('no'); }), null);
  assert.deepEqual(await lf.load('top', 'a', fn(5)), { v: 4 });
  assert.equal(calls, 3);
});
