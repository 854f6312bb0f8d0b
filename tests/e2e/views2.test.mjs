// Stack filters, label split and export on the profile page: the "Split"
// button of the label picker puts tagroot=KEY in the URL and the flame
// graph's first level becomes the label's values; the show_from field
// roots the graph at the match; the Export links carry the page's filters
// and download what the API exports (an SVG that parses on its own, with
// no script). Screenshots in light and dark (screenshots/views2-*.png).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, uploadViaApi, waitFlame, frameAt, shot } from './lib/harness.mjs';
import { cpuProfile } from './lib/synth.mjs';

let srv, prof;
const SEL = '#view-flame canvas.flame-canvas';

before(async () => {
  srv = await startServer();
  const labels = (s) => ({ endpoint: s.includes('main.api') ? '/checkout' : '/cart' });
  prof = await uploadViaApi(srv.url, cpuProfile({
    'main.main;main.api;main.parse': 300, 'main.main;main.web;main.render': 200, 'main.main;main.api;main.encode': 120,
  }, { labels }), { name: 'split' });
});

after(async () => {
  if (srv) await srv.stop();
});

for (const scheme of ['light', 'dark']) {
  test(`split by label, show_from and export links (${scheme})`, { timeout: 90000 }, async () => {
    const browser = await launchBrowser({ colorScheme: scheme });
    try {
      const page = await browser.page();
      await page.goto(`${srv.url}/p/${prof.id}`);
      await waitFlame(page, SEL);
      // the label picker gets the key once /tags has answered
      await page.waitForFunction(() => !document.querySelector('#tag-split').disabled);
      await page.selectOption('#tag-key', 'endpoint');
      await page.click('#tag-split');
      await page.waitForFunction(() => new URL(location.href).searchParams.get('tagroot') === 'endpoint');
      await waitFlame(page, SEL);
      for (const v of ['/checkout', '/cart']) assert.ok(await frameAt(page, SEL, v), `${v} is a frame`);
      const chip = await page.textContent('#active-filters');
      assert.match(chip, /split by label/);
      // the export links carry the filters
      const href = await page.getAttribute('#export-menu a[data-format="svg"]', 'href');
      assert.match(href, /format=svg/);
      assert.match(href, /tagroot=endpoint/);
      await shot(page, `views2-split-${scheme}`);
      const r = await page.request.get(srv.url + href);
      assert.equal(r.status(), 200);
      const svg = await r.text();
      assert.match(svg, /^<\?xml/);
      assert.ok(!/<script/i.test(svg));
      assert.ok(svg.includes('/checkout') && svg.includes('main.parse'));
      // the SVG on its own, as a browser shows a downloaded file
      const alone = await browser.context.newPage();
      await alone.goto('data:image/svg+xml;base64,' + Buffer.from(svg).toString('base64'));
      await shot(alone, `views2-svg-${scheme}`, { clip: { x: 0, y: 0, width: 1200, height: 140 } });
      await alone.close();
      // show_from: the graph is rooted at main.api
      await page.fill('#filter-show_from', '^main\\.api$');
      await page.press('#filter-show_from', 'Enter');
      await page.waitForFunction(() => new URL(location.href).searchParams.get('show_from') === '^main\\.api$');
      await waitFlame(page, SEL);
      assert.ok(await frameAt(page, SEL, 'main.api'));
      assert.equal(await frameAt(page, SEL, 'main.web'), null, 'main.web is cut away');
      assert.equal(await frameAt(page, SEL, 'main.main'), null, 'frames above main.api are cut');
      await shot(page, `views2-showfrom-${scheme}`);
      const folded = await page.request.get(srv.url + await page.getAttribute('#export-menu a[data-format="folded"]', 'href'));
      assert.equal(folded.status(), 200);
      const lines = (await folded.text()).trim().split('\n').sort();
      assert.deepEqual(lines.map((l) => l.replace(/ \d+$/, '')), ['main.api;main.encode', 'main.api;main.parse']);
      assert.deepEqual(browser.problems, []);
    } finally {
      await browser.close();
    }
  });
}

test('keys c and m: collapse recursion, merge the frame under the mouse', { timeout: 90000 }, async () => {
  const rec = await uploadViaApi(srv.url, cpuProfile({
    'main.main;main.walk;main.visit;main.walk;main.leaf': 400, 'main.main;main.helper;main.leaf': 100,
  }), { name: 'recursion' });
  const browser = await launchBrowser();
  try {
    const page = await browser.page();
    await page.goto(`${srv.url}/p/${rec.id}`);
    await waitFlame(page, SEL);
    await page.keyboard.press('c');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('collapse_recursion') === '1');
    await waitFlame(page, SEL);
    // main.walk;main.visit;main.walk;main.leaf reads main.walk;main.visit;main.leaf
    const r = await page.request.get(srv.url + await page.getAttribute('#export-menu a[data-format="folded"]', 'href'));
    assert.deepEqual((await r.text()).trim().split('\n').sort(),
      ['main.main;main.helper;main.leaf 1000000000', 'main.main;main.walk;main.visit;main.leaf 4000000000']);
    const f = await frameAt(page, SEL, 'main.helper');
    assert.ok(f);
    await page.mouse.move(f.x, f.y);
    await page.keyboard.press('m');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('merge_fn') === '^main\\.helper$');
    await waitFlame(page, SEL);
    assert.equal(await frameAt(page, SEL, 'main.helper'), null, 'merged away');
    assert.ok(await frameAt(page, SEL, 'main.leaf'));
    await shot(page, 'views2-transforms-light');
    await page.keyboard.press('c');
    await page.waitForFunction(() => !new URL(location.href).searchParams.has('collapse_recursion'));
    assert.deepEqual(browser.problems, []);
  } finally {
    await browser.close();
  }
});

for (const scheme of ['light', 'dark']) {
  test(`labels table: one click diffs a value against the rest (${scheme})`, { timeout: 90000 }, async () => {
    const browser = await launchBrowser({ colorScheme: scheme });
    try {
      const page = await browser.page();
      await page.goto(`${srv.url}/p/${prof.id}?view=labels`);
      const link = page.locator('.label-card[data-key="endpoint"] a.label-compare[data-value="/checkout"]').first();
      await link.waitFor();
      assert.equal(await link.textContent(), 'vs rest');
      const resp = page.waitForResponse((r) => r.url().includes('/api/v1/diff?') && r.url().includes('base_tagignore='));
      await link.click();
      const r = await resp;
      assert.equal(r.status(), 200);
      const j = await r.json();
      // /checkout is main.api's 420 samples; the rest is main.web's 200 (10 ms each)
      assert.equal(j.target_total, 4200000000);
      assert.equal(j.base_total, 2000000000);
      const u = new URL(page.url());
      assert.equal(u.pathname, `/diff/${prof.id}/${prof.id}`);
      assert.equal(u.searchParams.get('target_tagfocus'), 'endpoint=^/checkout$');
      await waitFlame(page, '.diff-graph canvas.flame-canvas');
      assert.match(await page.textContent('#side-filters'), /target: only endpoint=\^\/checkout\$/);
      await shot(page, `views2-labeldiff-${scheme}`);
      assert.deepEqual(browser.problems, []);
    } finally {
      await browser.close();
    }
  });
}
