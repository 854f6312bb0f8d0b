// The diff page has one notion of "changed", the CI gate's: on real CPU
// profiles of tests/progs/gateprof made at test time (two runs of the same
// code, and a run where main.render does 4x its work), the legend's
// function counts equal the table's headings and /api/v1/diff/check's
// verdict, the grown frames are those of the functions the gate names,
// and the same-code diff has no red at all. Screenshots of both diffs go
// to docs/img/ (diff-same.png, diff-regression.png) with UPDATE_DOCS_IMG=1.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { startServer, launchBrowser, uploadViaApi, waitFlame, shot, tmpDir, frameAt, REPO } from './lib/harness.mjs';

const SEL = '.diff-graph canvas.flame-canvas';
const DOCS = path.join(REPO, 'docs', 'img');
const README = { normalize: '1', max_growth: '10', min_share: '1' };
let srv, browser, page, ids;

before(async () => {
  const dir = tmpDir('gateprof');
  const env = { ...process.env, GO111MODULE: 'off', GOFLAGS: '', GOCACHE: process.env.GOCACHE || path.join(dir, 'gocache'), GOPATH: path.join(dir, 'gopath') };
  const exe = path.join(dir, 'gateprof');
  execFileSync('go', ['build', '-o', exe, './gateprof'], { cwd: path.join(REPO, 'tests', 'progs'), env, stdio: 'pipe' });
  const run = promisify(execFile);
  const runs = { same0: 0, same1: 0, planted: 300 };
  await Promise.all(Object.entries(runs).map(([name, plant]) =>
    run(exe, ['-work', '22', '-plant', String(plant), path.join(dir, name + '.pb.gz')], { env })));
  srv = await startServer();
  ids = {};
  for (const name of Object.keys(runs)) {
    ids[name] = (await uploadViaApi(srv.url, fs.readFileSync(path.join(dir, name + '.pb.gz')), { name: name === 'planted' ? 'gateprof, main.render ×4' : `gateprof, same code (${name.slice(-1)})` })).id;
  }
  browser = await launchBrowser({ viewport: { width: 1440, height: 900 } });
  page = await browser.page();
});

after(async () => {
  if (browser) await browser.close();
  if (srv) await srv.stop();
});

/** Red (grew) and green (shrank) pixels of the diff canvas. */
function colourCounts(p) {
  return p.$eval(SEL, (c) => {
    const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
    const n = { red: 0, green: 0 };
    for (let i = 0; i < data.length; i += 4) {
      const r = data[i], g = data[i + 1], b = data[i + 2];
      if (r > 150 && r - g > 90 && r - b > 90 && g < 110) n.red++;
      if (g - r > 50 && g - b > 30) n.green++;
    }
    return n;
  });
}

async function gate(base, target) {
  const r = await fetch(`${srv.url}/api/v1/diff/check?` + new URLSearchParams({ base, target, ...README }));
  return { status: r.status, body: await r.json() };
}

/** Open the diff and read what the page says it counts. */
async function openDiff(base, target) {
  await page.goto(`${srv.url}/diff/${base}/${target}?normalize=1`);
  const ds = await waitFlame(page, SEL);
  await page.waitForSelector('#regress-table tbody.grew .grp-head');
  const legendGrew = await page.textContent('#legend-grew');
  const legendShrank = await page.textContent('#legend-shrank');
  const heads = await page.$$eval('#regress-table tbody.grp', (bs) => bs.map((b) => [b.classList[1], b.querySelector('.grp-count').textContent]));
  const rows = await page.$$eval('#regress-table tr[data-fn]', (trs) => trs.map((t) => [t.dataset.fn, t.dataset.change, t.closest('tbody').classList[1]]));
  return { ds, legendGrew, legendShrank, heads: Object.fromEntries(heads), rows };
}

const fnCount = (text) => {
  const m = /(\d+) functions?/.exec(text);
  return m ? +m[1] : null;
};
const frameCount = (text) => {
  const m = /\((\d+) frames?\)/.exec(text);
  return m ? +m[1] : null;
};

test('same code: the gate passes, the legend and the table say 0 functions, and nothing is red', async () => {
  const g = await gate(ids.same0, ids.same1);
  assert.equal(g.status, 200, JSON.stringify(g.body.regressions));
  const v = await openDiff(ids.same0, ids.same1);
  assert.equal(fnCount(v.legendGrew), 0, v.legendGrew);
  assert.equal(frameCount(v.legendGrew), 0, v.legendGrew);
  assert.equal(fnCount(v.heads.grew), 0, v.heads.grew);
  assert.equal(+v.ds.grew, 0);
  assert.equal(+v.ds.fnGrew, g.body.grew);
  // shrank: the legend, the table and the gate's count agree too
  assert.equal(fnCount(v.legendShrank), g.body.shrank);
  assert.equal(fnCount(v.heads.shrank), g.body.shrank);
  // no row is filed as grown, no pixel is red
  assert.deepEqual(v.rows.filter(([, c]) => c === 'grew'), []);
  const px = await colourCounts(page);
  assert.equal(px.red, 0, JSON.stringify(px));
  // the rows that differ are filed under "within noise", greyed
  assert.ok(v.rows.some(([, c, grp]) => c === 'same' && grp === 'rest'));
  assert.ok(await page.$eval('#regress-table tbody.rest tr[data-fn]', (tr) => tr.classList.contains('small')));
  await shot(page, 'diff-same');
  if (process.env.UPDATE_DOCS_IMG === '1') {
    fs.mkdirSync(DOCS, { recursive: true });
    await page.screenshot({ path: path.join(DOCS, 'diff-same.png') });
  }
  assert.deepEqual(browser.problems, []);
});

test('a planted regression: the gate fails on main.render first, and the page counts the same functions', async () => {
  const g = await gate(ids.same0, ids.planted);
  assert.equal(g.status, 422);
  assert.equal(g.body.regressions[0].function, 'main.render');
  const v = await openDiff(ids.same0, ids.planted);
  const failed = g.body.regressions.map((r) => r.function).sort();
  // legend (functions) = table heading (functions) = the gate
  assert.equal(fnCount(v.legendGrew), failed.length, v.legendGrew);
  assert.equal(fnCount(v.heads.grew), failed.length, v.heads.grew);
  assert.deepEqual(v.rows.filter(([, c]) => c === 'grew').map(([f]) => f).sort(), failed);
  assert.deepEqual(v.rows.filter(([, , grp]) => grp === 'grew').map(([f]) => f).sort(), failed);
  assert.equal(fnCount(v.legendShrank), g.body.shrank);
  assert.equal(fnCount(v.heads.shrank), g.body.shrank);
  // the legend's frame count is the canvas's, and every red frame belongs to a failed function
  assert.equal(frameCount(v.legendGrew), +v.ds.grew);
  assert.ok(+v.ds.grew >= 1);
  const px = await colourCounts(page);
  assert.ok(px.red > 200, JSON.stringify(px));
  await shot(page, 'diff-regression');
  if (process.env.UPDATE_DOCS_IMG === '1') {
    fs.mkdirSync(DOCS, { recursive: true });
    await page.screenshot({ path: path.join(DOCS, 'diff-regression.png') });
  }
  // the tooltip of main.render says why it is red
  const box = await frameAt(page, SEL, 'main.render');
  assert.ok(box, 'main.render is drawn');
  await page.mouse.move(box.x, box.y);
  await page.waitForSelector('.tooltip:not([hidden])');
  assert.match(await page.textContent('.tooltip'), /main\.render grew beyond sampling noise and the thresholds/);
  await page.mouse.move(1, 1);
  assert.deepEqual(browser.problems, []);
});
