// pprof labels: the label breakdown table (from /tags), one click on a value
// focuses the flame graph on it (tagfocus=KEY=^VALUE$), and the label picker
// in the filter bar focuses or ignores a value; a request's value (trace_id)
// against its baseline, the other samples of its endpoint.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startServer, launchBrowser, corpusFile, shot, uploadViaPicker, uploadViaApi, waitFlame } from './lib/harness.mjs';
import { cpuProfile } from './lib/synth.mjs';

let srv, browser, page, url;

before(async () => {
  srv = await startServer();
  browser = await launchBrowser();
  page = await browser.page();
  await uploadViaPicker(page, srv.url, [corpusFile('pyroscope/go.cpu.labels.pprof')], { name: 'labelled cpu' });
  url = srv.url + await page.getAttribute('.upload-item.done .open-link', 'href');
});

after(async () => {
  if (browser) await browser.close();
  if (srv) await srv.stop();
});

const rootTotal = (p) => p.$eval('#view-flame canvas', (c) => c.flamegraph.model.rootTotal);

test('the labels tab lists each key with its values and totals', async () => {
  await page.goto(url + '?view=labels');
  await page.waitForSelector('.label-card');
  const keys = await page.$$eval('.label-card h3', (hs) => hs.map((h) => h.firstChild.textContent));
  for (const k of ['foo', 'function']) assert.ok(keys.includes(k), `label key ${k} in ${keys}`);
  // the totals shown are those of /tags
  const api = await (await fetch(`${srv.url}/api/v1/profiles/${url.split('/p/')[1]}/tags`)).json();
  const fn = api.tags.find((t) => t.key === 'function');
  const values = await page.$$eval('.label-card', (cards) => {
    const card = cards.find((c) => c.querySelector('h3').firstChild.textContent === 'function');
    return [...card.querySelectorAll('tbody tr:not(.unlabelled)')].map((tr) => tr.querySelector('.label-value').dataset.value);
  });
  assert.deepEqual(values.sort(), fn.values.map((v) => v.value).sort());
  await shot(page, 'labels-table');
});

test('one click on a label value focuses the flame graph on it', async () => {
  await page.goto(url);
  await waitFlame(page);
  const all = await rootTotal(page);
  await page.click('#tab-labels');
  await page.click('.label-value[data-key="function"][data-value="slow"]');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('tagfocus') === 'function=^slow$');
  assert.equal(new URL(page.url()).searchParams.get('view'), null, 'back on the flame graph');
  await page.waitForFunction((a) => {
    const c = document.querySelector('#view-flame canvas');
    return c.dataset.ready === '1' && c.flamegraph.model && c.flamegraph.model.rootTotal < a;
  }, all);
  const slow = await rootTotal(page);
  const api = await (await fetch(`${srv.url}/api/v1/profiles/${url.split('/p/')[1]}/flamegraph?tagfocus=${encodeURIComponent('function=^slow$')}`)).json();
  assert.equal(slow, api.total);
  assert.match(await page.textContent('#active-filters'), /function=\^slow\$/);
  await shot(page, 'labels-focused');
  // the same view after a reload
  await page.reload();
  await waitFlame(page);
  assert.equal(await rootTotal(page), slow);
  // remove the filter
  await page.click('#active-filters .filter-chip[data-filter="tagfocus"] .chip-x');
  await page.waitForFunction((a) => document.querySelector('#view-flame canvas').flamegraph.model.rootTotal === a, all);
});

test('the label picker ignores a value (tagignore)', async () => {
  await page.goto(url);
  await waitFlame(page);
  const all = await rootTotal(page);
  await page.selectOption('#tag-key', 'function');
  await page.selectOption('#tag-value', 'slow');
  await page.click('#tag-ignore');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('tagignore') === 'function=^slow$');
  await page.waitForFunction((a) => {
    const m = document.querySelector('#view-flame canvas').flamegraph.model;
    return m && m.rootTotal < a;
  }, all);
  assert.deepEqual(browser.problems, []);
});

test('label values that need regex escaping match exactly', async () => {
  // goroutine profile with labels state and wait_reason; one more with odd values
  const p = await uploadViaApi(srv.url, fs.readFileSync(corpusFile('agent-insight/goroutine.pb.gz')), { name: 'goroutines' });
  await page.goto(srv.url + p.url + '?view=labels');
  await page.waitForSelector('.label-card');
  const first = page.locator('.label-value').first();
  const key = await first.getAttribute('data-key');
  const value = await first.getAttribute('data-value');
  await first.click();
  const expect = `${key}=^${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;
  await page.waitForFunction((e) => new URL(location.href).searchParams.get('tagfocus') === e, expect);
  await waitFlame(page);
  const tags = await (await fetch(`${srv.url}/api/v1/profiles/${p.id}/tags`)).json();
  const want = tags.tags.find((t) => t.key === key).values.find((v) => v.value === value).total;
  await page.waitForFunction((w) => document.querySelector('#view-flame canvas').flamegraph.model.rootTotal === w, want);
});

test('a numeric label (bytes) focuses with the pprof KEY=VALUE form', async () => {
  const p = await uploadViaApi(srv.url, fs.readFileSync(corpusFile('apm-server/testdata-heap.pprof')), { name: 'heap with bytes labels' });
  const tags = await (await fetch(`${srv.url}/api/v1/profiles/${p.id}/tags`)).json();
  const bytes = tags.tags.find((t) => t.key === 'bytes');
  assert.ok(bytes, 'the profile has a bytes label');
  const v = bytes.values[0];
  await page.goto(srv.url + p.url + '?view=labels');
  await page.click(`.label-value[data-key="bytes"][data-value="${v.value}"]`);
  await page.waitForFunction((e) => new URL(location.href).searchParams.get('tagfocus') === e, `bytes=${v.value}`);
  await waitFlame(page);
  await page.waitForFunction((w) => document.querySelector('#view-flame canvas').flamegraph.model.rootTotal === w, v.total);
  assert.deepEqual(browser.problems, []);
});

test('a request against its baseline: trace_id=t1 vs the rest of its endpoint, normalized', async () => {
  const MS10 = 10000000;
  const traces = {
    'main.main;main.api;main.parse': ['/checkout', 't1'],
    'main.main;main.api;main.encode': ['/checkout', 't2'],
    'main.main;main.web;main.render': ['/cart', 't3'],
    'main.main;main.web;main.parse': ['/cart', 't4'],
    'main.main;main.api;main.slow': ['/checkout', 't1'],
  };
  const prof = await uploadViaApi(srv.url, cpuProfile({
    'main.main;main.api;main.parse': 300,
    'main.main;main.api;main.encode': 120,
    'main.main;main.web;main.render': 200,
    'main.main;main.web;main.parse': 40,
    'main.main;main.api;main.slow': 60,
  }, { labels: (s) => ({ endpoint: traces[s][0], trace_id: traces[s][1] }) }), { name: 'requests' });
  for (const scheme of ['light', 'dark']) {
    const b = scheme === 'light' ? browser : await launchBrowser({ colorScheme: 'dark' });
    try {
      const p = scheme === 'light' ? page : await b.page();
      await p.goto(`${srv.url}/p/${prof.id}?view=labels`);
      const btn = p.locator('.label-card[data-key="trace_id"] .label-baseline[data-value="t1"]');
      await btn.waitFor();
      assert.equal(await btn.textContent(), 'vs its endpoint');
      // the grouping key has no baseline of its own (no key with fewer values)
      assert.equal(await p.locator('.label-card[data-key="endpoint"] .label-baseline').count(), 0);
      const resp = p.waitForResponse((r) => r.url().includes('/api/v1/diff?') && r.url().includes('base_tagignore='));
      await btn.click();
      const j = await (await resp).json();
      const u = new URL(p.url());
      assert.equal(u.pathname, `/diff/${prof.id}/${prof.id}`);
      assert.equal(u.searchParams.get('base_tagfocus'), 'endpoint=^/checkout$');
      assert.equal(u.searchParams.get('base_tagignore'), 'trace_id=^t1$');
      assert.equal(u.searchParams.get('target_tagfocus'), 'trace_id=^t1$');
      assert.equal(u.searchParams.get('normalize'), '1');
      // t1 is main.parse 300 + main.slow 60; the rest of /checkout is t2's main.encode 120
      assert.equal(j.target_total, 360 * MS10);
      assert.equal(j.base_total, 120 * MS10);
      await p.waitForSelector('.diff-graph canvas.flame-canvas[data-ready="1"]');
      await shot(p, `labels-baseline-diff-${scheme}`);
      assert.deepEqual(b.problems, []);
    } finally {
      if (scheme !== 'light') await b.close();
    }
  }
});
