// The leak table, /leaks: a goroutine series made here (5 snapshots, 10
// minutes apart; main.leakyWorker grows 10 → 50 goroutines blocked in
// runtime.chanrecv, main.poolWorker stays at 16) is uploaded through the
// page under a service label; the table ranks the leak first with its badge
// and a drawn sparkline, expands to the stack and reason, links to the
// latest snapshot's flame graph focused on the site, and comes back the same
// from its URL, from the service picker and from the profile list's
// "Leak table for selected".

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, launchBrowser, tmpDir, shot, waitFlame, uploadViaApi, REPO } from './lib/harness.mjs';
import { encodeProfile } from './lib/pprof.mjs';

const DOCS = path.join(REPO, 'docs', 'img');
const T0 = 1700000000000n * 1000000n; // 2023-11-14, in ns
let srv, browser, page, files, tableUrl;

/** Snapshot i of the series: the leak grows by 10 per snapshot. */
function snapshot(i) {
  return encodeProfile({
    sampleTypes: [['goroutine', 'count']],
    periodType: ['goroutine', 'count'],
    period: 1,
    timeNanos: T0 + BigInt(i) * 600n * 1000000000n,
    files: { 'main.leakyWorker': '/src/app/worker.go', 'main.poolWorker': '/src/app/pool.go', 'main.main': '/src/app/main.go' },
    samples: [
      { stack: ['runtime.goexit', 'main.leakyWorker', 'runtime.chanrecv1', 'runtime.chanrecv', 'runtime.gopark'], values: [10 + 10 * i] },
      { stack: ['runtime.goexit', 'main.poolWorker', 'runtime.chanrecv2', 'runtime.chanrecv', 'runtime.gopark'], values: [16] },
      { stack: ['runtime.main', 'main.main', 'net/http.ListenAndServe', 'internal/poll.runtime_pollWait', 'runtime.netpollblock', 'runtime.gopark'], values: [1] },
      // look-alikes: busy but not growing
      { stack: ['runtime.goexit', 'net/http.(*persistConn).readLoop', 'internal/poll.runtime_pollWait', 'runtime.netpollblock', 'runtime.gopark'], values: [[8, 11, 7, 12, 9][i]] },
      { stack: ['runtime.goexit', 'main.(*Cache).refresh', 'sync.(*Mutex).Lock', 'sync.runtime_SemacquireMutex', 'runtime.gopark'], values: [[2, 1, 3, 1, 2][i]] },
      { stack: ['runtime.goexit', 'main.dispatcher', 'runtime.selectgo', 'runtime.gopark'], values: [4] },
      { stack: ['runtime.goexit', 'main.metricsTicker', 'time.Sleep', 'runtime.gopark'], values: [1] },
    ],
  });
}

before(async () => {
  srv = await startServer();
  browser = await launchBrowser();
  page = await browser.page();
  const dir = tmpDir('flamedex-leaks-');
  // named out of order: the server orders the series by profile time
  files = [3, 0, 4, 1, 2].map((i) => {
    const f = path.join(dir, `goroutine-${i}.pb.gz`);
    fs.writeFileSync(f, snapshot(i));
    return f;
  });
});

after(async () => {
  if (browser) await browser.close();
  if (srv) await srv.stop();
});

/** The table as plain data. */
function table(p) {
  return p.$$eval('#leak-table tr.cand', (trs) => trs.map((tr) => ({
    site: tr.dataset.site,
    leak: tr.dataset.leak,
    badge: tr.querySelector('.leak-badge') ? tr.querySelector('.leak-badge').textContent : '',
    cells: [...tr.children].slice(2, 7).map((td) => td.textContent),
    points: tr.querySelector('svg.spark polyline').getAttribute('points'),
  })));
}

test('snapshots uploaded on the page under a service label give the leak table, leak first', async () => {
  await page.goto(srv.url + '/leaks');
  await page.waitForSelector('#leak-body .empty');
  // without a service name the upload waits for one
  await page.setInputFiles('#leak-files', files.slice(0, 1));
  await page.waitForSelector('#leak-service-error:not([hidden])');
  assert.equal(await page.locator('.upload-item').count(), 0);

  await page.fill('#leak-service', 'checkout');
  await page.setInputFiles('#leak-files', files);
  await page.waitForSelector('#leak-table tr.cand');
  assert.equal(await page.locator('.upload-item.done').count(), 5);
  const url = new URL(page.url());
  assert.equal(url.searchParams.get('label'), 'service:checkout');
  assert.equal(url.searchParams.get('type'), 'goroutine');
  tableUrl = page.url();

  const rows = await table(page);
  assert.ok(rows.length >= 2, JSON.stringify(rows));
  assert.equal(rows[0].leak, '1');
  assert.equal(rows[0].badge, 'leak');
  assert.match(rows[0].site, /^main\.leakyWorker /);
  assert.equal(rows[0].cells[0], 'chan receive');
  assert.match(rows[0].cells[1], /^main\.leakyWorker worker\.go:\d+$/);
  assert.equal(rows[0].cells[2], 'main.leakyWorker');
  assert.equal(rows[0].cells[3], '50');
  assert.equal(rows[0].cells[4], '+60/h'); // +10 per 10 minutes
  const pool = rows.find((r) => r.site.startsWith('main.poolWorker'));
  assert.equal(pool.leak, '0');
  assert.equal(pool.badge, '');
  assert.equal(pool.cells[3], '16');
  assert.match(await page.textContent('#leak-summary'), /5 snapshots .*1 leak flagged/);

  // the sparkline: 5 points, rising left to right, really painted
  const pts = rows[0].points.split(' ').map((p) => p.split(',').map(Number));
  assert.equal(pts.length, 5);
  for (let i = 1; i < 5; i++) assert.ok(pts[i][0] > pts[i - 1][0] && pts[i][1] < pts[i - 1][1], rows[0].points);
  const box = await page.$eval('#leak-table tr.cand svg.spark polyline', (l) => { const r = l.getBoundingClientRect(); return { w: r.width, h: r.height }; });
  assert.ok(box.w > 60 && box.h > 10, JSON.stringify(box));
  const stroke = await page.$eval('#leak-table tr.cand svg.spark polyline', (l) => getComputedStyle(l).stroke);
  assert.notEqual(stroke, 'none');
  await shot(page, 'leaks-table');
  assert.deepEqual(browser.problems, []);
});

test('a row expands to the reason and the stack', async () => {
  const first = page.locator('#leak-table tr.cand').first();
  await first.locator('.expand').click();
  const detail = page.locator('#leak-table tr.detail').first();
  await detail.waitFor({ state: 'visible' });
  const text = await detail.textContent();
  assert.match(text, /^\+1 goroutine a minute for 40 min \(5 snapshots\), never decreasing, most of the total growth: 50 goroutines blocked receiving from a channel at worker\.go:\d+/);
  const stack = await detail.locator('.stack li').allTextContents();
  assert.deepEqual(stack, ['runtime.gopark', 'runtime.chanrecv', 'runtime.chanrecv1', 'main.leakyWorker', 'runtime.goexit']);
  assert.equal(await detail.locator('.stack li.site').textContent(), 'main.leakyWorker');
  await shot(page, 'leaks-expanded');
  await first.locator('.expand').click();
  await detail.waitFor({ state: 'hidden' });
});

test('the row links to the latest snapshot\'s flame graph, focused on the site', async () => {
  const leaks = await (await fetch(`${srv.url}/api/v1/leaks?label=service:checkout&type=goroutine`)).json();
  const latest = leaks.snapshots[leaks.snapshots.length - 1];
  const meta = await (await fetch(`${srv.url}/api/v1/profiles/${latest.id}`)).json();
  assert.equal(meta.name, 'goroutine-4.pb.gz');
  const href = await page.getAttribute('#leak-table tr.cand >> nth=0 >> a.flame-link', 'href');
  assert.equal(href, `/p/${latest.id}?focus=${encodeURIComponent('^main\\.leakyWorker$')}`);
  await page.click('#leak-table tr.cand >> nth=0 >> a.flame-link');
  await page.waitForURL(srv.url + href);
  const ds = await waitFlame(page);
  assert.ok(+ds.rects >= 5);
  assert.equal(await page.textContent('#active-filters .filter-chip[data-filter="focus"] .chip-v'), '^main\\.leakyWorker$');
  // the focused graph holds the 50 leaked goroutines only
  assert.equal(await page.$eval('#view-flame canvas', (c) => c.flamegraph.model.rootTotal), 50);
  await page.goBack();
  await page.waitForSelector('#leak-table tr.cand');
});

test('the URL reopens the same table; the picker and "leaks only" are in it too', async () => {
  const before = await table(page);
  await page.goto('about:blank');
  await page.goto(tableUrl);
  await page.waitForSelector('#leak-table tr.cand');
  assert.deepEqual(await table(page), before);
  assert.equal(await page.inputValue('#series-service'), 'service:checkout');
  assert.equal(await page.inputValue('#series-kind'), 'goroutine');

  await page.check('#only-leaks');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('only') === 'leaks');
  await page.waitForFunction(() => document.querySelectorAll('#leak-table tr.cand').length === 1);
  await page.reload();
  await page.waitForSelector('#leak-table tr.cand');
  assert.equal(await page.locator('#leak-table tr.cand').count(), 1);
  assert.ok(await page.isChecked('#only-leaks'));
  await page.uncheck('#only-leaks');
  await page.waitForFunction((n) => document.querySelectorAll('#leak-table tr.cand').length === n, before.length);

  // the kind with no profile for this service: the server's message, clearly
  await page.selectOption('#series-kind', 'heap');
  await page.waitForSelector('#leak-error:not([hidden])');
  assert.match(await page.textContent('#leak-error'), /not_found/);
  await page.selectOption('#series-kind', 'goroutine');
  await page.waitForSelector('#leak-table tr.cand');
  assert.ok(await page.isHidden('#leak-error'));

  // from a fresh /leaks, the service picker
  await page.goto(srv.url + '/leaks');
  await page.waitForSelector('#series-service option[value="service:checkout"]', { state: 'attached' });
  assert.match(await page.textContent('#series-service option[value="service:checkout"]'), /5 goroutine/);
  await page.selectOption('#series-service', 'service:checkout');
  await page.waitForSelector('#leak-table tr.cand');
  assert.equal(page.url(), tableUrl);
  assert.deepEqual(await table(page), before);
  assert.deepEqual(browser.problems, []);
});

test('"Leak table for selected" in the profile list', async () => {
  await page.goto(srv.url + '/');
  await page.waitForSelector('#profile-rows tr');
  const ids = await page.$$eval('#profile-rows tr', (trs) => trs.map((t) => t.dataset.id));
  assert.equal(ids.length, 5);
  for (const id of ids) await page.check(`#profile-rows tr[data-id="${id}"] .sel-box`);
  assert.equal(await page.textContent('#leaks-link'), 'Leak table for selected (5)');
  assert.equal(await page.locator('#compare-link').count(), 0, 'compare needs exactly two');
  await page.click('#leaks-link');
  await page.waitForSelector('#leak-table tr.cand');
  const url = new URL(page.url());
  assert.deepEqual(url.searchParams.get('ids').split(',').sort(), ids.slice().sort());
  const rows = await table(page);
  assert.equal(rows[0].leak, '1');
  assert.match(rows[0].site, /^main\.leakyWorker /);
  assert.match(await page.textContent('#series-ids'), /5 selected snapshots/);
  await page.reload();
  await page.waitForSelector('#leak-table tr.cand');
  assert.deepEqual(await table(page), rows);
  assert.deepEqual(browser.problems, []);
});

/** A debug=2 dump: main.leakyWorker holds 60 more goroutines per dump, main.pool 8. */
function dump(i) {
  const out = ['goroutine 1 [running]:\nmain.main()\n\t/src/app/main.go:3 +0x1\n'];
  const g = (id, reason, fn) => out.push(`goroutine ${id} [${reason}]:\n${fn}()\n\t/src/app/${fn.split('.').pop()}.go:10 +0x1\ncreated by main.main\n\t/src/app/main.go:5 +0x2\n`);
  for (let k = 0; k < 60 * (i + 1); k++) g(100 + k, 'chan send', 'main.leakyWorker');
  for (let k = 0; k < 8; k++) g(10 + k, 'chan receive', 'main.pool');
  return out.join('\n');
}

const DUMP_T0 = Date.UTC(2024, 4, 1, 12, 0, 0); // ms

test('text dumps uploaded on the page are timed by their file times', async () => {
  const dir = tmpDir('flamedex-dumps-');
  const dumps = [0, 1, 2, 3].map((i) => {
    const f = path.join(dir, `goroutine-${i}.txt`);
    fs.writeFileSync(f, dump(i));
    const t = new Date(DUMP_T0 + i * 12000); // taken 12 s apart
    fs.utimesSync(f, t, t);
    return f;
  });
  const sent = [];
  const onReq = (req) => { if (req.method() === 'POST' && req.url().includes('/api/v1/profiles')) sent.push(new URL(req.url()).searchParams.get('time')); };
  page.on('request', onReq);
  await page.goto(srv.url + '/leaks');
  await page.fill('#leak-service', 'dumps');
  await page.setInputFiles('#leak-files', dumps);
  await page.waitForSelector('#leak-table tr.cand');
  page.off('request', onReq);
  // each file's lastModified went as time=, and became the snapshot's time
  assert.deepEqual(sent, [0, 1, 2, 3].map((i) => new Date(DUMP_T0 + i * 12000).toISOString()));
  const api = await (await fetch(`${srv.url}/api/v1/leaks?label=service:dumps&type=goroutine`)).json();
  assert.deepEqual(api.snapshots.map((s) => [s.time, s.time_source]),
    [0, 1, 2, 3].map((i) => [new Date(DUMP_T0 + i * 12000).toISOString().replace('.000Z', 'Z'), 'client']));
  assert.deepEqual(await page.$$eval('.snap-link', (as) => as.map((a) => [a.textContent, a.dataset.timeSource])),
    [['1', 'client'], ['2', 'client'], ['3', 'client'], ['4', 'client']]);
  assert.match(await page.getAttribute('.snap-link >> nth=0', 'title'), /time given at upload/);
  assert.equal(await page.locator('#leak-time-note').count(), 0);
  assert.match(await page.textContent('#leak-time-given'), /their times given at upload/);
  assert.match(await page.textContent('#leak-summary'), /4 snapshots from 2024-05-01 12:00:00 to 2024-05-01 12:00:36 \(36(\.0)? s\)/);
  const rows = await table(page);
  assert.equal(rows[0].leak, '1');
  assert.match(rows[0].site, /^main\.leakyWorker /);
  assert.equal(rows[0].cells[3], '240');
  assert.equal(rows[0].cells[4], '+18,000/h'); // 5 a second
  await page.locator('#leak-table tr.cand').first().locator('.expand').click();
  const detail = await page.locator('#leak-table tr.detail').first().textContent();
  assert.match(detail, /\+5 goroutines a second for 36 s \(4 snapshots\)/);
  assert.match(detail, /the oldest 36 s old, 60 of them at least 30 s old/);
  assert.match(detail, /Oldest36 s · 60 at least 30 s old/);
  await shot(page, 'leaks-client-times');
  assert.deepEqual(browser.problems, []);
});

test('dumps without a time are marked as timed by upload', async () => {
  for (let i = 0; i < 3; i++) await uploadViaApi(srv.url, dump(i), { labels: 'service:untimed' });
  await page.goto(srv.url + '/leaks?label=service:untimed&type=goroutine');
  await page.waitForSelector('#leak-table tr.cand');
  assert.match(await page.textContent('#leak-time-note'), /All 3 snapshots are timed by upload\* \(no time of their own\)/);
  assert.equal(await page.locator('#leak-time-given').count(), 0);
  assert.deepEqual(await page.$$eval('.snap-link', (as) => as.map((a) => [a.textContent, a.dataset.timeSource, a.classList.contains('by-upload')])),
    [['1*', 'upload', true], ['2*', 'upload', true], ['3*', 'upload', true]]);
  assert.match(await page.getAttribute('.snap-link >> nth=0', 'title'), /upload time: the file has no time of its own/);
  await page.locator('#leak-table tr.cand').first().locator('.expand').click();
  assert.match(await page.locator('#leak-table tr.detail').first().textContent(), /some times are upload times/);
  await shot(page, 'leaks-upload-times');
  assert.deepEqual(browser.problems, []);
});

test('screenshots of the leak table, light and dark', { timeout: 60000 }, async () => {
  for (const scheme of ['light', 'dark']) {
    const br = await launchBrowser({ colorScheme: scheme, viewport: { width: 1440, height: 900 } });
    try {
      const p = await br.page();
      await p.goto(tableUrl);
      await p.waitForSelector('#leak-table tr.cand');
      await p.locator('#leak-table tr.cand').first().locator('.expand').click();
      await shot(p, `docs-leaks-${scheme}`);
      if (scheme === 'light' && process.env.UPDATE_DOCS_IMG === '1') {
        fs.mkdirSync(DOCS, { recursive: true });
        await p.screenshot({ path: path.join(DOCS, 'leaks.png') });
      }
      assert.deepEqual(br.problems, []);
    } finally {
      await br.close();
    }
  }
});
