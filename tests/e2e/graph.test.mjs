// The Graph view (pprof's call graph as SVG, laid out by Graphviz on the
// server) and the Peek view: in the URL, keyboard shortcut g, pan and zoom,
// a click on a node focuses the profile on it, the granularity selector,
// hostile names shown as text, light and dark themes.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startServer, launchBrowser, corpusFile, shot, uploadViaApi, waitFlame } from './lib/harness.mjs';
import { cpuProfile } from './lib/synth.mjs';

let srv, browser, page, url, pid;

before(async () => {
  srv = await startServer();
  browser = await launchBrowser();
  page = await browser.page();
  const meta = await uploadViaApi(srv.url, fs.readFileSync(corpusFile('parca/labels.pb.gz')), { name: 'graph cpu' });
  pid = meta.id;
  url = `${srv.url}/p/${pid}`;
});

after(async () => {
  if (browser) await browser.close();
  if (srv) await srv.stop();
});

const waitGraph = (p) => p.waitForSelector('#graph-host[data-ready="1"] svg.graph-svg', { timeout: 60000 });

test('g opens the graph; its nodes are those of /graph', async () => {
  await page.goto(url);
  await waitFlame(page);
  await page.keyboard.press('g');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('view') === 'graph');
  await waitGraph(page);
  const j = await (await fetch(`${srv.url}/api/v1/profiles/${pid}/graph?format=json`)).json();
  const names = await page.$$eval('#graph-host g.node[data-name]', (gs) => gs.map((g) => g.dataset.name));
  assert.deepEqual(names.slice().sort(), j.nodes.map((n) => n.name).sort());
  assert.ok(names.length > 20);
  await shot(page, 'graph-light');
});

test('wheel zooms and drag pans the drawing', async () => {
  await page.goto(url + '?view=graph');
  await waitGraph(page);
  const vb = () => page.$eval('#graph-host svg', (s) => s.getAttribute('viewBox').split(' ').map(Number));
  const before = await vb();
  const box = await page.locator('#graph-host').boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.wheel(0, -400);
  await page.waitForFunction((w) => Number(document.querySelector('#graph-host svg').getAttribute('viewBox').split(' ')[2]) < w, before[2]);
  const zoomed = await vb();
  assert.ok(zoomed[2] < before[2], 'zoomed in');
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 + 120, box.y + box.height / 2 + 60, { steps: 5 });
  await page.mouse.up();
  const panned = await vb();
  assert.ok(panned[0] < zoomed[0] && panned[1] < zoomed[1], `panned ${zoomed} -> ${panned}`);
  await page.click('.graph-tools button:has-text("Fit")');
  assert.deepEqual(await vb(), before);
});

test('a click on a node focuses the profile on that function', async () => {
  await page.goto(url + '?view=graph');
  await waitGraph(page);
  const name = 'runtime.mallocgc';
  const node = page.locator(`#graph-host g.node[data-name="${name}"] polygon`).first();
  await node.click();
  await page.waitForFunction((n) => new URL(location.href).searchParams.get('focus') === '^' + n.replace(/\./g, '\\.') + '$', name);
  assert.equal(new URL(page.url()).searchParams.get('view'), 'graph', 'still on the graph');
  await waitGraph(page);
  const j = await (await fetch(`${srv.url}/api/v1/profiles/${pid}/graph?format=json&focus=${encodeURIComponent('^runtime\\.mallocgc$')}`)).json();
  await page.waitForFunction((n) => Number(document.querySelector('#graph-host').dataset.nodes) === n, j.nodes.length);
  assert.match(await page.textContent('#active-filters'), /mallocgc/);
  await shot(page, 'graph-focused');
  // the same view after a reload
  await page.reload();
  await waitGraph(page);
  assert.equal(Number(await page.getAttribute('#graph-host', 'data-nodes')), j.nodes.length);
});

test('granularity lines: nodes named function file:line', async () => {
  await page.goto(url + '?view=graph');
  await waitGraph(page);
  await page.selectOption('#gran', 'lines');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('gran') === 'lines');
  await page.waitForFunction(() => [...document.querySelectorAll('#graph-host g.node[data-name]')].some((g) => / \S+\.go:\d+$/.test(g.dataset.name)));
  await shot(page, 'graph-lines');
});

test('peek lists callers and callees with the numbers of /peek', async () => {
  await page.goto(url + '?view=peek');
  await page.fill('#peek-re', 'mallocgc');
  await page.press('#peek-re', 'Enter');
  await page.waitForSelector('#peek-table');
  const j = await (await fetch(`${srv.url}/api/v1/profiles/${pid}/peek?re=mallocgc`)).json();
  const rows = await page.$$eval('#peek-table tbody.peek-entry', (bs) => bs.map((b) => ({
    self: b.querySelector('.peek-self .peek-name').textContent,
    callers: b.querySelectorAll('.peek-caller').length,
    callees: b.querySelectorAll('.peek-callee').length,
  })));
  assert.deepEqual(rows, j.entries.map((e) => ({ self: e.function, callers: e.callers.length, callees: e.callees.length })));
  assert.equal(new URL(page.url()).searchParams.get('peek'), 'mallocgc');
  await shot(page, 'peek');
});

test('hostile function names are text in the graph', async () => {
  const body = cpuProfile({ 'main.main;main.<img src=x onerror=alert(1)>': 5, 'main.main;main."q"': 3 });
  const meta = await uploadViaApi(srv.url, body, { name: 'hostile' });
  await page.goto(`${srv.url}/p/${meta.id}?view=graph`);
  await waitGraph(page);
  assert.equal(await page.locator('#graph-host img').count(), 0);
  const names = await page.$$eval('#graph-host g.node[data-name]', (gs) => gs.map((g) => g.dataset.name));
  assert.ok(names.some((n) => n.includes('<img')), names.join(' | '));
});

test('dark theme', async () => {
  const dark = await launchBrowser({ colorScheme: 'dark' });
  try {
    const p = await dark.page();
    await p.goto(url + '?view=graph');
    await waitGraph(p);
    const bg = await p.$eval('#graph-host', (e) => getComputedStyle(e).backgroundColor);
    assert.notEqual(bg, 'rgb(255, 255, 255)', 'the paper is dimmed in the dark theme');
    await shot(p, 'graph-dark');
    assert.deepEqual(dark.problems, []);
  } finally {
    await dark.close();
  }
  assert.deepEqual(browser.problems, []);
});
