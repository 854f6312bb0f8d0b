// bench/timeline/draw.mjs: navigation to a drawn timeline (/s) of a long
// series in headless Chromium (issue 13: "the timeline of a series of
// 10,000 profiles draws within 1 s"). A benchmark, not a test: it prints
// JSON figures (bench/timeline/run.py makes the series and the table).
//
//   node bench/timeline/draw.mjs --url BASE --path /s?... --points N
//                                [--runs R] [--shots DIR]
//
// What is timed (performance.now() in the page, ms since navigation
// start): until the chart (#tl-svg) draws N points (its data-points; with
// fn=, also a function's line), seen by a
// MutationObserver installed before the page's scripts; then until the
// next animation frame after that (the first paint that can show it).
// "cold browser": a fresh browser (empty HTTP cache) each run; "warm":
// the same page opened again in that browser. Also the timeline request's
// own time (performance resource timing) and the bytes it carried.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const argv = process.argv.slice(2);
const opts = {};
for (let i = 0; i < argv.length; i++) if (argv[i].startsWith('--')) opts[argv[i].slice(2)] = argv[++i];
const RUNS = Number(opts.runs || 5);
const N = Number(opts.points);
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

function skip(msg) {
  console.log(JSON.stringify({ skipped: msg }));
  process.exit(0);
}
if (!fs.existsSync(CHROMIUM)) skip(`no chromium at ${CHROMIUM}`);
let launchBrowser;
try {
  createRequire(path.join(REPO, 'tests', 'e2e', 'package.json')).resolve('playwright-core');
  ({ launchBrowser } = await import(pathToFileURL(path.join(REPO, 'tests', 'e2e', 'lib', 'harness.mjs'))));
} catch (e) {
  skip(`playwright-core not installed (npm ci in tests/e2e): ${e.message.split('\n')[0]}`);
}
if (!opts.url || !opts.path || !(N > 0)) {
  console.error('usage: draw.mjs --url BASE --path /s?... --points N');
  process.exit(2);
}

const WATCH = (n) => {
  window.__drawn = null;
  window.__painted = null;
  new MutationObserver((muts, obs) => {
    const svg = document.getElementById('tl-svg');
    if (svg && Number(svg.dataset.points) >= n && (!/[?&]fn=/.test(location.search) || svg.querySelector('.tl-fnline'))) {
      window.__drawn = performance.now();
      obs.disconnect();
      requestAnimationFrame(() => { window.__painted = performance.now(); });
    }
  }).observe(document, { subtree: true, childList: true });
};

let shot = 0;
async function open(page) {
  await page.goto(opts.url + opts.path, { waitUntil: 'commit', timeout: 120000 });
  await page.waitForFunction(() => window.__painted !== null, null, { timeout: 120000, polling: 20 });
  if (opts.shots) {
    fs.mkdirSync(opts.shots, { recursive: true });
    await page.screenshot({ path: path.join(opts.shots, `timeline-${++shot}.png`), fullPage: true });
  }
  return page.evaluate(() => {
    const es = performance.getEntriesByType('resource');
    const tl = es.filter((e) => /\/api\/v1\/(timeline|functions)\?/.test(e.name));
    return {
      drawn: window.__drawn,
      painted: window.__painted,
      points: Number(document.getElementById('tl-svg').dataset.points),
      mode: document.getElementById('tl-svg').dataset.mode,
      circles: document.querySelectorAll('#tl-svg circle').length,
      api: tl.map((e) => ({ what: /timeline/.test(e.name) ? 'timeline' : 'functions', start: e.startTime, end: e.responseEnd, wire: e.transferSize, decoded: e.decodedBodySize })),
    };
  });
}

const cold = [], warm = [];
for (let r = 0; r < RUNS; r++) {
  const b = await launchBrowser();
  try {
    await b.context.addInitScript(WATCH, N);
    const page = await b.page();
    cold.push(await open(page));
    warm.push(await open(page));
  } finally {
    await b.close();
  }
}
console.log(JSON.stringify({ path: opts.path, points: N, cold, warm }));
