// The runtime-share strip (runtime.js) on the diff page and the profile
// page, from the server's classification: real Go 1.19 CPU profiles of
// tests/data/runtime (GOGC=100 and GOGC=10, see tests/data/README.md), a
// heap profile (no strip, and the reason), and profiles labelled with
// go_version (one bar per release, "Go 1.21 vs 1.22" at a glance).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, launchBrowser, uploadViaApi, waitFlame, shot, REPO } from './lib/harness.mjs';
import { cpuProfile } from './lib/synth.mjs';

const DATA = path.join(REPO, 'tests', 'data');
let srv, browser, page, low, high, heap, v121, v122, fleet;

/** A screenshot of one element into screenshots/, and into docs/img with UPDATE_DOCS_IMG=1. */
async function elementShot(p, selector, name, { fromTop = false } = {}) {
  const dir = path.join(REPO, 'tests', 'e2e', 'screenshots');
  fs.mkdirSync(dir, { recursive: true });
  if (fromTop) { // the page from its top down to the element's bottom
    const box = await p.locator(selector).boundingBox();
    await p.screenshot({ path: path.join(dir, name + '.png'), clip: { x: 0, y: 0, width: p.viewportSize().width, height: Math.ceil(box.y + box.height + 8) } });
  } else await p.locator(selector).screenshot({ path: path.join(dir, name + '.png') });
  if (process.env.UPDATE_DOCS_IMG === '1') fs.copyFileSync(path.join(dir, name + '.png'), path.join(REPO, 'docs', 'img', name + '.png'));
}

function data(rel) {
  const p = path.join(DATA, rel);
  assert.ok(fs.existsSync(p), 'missing test profile ' + p);
  return fs.readFileSync(p);
}

const SERVICE = {
  'main.main;main.handle;runtime.mallocgc': 30,
  'main.main;main.handle;runtime.mallocgc;runtime.gcAssistAlloc;runtime.gcDrainN;runtime.scanobject': 10,
  'main.main;main.serve': 50,
  'main.main;main.read;syscall.Syscall;runtime/internal/syscall.Syscall6': 10,
};

before(async () => {
  srv = await startServer();
  browser = await launchBrowser();
  page = await browser.page();
  low = await uploadViaApi(srv.url, data('runtime/gogc100.pprof'), { name: 'gogc100' });
  high = await uploadViaApi(srv.url, data('runtime/gogc10.pprof'), { name: 'gogc10' });
  heap = await uploadViaApi(srv.url, data('agent-insight/heap.pb.gz'), { name: 'heap' });
  // the same service on two releases; on 1.22 it allocates less and spends more in GC
  const v = (version) => () => ({ go_version: version });
  v121 = await uploadViaApi(srv.url, cpuProfile(SERVICE, { minutesAgo: 30, labels: v('go1.21.10') }), { name: 'svc 1.21' });
  v122 = await uploadViaApi(srv.url, cpuProfile({ ...SERVICE, 'main.main;main.handle;runtime.mallocgc': 10,
    'runtime.gcBgMarkWorker;runtime.gcDrain;runtime.scanobject': 25 }, { minutesAgo: 5, labels: (s) => (s.startsWith('runtime.gcBgMarkWorker') ? {} : { go_version: 'go1.22.3' }) }), { name: 'svc 1.22' });
  fleet = await uploadViaApi(srv.url, cpuProfile({
    'main.main;main.a;runtime.mallocgc': 20, 'main.main;main.b': 30,
    'main.main;main.c;runtime.mallocgc': 5, 'main.main;main.d': 45,
    'runtime.gcBgMarkWorker;runtime.gcDrain;runtime.scanobject': 10,
  }, { labels: (s) => (s.includes('main.a') || s.includes('main.b') ? { go_version: 'go1.21.10' } : s.includes('runtime.gcBg') ? {} : { go_version: 'go1.22.3' }) }), { name: 'fleet' });
});

after(async () => {
  if (browser) await browser.close();
  if (srv) await srv.stop();
});

async function api(p) {
  const r = await fetch(srv.url + p);
  assert.equal(r.status, 200, p);
  return r.json();
}

const pct = (doc, key) => (100 * doc.categories.find((c) => c.key === key).value / doc.total).toFixed(1) + '%';

/** The strip's table: {cat: [cells…]} and its column heads. */
function table(p) {
  return p.$eval('#runtime-share #categories', (t) => ({
    heads: [...t.querySelectorAll('thead th')].map((th) => th.textContent),
    rows: Object.fromEntries([...t.querySelectorAll('tbody tr')].map((tr) => [tr.dataset.cat, [...tr.querySelectorAll('td')].map((td) => td.textContent)])),
  }));
}

test('diff page: the strip shows the server\'s shares of both sides, allocation apart from GC work', async () => {
  await page.goto(`${srv.url}/diff/${low.id}/${high.id}`);
  await waitFlame(page, '.diff-graph canvas.flame-canvas');
  await page.waitForSelector('#runtime-share[data-applicable="true"] #categories');
  const doc = await api(`/api/v1/diff/runtime?base=${low.id}&target=${high.id}`);
  const t = await table(page);
  assert.deepEqual(t.heads, ['Share of CPU', 'base · go1.19.8', 'target · go1.19.8', 'Δ']);
  for (const k of ['gc', 'alloc', 'syscall', 'sched', 'user']) {
    assert.deepEqual(t.rows[k].slice(0, 2), [pct(doc.base, k), pct(doc.target, k)], k);
  }
  // GOGC=10: GC work grows, allocation shrinks (they used to be one "GC" row)
  assert.match(t.rows.gc[2], /^\+\d+\.\d pp$/);
  assert.match(t.rows.alloc[2], /^−\d+\.\d pp$/);
  assert.equal(await page.locator('#runtime-share .cat-bar').count(), 2);
  assert.match(await page.textContent('#runtime-label-note'), /counted as go1\.19\.8/);
  await page.locator('#diff-summary').scrollIntoViewIfNeeded();
  await shot(page, 'runtime-diff');
  await elementShot(page, '#diff-summary', 'runtime-diff-strip');
  assert.deepEqual(browser.problems, []);
});

test('diff page: a filter reaches the strip', async () => {
  await page.goto(`${srv.url}/diff/${low.id}/${high.id}?tagfocus=${encodeURIComponent('phase=alloc')}`);
  await page.waitForSelector('#runtime-share[data-applicable="true"] #categories');
  const doc = await api(`/api/v1/diff/runtime?base=${low.id}&target=${high.id}&tagfocus=phase%3Dalloc`);
  await page.waitForFunction((want) => document.querySelector('#runtime-share tr[data-cat="alloc"] td')?.textContent === want, pct(doc.base, 'alloc'));
  const t = await table(page);
  assert.equal(t.rows.user[1], pct(doc.target, 'user'));
});

test('profile page: a runtime-share summary under the metadata', async () => {
  await page.goto(`${srv.url}/p/${high.id}`);
  await waitFlame(page);
  await page.waitForSelector('#runtime-share[data-applicable="true"] #categories');
  const doc = await api(`/api/v1/profiles/${high.id}/runtime`);
  const t = await table(page);
  assert.deepEqual(t.heads, ['Share of CPU', 'go1.19.8']);
  for (const k of ['gc', 'alloc', 'syscall', 'sched', 'user']) assert.deepEqual(t.rows[k], [pct(doc, k)], k);
  // the sample count type of the same profile
  await page.selectOption('#sample-type', 'samples');
  const s = await api(`/api/v1/profiles/${high.id}/runtime?sample_type=samples`);
  await page.waitForFunction((want) => document.querySelector('#runtime-share tr[data-cat="gc"] td')?.textContent === want, pct(s, 'gc'));
  await shot(page, 'runtime-profile');
});

test('heap profiles: no strip, and the reason', async () => {
  await page.goto(`${srv.url}/p/${heap.id}`);
  await waitFlame(page);
  await page.waitForSelector('#runtime-share[data-applicable="false"] #runtime-na');
  assert.match(await page.textContent('#runtime-na'), /^Runtime share not shown for \w+\/\w+: .*CPU time only/);
  assert.equal(await page.locator('#runtime-share .cat-bar').count(), 0);
  await page.goto(`${srv.url}/diff/${heap.id}/${heap.id}`);
  await page.waitForSelector('#runtime-share[data-applicable="false"] #runtime-na');
  assert.equal(await page.locator('#runtime-share #categories').count(), 0);
});

test('go_version labels: one bar per release, on a diff and in a merged profile', async () => {
  await page.goto(`${srv.url}/diff/${v121.id}/${v122.id}`);
  await page.waitForSelector('#runtime-share[data-applicable="true"] #categories');
  let t = await table(page);
  assert.deepEqual(t.heads, ['Share of CPU', 'base · go1.21.10', 'target · go1.22.3', 'Δ']);
  const doc = await api(`/api/v1/diff/runtime?base=${v121.id}&target=${v122.id}`);
  assert.deepEqual(t.rows.gc.slice(0, 2), [pct(doc.base, 'gc'), pct(doc.target, 'gc')]);
  assert.match(t.rows.gc[2], /^\+/);
  await elementShot(page, '#diff-summary', 'runtime-versions-diff');

  await page.goto(`${srv.url}/p/${fleet.id}`);
  await page.waitForSelector('#runtime-share[data-applicable="true"] #categories');
  t = await table(page);
  assert.deepEqual(t.heads, ['Share of CPU', 'go1.21.10', 'go1.22.3', 'unlabelled']);
  // go1.21.10: 20 of 50 samples in mallocgc; go1.22.3: 5 of 50; the mark worker is unlabelled
  assert.deepEqual(t.rows.alloc, ['40.0%', '10.0%', '0.0%']);
  assert.deepEqual(t.rows.gc, ['0.0%', '0.0%', '100.0%']);
  assert.equal(await page.locator('#runtime-share .cat-bar').count(), 3);
  assert.match(await page.textContent('#runtime-label-note'), /unlabelled/);
  await elementShot(page, '#runtime-share', 'runtime-versions-profile', { fromTop: true });
  assert.deepEqual(browser.problems, []);
});
