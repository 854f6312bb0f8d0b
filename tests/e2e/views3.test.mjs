// Granularity on the profile page (one selector for the flame graph, top,
// graph and peek; in the URL as gran=) and the Lines view (pprof -list's
// numbers per function and line): reached from a flame frame with l, from
// a Top row's ≡, and by typing a regex; light and dark themes.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startServer, launchBrowser, corpusFile, shot, uploadViaApi, waitFlame, frameAt } from './lib/harness.mjs';

const SEL = '#view-flame canvas.flame-canvas';
let srv, browser, page, url, pid;

before(async () => {
  srv = await startServer();
  browser = await launchBrowser();
  page = await browser.page();
  const meta = await uploadViaApi(srv.url, fs.readFileSync(corpusFile('parca/labels.pb.gz')), { name: 'views3 cpu' });
  pid = meta.id;
  url = `${srv.url}/p/${pid}`;
});

after(async () => {
  if (browser) await browser.close();
  if (srv) await srv.stop();
});

const api = async (path) => (await fetch(`${srv.url}/api/v1/profiles/${pid}/${path}`)).json();
const param = (p, k) => new URL(p.url()).searchParams.get(k);

test('the granularity selector names the flame graph frames at lines', async () => {
  await page.goto(url);
  await waitFlame(page);
  await page.selectOption('#gran', 'lines');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('gran') === 'lines');
  await page.waitForFunction((sel) => {
    const c = document.querySelector(sel);
    return c && c.flamegraph && c.flamegraph.model && c.flamegraph.model.names.some((n) => / \S+\.go:\d+$/.test(n));
  }, SEL);
  await waitFlame(page);
  const j = await api('flamegraph?granularity=lines&max_nodes=20000');
  const names = await page.$eval(SEL, (c) => c.flamegraph.model.names.slice());
  assert.deepEqual(names.slice().sort(), j.names.slice().sort());
  await shot(page, 'views3-flame-lines');
});

test('top at addresses: the rows of /top?granularity=addresses', async () => {
  await page.goto(url + '?view=top&gran=addresses');
  await page.waitForSelector('#view-top table.top-table tbody tr');
  assert.equal(await page.$eval('#gran', (s) => s.value), 'addresses');
  const j = await api('top?granularity=addresses&limit=1000&sort=flat');
  const shown = await page.$$eval('#view-top .fn-focus', (bs) => bs.slice(0, 10).map((b) => b.textContent));
  assert.deepEqual(shown, j.rows.slice(0, 10).map((r) => r.function));
  assert.ok(/^[0-9a-f]{16} /.test(shown[0]), shown[0]);
  await shot(page, 'views3-top-addresses');
});

test('l over a flame frame opens its line table, with the numbers of /list', async () => {
  await page.goto(url);
  await waitFlame(page);
  const f = await frameAt(page, SEL, 'runtime.mallocgc');
  assert.ok(f, 'runtime.mallocgc is drawn');
  await page.mouse.move(f.x, f.y);
  await page.keyboard.press('l');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('view') === 'list');
  assert.equal(param(page, 'list'), '^runtime\\.mallocgc$');
  await page.waitForSelector('#list-body section.list-fn');
  const j = await api('list?fn=' + encodeURIComponent('^runtime\\.mallocgc$'));
  const got = await page.$$eval('#list-body section.list-fn', (ss) => ss.map((s) => ({
    fn: s.dataset.function, file: s.dataset.file,
    lines: [...s.querySelectorAll('tbody tr[data-line]')].map((r) => Number(r.dataset.line)),
  })));
  assert.deepEqual(got, j.functions.map((x) => ({ fn: x.function, file: x.file, lines: x.lines.map((l) => l.line) })));
  assert.ok(got[0].lines.length > 1);
  await shot(page, 'views3-list-light');
});

test('≡ in a Top row lists that function; a typed regex lists several', async () => {
  await page.goto(url + '?view=top');
  await page.waitForSelector('#view-top .list-btn');
  const fn = await page.$eval('#view-top tbody tr .fn-focus', (b) => b.textContent);
  await page.click('#view-top tbody tr .list-btn');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('view') === 'list');
  await page.waitForSelector('#list-body section.list-fn');
  assert.equal(await page.$eval('#list-body section.list-fn', (s) => s.dataset.function), fn);
  await page.fill('#list-re', '^runtime\\.(mallocgc|newobject)$');
  await page.press('#list-re', 'Enter');
  await page.waitForFunction(() => document.querySelectorAll('#list-body section.list-fn').length >= 2);
  const j = await api('list?fn=' + encodeURIComponent('^runtime\\.(mallocgc|newobject)$'));
  assert.equal(await page.locator('#list-body section.list-fn').count(), j.functions.length);
  // a regex that does not compile is the page's error, not an empty table
  await page.fill('#list-re', '(');
  await page.press('#list-re', 'Enter');
  await page.waitForSelector('.error-box:not([hidden])');
  assert.match(await page.textContent('.error-box'), /fn/);
});

test('dark theme', async () => {
  const dark = await launchBrowser({ colorScheme: 'dark' });
  try {
    const p = await dark.page();
    await p.goto(url + '?view=list&list=' + encodeURIComponent('^runtime\\.mallocgc$'));
    await p.waitForSelector('#list-body section.list-fn');
    const bg = await p.$eval('#list-body .list-bar-cum', (e) => getComputedStyle(e).backgroundColor);
    assert.notEqual(bg, 'rgba(0, 0, 0, 0)', 'the bars are painted');
    await shot(p, 'views3-list-dark');
    await p.goto(url + '?gran=lines');
    await waitFlame(p);
    await shot(p, 'views3-flame-lines-dark');
    assert.deepEqual(dark.problems, []);
  } finally {
    await dark.close();
  }
  assert.deepEqual(browser.problems, []);
});
