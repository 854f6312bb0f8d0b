// The profile page: the flame graph is really drawn, zoom by click changes
// the URL, the URL reproduces the view after a reload and in another
// browser, search highlights, sample type and orientation switch, keyboard
// shortcuts, the top table and the callers/callees view.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, corpusFile, shot, uploadViaPicker, waitFlame, paintedPixels } from './lib/harness.mjs';

let srv, browser, page, profileUrl;

before(async () => {
  srv = await startServer();
  browser = await launchBrowser();
  page = await browser.page();
  await uploadViaPicker(page, srv.url, [corpusFile('Golbat/default.pgo')], { name: 'golbat cpu' });
  const href = await page.getAttribute('.upload-item.done .open-link', 'href');
  assert.match(href, /^\/p\/[A-Za-z0-9_-]+$/);
  profileUrl = srv.url + href;
});

after(async () => {
  if (browser) await browser.close();
  if (srv) await srv.stop();
});

/** The widest laid-out frame in a row, in page coordinates. */
async function widestFrame(p, row, sel = '#view-flame canvas.flame-canvas') {
  return p.$eval(sel, (c, row) => {
    const fg = c.flamegraph;
    const r = fg.lay.rows[row];
    let best = -1;
    for (let k = 0; k < r.x.length; k++) if (r.node[k] >= 0 && (best < 0 || r.w[k] > r.w[best])) best = k;
    const box = c.getBoundingClientRect();
    const y = fg.flame ? fg.height - (row + 0.5) * 18 : (row + 0.5) * 18;
    return { name: fg.model.nameOf(r.node[best]), x: box.left + r.x[best] + r.w[best] / 2, y: box.top + y, w: r.w[best] };
  }, row);
}

async function crumbs(p) {
  return p.$$eval('#breadcrumb .crumb', (bs) => bs.map((b) => b.textContent));
}

test('the upload link opens the profile and the flame graph is drawn on the canvas', async () => {
  await page.click('.upload-item.done .open-link');
  await page.waitForURL(profileUrl);
  const ds = await waitFlame(page);
  assert.ok(+ds.rects > 50, `drawn rectangles: ${ds.rects}`);
  const px = await paintedPixels(page);
  assert.ok(px.painted > px.sampled * 0.05, `canvas is not blank: ${JSON.stringify(px)}`);
  assert.ok(px.colours > 8, 'the frames have several colours');
  assert.equal(await page.textContent('.profile-title'), 'golbat cpu');
  assert.equal(await page.getAttribute('a:text-is("Download")', 'href'), '/api/v1/profiles/' + profileUrl.split('/p/')[1] + '/raw');
  // metadata
  const meta = await page.textContent('.meta');
  assert.match(meta, /Samples\s*18,245/);
  assert.match(meta, /Period\s*10\.0 ms/);
  await shot(page, 'profile-flame');
});

test('hover shows a tooltip with the function and its share', async () => {
  const f = await widestFrame(page, 2);
  await page.mouse.move(f.x, f.y);
  await page.waitForSelector('.tooltip:not([hidden])');
  const tip = await page.textContent('.tooltip');
  assert.ok(tip.includes(f.name), tip);
  assert.match(tip, /Total.*(ms|s|min).*of all/);
  assert.match(tip, /of parent/);
});

test('clicking a frame zooms, the URL keeps it, and reload and another browser show the same view', async () => {
  const f1 = await widestFrame(page, 1);
  await page.mouse.click(f1.x, f1.y);
  const f2 = await widestFrame(page, 2);
  await page.mouse.click(f2.x, f2.y);
  await page.waitForFunction((n) => document.querySelector('#view-flame canvas').dataset.zoom === n, f2.name);
  const url = new URL(page.url());
  assert.equal(url.searchParams.get('zoom'), `${f1.name};${f2.name}`);
  const view = await crumbs(page);
  assert.deepEqual(view, ['all', f1.name, f2.name]);
  // the zoomed frame now spans the whole width
  const zoomed = await widestFrame(page, 2);
  assert.equal(zoomed.name, f2.name);
  const width = await page.$eval('#view-flame canvas', (c) => c.flamegraph.width);
  assert.ok(Math.abs(zoomed.w - width) < 1);
  await shot(page, 'profile-zoomed');

  // Back undoes the zoom step (pushState), Forward redoes it
  await page.goBack();
  await page.waitForFunction((n) => document.querySelector('#view-flame canvas').dataset.zoom === n, f1.name);
  await page.goForward();
  await page.waitForFunction((n) => document.querySelector('#view-flame canvas').dataset.zoom === n, f2.name);

  await page.reload();
  await waitFlame(page);
  assert.deepEqual(await crumbs(page), view);
  assert.equal(await page.$eval('#view-flame canvas', (c) => c.dataset.zoom), f2.name);

  const other = await launchBrowser({ colorScheme: 'dark' });
  try {
    const p2 = await other.page();
    await p2.goto(url.href);
    const ds = await waitFlame(p2);
    assert.equal(ds.zoom, f2.name);
    assert.deepEqual(await crumbs(p2), view);
    assert.deepEqual(other.problems, []);
  } finally {
    await other.close();
  }

  // a breadcrumb click zooms out; Esc resets
  await page.click('#breadcrumb .crumb >> nth=1');
  await page.waitForFunction((n) => document.querySelector('#view-flame canvas').dataset.zoom === n, f1.name);
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => document.querySelector('#view-flame canvas').dataset.zoom === 'root');
  assert.equal(new URL(page.url()).searchParams.get('zoom'), null);
});

test('search highlights matching frames and reports their share, counting each sample once', async () => {
  await page.keyboard.press('/');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'search');
  await page.keyboard.type('runtime.mallocgc');
  await page.waitForFunction(() => document.querySelector('#match-info').dataset.matches > 0);
  const info = await page.$eval('#match-info', (e) => ({ ...e.dataset, text: e.textContent }));
  assert.match(info.text, /frames? match .* of total/);
  const ds = await page.$eval('#view-flame canvas', (c) => ({ ...c.dataset }));
  assert.ok(+ds.highlighted > 0 && +ds.highlighted < +ds.rects, `highlighted ${ds.highlighted} of ${ds.rects}`);
  assert.equal(new URL(page.url()).searchParams.get('search'), 'runtime.mallocgc');
  // the share equals (sum of matching totals without a matching ancestor) / total, from the model
  const expect = await page.$eval('#view-flame canvas', (c) => {
    const m = c.flamegraph.model;
    let v = 0;
    for (let i = 1; i < m.n; i++) {
      if (m.nameOf(i) !== 'runtime.mallocgc') continue;
      let anc = false;
      for (let p = m.parent[i]; p > 0; p = m.parent[p]) if (m.nameOf(p) === 'runtime.mallocgc') anc = true;
      if (!anc) v += m.total[i];
    }
    return (100 * v / m.rootTotal).toFixed(2) + '%';
  });
  assert.equal(info.share, expect);
  await shot(page, 'profile-search');

  // regex search
  await page.check('#re');
  await page.fill('#search', '^runtime\\.(mallocgc|memmove)$');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('re') === '1' && document.querySelector('#match-info').dataset.matches > 0);
  // an invalid regex says so and highlights nothing
  await page.fill('#search', '(unclosed');
  await page.waitForFunction(() => /invalid regular expression/.test(document.querySelector('#match-info').textContent));
  await page.uncheck('#re');
  await page.fill('#search', '');
  await page.keyboard.press('Escape');
});

test('switching the sample type reloads the graph in the new unit', async () => {
  const before = await page.textContent('#breadcrumb .crumb-info');
  assert.match(before, /(ms|s|min|h) total/);
  await page.selectOption('#sample-type', 'samples');
  await page.waitForFunction(() => !/\b(ms|s|min|h) total/.test(document.querySelector('#breadcrumb .crumb-info').textContent));
  assert.equal(new URL(page.url()).searchParams.get('sample_type'), 'samples');
  assert.match(await page.textContent('#breadcrumb .crumb-info'), /^[\d,]+ total/);
  await waitFlame(page);
  await page.selectOption('#sample-type', 'cpu');
  await page.waitForFunction(() => /(ms|s|min|h) total/.test(document.querySelector('#breadcrumb .crumb-info').textContent));
});

test('orientation flips to flame (root at the bottom) and is kept in the URL', async () => {
  await page.keyboard.press('o');
  await page.waitForFunction(() => document.querySelector('#view-flame canvas').dataset.orientation === 'flame');
  assert.equal(new URL(page.url()).searchParams.get('orient'), 'flame');
  const px = await paintedPixels(page);
  assert.ok(px.painted > 0);
  await shot(page, 'profile-flame-orientation');
  await page.click('#orient');
  await page.waitForFunction(() => document.querySelector('#view-flame canvas').dataset.orientation === 'icicle');
});

test('the top table sorts, and a click on a function focuses the graph on it', async () => {
  await page.click('#tab-top');
  await page.waitForSelector('.top-table tbody tr');
  assert.equal(new URL(page.url()).searchParams.get('view'), 'top');
  const flats = await page.$$eval('.top-table tbody tr', (trs) => trs.slice(0, 5).map((tr) => tr.children[5].textContent));
  await page.click('.top-table th button:text("Cum")');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('sort') === 'cum');
  await page.waitForSelector('.top-table th.sorted:has-text("Cum")');
  const cums = await page.$$eval('.top-table tbody tr', (trs) => trs.slice(0, 3).map((tr) => tr.children[5].textContent));
  assert.notDeepEqual(cums, flats.slice(0, 3));
  await shot(page, 'profile-top');

  // a method name with regex metacharacters: "(*T)" must be escaped to match exactly
  const fn = await page.$$eval('.top-table .fn-focus', (bs) => bs.map((b) => b.textContent).find((t) => t.includes('(*')));
  assert.ok(fn, 'a method in the top table');
  await page.click(`.top-table .fn-focus:text-is("${fn}")`);
  await page.waitForFunction(() => new URL(location.href).searchParams.get('view') === null);
  assert.equal(new URL(page.url()).searchParams.get('focus'), '^' + fn.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '$');
  await waitFlame(page);
  await page.waitForSelector('#active-filters .filter-chip[data-filter="focus"]');
  // every stack left goes through the function: a search for it covers 100%
  await page.check('#re');
  await page.fill('#search', '^' + fn.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '$');
  await page.waitForFunction(() => document.querySelector('#match-info').dataset.share === '100%');
  await page.fill('#search', '');
  await page.uncheck('#re');
  await page.click('#active-filters .filter-chip[data-filter="focus"] .chip-x');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('focus') === null);
});

test('a bad focus regex shows the server error', async () => {
  await page.fill('#filter-focus', '(unclosed');
  await page.press('#filter-focus', 'Enter');
  await page.waitForSelector('.error-box:not([hidden])');
  assert.match(await page.textContent('.error-box'), /bad_regex/);
  await page.fill('#filter-focus', '');
  await page.press('#filter-focus', 'Enter');
  await page.waitForSelector('.error-box', { state: 'hidden' });
});

test('callers / callees of a function', async () => {
  await page.click('#tab-flame');
  await waitFlame(page);
  const f = await widestFrame(page, 3);
  await page.mouse.move(f.x, f.y);
  await page.keyboard.press('s');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('view') === 'sandwich');
  assert.equal(new URL(page.url()).searchParams.get('fn'), f.name);
  await page.waitForSelector('#view-sandwich canvas.flame-canvas[data-ready="1"] >> nth=1');
  const roots = await page.$$eval('#view-sandwich canvas.flame-canvas', (cs) => cs.map((c) => c.flamegraph.model.nameOf(0)));
  assert.deepEqual(roots, [f.name, f.name]);
  const px = await paintedPixels(page, '#view-sandwich .sandwich-graph:last-of-type canvas.flame-canvas');
  assert.ok(px.painted > 0);
  await shot(page, 'profile-sandwich', { fullPage: true });
  await page.reload();
  await page.waitForSelector('#view-sandwich canvas.flame-canvas[data-ready="1"] >> nth=1');
  assert.equal(await page.inputValue('#sandwich-fn'), f.name);
  assert.deepEqual(browser.problems, []);
});

test('copy link puts the current URL on the clipboard', async () => {
  await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: srv.url });
  await page.click('button:text("Copy link")');
  await page.waitForSelector('.toast.show');
  const clip = await page.evaluate(() => navigator.clipboard.readText().catch(() => null));
  // the clipboard API needs a secure context; on plain http the page falls back to execCommand
  if (clip !== null) assert.equal(clip, page.url());
  assert.match(await page.textContent('.toast'), /copied/i);
});
