// The filter bar (filterbar.js) behaves the same on the profile page and on
// the diff page: every filter change (a regex field, the label picker, a
// chip's ×, "clear all") clears the zoom, re-entering the value in force
// changes nothing, and a sample type switch keeps the zoom; a numeric label
// (bytes, from a real heap profile) is offered as the same values with
// their totals and picked as pprof's KEY=VALUE on both pages.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startServer, launchBrowser, uploadViaApi, waitFlame, frameAt, corpusFile } from './lib/harness.mjs';
import { cpuProfile } from './lib/synth.mjs';
import { formatValue } from '../../web/js/format.js';

let srv, browser, page, pages, heaps;

before(async () => {
  srv = await startServer();
  browser = await launchBrowser();
  page = await browser.page();
  const labels = (s) => ({ handler: s.includes('main.api') ? '/api' : '/web' });
  const a = await uploadViaApi(srv.url, cpuProfile({ 'main.main;main.api;main.parse': 300, 'main.main;main.web': 200, 'runtime.gcBgMarkWorker': 50 }, { minutesAgo: 30, labels }), { name: 'a' });
  const b = await uploadViaApi(srv.url, cpuProfile({ 'main.main;main.api;main.parse': 500, 'main.main;main.web': 100, 'runtime.gcBgMarkWorker': 60 }, { minutesAgo: 5, labels }), { name: 'b' });
  pages = {
    profile: { url: `${srv.url}/p/${b.id}`, sel: '#view-flame canvas.flame-canvas' },
    diff: { url: `${srv.url}/diff/${a.id}/${b.id}`, sel: '.diff-graph canvas.flame-canvas' },
  };
  const heap = fs.readFileSync(corpusFile('apm-server/testdata-heap.pprof'));
  heaps = [await uploadViaApi(srv.url, heap, { name: 'heap 1' }), await uploadViaApi(srv.url, heap, { name: 'heap 2' })];
});

after(async () => {
  if (browser) await browser.close();
  if (srv) await srv.stop();
});

const param = (k) => new URL(page.url()).searchParams.get(k);

/** Zoom by clicking the last frame of `path` ('a;b'); waits until the URL and the canvas have it. */
async function zoomInto(sel, path) {
  const name = path.split(';').pop();
  const f = await frameAt(page, sel, name);
  assert.ok(f, `${name} is drawn`);
  await page.mouse.click(f.x, f.y);
  await page.waitForFunction(([s, p, n]) => document.querySelector(s).dataset.zoom === n && new URL(location.href).searchParams.get('zoom') === p, [sel, path, name]);
}

/** After a filter change: no zoom in the URL, the graph drawn from its root. */
async function assertUnzoomed(sel, what) {
  await page.waitForFunction((s) => !new URL(location.href).searchParams.has('zoom') && document.querySelector(s).dataset.zoom === 'root', sel)
    .catch(() => assert.fail(`${what}: the zoom is still ${param('zoom')}`));
  await waitFlame(page, sel);
}

for (const name of ['profile', 'diff']) {
  test(`${name} page: a filter change clears the zoom, the same value again and a sample type switch keep it`, async () => {
    const { url, sel } = pages[name];
    await page.goto(url);
    await waitFlame(page, sel);

    await zoomInto(sel, 'main.main');
    await page.fill('#filter-ignore', '^runtime\\.');
    await page.press('#filter-ignore', 'Enter');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('ignore') === '^runtime\\.');
    await assertUnzoomed(sel, 'an ignore regex');

    // the value in force again: no change, the zoom stays
    await zoomInto(sel, 'main.main');
    await page.fill('#filter-ignore', '^runtime\\.');
    await page.press('#filter-ignore', 'Enter');
    await page.click('h1'); // and a blur, for the change event
    assert.equal(param('zoom'), 'main.main');

    // a sample type switch keeps the zoomed frame
    await page.selectOption('#sample-type', 'samples');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('sample_type') === 'samples');
    await waitFlame(page, sel);
    assert.equal(param('zoom'), 'main.main');
    assert.equal(await page.$eval(sel, (c) => c.dataset.zoom), 'main.main');

    // the label picker
    await page.selectOption('#tag-key', 'handler');
    await page.selectOption('#tag-value', '/api');
    await page.click('#tag-focus');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('tagfocus') === 'handler=^/api$');
    await assertUnzoomed(sel, 'a label focus');

    // a chip's ×
    await zoomInto(sel, 'main.main;main.api');
    await page.click('#active-filters .filter-chip[data-filter="ignore"] .chip-x');
    await page.waitForFunction(() => !new URL(location.href).searchParams.has('ignore'));
    await assertUnzoomed(sel, 'removing a filter');

    // "clear all" (two filters in force)
    await page.fill('#filter-hide', '^main\\.parse$');
    await page.press('#filter-hide', 'Enter');
    await page.waitForFunction(() => new URL(location.href).searchParams.has('hide'));
    await zoomInto(sel, 'main.main');
    await page.click('#active-filters button.link:text("clear all")');
    await page.waitForFunction(() => !['hide', 'tagfocus', 'zoom'].some((k) => new URL(location.href).searchParams.has(k)));
    await assertUnzoomed(sel, 'clear all');
    assert.equal(await page.locator('#active-filters .filter-chip').count(), 0);
    assert.deepEqual(browser.problems, []);
  });
}

/** The label picker's options for `key` as [value, text]. */
async function pickerOptions(key) {
  await page.waitForFunction(() => !document.querySelector('#tag-key').disabled);
  await page.selectOption('#tag-key', key);
  return page.$$eval('#tag-value option', (os) => os.map((o) => [o.value, o.textContent]));
}

test('a numeric label is offered the same way on both pages, and picked as KEY=VALUE', async () => {
  const tags = await (await fetch(`${srv.url}/api/v1/profiles/${heaps[0].id}/tags`)).json();
  const bytes = tags.tags.find((t) => t.key === 'bytes');
  assert.ok(bytes && bytes.numeric === true, 'the heap profile has a numeric bytes label');
  const unit = tags.sample_type.unit;
  const order = bytes.values.slice().sort((x, y) => y.total - x.total);

  await page.goto(`${srv.url}/p/${heaps[0].id}`);
  await waitFlame(page);
  const onProfile = await pickerOptions('bytes');
  assert.deepEqual(onProfile, order.map((v) => [v.value, `${v.value} — ${formatValue(v.total, unit)}`]));
  const pick = order[0].value;
  await page.selectOption('#tag-value', pick);
  await page.click('#tag-focus');
  await page.waitForFunction((e) => new URL(location.href).searchParams.get('tagfocus') === e, `bytes=${pick}`);
  await waitFlame(page);
  assert.equal(await page.$eval('#view-flame canvas', (c) => c.flamegraph.model.rootTotal), order[0].total);

  // the diff of the profile with a copy of itself: the same values, in the
  // same order, each with its total in base and target
  const sel = '.diff-graph canvas.flame-canvas';
  await page.goto(`${srv.url}/diff/${heaps[0].id}/${heaps[1].id}`);
  await waitFlame(page, sel);
  const onDiff = await pickerOptions('bytes');
  assert.deepEqual(onDiff.map(([v]) => v), onProfile.map(([v]) => v));
  assert.deepEqual(onDiff, order.map((v) => [v.value, `${v.value} — ${formatValue(v.total, unit)} → ${formatValue(v.total, unit)}`]));
  await page.selectOption('#tag-value', pick);
  await page.click('#tag-focus');
  await page.waitForFunction((e) => new URL(location.href).searchParams.get('tagfocus') === e, `bytes=${pick}`);
  await waitFlame(page, sel);
  assert.equal(await page.$eval(sel, (c) => c.flamegraph.model.rootTotal), order[0].total);
  assert.equal(await page.isHidden('#diff-error'), true);
  assert.deepEqual(browser.problems, []);
});
