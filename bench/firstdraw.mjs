// bench/firstdraw.mjs: time from navigation to the first drawn flame graph
// of a small profile, in headless Chromium (playwright-core from tests/e2e,
// /usr/bin/chromium with the flags of tests/e2e/lib/harness.mjs). A
// benchmark, not a test: it prints figures (docs/BENCHMARKS.md) and asserts
// nothing about them.
//
//   node bench/firstdraw.mjs [--runs N] [--profile FILE]
//   FLAMEDEX_BIN=... FLAMEDEX_WEB=... node bench/firstdraw.mjs   (another build)
//
// "First draw" is performance.now() (ms since the navigation started) when
// the flame graph canvas first gets data-ready="1", caught by a
// MutationObserver installed before the page's own scripts. Cold: a fresh
// browser profile per run (empty cache, new connections). Warm: the same
// page opened again in that browser (cached files, revalidated or not).
// The API's own time for the same flamegraph request is printed beside it.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { launchBrowser } from '../tests/e2e/lib/harness.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, def) => {
  const i = process.argv.indexOf('--' + name);
  return i > 0 ? process.argv[i + 1] : def;
};
const RUNS = Number(arg('runs', '10'));
const PROFILE = arg('profile', path.join(REPO, 'tests', 'data', 'agent-insight', 'cpu.pb.gz'));
const BIN = process.env.FLAMEDEX_BIN || path.join(REPO, 'build', 'server', 'flamedex');
const WEB = process.env.FLAMEDEX_WEB || path.join(REPO, 'web');

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

async function startServer() {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flamedex-bench-'));
  const proc = spawn(BIN, ['--listen', `127.0.0.1:${port}`, '--db', path.join(dir, 'f.db'), '--web', WEB], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try { if ((await fetch(url + '/healthz')).status === 200) break; } catch (_) { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, stop: () => { proc.kill('SIGTERM'); fs.rmSync(dir, { recursive: true, force: true }); } };
}

const WATCH = () => {
  window.__firstDraw = null;
  new MutationObserver((muts, obs) => {
    for (const m of muts) {
      const t = m.target;
      if (t.matches && t.matches('#view-flame canvas.flame-canvas') && t.dataset.ready === '1') {
        window.__firstDraw = performance.now();
        obs.disconnect();
        return;
      }
    }
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-ready'] });
};

async function open(page, url) {
  await page.goto(url);
  await page.waitForFunction(() => window.__firstDraw !== null, null, { timeout: 30000 });
  return page.evaluate(() => ({
    first: window.__firstDraw,
    requests: performance.getEntriesByType('resource').length,
    transferred: performance.getEntriesByType('resource').reduce((a, e) => a + (e.transferSize || 0), 0),
  }));
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { n: s.length, min: s[0], median: q(0.5), p90: q(0.9), max: s[s.length - 1] };
};
const fmt = (o) => `median ${o.median.toFixed(1)} ms, p90 ${o.p90.toFixed(1)}, min ${o.min.toFixed(1)}, max ${o.max.toFixed(1)} (n=${o.n})`;

const srv = await startServer();
try {
  const body = fs.readFileSync(PROFILE);
  const up = await fetch(srv.url + '/api/v1/profiles?name=bench', { method: 'POST', body, headers: { 'Content-Type': 'application/octet-stream' } });
  const meta = await up.json();
  if (up.status !== 201) throw new Error('upload: ' + JSON.stringify(meta));
  const pageUrl = `${srv.url}/p/${meta.id}`;
  const api = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    await (await fetch(`${srv.url}/api/v1/profiles/${meta.id}/flamegraph`)).text();
    api.push(performance.now() - t0);
  }
  const cold = [], warm = [];
  let coldReq = 0, warmReq = 0, warmBytes = 0;
  for (let i = 0; i < RUNS; i++) {
    const browser = await launchBrowser();
    await browser.context.addInitScript(WATCH);
    const page = await browser.page();
    const c = await open(page, pageUrl);
    cold.push(c.first);
    coldReq = c.requests;
    const w = await open(page, pageUrl);
    warm.push(w.first);
    warmReq = w.requests;
    warmBytes = w.transferred;
    await browser.close();
  }
  const out = {
    profile: path.relative(REPO, PROFILE), samples: meta.samples, bin: BIN, web: WEB,
    api_flamegraph_ms: stats(api), cold_first_draw_ms: stats(cold), warm_first_draw_ms: stats(warm),
    cold_requests: coldReq, warm_requests: warmReq, warm_bytes_transferred: warmBytes,
  };
  console.log(`profile ${out.profile} (${meta.samples} samples), server ${BIN}, web ${WEB}`);
  console.log(`API /flamegraph:          ${fmt(out.api_flamegraph_ms)}`);
  console.log(`first draw, cold cache:   ${fmt(out.cold_first_draw_ms)}  (${coldReq} requests)`);
  console.log(`first draw, warm cache:   ${fmt(out.warm_first_draw_ms)}  (${warmReq} requests, ${warmBytes} bytes over the wire)`);
  console.log(JSON.stringify(out));
} finally {
  srv.stop();
}
