// The frame menu (web/js/contextmenu.js, frameactions.js) on the profile
// page: opened by a right click on a flame-graph frame, by the `a` key (and
// Shift+F10) on the frame under the mouse or the zoomed one, and from the
// Top table (right click on a row, its ⋯ button). Each entry puts in the
// URL what the filter bar would (focus, ignore, hide, show_from, peek,
// collapse_recursion, merge_fn), and the graph or table then shows the
// total the API gives for those parameters; Copy name copies it; with a
// label value focused (or on a tagroot frame) "Compare … with the rest"
// opens the label diff, whose totals the API confirms. The format chip of
// the header says what the upload was. Light and dark screenshots
// (screenshots/contextmenu-*.png).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, uploadViaApi, waitFlame, frameAt, shot } from './lib/harness.mjs';
import { cpuProfile } from './lib/synth.mjs';
import { formatValue } from '../../web/js/format.js';

let srv, prof;
const SEL = '#view-flame canvas.flame-canvas';
const MS10 = 10000000;
const FILTERS = ['sample_type', 'focus', 'ignore', 'hide', 'tagfocus', 'tagignore', 'show', 'show_from', 'prune_from', 'tagroot', 'tagleaf', 'collapse_recursion', 'merge_fn'];

before(async () => {
  srv = await startServer();
  const labels = (s) => ({ endpoint: s.includes('main.web') ? '/cart' : '/checkout' });
  prof = await uploadViaApi(srv.url, cpuProfile({
    'main.main;main.api;main.parse': 300,
    'main.main;main.web;main.render': 200,
    'main.main;main.api;main.encode': 120,
    'main.main;main.walk;main.walk;main.walk;main.leaf': 80,
    'main.main;main.web;main.parse': 40,
  }, { labels }), { name: 'menus' });
});

after(async () => {
  if (srv) await srv.stop();
});

/** The page's filter parameters, as the API takes them. */
function apiParams(page) {
  const u = new URL(page.url());
  const q = new URLSearchParams();
  for (const k of FILTERS) if (u.searchParams.has(k)) q.set(k, u.searchParams.get(k));
  return q;
}

/** /top's total for the page's current filters. */
async function apiTotal(page) {
  const r = await page.request.get(`${srv.url}/api/v1/profiles/${prof.id}/top?${apiParams(page)}&limit=1`);
  assert.equal(r.status(), 200, await r.text());
  return (await r.json()).total;
}

const drawnTotal = (page) => page.$eval(SEL, (c) => c.flamegraph.model.rootTotal);
const param = (page, k) => new URL(page.url()).searchParams.get(k);

async function menuOn(page, name) {
  const f = await frameAt(page, SEL, name);
  assert.ok(f, `${name} is drawn`);
  await page.mouse.click(f.x, f.y, { button: 'right' });
  await page.waitForSelector('#frame-menu:not([hidden])');
  assert.equal(await page.textContent('#frame-menu .ctx-title'), name);
}

async function pick(page, action) {
  await page.click(`#frame-menu .ctx-item[data-action="${action}"]`);
  await page.waitForSelector('#frame-menu', { state: 'hidden' });
}

/** After an action: the URL says `k=v`, and the graph shows the API's total. */
async function expectFlame(page, k, v) {
  await page.waitForFunction(([k, v]) => new URL(location.href).searchParams.get(k) === v, [k, v]);
  await waitFlame(page, SEL);
  const want = await apiTotal(page);
  assert.equal(await drawnTotal(page), want, `drawn total after ${k}=${v}`);
  return want;
}

async function reset(page, query = '') {
  await page.goto(`${srv.url}/p/${prof.id}${query}`);
  await waitFlame(page, SEL);
}

for (const scheme of ['light', 'dark']) {
  test(`frame menu: every entry changes the URL as the filter bar does (${scheme})`, { timeout: 180000 }, async () => {
    const browser = await launchBrowser({ colorScheme: scheme });
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: srv.url });
    try {
      const page = await browser.page();
      await reset(page);
      assert.equal(await page.textContent('#profile-format'), 'pprof');
      assert.equal(await drawnTotal(page), 740 * MS10);

      // right click, Focus on it
      await menuOn(page, 'main.api');
      const items = await page.$$eval('#frame-menu .ctx-item', (b) => b.map((x) => x.dataset.action));
      assert.deepEqual(items, ['focus', 'ignore', 'hide', 'show_from', 'peek', 'list', 'collapse', 'merge', 'copy']);
      await shot(page, `contextmenu-flame-${scheme}`);
      await pick(page, 'focus');
      assert.equal(await expectFlame(page, 'focus', '^main\\.api$'), 420 * MS10);
      assert.equal(await frameAt(page, SEL, 'main.web'), null);

      // the a key on the frame under the mouse, then the entry's letter: Ignore
      await reset(page);
      const web = await frameAt(page, SEL, 'main.web');
      await page.mouse.move(web.x, web.y);
      await page.keyboard.press('a');
      await page.waitForSelector('#frame-menu:not([hidden])');
      assert.equal(await page.textContent('#frame-menu .ctx-title'), 'main.web');
      await page.keyboard.press('i');
      assert.equal(await expectFlame(page, 'ignore', '^main\\.web$'), 500 * MS10);
      // a second Ignore adds an alternative
      await menuOn(page, 'main.encode');
      await page.keyboard.press('i');
      assert.equal(await expectFlame(page, 'ignore', '^main\\.web$|^main\\.encode$'), 380 * MS10);

      // Hide keeps the samples
      await reset(page);
      await menuOn(page, 'main.api');
      await pick(page, 'hide');
      assert.equal(await expectFlame(page, 'hide', '^main\\.api$'), 740 * MS10);
      assert.equal(await frameAt(page, SEL, 'main.api'), null);

      // Show from, by the arrows and Enter
      await reset(page);
      await menuOn(page, 'main.parse');
      for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowDown');
      assert.equal(await page.evaluate(() => document.activeElement.dataset.action), 'show_from');
      await page.keyboard.press('Enter');
      assert.equal(await expectFlame(page, 'show_from', '^main\\.parse$'), 340 * MS10);
      assert.equal(await frameAt(page, SEL, 'main.main'), null, 'rooted at main.parse');

      // Collapse recursion, on the zoomed frame with Shift+F10 (no mouse)
      await reset(page);
      const walk = await frameAt(page, SEL, 'main.walk');
      await page.mouse.click(walk.x, walk.y);
      await page.waitForFunction(() => new URL(location.href).searchParams.has('zoom'));
      await page.mouse.move(2, 2);
      await page.keyboard.press('Shift+F10');
      await page.waitForSelector('#frame-menu:not([hidden])');
      assert.equal(await page.textContent('#frame-menu .ctx-title'), 'main.walk');
      await page.keyboard.press('c');
      await expectFlame(page, 'collapse_recursion', '1');
      const depth = await page.$eval(SEL, (c) => {
        const m = c.flamegraph.model;
        let d = 0;
        for (let i = 0; i < m.n; i++) if (m.nameOf(i) === 'main.leaf') d = m.depth[i];
        return d;
      });
      assert.equal(depth, 3, 'main.main;main.walk;main.leaf');
      // Esc closes the menu and leaves the page as it was
      await menuOn(page, 'main.leaf');
      const before = page.url();
      await page.keyboard.press('Escape');
      await page.waitForSelector('#frame-menu', { state: 'hidden' });
      assert.equal(page.url(), before);

      // Merge into callers
      await reset(page);
      await menuOn(page, 'main.web');
      await pick(page, 'merge');
      assert.equal(await expectFlame(page, 'merge_fn', '^main\\.web$'), 740 * MS10);
      assert.equal(await frameAt(page, SEL, 'main.web'), null);
      assert.ok(await frameAt(page, SEL, 'main.render'));

      // Copy name
      await menuOn(page, 'main.render');
      await pick(page, 'copy');
      await page.waitForFunction(() => document.querySelector('#frame-menu').dataset.copied === 'main.render');
      assert.equal(await page.evaluate(() => navigator.clipboard.readText()), 'main.render');

      // Peek
      await reset(page);
      await menuOn(page, 'main.parse');
      await pick(page, 'peek');
      await page.waitForFunction(() => new URL(location.href).searchParams.get('view') === 'peek');
      assert.equal(param(page, 'peek'), '^main\\.parse$');
      await page.waitForFunction(() => document.querySelector('#view-peek').textContent.includes('main.api'));
      assert.deepEqual(browser.problems, []);
    } finally {
      await browser.close();
    }
  });

  test(`frame menu from the Top table, and label comparisons (${scheme})`, { timeout: 120000 }, async () => {
    const browser = await launchBrowser({ colorScheme: scheme });
    try {
      const page = await browser.page();
      await page.goto(`${srv.url}/p/${prof.id}?view=top`);
      const row = page.locator('#view-top tr[data-fn="main.render"]');
      await row.waitFor();
      await row.click({ button: 'right' });
      await page.waitForSelector('#frame-menu:not([hidden])');
      assert.equal(await page.textContent('#frame-menu .ctx-title'), 'main.render');
      await shot(page, `contextmenu-top-${scheme}`);
      await pick(page, 'hide');
      await page.waitForFunction(() => new URL(location.href).searchParams.get('hide') === '^main\\.render$');
      assert.equal(param(page, 'view'), 'top');
      const total = await apiTotal(page);
      assert.equal(total, 740 * MS10, "hide keeps the samples");
      await page.waitForFunction(() => !document.querySelector('#view-top tr[data-fn="main.render"]'));
      assert.ok((await page.textContent('#view-top .table-note')).endsWith('total ' + formatValue(total, 'nanoseconds')));
      // the ⋯ button, from the keyboard
      await page.focus('#view-top tr[data-fn="main.encode"] .row-menu');
      await page.keyboard.press('Enter');
      await page.waitForSelector('#frame-menu:not([hidden])');
      await page.keyboard.press('f');
      await page.waitForFunction(() => new URL(location.href).searchParams.get('focus') === '^main\\.encode$');
      const focused = await apiTotal(page);
      assert.equal(focused, 120 * MS10);
      await page.waitForFunction((t) => document.querySelector('#view-top .table-note').textContent.endsWith('total ' + t),
        formatValue(focused, 'nanoseconds'));

      // a label value focused: compare it with the rest, focused on the frame
      await reset(page, '?tagfocus=' + encodeURIComponent('endpoint=^/checkout$'));
      await menuOn(page, 'main.parse');
      const cmp = page.locator('#frame-menu .ctx-item[data-action="compare"]');
      assert.equal(await cmp.textContent(), 'Compare endpoint=/checkout with the restv');
      const resp = page.waitForResponse((r) => r.url().includes('/api/v1/diff?') && r.url().includes('base_tagignore='));
      await cmp.click();
      const j = await (await resp).json();
      const u = new URL(page.url());
      assert.equal(u.pathname, `/diff/${prof.id}/${prof.id}`);
      assert.equal(u.searchParams.get('base_tagignore'), 'endpoint=^/checkout$');
      assert.equal(u.searchParams.get('target_tagfocus'), 'endpoint=^/checkout$');
      assert.equal(u.searchParams.get('focus'), '^main\\.parse$');
      // /checkout's main.parse is 300 samples, the rest's (/cart) 40
      assert.equal(j.target_total, 300 * MS10);
      assert.equal(j.base_total, 40 * MS10);

      // a tagroot frame: the name filters are off, the comparison is on
      await reset(page, '?tagroot=endpoint');
      await menuOn(page, '/cart');
      for (const a of ['focus', 'ignore', 'hide', 'show_from', 'peek', 'list', 'merge']) {
        assert.equal(await page.$eval(`#frame-menu .ctx-item[data-action="${a}"]`, (b) => b.disabled), true, a);
      }
      await shot(page, `contextmenu-tagroot-${scheme}`);
      const href = page.waitForURL((url) => url.pathname.startsWith('/diff/'));
      await pick(page, 'compare');
      await href;
      const d = new URL(page.url());
      assert.equal(d.searchParams.get('base_tagignore'), 'endpoint=^/cart$');
      assert.equal(d.searchParams.get('focus'), null);
      assert.deepEqual(browser.problems, []);
    } finally {
      await browser.close();
    }
  });
}

for (const scheme of ['light', 'dark']) {
  test(`the list and the header say which format each profile came in (${scheme})`, { timeout: 60000 }, async () => {
    const folded = await uploadViaApi(srv.url, Buffer.from('main;a;b 3\nmain;c 2\n'), { name: `folded ${scheme}` });
    const ss = await uploadViaApi(srv.url, Buffer.from(JSON.stringify({
      $schema: 'https://www.speedscope.app/file-format-schema.json',
      shared: { frames: [{ name: 'main' }, { name: 'work', file: 'w.py', line: 3 }] },
      profiles: [{ type: 'sampled', name: 't', unit: 'milliseconds', startValue: 0, endValue: 3, samples: [[0, 1], [0]], weights: [2, 1] }],
    })), { name: `speedscope ${scheme}` });
    assert.equal(folded.format, 'folded');
    assert.equal(ss.format, 'speedscope');
    const browser = await launchBrowser({ colorScheme: scheme });
    try {
      const page = await browser.page();
      await page.goto(`${srv.url}/`);
      for (const [p, f] of [[folded, 'folded'], [ss, 'speedscope'], [prof, 'pprof']]) {
        const chip = page.locator(`tr[data-id="${p.id}"] .format-badge`);
        await chip.waitFor();
        assert.equal(await chip.textContent(), f);
        assert.equal(await chip.getAttribute('data-format'), f);
      }
      await shot(page, `contextmenu-list-formats-${scheme}`, { clip: { x: 0, y: 0, width: 1440, height: 700 } });
      await page.goto(`${srv.url}/p/${ss.id}`);
      await waitFlame(page, SEL);
      assert.equal(await page.textContent('#profile-format'), 'speedscope');
      assert.equal(await drawnTotal(page), 3000000);
      assert.deepEqual(browser.problems, []);
    } finally {
      await browser.close();
    }
  });
}
