// Performance of the flame graph on the large benchmark profile (300k
// samples, 30k functions; the server prunes the tree to max_nodes=20000):
// the first graph is drawn within 1 s of the data arriving, frames narrower
// than a pixel are merged rather than drawn one by one, and hover and zoom
// stay fast.
//
// Input: $FLAMEDEX_LARGE_PROFILE, else bench/out/large.pb.gz, else a
// synthetic profile of the same size made here.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, launchBrowser, uploadViaApi, waitFlame, paintedPixels, shot, REPO } from './lib/harness.mjs';
import { synthProfile } from './lib/synth.mjs';

let srv, browser, page, meta, source;

before(async () => {
  srv = await startServer();
  browser = await launchBrowser();
  page = await browser.page();
  const bench = path.join(REPO, 'bench', 'out', 'large.pb.gz');
  let body;
  if (process.env.FLAMEDEX_LARGE_PROFILE) { source = process.env.FLAMEDEX_LARGE_PROFILE; body = fs.readFileSync(source); }
  else if (fs.existsSync(bench)) { source = 'bench/out/large.pb.gz'; body = fs.readFileSync(bench); }
  else { source = 'synthetic 300k samples / 30k functions'; body = synthProfile({ samples: 300000, functions: 30000 }); }
  meta = await uploadViaApi(srv.url, body, { name: 'large benchmark' });
});

after(async () => {
  if (browser) await browser.close();
  if (srv) await srv.stop();
});

test('the first flame graph is drawn within 1 s after the data arrives', { timeout: 180000 }, async (t) => {
  const t0 = Date.now();
  await page.goto(srv.url + meta.url);
  const ds = await waitFlame(page);
  const wall = Date.now() - t0;
  t.diagnostic(`input: ${source}; ${meta.samples} samples, ${meta.functions} functions`);
  t.diagnostic(`nodes ${ds.nodes}, rectangles drawn ${ds.rects}, data→first draw ${ds.firstDrawMs} ms, draw ${ds.drawMs} ms, page open→drawn ${wall} ms (includes the server)`);
  assert.ok(+ds.firstDrawMs < 1000, `first draw took ${ds.firstDrawMs} ms after the data arrived`);
  // tiny frames are merged/skipped: far fewer rectangles than nodes
  assert.ok(+ds.rects < +ds.nodes, `drew ${ds.rects} rectangles for ${ds.nodes} nodes`);
  const px = await paintedPixels(page);
  assert.ok(px.painted > px.sampled * 0.05, 'the canvas is not blank');
  await shot(page, 'perf-large');
});

test('hover, zoom and search stay fast on the large profile', { timeout: 120000 }, async (t) => {
  // 300 synthetic mouse moves across the graph, timed in the page
  const hover = await page.$eval('#view-flame canvas', (c) => {
    const stack = c.parentElement;
    const box = c.getBoundingClientRect();
    const rows = c.flamegraph.lay.levels;
    const t0 = performance.now();
    for (let i = 0; i < 300; i++) {
      const x = box.left + ((i * 37) % Math.floor(box.width));
      const y = box.top + 9 + 18 * (i % Math.min(rows, 25));
      stack.dispatchEvent(new MouseEvent('mousemove', { clientX: x, clientY: y, bubbles: true }));
    }
    return (performance.now() - t0) / 300;
  });
  t.diagnostic(`hover: ${hover.toFixed(2)} ms per mouse move`);
  assert.ok(hover < 8, `hover handling takes ${hover} ms per move`);

  // zoom into the widest frame at depth 3, then back out
  const f = await page.$eval('#view-flame canvas', (c) => {
    const fg = c.flamegraph, r = fg.lay.rows[3], box = c.getBoundingClientRect();
    let best = 0;
    for (let k = 0; k < r.x.length; k++) if (r.node[k] >= 0 && r.w[k] > r.w[best]) best = k;
    return { x: box.left + r.x[best] + r.w[best] / 2, y: box.top + 3.5 * 18, name: fg.model.nameOf(r.node[best]) };
  });
  await page.mouse.click(f.x, f.y);
  await page.waitForFunction((n) => document.querySelector('#view-flame canvas').dataset.zoom === n, f.name);
  const zoomMs = +(await page.$eval('#view-flame canvas', (c) => c.dataset.drawMs));
  t.diagnostic(`zoom redraw: ${zoomMs} ms`);
  assert.ok(zoomMs < 150, `zoom redraw took ${zoomMs} ms`);
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => document.querySelector('#view-flame canvas').dataset.zoom === 'root');

  // search over all 20000 nodes
  const searchMs = await page.evaluate(async () => {
    const input = document.querySelector('#search');
    const t0 = performance.now();
    input.value = 'runtime';
    input.dispatchEvent(new Event('input', { bubbles: true }));
    input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    return performance.now() - t0;
  });
  const matches = await page.$eval('#match-info', (e) => +e.dataset.matches);
  t.diagnostic(`search: ${searchMs.toFixed(1)} ms, ${matches} matching frames`);
  assert.ok(matches > 0);
  assert.ok(searchMs < 300, `search took ${searchMs} ms`);
  assert.deepEqual(browser.problems, []);
});
