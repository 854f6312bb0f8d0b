// The Targets page, /targets: a flamedex scraping two targets every second
// (a Node server serving a goroutine profile at /debug/pprof/goroutine, and
// a port where nothing listens) lists both with their health, last scrape,
// duration, bytes and error; the up one links to its profiles (the list
// filtered by instance:HOST:PORT, which holds the scraped profiles) and to
// its goroutine leak table (which opens over the scraped series); the
// header links to the page.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { startServer, launchBrowser, tmpDir, shot } from './lib/harness.mjs';
import { encodeProfile } from './lib/pprof.mjs';

let srv, browser, page, target, upAddr, downAddr, dir;

function goroutines(n) {
  return encodeProfile({
    sampleTypes: [['goroutine', 'count']],
    periodType: ['goroutine', 'count'],
    period: 1,
    timeNanos: BigInt(Date.now()) * 1000000n,
    files: { 'main.worker': '/src/app/worker.go' },
    samples: [{ stack: ['runtime.goexit', 'main.worker', 'runtime.gopark'], values: [n] }],
  });
}

function listen(server) {
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r(server.address().port)));
}

before(async () => {
  let n = 10;
  target = http.createServer((req, res) => {
    if (req.url.startsWith('/debug/pprof/goroutine')) {
      const body = goroutines(n++);
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length });
      res.end(body);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  upAddr = `127.0.0.1:${await listen(target)}`;
  const dead = http.createServer();
  downAddr = `127.0.0.1:${await listen(dead)}`;
  await new Promise((r) => dead.close(r)); // nothing listens there now
  dir = tmpDir('flamedex-targets-');
  const cfg = path.join(dir, 'scrape.yaml');
  fs.writeFileSync(cfg, [
    'scrape_configs:',
    '  - job_name: web',
    '    scrape_interval: 1s',
    '    static_configs:',
    `      - targets: ["${upAddr}", "${downAddr}"]`,
    '        labels: {env: e2e}',
    '    profiling_config:',
    '      pprof_config:',
    '        process_cpu: {enabled: false}',
    '        memory: {enabled: false}',
    '        mutex: {enabled: false}',
    '        block: {enabled: false}',
    '        goroutine: {enabled: true}',
    '',
  ].join('\n'));
  srv = await startServer({ args: ['--config', cfg] });
  browser = await launchBrowser();
  page = await browser.page();
});

after(async () => {
  if (browser) await browser.close();
  if (srv) await srv.stop();
  if (target) target.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function rows(p) {
  return p.$$eval('#targets-table tbody tr', (trs) => trs.map((tr) => ({
    job: tr.dataset.job,
    instance: tr.dataset.instance,
    health: tr.dataset.health,
    cells: [...tr.children].map((td) => td.textContent),
    profiles: tr.querySelector('a.target-profiles').getAttribute('href'),
    leaks: tr.querySelector('a.target-leaks').getAttribute('href'),
  })));
}

test('the Targets page shows each target, up and down, with its links', async () => {
  await page.goto(srv.url + '/');
  await page.click('.appbar-nav a[href="/targets"]');
  await page.waitForURL(/\/targets$/);
  // the page reloads every 5 s; wait until both targets were scraped
  let got;
  for (let i = 0; i < 60; i++) {
    await page.waitForSelector('#targets-table tbody tr');
    got = await rows(page);
    if (got.length === 2 && got.every((r) => r.health !== 'unknown') && /\d+ B|KiB/.test(got.find((r) => r.health === 'up')?.cells[5] || '')) break;
    await page.waitForTimeout(1000);
  }
  assert.equal(got.length, 2, JSON.stringify(got));
  const up = got.find((r) => r.instance === upAddr), down = got.find((r) => r.instance === downAddr);
  assert.equal(up.health, 'up', JSON.stringify(got));
  assert.equal(down.health, 'down', JSON.stringify(got));
  assert.equal(up.job, 'web');
  assert.match(up.cells[1], /env=e2e/);
  assert.match(up.cells[2], /^up/);
  assert.match(up.cells[3], /ago|now/);
  assert.match(up.cells[4], /^\d+ ms$/);
  assert.equal(up.cells[6], '');
  assert.match(down.cells[6], /connect/i);
  assert.equal(up.profiles, '/?label=' + encodeURIComponent('instance:' + upAddr));
  assert.equal(up.leaks, '/leaks?label=' + encodeURIComponent('instance:' + upAddr) + '&type=goroutine');
  assert.match(await page.textContent('#targets-summary'), /2 targets: 1 up, 1 down/);
  assert.match(await page.textContent('#targets-retention'), /Scraped data goes back to \d{4}-/);
  assert.equal(await page.getAttribute('.appbar-nav a[href="/targets"]', 'class'), 'current');
  await shot(page, 'targets');

  // the profiles link lists the target's scraped profiles
  await page.click(`#targets-table tr[data-instance="${upAddr}"] a.target-profiles`);
  await page.waitForSelector('#profile-list tbody tr, .profile-row, table.data tbody tr');
  const text = await page.textContent('main');
  assert.match(text, new RegExp(`web goroutine ${upAddr.replace(/\./g, '\\.')}`));

  // the leak table link opens the table over the target's scraped series
  await page.goto(srv.url + up.leaks);
  await page.waitForSelector('#leak-table tr.cand');
  // one scrape may have landed so far: '1 snapshot at …' or 'N snapshots from … to …'
  const summary = await page.textContent('#leak-summary');
  const m = /^goroutine\s*(\d+) snapshots?\b/.exec(summary);
  assert.ok(m && Number(m[1]) >= 1, summary);
  assert.match(summary, Number(m[1]) === 1 ? /1 snapshot at / : /\d+ snapshots /);
  assert.equal(await page.isHidden('#leak-error'), true);
  assert.deepEqual(browser.problems, []);
});
