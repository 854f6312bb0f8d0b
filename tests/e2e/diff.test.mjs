// The diff page, /diff/{base}/{target}: reached from the profile list and
// from a profile's "Compare with…" picker; the canvas is coloured by change
// (red grew, green shrank, or orange / blue), new and gone frames are
// marked, the gate's thresholds, normalize, palette, width and filters live
// in the URL and survive a reload; the regression table files functions as
// the server judges them (grew, shrank, within noise), growers first, and
// focuses on a click; the summary strip gives the runtime category shares;
// incompatible profiles and unknown ids are shown as clear errors.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, launchBrowser, uploadViaApi, waitFlame, shot, corpusFile, hasCorpus, frameAt as frameOf, REPO } from './lib/harness.mjs';
import { encodeProfile } from './lib/pprof.mjs';
import { cpuProfile } from './lib/synth.mjs';

const SEL = '.diff-graph canvas.flame-canvas';
const DOCS = path.join(REPO, 'docs', 'img');
let srv, browser, page, base, target, gor;

/** A CPU profile; stacks are 'a;b;c' → number of 10 ms samples. */
const cpu = (stacks, minutesAgo) => cpuProfile(stacks, { minutesAgo, labels: (s) => ({ handler: s.includes('main.grow') ? '/api' : '/web' }) });

const GC = 'runtime.gcBgMarkWorker;runtime.gcDrain;runtime.scanobject';

before(async () => {
  srv = await startServer();
  browser = await launchBrowser();
  page = await browser.page();
  // main.grow ×4, main.shrink ÷3, main.steady the same, main.old gone, main.fresh new
  base = await uploadViaApi(srv.url, cpu({ 'main.main;main.grow': 100, 'main.main;main.shrink': 300, 'main.main;main.steady': 200, 'main.main;main.old': 40, [GC]: 60 }, 60), { name: 'before' });
  target = await uploadViaApi(srv.url, cpu({ 'main.main;main.grow': 400, 'main.main;main.shrink': 100, 'main.main;main.steady': 200, 'main.main;main.fresh': 40, [GC]: 60 }, 5), { name: 'after' });
  gor = await uploadViaApi(srv.url, encodeProfile({
    sampleTypes: [['goroutine', 'count']], periodType: ['goroutine', 'count'], period: 1,
    samples: [{ stack: ['runtime.goexit', 'main.worker', 'runtime.gopark'], values: [3] }],
  }), { name: 'goroutines' });
});

after(async () => {
  if (browser) await browser.close();
  if (srv) await srv.stop();
});

/** Pixels of the diff canvas by colour family. */
function colourCounts(p) {
  return p.$eval(SEL, (c) => {
    const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
    const n = { red: 0, green: 0, orange: 0, blue: 0, all: 0 };
    for (let i = 0; i < data.length; i += 4) {
      const r = data[i], g = data[i + 1], b = data[i + 2];
      n.all++;
      if (r > 150 && r - g > 90 && r - b > 90 && g < 110) n.red++;
      if (r > 200 && g > 90 && g < 190 && b < 90 && r - g > 50) n.orange++;
      if (g - r > 50 && g - b > 30) n.green++;
      if (b - r > 80 && b > 150) n.blue++;
    }
    return n;
  });
}

/** Centre of the laid-out frame named `name` of the diff graph, in page coordinates. */
const frameAt = (p, name) => frameOf(p, SEL, name);

async function tooltipOf(p, name) {
  const f = await frameAt(p, name);
  assert.ok(f, `frame ${name} is drawn`);
  await p.mouse.move(f.x, f.y);
  await p.waitForFunction((n) => {
    const t = document.querySelector('.tooltip');
    return t && !t.hidden && t.querySelector('.tt-name').textContent === n;
  }, name);
  const text = await p.textContent('.tooltip');
  await p.mouse.move(1, 1);
  return text;
}

const q = (p, k) => new URL(p.url()).searchParams.get(k);

test('the profile list links to the diff, and the canvas is coloured by change', async () => {
  await page.goto(srv.url + '/');
  await page.check(`#profile-rows tr[data-id="${target.id}"] .sel-box`);
  await page.check(`#profile-rows tr[data-id="${base.id}"] .sel-box`);
  await page.click('#compare-link');
  await page.waitForURL(`${srv.url}/diff/${base.id}/${target.id}`);
  const ds = await waitFlame(page, SEL);
  assert.ok(+ds.grew > 0 && +ds.shrank > 0, JSON.stringify(ds));
  assert.equal(ds.width, 'target');
  const px = await colourCounts(page);
  assert.ok(px.red > 500, `red pixels (grew): ${JSON.stringify(px)}`);
  assert.ok(px.green > 500, `green pixels (shrank): ${JSON.stringify(px)}`);
  assert.equal(await page.textContent('#base-link'), 'before');
  assert.equal(await page.textContent('#target-link'), 'after');
  assert.deepEqual(browser.problems, []);
});

test('the tooltip gives base, target, delta and delta %, and says new or gone', async () => {
  const tip = await tooltipOf(page, 'main.grow');
  assert.match(tip, /Base\s*1\.00 s/);
  assert.match(tip, /Target\s*4\.00 s/);
  assert.match(tip, /Delta\s*\+3\.00 s\s*\+300%/);
  const fresh = await tooltipOf(page, 'main.fresh');
  assert.match(fresh, /new in the target/);
  // frames gone from the target are drawn (hatched) with width "max of both"
  assert.equal(await frameAt(page, 'main.old'), null);
  await page.selectOption('#width', 'max');
  await page.waitForFunction((s) => document.querySelector(s).dataset.width === 'max', SEL);
  assert.equal(q(page, 'width'), 'max');
  const old = await tooltipOf(page, 'main.old');
  assert.match(old, /gone from the target/);
  assert.match(old, /Delta\s*−400 ms\s*−100%/);
  await shot(page, 'diff-max');
  await page.selectOption('#width', 'target');
  await page.waitForFunction(() => !new URL(location.href).searchParams.has('width'));
});

test('the summary strip: totals and runtime category shares before and after', async () => {
  assert.equal(await page.textContent('#sum-base'), '7.00 s');
  assert.equal(await page.textContent('#sum-target'), '8.00 s');
  assert.match(await page.textContent('#sum-delta'), /^\+1\.00 s \(\+14\.3%\)$/);
  // the server's runtime share (/diff/runtime, runtime.js)
  await page.waitForSelector('#categories tr[data-cat="user"]');
  const gc = await page.$$eval('#categories tr[data-cat="gc"] td', (tds) => tds.map((t) => t.textContent));
  assert.deepEqual(gc.slice(0, 2), [(6000 / 700).toFixed(1) + '%', (6000 / 800).toFixed(1) + '%']);
  const user = await page.$$eval('#categories tr[data-cat="user"] td', (tds) => tds.map((t) => t.textContent));
  assert.deepEqual(user.slice(0, 2), [(64000 / 700).toFixed(1) + '%', (74000 / 800).toFixed(1) + '%']);
});

test('the thresholds and normalize are in the URL, and a reload shows the same view', async () => {
  const before = await page.$eval(SEL, (c) => ({ ...c.dataset }));
  await page.fill('#max-growth', '400');
  await page.press('#max-growth', 'Enter');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('max_growth') === '400');
  // +300% is now under the threshold: main.grow is drawn grey, main.fresh (new) stays red
  await page.waitForFunction(([s, n]) => +document.querySelector(s).dataset.grew < n, [SEL, +before.grew]);
  assert.match(await tooltipOf(page, 'main.grow'), /unchanged — within sampling noise, or under the thresholds/);
  await page.waitForFunction(() => !document.querySelector('#regress-table tr[data-fn="main.grow"]').closest('tbody.grew'));
  await page.fill('#min-share', '2');
  await page.press('#min-share', 'Enter');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('min_share') === '2');
  await page.check('#normalize');
  await page.waitForFunction((s) => new URL(location.href).searchParams.get('normalize') === '1' && document.querySelector(s).dataset.normalize === '1', SEL);
  const view = await page.$eval(SEL, (c) => ({ grew: c.dataset.grew, shrank: c.dataset.shrank, rects: c.dataset.rects }));
  const url = page.url();
  const tip = await tooltipOf(page, 'main.grow');
  assert.match(tip, /Target \(norm\.\)\s*3\.50 s\s*raw 4\.00 s/);

  await page.reload();
  const ds = await waitFlame(page, SEL);
  assert.equal(page.url(), url);
  assert.equal(await page.inputValue('#max-growth'), '400');
  assert.equal(await page.inputValue('#min-share'), '2');
  assert.ok(await page.isChecked('#normalize'));
  assert.deepEqual({ grew: ds.grew, shrank: ds.shrank, rects: ds.rects }, view);
  assert.equal(ds.normalize, '1');
  assert.equal(await tooltipOf(page, 'main.grow'), tip);
  await shot(page, 'diff-threshold');

  // back to the defaults (the README gate's): they leave the URL
  await page.fill('#max-growth', '10');
  await page.press('#max-growth', 'Enter');
  await page.fill('#min-share', '1');
  await page.press('#min-share', 'Enter');
  await page.uncheck('#normalize');
  await page.waitForFunction(() => location.search === '');
  await waitFlame(page, SEL);
});

test('the regression table lists the grown function first, sorts, and focuses on a click', async () => {
  await page.waitForSelector('#regress-table tbody.grew tr[data-fn]');
  const grew = await page.$$eval('#regress-table tbody.grew tr[data-fn]', (trs) => trs.map((t) => t.dataset.fn));
  const shrank = await page.$$eval('#regress-table tbody.shrank tr[data-fn]', (trs) => trs.map((t) => t.dataset.fn));
  assert.equal(grew[0], 'main.grow');
  // the server's verdicts (amounts over equal durations): main.grow ×4 and
  // main.fresh (new) grew beyond noise; main.main's +16% (640 -> 740
  // samples) does not survive the correction across functions
  assert.deepEqual(grew.slice().sort(), ['main.fresh', 'main.grow']);
  const api = await (await fetch(`${srv.url}/api/v1/diff/top?base=${base.id}&target=${target.id}&limit=0`)).json();
  assert.deepEqual(api.rows.filter((r) => r.change === 'grew').map((r) => r.function).sort(), grew.slice().sort());
  assert.match(await page.textContent('#regress-table tbody.grew .grp-count'), /^\(2 functions\)$/);
  assert.match(await page.textContent('#legend-grew'), /^grew: 2 functions \(\d+ frames?\)$/);
  assert.equal(shrank[0], 'main.shrink');
  assert.ok(shrank.includes('main.old'));
  assert.equal(await page.textContent('#regress-table tr[data-fn="main.fresh"] .status-tag'), 'new');
  assert.equal(await page.textContent('#regress-table tr[data-fn="main.old"] .status-tag'), 'gone');
  assert.match(await page.textContent('#regress-table tr[data-fn="main.grow"]'), /1\.00 s\s*4\.00 s\s*\+3\.00 s\s*\+300%/);

  // sort by relative change: new functions first
  await page.click('.seg-btn[data-sort="relative"]');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('sort') === 'relative');
  await page.waitForFunction(() => document.querySelector('#regress-table tbody.grew tr[data-fn]').dataset.fn === 'main.fresh');
  await page.click('.seg-btn[data-sort="cum_delta"]');
  await page.waitForFunction(() => document.querySelector('#regress-table tbody.grew tr[data-fn]').dataset.fn === 'main.grow');

  await page.click('#regress-table tr[data-fn="main.grow"] .fn-focus');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('focus') === '^main\\.grow$');
  await page.waitForSelector('#active-filters .filter-chip[data-filter="focus"]');
  // only the stacks through main.grow are left (with a width)
  await page.waitForFunction((s) => {
    const m = document.querySelector(s).flamegraph.model;
    const drawn = [];
    for (let i = 0; i < m.n; i++) if (m.total[i] > 0) drawn.push(m.nameOf(i));
    return drawn.join() === 'root,main.main,main.grow';
  }, SEL);
  // normalize is off, so the gate's test compares amounts (over equal
  // durations): main.grow went from 1 s to 4 s, beyond noise
  assert.match(await tooltipOf(page, 'main.grow'), /beyond sampling noise/);
  assert.ok(await page.$eval('#regress-table tr[data-fn="main.grow"]', (tr) => tr.classList.contains('active')));
  await page.goBack();
  await page.waitForFunction(() => !new URL(location.href).searchParams.has('focus'));
  await page.waitForSelector('#active-filters .filter-chip', { state: 'detached' });
  await page.waitForFunction((s) => document.querySelector(s).flamegraph.model.total[1] > 5e9, SEL);
});

test('the colour-blind palette draws orange and blue; the ignore and label filters and a bad regex', async () => {
  await page.selectOption('#palette', 'bo');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('palette') === 'bo');
  const px = await colourCounts(page);
  assert.ok(px.orange > 500 && px.blue > 500, JSON.stringify(px));
  assert.ok(px.green < 50, `no green left: ${JSON.stringify(px)}`);
  await page.selectOption('#palette', 'rg');
  await page.fill('#filter-ignore', '^main\\.shrink$');
  await page.press('#filter-ignore', 'Enter');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('ignore') === '^main\\.shrink$');
  await waitFlame(page, SEL);
  assert.equal(await frameAt(page, 'main.shrink'), null);
  await page.click('#active-filters .filter-chip[data-filter="ignore"] .chip-x');
  await page.waitForFunction(() => !new URL(location.href).searchParams.has('ignore'));
  // the label picker has the labels of both profiles
  await page.selectOption('#tag-key', 'handler');
  await page.selectOption('#tag-value', '/api');
  await page.click('#tag-focus');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('tagfocus') === 'handler=^/api$');
  await page.waitForFunction((s) => {
    const m = document.querySelector(s).flamegraph.model;
    const g = m.findPath(['main.main', 'main.grow']);
    return m.total[0] === 4e9 && g.matched === 2 && m.total[g.node] === 4e9;
  }, SEL);
  await page.click('#active-filters .filter-chip[data-filter="tagfocus"] .chip-x');
  await page.waitForFunction(() => !new URL(location.href).searchParams.has('tagfocus'));
  // a bad regex is the server's 400, shown as such
  await page.fill('#filter-focus', '(unclosed');
  await page.press('#filter-focus', 'Enter');
  await page.waitForSelector('#diff-error:not([hidden])');
  assert.match(await page.textContent('#diff-error'), /bad_regex/);
  await page.fill('#filter-focus', '');
  await page.press('#filter-focus', 'Enter');
  await page.waitForSelector('#diff-error', { state: 'hidden' });
  assert.deepEqual(browser.problems, []);
});

test('zoom by click is in the URL; copy link; swap', async () => {
  const f = await frameAt(page, 'main.main');
  await page.mouse.click(f.x, f.y);
  await page.waitForFunction(() => new URL(location.href).searchParams.get('zoom') === 'main.main');
  assert.equal(await page.$eval(SEL, (c) => c.dataset.zoom), 'main.main');
  await page.reload();
  const ds = await waitFlame(page, SEL);
  assert.equal(ds.zoom, 'main.main');
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => !new URL(location.href).searchParams.has('zoom'));

  await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: srv.url });
  await page.click('#copy-link');
  await page.waitForSelector('.toast.show');
  const clip = await page.evaluate(() => navigator.clipboard.readText().catch(() => null));
  if (clip !== null) assert.equal(clip, page.url());

  await page.click('#swap');
  await page.waitForURL(`${srv.url}/diff/${target.id}/${base.id}`);
  await waitFlame(page, SEL);
  assert.equal(await page.textContent('#base-link'), 'after');
});

test('"Compare with…" on a profile page opens the diff, older profile as base', async () => {
  await page.goto(`${srv.url}/p/${target.id}?sample_type=cpu`);
  await page.click('#compare-with');
  await page.waitForSelector('#compare-select');
  const options = await page.$$eval('#compare-select option', (os) => os.map((o) => o.value));
  assert.deepEqual(options, [base.id], 'only the other CPU profile');
  assert.equal(await page.inputValue('#compare-role'), 'target');
  assert.equal(await page.getAttribute('#compare-go', 'href'), `/diff/${base.id}/${target.id}?sample_type=cpu`);
  await page.selectOption('#compare-role', 'base');
  assert.equal(await page.getAttribute('#compare-go', 'href'), `/diff/${target.id}/${base.id}?sample_type=cpu`);
  await page.selectOption('#compare-role', 'target');
  await page.click('#compare-go');
  await page.waitForURL(`${srv.url}/diff/${base.id}/${target.id}?sample_type=cpu`);
  await waitFlame(page, SEL);
  assert.deepEqual(browser.problems, []);
});

test('incompatible profiles and unknown ids are clear errors', async () => {
  await page.goto(`${srv.url}/diff/${base.id}/${gor.id}`);
  await page.waitForSelector('#diff-error:not([hidden])');
  assert.equal(await page.getAttribute('#diff-error', 'data-code'), 'incompatible_profiles');
  assert.match(await page.textContent('#diff-error'), /cannot be compared/);
  await shot(page, 'diff-incompatible');
  await page.goto(`${srv.url}/diff/${base.id}/no-such-profile`);
  await page.waitForSelector('h1:text("Cannot compare these profiles")');
  assert.match(await page.textContent('main'), /target profile no-such-profile does not exist/);
  assert.deepEqual(browser.problems, []);
});

test('screenshots of a real diff, light and dark', {
  timeout: 120000,
  skip: !hasCorpus('apm-server/default.pgo@408ea4e3') && 'the shared corpus is not present',
}, async () => {
  const body = (rel) => fs.readFileSync(corpusFile(rel));
  const a = await uploadViaApi(srv.url, body('apm-server/default.pgo@408ea4e3'), { name: 'apm-server (older build)', labels: 'service:apm-server' });
  const b = await uploadViaApi(srv.url, body('apm-server/default.pgo'), { name: 'apm-server (newer build)', labels: 'service:apm-server' });
  for (const scheme of ['light', 'dark']) {
    const br = await launchBrowser({ colorScheme: scheme, viewport: { width: 1440, height: 900 } });
    try {
      const p = await br.page();
      await p.goto(`${srv.url}/diff/${a.id}/${b.id}?normalize=1${scheme === 'dark' ? '&palette=bo' : ''}`);
      await waitFlame(p, SEL);
      await p.waitForSelector('#regress-table tbody.grew tr[data-fn]');
      const px = await colourCounts(p);
      // coloured exactly as the server judges the functions (the gate's test)
      const v = await (await fetch(`${srv.url}/api/v1/diff/top?base=${a.id}&target=${b.id}&normalize=1&limit=0`)).json();
      assert.ok(v.grew > 0, 'the newer build has a regression the gate sees');
      const [up, down] = scheme === 'dark' ? [px.orange, px.blue] : [px.red, px.green];
      const ds = await p.$eval(SEL, (c) => ({ ...c.dataset }));
      assert.equal(ds.fnGrew, String(v.grew));
      assert.equal(ds.fnShrank, String(v.shrank));
      assert.ok(+ds.grew > 0 && up > 100, JSON.stringify({ px, ds }));
      // functions that shrank may be gone (no width in the target): then no frame is green
      if (+ds.shrank === 0) assert.ok(down < 50, JSON.stringify({ px, ds }));
      // a tooltip in the picture
      const f = await p.$eval(SEL, (c) => {
        const fg = c.flamegraph, r = fg.lay.rows[6], box = c.getBoundingClientRect();
        let best = 0;
        for (let k = 0; k < r.x.length; k++) if (r.node[k] >= 0 && r.w[k] > r.w[best]) best = k;
        return { x: box.left + r.x[best] + Math.min(r.w[best] / 2, 120), y: box.top + 6.5 * 18 };
      });
      await p.mouse.move(f.x, f.y);
      await p.waitForSelector('.tooltip:not([hidden])');
      await shot(p, `docs-diff-${scheme}`);
      if (scheme === 'light' && process.env.UPDATE_DOCS_IMG === '1') {
        fs.mkdirSync(DOCS, { recursive: true });
        await p.screenshot({ path: path.join(DOCS, 'diff.png') });
      }
      assert.deepEqual(br.problems, []);
    } finally {
      await br.close();
    }
  }
});
