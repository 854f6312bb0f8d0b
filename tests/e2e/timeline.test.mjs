// The timeline, /s: six CPU profiles of service:checkout, a minute apart,
// each 10 s long, using 1, 2, ... 6 cores' worth of CPU time, in which
// encoding/json.Marshal's share grows from 10% to 60%. The page draws a
// point per profile at its cores (cpu time / duration), plots the
// function's share on the second axis when searched, brushes a range to a
// merged-view link (/m?label=...&from=&to=), compares it with a second
// range (the previous period, or a shift-drag) in a diff table below whose
// numbers are the two ranges merged, comes back the same from its URL,
// opens a profile on a click, and is reached from a profile's labels and
// from the list.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, shot, uploadViaApi } from './lib/harness.mjs';
import { encodeProfile } from './lib/pprof.mjs';

const T0 = 1700000000000n * 1000000n;
const DUR = 10e9;
let srv, browser, page, ids = [];

function profile(i) {
  const cpu = (i + 1) * DUR;                 // i+1 cores for DUR
  const json = Math.round(cpu * (i + 1) / 10 / 1e7) * 1e7; // share (i+1)/10
  const rest = cpu - json;
  return encodeProfile({
    sampleTypes: [['samples', 'count'], ['cpu', 'nanoseconds']],
    periodType: ['cpu', 'nanoseconds'],
    period: 10000000,
    timeNanos: T0 + BigInt(i) * 60n * 1000000000n,
    durationNanos: DUR,
    samples: [
      { stack: ['main.main', 'main.handler', 'encoding/json.Marshal'], values: [json / 1e7, json] },
      { stack: ['main.main', 'main.handler', 'main.compute'], values: [rest / 1e7, rest] },
    ],
  });
}

before(async () => {
  srv = await startServer();
  browser = await launchBrowser();
  page = await browser.page();
  for (const i of [2, 0, 5, 1, 4, 3]) {
    const m = await uploadViaApi(srv.url, profile(i), { name: `checkout-${i}`, labels: 'service:checkout,env:prod' });
    ids[i] = m.id;
  }
});

after(async () => {
  if (browser) await browser.close();
  if (srv) await srv.stop();
});

const pointsOf = () => page.$$eval('#tl-svg circle.tl-point', (cs) => cs.map((c) => ({ id: c.dataset.id, x: +c.getAttribute('cx'), y: +c.getAttribute('cy'), title: c.textContent })));

test('one point per profile, in time order, at its cores', async () => {
  await page.goto(srv.url + '/s?label=service:checkout&type=cpu');
  await page.waitForSelector('#tl-svg circle.tl-point');
  const pts = await pointsOf();
  assert.deepEqual(pts.map((p) => p.id), ids);
  for (let i = 1; i < pts.length; i++) {
    assert.ok(pts[i].x > pts[i - 1].x, 'time order');
    assert.ok(pts[i].y < pts[i - 1].y, 'more cores drawn higher');
  }
  pts.forEach((p, i) => assert.match(p.title, new RegExp(`· ${i + 1}\\.00 cores$`)));
  assert.match(await page.textContent('#tl-summary'), /^6 profiles, CPU cores used over time/);
  await shot(page, 'timeline');
});

test('a function search plots its share over time, and stays in the URL', async () => {
  await page.fill('#tl-fn', 'encoding/json\\.Marshal');
  await page.click('#tl-fn-go');
  await page.waitForSelector('#tl-svg polyline.tl-fnline');
  assert.equal(new URL(page.url()).searchParams.get('fn'), 'encoding/json\\.Marshal');
  const line = await page.$eval('#tl-svg polyline.tl-fnline', (l) => ({ fn: l.dataset.function, pts: l.getAttribute('points') }));
  assert.equal(line.fn, 'encoding/json.Marshal');
  const ys = line.pts.split(' ').map((xy) => +xy.split(',')[1]);
  assert.equal(ys.length, 6);
  // share (i+1)/10 on a 0-100% axis: equal steps upwards
  const steps = ys.slice(1).map((y, i) => ys[i] - y);
  for (const s of steps) assert.ok(Math.abs(s - steps[0]) < 0.2 && s > 0, `steps ${steps}`);
  await shot(page, 'timeline-function');
});

test('brushing a range links its merged view; the URL reopens it all', async () => {
  const pts = await pointsOf();
  const box = await page.$eval('#tl-svg', (s) => { const r = s.getBoundingClientRect(); return { l: r.left, t: r.top, w: r.width, h: r.height }; });
  const scale = box.w / 900;
  // from between points 1 and 2 to between 3 and 4: profiles 2, 3
  const xa = box.l + (pts[1].x + pts[2].x) / 2 * scale, xb = box.l + (pts[3].x + pts[4].x) / 2 * scale;
  const y = box.t + box.h / 2;
  await page.mouse.move(xa, y);
  await page.mouse.down();
  await page.mouse.move(xb, y, { steps: 5 });
  await page.mouse.up();
  await page.waitForSelector('#tl-merge-link');
  assert.match(await page.textContent('#tl-brush'), /^2 profiles from /);
  const href = new URL(await page.getAttribute('#tl-merge-link', 'href'), srv.url);
  assert.equal(href.pathname, '/m');
  assert.equal(href.searchParams.get('label'), 'service:checkout');
  assert.equal(href.searchParams.get('type'), 'cpu');
  const from = Date.parse(href.searchParams.get('from')), to = Date.parse(href.searchParams.get('to'));
  const t = (i) => Number((T0 + BigInt(i) * 60n * 1000000000n) / 1000000n);
  assert.ok(from > t(1) && from < t(2) && to > t(3) && to < t(4), `${from} ${to}`);
  // the server's selection of that range is those two profiles
  const tl = await (await fetch(`${srv.url}/api/v1/timeline?label=service:checkout&type=cpu&from=${encodeURIComponent(href.searchParams.get('from'))}&to=${encodeURIComponent(href.searchParams.get('to'))}`)).json();
  assert.deepEqual(tl.points.map((p) => p.id), [ids[2], ids[3]]);
  await shot(page, 'timeline-brush');
  const url = page.url();
  await page.goto('about:blank');
  await page.goto(url);
  await page.waitForSelector('#tl-svg polyline.tl-fnline');
  await page.waitForSelector('#tl-brushrect');
  assert.equal(await page.inputValue('#tl-fn'), 'encoding/json\\.Marshal');
  assert.equal(new URL(await page.getAttribute('#tl-merge-link', 'href'), srv.url).href, href.href);
});

// cpu nanoseconds of encoding/json.Marshal and in all, in profile i (profile() above)
const jsonNs = (i) => Math.round((i + 1) * DUR * (i + 1) / 10 / 1e7) * 1e7;
const cpuNs = (i) => (i + 1) * DUR;
const rowsOf = (p) => p.$$eval('#tl-diff-table tbody tr', (trs) => trs.map((tr) => ({ fn: tr.dataset.function, change: tr.dataset.change, base: +tr.dataset.baseCum, target: +tr.dataset.targetCum })));

async function dragAcross(p, xa, xb, { shift = false } = {}) {
  const box = await p.$eval('#tl-svg', (s) => { const r = s.getBoundingClientRect(); return { l: r.left, t: r.top, w: r.width, h: r.height }; });
  const scale = box.w / 900, y = box.t + box.h / 2;
  if (shift) await p.keyboard.down('Shift');
  await p.mouse.move(box.l + xa * scale, y);
  await p.mouse.down();
  await p.mouse.move(box.l + xb * scale, y, { steps: 5 });
  await p.mouse.up();
  if (shift) await p.keyboard.up('Shift');
}

test('a second range: the previous period, then a shift-drag; the diff of the two below', async () => {
  // the brushed range (B) holds profiles 2 and 3; the previous period (A), as long, holds 0 and 1
  await page.click('#tl-prev-period');
  await page.waitForSelector('#tl-diff-table tbody tr');
  const u = new URL(page.url());
  const [bf, bt, cf, ct] = ['bfrom', 'bto', 'cfrom', 'cto'].map((k) => Date.parse(u.searchParams.get(k)));
  assert.equal(ct, bf - 1);
  assert.equal(ct - cf, bt - bf);
  assert.match(await page.textContent('#tl-range-a'), /^A2 profiles from /);
  assert.ok(await page.$('#tl-cmprect'), 'the second range is drawn');
  let rows = await rowsOf(page);
  const json = rows.find((r) => r.fn === 'encoding/json.Marshal');
  assert.ok(json, JSON.stringify(rows));
  // A merged: profiles 0 + 1; B merged: 2 + 3, scaled to A's total (normalize)
  const aJson = jsonNs(0) + jsonNs(1), bJson = jsonNs(2) + jsonNs(3);
  const aTot = cpuNs(0) + cpuNs(1), bTot = cpuNs(2) + cpuNs(3);
  assert.equal(json.base, aJson);
  assert.ok(Math.abs(json.target - bJson * aTot / bTot) <= 1, `${json.target} vs ${bJson * aTot / bTot}`);
  assert.equal(json.change, 'grew');
  assert.equal(rows[0].fn, 'encoding/json.Marshal', 'the largest change first');
  // the page's numbers are the server's diff of those very profiles
  const api = await (await fetch(`${srv.url}/api/v1/diff/top?base.ids=${ids[0]},${ids[1]}&target.ids=${ids[2]},${ids[3]}&normalize=1&limit=15`)).json();
  assert.deepEqual(rows.map((r) => [r.fn, r.base, r.target]), api.rows.map((r) => [r.function, r.base_cum, r.target_cum]));
  await shot(page, 'timeline-compare', { fullPage: true });
  // a shift-drag brushes another second range: profile 5 alone, now the base
  const pts = await pointsOf();
  await dragAcross(page, (pts[4].x + pts[5].x) / 2, pts[5].x + 20, { shift: true });
  await page.waitForFunction(() => /^A1 profile from /.test(document.querySelector('#tl-range-a')?.textContent || ''));
  await page.waitForFunction(() => [...document.querySelectorAll('#tl-diff-table tbody tr')].some((tr) => tr.dataset.function === 'encoding/json.Marshal' && tr.dataset.baseCum === String(36e9)));
  rows = await rowsOf(page);
  const j2 = rows.find((r) => r.fn === 'encoding/json.Marshal');
  assert.equal(j2.base, jsonNs(5));
  assert.equal(j2.change, 'shrank');
  assert.match(await page.textContent('#tl-range-b'), /^B2 profiles from /, 'the first range stays');
  // the URL reopens both ranges and the diff
  const url = page.url();
  await page.goto('about:blank');
  await page.goto(url);
  await page.waitForSelector('#tl-diff-table tbody tr');
  assert.deepEqual(await rowsOf(page), rows);
  // dark theme, the same page
  const dark = await launchBrowser({ colorScheme: 'dark' });
  try {
    const p = await dark.page();
    await p.goto(url);
    await p.waitForSelector('#tl-diff-table tbody tr');
    assert.deepEqual(await rowsOf(p), rows);
    await shot(p, 'timeline-compare-dark', { fullPage: true });
    assert.deepEqual(dark.problems, []);
  } finally {
    await dark.close();
  }
  // clearing the second range takes the diff away
  await page.click('#tl-cmp-clear');
  await page.waitForSelector('#tl-diff', { state: 'hidden' });
  assert.equal(new URL(page.url()).searchParams.get('cfrom'), null);
  assert.ok(await page.$('#tl-prev-period'));
  assert.deepEqual(browser.problems, []);
});

test('a click on a point opens that profile; its labels lead back', async () => {
  await page.click(`#tl-svg circle.tl-point[data-id="${ids[4]}"]`);
  await page.waitForURL(srv.url + '/p/' + ids[4]);
  const link = page.locator('a.timeline-link', { hasText: 'service:checkout' });
  await link.waitFor();
  const href = new URL(await link.getAttribute('href'), srv.url);
  assert.equal(href.pathname, '/s');
  assert.equal(href.searchParams.get('label'), 'service:checkout');
  assert.equal(href.searchParams.get('type'), 'cpu');
  // and the list has a timeline link on each labelled row
  await page.goto(srv.url + '/');
  await page.waitForSelector('a.timeline-link');
  assert.equal(await page.locator('a.timeline-link').count(), 6);
  await page.click('a.timeline-link >> nth=0');
  await page.waitForSelector('#tl-svg circle.tl-point');
  assert.equal((await pointsOf()).length, 6);
});

test('an empty selection says so', async () => {
  await page.goto(srv.url + '/s?label=service:nobody&type=cpu');
  await page.waitForSelector('#tl-error:not([hidden])');
  assert.match(await page.textContent('#tl-error'), /no stored profile/i);
});

// A series longer than the chart is wide (1,200 profiles, 10 s apart, 1, 2,
// 3, 4 cores in turn): columns, each the band from the lowest to the
// highest profile in it and a line through their mean, and one marker that
// picks the profile nearest the pointer or steps with the arrow keys.
test('a dense series: a band and a mean line per column, one marker to pick a profile', async () => {
  const N = 1200, dense = [];
  for (let i = 0; i < N; i++) {
    const cores = 1 + (i % 4);
    const cpu = cores * DUR;
    const p = encodeProfile({
      sampleTypes: [['samples', 'count'], ['cpu', 'nanoseconds']],
      periodType: ['cpu', 'nanoseconds'],
      period: 10000000,
      timeNanos: T0 + BigInt(i) * 10n * 1000000000n,
      durationNanos: DUR,
      samples: [{ stack: ['main.main', 'main.work'], values: [cpu / 1e7, cpu] }],
    });
    dense.push((await uploadViaApi(srv.url, p, { name: `dense-${i}`, labels: 'service:dense' })).id);
  }
  await page.goto(srv.url + '/s?label=service:dense&type=cpu');
  await page.waitForSelector('#tl-svg[data-mode="dense"]');
  const svgAttrs = await page.$eval('#tl-svg', (s) => ({ points: s.dataset.points, circles: s.querySelectorAll('circle').length }));
  assert.deepEqual(svgAttrs, { points: String(N), circles: 1 });
  // the chart's scale: 4 cores is the top value, the axis at 1.1 times it
  const Y = (v) => 300 - 36 - v / (4 * 1.1) * (300 - 16 - 36);
  const pairs = (s) => s.trim().split(/\s+/).map((q) => q.split(',').map(Number));
  const band = pairs(await page.getAttribute('#tl-band', 'points'));
  const cols = band.length / 2;
  assert.ok(cols > 100 && cols < N, `columns: ${cols}`);
  for (const [, y] of band.slice(0, cols)) assert.ok(Math.abs(y - Y(4)) < 0.11 || Math.abs(y - Y(3)) < 0.11, `high ${y}`);
  for (const [, y] of band.slice(cols)) assert.ok(Math.abs(y - Y(1)) < 0.11 || Math.abs(y - Y(2)) < 0.11, `low ${y}`);
  const line = pairs(await page.getAttribute('#tl-line', 'points'));
  assert.equal(line.length, cols);
  for (const [, y] of line) assert.ok(y > Y(4) - 0.11 && y < Y(1) + 0.11, `mean ${y}`);
  const mid = line.map(([, y]) => y).sort((a, b) => a - b)[cols >> 1];
  assert.ok(Math.abs(mid - Y(2.5)) < Y(1) - Y(4), `median mean ${mid}`);
  assert.match(await page.textContent('#tl-dense-note'), /1,200 profiles/);
  // the marker starts at the newest; arrows step; the pointer picks the nearest
  const marker = () => page.$eval('#tl-marker', (m) => ({ id: m.dataset.id, title: m.textContent }));
  assert.equal((await marker()).id, dense[N - 1]);
  await page.focus('#tl-marker');
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  assert.equal((await marker()).id, dense[N - 3]);
  await page.keyboard.press('Home');
  assert.equal((await marker()).id, dense[0]);
  const box = await page.$eval('#tl-svg', (s) => { const r = s.getBoundingClientRect(); return { l: r.left, t: r.top, w: r.width, h: r.height }; });
  const k = Math.round(N * 0.6);
  const xOf = (i) => box.l + (70 + i / (N - 1) * (900 - 70 - 60)) / 900 * box.w;
  await page.mouse.move(xOf(k), box.t + box.h * 0.9);
  const m = await marker();
  // about one screen pixel a profile here: the nearest to the pointer is k or next to it
  assert.ok(Math.abs(dense.indexOf(m.id) - k) <= 1, `picked ${dense.indexOf(m.id)}, pointer at ${k}`);
  assert.match(m.title, /cores/);
  await shot(page, 'timeline-dense');
  const at = await page.$eval('#tl-marker', (c) => { const r = c.getBoundingClientRect(); return { x: r.left + r.width / 2, y: r.top + r.height / 2 }; });
  await page.mouse.move(at.x, at.y);
  await page.mouse.click(at.x, at.y);
  await page.waitForURL(srv.url + '/p/' + m.id);
});
