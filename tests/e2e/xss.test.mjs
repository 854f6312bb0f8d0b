// Untrusted names: a profile whose function, file, label and profile names
// are HTML/script must show them as text and run nothing.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, launchBrowser, tmpDir, shot, uploadViaPicker, waitFlame } from './lib/harness.mjs';
import { encodeProfile } from './lib/pprof.mjs';

const IMG = '<img src=x onerror="window.__xss=1;alert(1)">';
const SCRIPT = '<script>window.__xss=2;alert(2)</script>';
const SVG = '"><svg onload="window.__xss=3">';
let srv, browser, page, file, dialogs = [];

before(async () => {
  srv = await startServer();
  browser = await launchBrowser();
  page = await browser.page();
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  const buf = encodeProfile({
    sampleTypes: [['samples', 'count'], ['cpu', 'nanoseconds']],
    periodType: ['cpu', 'nanoseconds'],
    period: 10000000,
    files: { [IMG]: '/src/<b>bold</b>.go', [SCRIPT]: '/src/x.go' },
    samples: [
      { stack: ['main.main', IMG, SCRIPT], values: [6, 60000000], labels: { [SVG]: IMG } },
      { stack: ['main.main', 'main.ok', SVG], values: [4, 40000000], labels: { [SVG]: SCRIPT } },
    ],
  });
  file = path.join(tmpDir('flamedex-xss-'), 'xss.pb.gz');
  fs.writeFileSync(file, buf);
});

after(async () => {
  if (browser) await browser.close();
  if (srv) await srv.stop();
});

const flag = () => page.evaluate(() => window.__xss);

test('hostile names run nothing on the list, flame graph, tooltip, top, labels and sandwich views', async () => {
  await uploadViaPicker(page, srv.url, [file], { name: '<b>x</b>' + IMG, labels: 'svc:' + SCRIPT.replace(/[,]/g, '') });
  await page.waitForSelector('#profile-rows tr');
  assert.equal(await page.textContent('#profile-rows .profile-link'), '<b>x</b>' + IMG);
  assert.equal(await page.locator('#profile-rows img, #profile-rows script, #profile-rows b').count(), 0);

  await page.click('.upload-item.done .open-link');
  await waitFlame(page);
  assert.equal(await page.textContent('.profile-title'), '<b>x</b>' + IMG);
  // the names are in the model as text, and drawn on the canvas (not the DOM)
  const names = await page.$eval('#view-flame canvas', (c) => c.flamegraph.model.names);
  assert.ok(names.includes(IMG) && names.includes(SCRIPT));

  // tooltip over the hostile frame (depth 2, the widest one)
  const pos = await page.$eval('#view-flame canvas', (c) => {
    const fg = c.flamegraph, r = fg.lay.rows[2], box = c.getBoundingClientRect();
    let k = 0;
    for (let i = 0; i < r.x.length; i++) if (fg.model.nameOf(r.node[i]) === '<img src=x onerror="window.__xss=1;alert(1)">') k = i;
    return { x: box.left + r.x[k] + r.w[k] / 2, y: box.top + 2.5 * 18 };
  });
  await page.mouse.move(pos.x, pos.y);
  await page.waitForSelector('.tooltip:not([hidden])');
  assert.equal(await page.textContent('.tooltip .tt-name'), IMG);
  assert.equal(await page.textContent('.tooltip .tt-file'), '/src/<b>bold</b>.go');
  await page.mouse.click(pos.x, pos.y);
  await page.waitForFunction(() => document.querySelector('#breadcrumb .crumb.current'));
  assert.equal(await page.textContent('#breadcrumb .crumb.current'), IMG);
  await shot(page, 'xss-flame');
  // the name holds ';', the zoom path separator: the link still reopens that frame
  await page.reload();
  await waitFlame(page);
  assert.equal(await page.textContent('#breadcrumb .crumb.current'), IMG);

  await page.click('#tab-top');
  await page.waitForSelector('.top-table tbody tr');
  const fns = await page.$$eval('.top-table .fn-focus', (bs) => bs.map((b) => b.textContent));
  assert.ok(fns.includes(SCRIPT) && fns.includes(IMG) && fns.includes(SVG));

  await page.click('#tab-labels');
  await page.waitForSelector('.label-card');
  assert.equal(await page.textContent('.label-card h3'), SVG + ' · 2 values');
  const values = await page.$$eval('.label-value', (bs) => bs.map((b) => b.textContent).sort());
  assert.deepEqual(values, [IMG, SCRIPT].sort());
  await page.goto(page.url().replace(/view=labels/, 'view=sandwich') + '&fn=' + encodeURIComponent(IMG));
  await page.waitForSelector('#view-sandwich canvas.flame-canvas[data-ready="1"] >> nth=1');
  assert.equal(await page.textContent('.sandwich-summary .fn-name'), IMG);
  await shot(page, 'xss-sandwich');

  // nothing ran, nothing injected
  assert.equal(await flag(), undefined);
  assert.deepEqual(dialogs, []);
  assert.equal(await page.locator('#app img:not(.brand-logo), #app script, #app svg, #app b').count(), 0);
  assert.deepEqual(browser.problems, []);
});
