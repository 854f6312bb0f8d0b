// How far back a target's data goes, on the Targets page: a Node server
// serves goroutine profiles, the first nine with times two days ago (a
// fast-forwarded series, 10 s apart), then current ones; flamedex scrapes
// it every second, then is restarted on the same database with
// downsampling after 1h into 1-minute profiles (so each old bucket is
// merged whole, as in a real series, where a bucket is `after` old). The
// target's row says "data from <two days ago> (raw since <now>, per minute
// before)", links to its goroutine timeline, which draws the merged and the
// raw points, and to its leak table; light and dark screenshots.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { startServer, launchBrowser, tmpDir, shot } from './lib/harness.mjs';
import { encodeProfile } from './lib/pprof.mjs';

const T0 = BigInt(Math.floor((Date.now() / 1000 - 2 * 86400) / 3600) * 3600) * 1000000000n;
let srv, target, addr, dir, served = 0;

function goroutines(n, timeNanos) {
  return encodeProfile({
    sampleTypes: [['goroutine', 'count']],
    periodType: ['goroutine', 'count'],
    period: 1,
    timeNanos,
    files: { 'main.worker': '/src/app/worker.go' },
    samples: [{ stack: ['runtime.goexit', 'main.worker', 'runtime.gopark'], values: [n] },
      { stack: ['runtime.goexit', 'main.serve', 'runtime.gopark'], values: [3] }],
  });
}

before(async () => {
  target = http.createServer((req, res) => {
    if (!req.url.startsWith('/debug/pprof/goroutine')) {
      res.writeHead(404);
      res.end();
      return;
    }
    const k = served++;
    const t = k < 9 ? T0 + BigInt(k) * 10n * 1000000000n : BigInt(Date.now()) * 1000000n;
    const body = goroutines(10 + k, t);
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length });
    res.end(body);
  });
  await new Promise((r) => target.listen(0, '127.0.0.1', r));
  addr = `127.0.0.1:${target.address().port}`;
  dir = tmpDir('flamedex-retention-');
  const cfg = path.join(dir, 'scrape.yaml');
  const db = path.join(dir, 'f.db');
  const jobs = [
    'scrape_configs:',
    '  - job_name: svc',
    '    scrape_interval: 1s',
    '    static_configs:',
    `      - targets: ["${addr}"]`,
    '    profiling_config:',
    '      pprof_config:',
    '        process_cpu: {enabled: false}',
    '        memory: {enabled: false}',
    '        mutex: {enabled: false}',
    '        block: {enabled: false}',
    '        goroutine: {enabled: true}',
    '',
  ];
  fs.writeFileSync(cfg, jobs.join('\n'));
  srv = await startServer({ args: ['--config', cfg, '--db', db] });
  for (let i = 0; i < 60; i++) {
    const r = await (await fetch(`${srv.url}/api/v1/profiles?label=job:svc&limit=1`)).json();
    if (served >= 9 && r.total >= 9) break;
    await new Promise((res) => setTimeout(res, 1000));
  }
  await srv.stop();
  fs.writeFileSync(cfg, ['downsample: {after: 1h, step: 1m}', ...jobs].join('\n'));
  srv = await startServer({ args: ['--config', cfg, '--db', db] });
});

after(async () => {
  if (srv) await srv.stop();
  if (target) target.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function downsampled() {
  const r = await fetch(`${srv.url}/api/v1/targets`);
  const j = await r.json();
  return j.downsample.downsampled;
}

for (const scheme of ['light', 'dark']) {
  test(`the Targets page says how far back the data goes and links its timeline (${scheme})`, async () => {
    for (let i = 0; i < 90 && (served < 12 || await downsampled() < 9); i++) await new Promise((r) => setTimeout(r, 1000));
    assert.equal(await downsampled(), 9, 'the nine old profiles merged');
    const browser = await launchBrowser({ colorScheme: scheme });
    try {
      const page = await browser.page();
      await page.goto(srv.url + '/targets');
      const row = `#targets-table tr[data-instance="${addr}"]`;
      await page.waitForSelector(`${row} .target-extent`);
      const text = await page.textContent(`${row} .target-data`);
      const day = new Date(Number(T0 / 1000000n));
      const p = (n) => String(n).padStart(2, '0');
      const oldest = `${day.getFullYear()}-${p(day.getMonth() + 1)}-${p(day.getDate())} ${p(day.getHours())}:${p(day.getMinutes())}:00`;
      assert.ok(text.includes(`data from ${oldest}`), text);
      assert.match(text, /raw since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d, per minute before/);
      assert.match(await page.textContent('#targets-downsample'), /older than 1h are merged per minute .*9 merged into 2/);
      const links = await page.$$eval(`${row} a.target-timeline`, (as) => as.map((a) => [a.textContent, a.getAttribute('href')]));
      assert.deepEqual(links, [['goroutine', '/s?' + new URLSearchParams({ label: `instance:${addr}`, type: 'goroutine' })]]);
      const leaks = await page.getAttribute(`${row} a.target-leaks`, 'href');
      await shot(page, `targets-retention-${scheme}`);

      // the timeline link draws the two merged points and the raw ones
      // (the points before the page asks: the target is still scraped, so
      // the page may draw more than this, never fewer)
      const points = await (await fetch(`${srv.url}/api/v1/timeline?label=${encodeURIComponent('instance:' + addr)}&type=goroutine`)).json();
      await page.click(`${row} a.target-timeline`);
      await page.waitForURL(/\/s\?/);
      await page.waitForSelector('#tl-chart svg circle, #tl-chart svg .tl-point');
      assert.ok(points.points.length >= 2 + 3, JSON.stringify(points.points.length));
      const drawn = await page.$$eval('#tl-chart svg circle, #tl-chart svg .tl-point', (c) => c.length);
      assert.ok(drawn >= points.points.length, `${drawn} points drawn`);
      await shot(page, `timeline-downsampled-${scheme}`);

      // the leak table link opens over the target's goroutine series
      await page.goto(srv.url + leaks);
      await page.waitForSelector('#leak-table tr.cand');
      assert.equal(await page.isHidden('#leak-error'), true);
      assert.deepEqual(browser.problems, []);
    } finally {
      await browser.close();
    }
  });
}
