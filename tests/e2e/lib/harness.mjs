// harness.mjs: start a flamedex server and a headless Chromium for the e2e tests.
//
// Server: the real binary by default, $FLAMEDEX_BIN or build/server/flamedex
// from the repository root, run as
//   $FLAMEDEX_BIN --listen 127.0.0.1:PORT --db TMPDIR/f.db --web web
// and ready when GET /healthz answers 200. FLAMEDEX_MOCK=1 runs the node mock
// (mock-server.mjs) instead, for frontend work before the server exists.
// Browser: the system Chromium (/usr/bin/chromium or $CHROMIUM), never a
// downloaded one, with a fresh user data directory per launch.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const E2E_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPO = path.resolve(E2E_DIR, '..', '..');
export const CORPUS = process.env.FLAMEDEX_CORPUS || path.resolve(REPO, '..', 'shared', 'corpus');
export const SHOTS = path.join(E2E_DIR, 'screenshots');

/** Where a corpus file can be: tests/e2e/data/NAME, the shared corpus,
 *  or the copies kept in tests/data (so the suite runs without shared/). */
function corpusCandidates(rel) {
  return [path.join(E2E_DIR, 'data', rel.replace(/\//g, '__')), path.join(CORPUS, rel),
    path.join(REPO, 'tests', 'data', rel)];
}

export function hasCorpus(rel) {
  return corpusCandidates(rel).some((p) => fs.existsSync(p));
}

/** A corpus file from the first place that has it. */
export function corpusFile(rel) {
  const p = corpusCandidates(rel).find((c) => fs.existsSync(c));
  if (!p) throw new Error(`test input ${rel} not found (looked in tests/e2e/data, ${CORPUS} and tests/data)`);
  return p;
}

export function tmpDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitHealthy(url, proc, ms = 20000) {
  const t0 = Date.now();
  let last = '';
  while (Date.now() - t0 < ms) {
    if (proc && proc.exitCode !== null) throw new Error(`server exited with code ${proc.exitCode} before /healthz answered`);
    try {
      const r = await fetch(url + '/healthz');
      if (r.status === 200) return;
      last = 'status ' + r.status;
    } catch (e) { last = e.message; }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server at ${url} not healthy after ${ms} ms (${last})`);
}

/** Start a server on a free loopback port, with extra flags args. Returns {url, port, stop(), log()}. */
export async function startServer({ args = [] } = {}) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const webDir = path.join(REPO, 'web');
  if (process.env.FLAMEDEX_MOCK === '1') {
    const { createMockServer } = await import('../mock-server.mjs');
    const srv = createMockServer({ webDir });
    await new Promise((r) => srv.listen(port, '127.0.0.1', r));
    return { url, mock: true, log: () => '', stop: () => new Promise((r) => { srv.closeAllConnections?.(); srv.close(() => r()); }) };
  }
  const bin = process.env.FLAMEDEX_BIN || path.join(REPO, 'build', 'server', 'flamedex');
  if (!fs.existsSync(bin)) {
    throw new Error(`flamedex binary not found at ${bin}: build it first, set FLAMEDEX_BIN, or run with FLAMEDEX_MOCK=1`);
  }
  const dir = tmpDir('flamedex-e2e-');
  const logs = [];
  const proc = spawn(bin, ['--listen', `127.0.0.1:${port}`, '--db', path.join(dir, 'f.db'), '--web', webDir, ...args], {
    cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (b) => { logs.push(b.toString()); if (logs.length > 2000) logs.splice(0, 1000); };
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);
  try {
    await waitHealthy(url, proc);
  } catch (e) {
    proc.kill('SIGKILL');
    throw new Error(e.message + '\n' + logs.join('').slice(-3000));
  }
  return {
    url,
    port,
    mock: false,
    log: () => logs.join(''),
    stop: async () => {
      if (proc.exitCode === null) {
        const done = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
        await done;
        clearTimeout(t);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/**
 * A fresh browser (its own user data dir). Returns {context, page(), close()}.
 * Every page records CSP violations and uncaught errors in `problems`.
 */
export async function launchBrowser({ colorScheme = 'light', viewport = { width: 1440, height: 900 }, args = [] } = {}) {
  const dir = tmpDir('flamedex-chrome-');
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [...CHROMIUM_ARGS, ...args],
    viewport,
    colorScheme,
    deviceScaleFactor: 1,
  });
  const problems = [];
  const watch = (page) => {
    page.on('console', (msg) => {
      const t = msg.text();
      if (/Content.Security.Policy|Refused to (execute|apply|load)/i.test(t)) problems.push('CSP: ' + t);
    });
    page.on('pageerror', (err) => problems.push('page error: ' + err.message));
  };
  context.on('page', watch);
  for (const p of context.pages()) watch(p);
  return {
    context,
    problems,
    async page() {
      const existing = context.pages().find((p) => p.url() === 'about:blank');
      return existing || context.newPage();
    },
    async close() {
      await context.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Upload files through the home page's file picker; waits for each to finish. */
export async function uploadViaPicker(page, baseUrl, files, { name = '', labels = '' } = {}) {
  if (!page.url().startsWith(baseUrl + '/') || new URL(page.url()).pathname !== '/') {
    await page.goto(baseUrl + '/');
  }
  await page.waitForSelector('#file-input', { state: 'attached' });
  if (name) await page.fill('#upload-name', name);
  if (labels) await page.fill('#upload-labels', labels);
  const before = await page.locator('.upload-item').count();
  await page.setInputFiles('#file-input', files);
  const n = Array.isArray(files) ? files.length : 1;
  await page.waitForFunction(([b, k]) => {
    const items = [...document.querySelectorAll('.upload-item')];
    return items.length >= b + k && items.slice(0, k).every((li) => li.classList.contains('done') || li.classList.contains('failed'));
  }, [before, n], { timeout: 60000 });
}

/** Upload over the API (for setup that is not itself under test). */
export async function uploadViaApi(baseUrl, body, params = {}) {
  const q = new URLSearchParams(params).toString();
  const r = await fetch(`${baseUrl}/api/v1/profiles${q ? '?' + q : ''}`, {
    method: 'POST', body, headers: { 'Content-Type': 'application/octet-stream' },
  });
  const j = await r.json();
  if (r.status !== 201) throw new Error(`upload failed: ${r.status} ${JSON.stringify(j)}`);
  return j;
}

/** Wait until the main flame graph has drawn; returns its dataset. */
export async function waitFlame(page, selector = '#view-flame canvas.flame-canvas') {
  await page.waitForSelector(selector + '[data-ready="1"]', { timeout: 30000, state: 'attached' });
  // and nothing else loading (tags, for instance) that could still move the layout
  await page.waitForSelector('.views.loading', { state: 'detached', timeout: 30000 }).catch(() => {});
  return page.$eval(selector, (c) => ({ ...c.dataset }));
}

/**
 * Centre (at most 100 px in) of the laid-out frame named `name` in the flame
 * graph canvas `selector`, in page coordinates, with its width; null when
 * no such frame is drawn.
 */
export function frameAt(page, selector, name) {
  return page.$eval(selector, (c, name) => {
    const fg = c.flamegraph, box = c.getBoundingClientRect();
    for (let row = 0; row < fg.lay.levels; row++) {
      const r = fg.lay.rows[row];
      for (let k = 0; k < r.x.length; k++) {
        if (r.node[k] >= 0 && fg.model.nameOf(r.node[k]) === name) {
          const y = fg.flame ? fg.height - (row + 0.5) * 18 : (row + 0.5) * 18;
          return { x: box.left + r.x[k] + Math.min(r.w[k] / 2, 100), y: box.top + y, w: r.w[k] };
        }
      }
    }
    return null;
  }, name);
}

/** Count canvas pixels that differ from the top-left background pixel. */
export function paintedPixels(page, selector = '#view-flame canvas.flame-canvas') {
  return page.$eval(selector, (c) => {
    const ctx = c.getContext('2d');
    const { data } = ctx.getImageData(0, 0, c.width, c.height);
    // the theme's canvas background, resolved to RGB through a scratch canvas
    const probe = document.createElement('canvas').getContext('2d');
    probe.fillStyle = getComputedStyle(c).getPropertyValue('--canvas-bg').trim() || '#fff';
    probe.fillRect(0, 0, 1, 1);
    const [r0, g0, b0] = probe.getImageData(0, 0, 1, 1).data;
    let n = 0, colours = new Set();
    for (let i = 0; i < data.length; i += 16) {
      if (Math.abs(data[i] - r0) + Math.abs(data[i + 1] - g0) + Math.abs(data[i + 2] - b0) > 30) {
        n++;
        if (colours.size < 64) colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
      }
    }
    return { painted: n, sampled: data.length / 16, colours: colours.size, width: c.width, height: c.height };
  });
}

export function shot(page, name, opts = {}) {
  fs.mkdirSync(SHOTS, { recursive: true });
  return page.screenshot({ path: path.join(SHOTS, name + '.png'), ...opts });
}
