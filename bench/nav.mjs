// bench/nav.mjs: navigation to a drawn flame graph of large profiles in
// headless Chromium, flamedex beside `go tool pprof -http` and speedscope on
// the same file (issue 12). A benchmark, not a test: it prints figures
// (docs/BENCHMARKS.md) and asserts nothing about them.
//
//   node bench/nav.mjs [--runs N] [--pprof-runs N] [--speedscope-runs N]
//                      [--timeout S] [--only flamedex,pprof,speedscope]
//                      [--json OUT] [--shots DIR] FILE...
//
// --shots DIR keeps a screenshot of every page at its draw (to check that
// what was timed is the flame graph).
//
// Needs playwright-core (tests/e2e: `npm ci` there), /usr/bin/chromium (or
// $CHROMIUM) and, for the speedscope column, `npm ci` in bench/nav/; `go`
// for the pprof column. Exits 0 with a message (status 0) when chromium or
// playwright-core is missing, so `make bench` can call it unconditionally;
// a missing speedscope or go only drops that column.
//
// What is timed (performance.now() in the page: ms since navigation start):
// - flamedex: /p/ID until the flame canvas gets data-ready="1" (a
//   MutationObserver installed before the page's scripts). "upload": a fresh
//   browser right after the upload; "cold server": the server restarted on
//   the same database (empty caches), fresh browser; "cold browser": fresh
//   browser, warm server; "warm": the same page opened again in that
//   browser (HTTP cache, ETag revalidation).
// - pprof: `go tool pprof -http=127.0.0.1:PORT -no_browser FILE` started and
//   serving (its start-up, which parses the file, is printed apart), then
//   /ui/flamegraph until d3-flame-graph's svg (#chart svg.d3-flame-graph)
//   holds its first frame (g rect; d3's 750 ms
//   transition that then grows the frames is not counted). pprof builds the report per request, so each
//   navigation pays the whole tree.
// - speedscope: its release files (npm "speedscope", bench/nav/) and the
//   file served by a static node server; index.html#profileURL=... until
//   the first WebGL draw call (drawElements/drawArrays, hooked before the
//   page's scripts) once the profile has loaded. speedscope reads pprof's
//   gzipped profile.proto itself; the same .pb.gz bytes are given to it.
// Bytes: the sum of transferSize (headers + encoded body, what crossed the
// wire; 0 for a cache hit) over the navigation and every resource, and of
// decodedBodySize (after Content-Encoding), at the moment of the draw.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const opts = {};
const files = [];
for (let i = 0; i < argv.length; i++) {
  if (argv[i].startsWith('--')) opts[argv[i].slice(2)] = argv[++i];
  else files.push(argv[i]);
}
const RUNS = Number(opts.runs || 5);
const PPROF_RUNS = Number(opts['pprof-runs'] ?? 3);
const SS_RUNS = Number(opts['speedscope-runs'] ?? 1);
const TIMEOUT = Number(opts.timeout || 240) * 1000;
const ONLY = new Set((opts.only || 'flamedex,pprof,speedscope').split(','));
const BIN = process.env.FLAMEDEX_BIN || path.join(REPO, 'build', 'server', 'flamedex');
const WEB = process.env.FLAMEDEX_WEB || path.join(REPO, 'web');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SS_DIR = path.join(REPO, 'bench', 'nav', 'node_modules', 'speedscope', 'dist', 'release');

function skip(msg) {
  console.log(`bench nav: skipped: ${msg}`);
  process.exit(0);
}
if (!fs.existsSync(CHROMIUM)) skip(`no chromium at ${CHROMIUM} (set CHROMIUM)`);
let launchBrowser;
try {
  createRequire(path.join(REPO, 'tests', 'e2e', 'package.json')).resolve('playwright-core');
  ({ launchBrowser } = await import(pathToFileURL(path.join(REPO, 'tests', 'e2e', 'lib', 'harness.mjs'))));
} catch (e) {
  skip(`playwright-core not installed (run npm ci in tests/e2e): ${e.message.split('\n')[0]}`);
}
if (!fs.existsSync(BIN)) skip(`no server binary at ${BIN}`);
if (files.length === 0) skip('no profile files given');
const haveSS = fs.existsSync(path.join(SS_DIR, 'index.html'));
if (ONLY.has('speedscope') && !haveSS) console.log('bench nav: no speedscope column: run npm ci in bench/nav/');
const haveGo = await new Promise((r) => {
  const p = spawn('go', ['version'], { stdio: 'ignore' });
  p.on('error', () => r(false));
  p.on('exit', (c) => r(c === 0));
});
if (ONLY.has('pprof') && !haveGo) console.log('bench nav: no pprof column: go not found');

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitUrl(url, proc, ms) {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (proc.exitCode !== null) throw new Error(`${url}: process exited (${proc.exitCode})`);
    try { const r = await fetch(url); await r.arrayBuffer(); if (r.status < 500) return; } catch (_) { /* not yet */ }
    await sleep(50);
  }
  throw new Error(`${url} not up after ${ms} ms`);
}

async function flamedexServer(db) {
  const port = await freePort();
  const proc = spawn(BIN, ['--listen', `127.0.0.1:${port}`, '--db', db, '--web', WEB], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  await waitUrl(url + '/healthz', proc, 60000);
  return {
    url,
    stop: () => new Promise((r) => { proc.once('exit', r); proc.kill('SIGTERM'); }),
  };
}

// Installed before the page's own scripts: records performance.now() when
// what each tool draws first appears.
const WATCH = () => {
  window.__drawn = null;
  const done = () => { if (window.__drawn === null) window.__drawn = performance.now(); };
  // flamedex: the flame canvas marked ready.
  new MutationObserver((muts, obs) => {
    for (const m of muts) {
      const t = m.target;
      if (t.matches && t.matches('#view-flame canvas.flame-canvas') && t.dataset.ready === '1') { done(); obs.disconnect(); return; }
    }
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-ready'] });
  // pprof: d3-flame-graph's first frame in #chart.
  if (location.pathname.startsWith('/ui/')) {
    new MutationObserver((muts, obs) => {
      if (document.querySelector('#chart svg.d3-flame-graph g rect')) { done(); obs.disconnect(); }
    }).observe(document, { subtree: true, childList: true });
  }
  // speedscope: the first WebGL draw once the profile is in (the title
  // names it, "NAME - speedscope").
  for (const C of [window.WebGLRenderingContext, window.WebGL2RenderingContext]) {
    if (!C) continue;
    for (const fn of ['drawElements', 'drawArrays']) {
      const orig = C.prototype[fn];
      C.prototype[fn] = function (...a) {
        if (window.__ssLoaded && window.__ssLoaded()) done();
        return orig.apply(this, a);
      };
    }
  }
  window.__ssLoaded = () => / - speedscope$/.test(document.title);
};

let shotN = 0;
async function open(page, url) {
  await page.goto(url, { timeout: TIMEOUT, waitUntil: 'commit' });
  await page.waitForFunction(() => window.__drawn !== null, null, { timeout: TIMEOUT, polling: 20 });
  if (opts.shots) {
    fs.mkdirSync(opts.shots, { recursive: true });
    await page.screenshot({ path: path.join(opts.shots, `${String(++shotN).padStart(3, '0')}.png`) });
  }
  return page.evaluate(() => {
    const es = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
    return {
      ms: window.__drawn,
      requests: es.length,
      wire: es.reduce((a, e) => a + (e.transferSize || 0), 0),
      decoded: es.reduce((a, e) => a + (e.decodedBodySize || 0), 0),
      // flamedex only: where the time went (ms since navigation start).
      // doc: the HTML received; fg*: the flame graph request (sent,
      // first byte, last byte); app: the page had the data in hand
      // (draw minus received-to-drawn); scripts: the last module loaded.
      split: (() => {
        const c = document.querySelector('#view-flame canvas.flame-canvas');
        const fg = es.find((e) => /\/api\/v1\/profiles\/[^/]+\/flamegraph/.test(e.name));
        if (!c || !fg) return null;
        const js = es.filter((e) => /\.js$/.test(e.name));
        return {
          doc: es[0].responseEnd,
          scripts: Math.max(0, ...js.map((e) => e.responseEnd)),
          fgStart: fg.startTime, fgSent: fg.requestStart, fgFirstByte: fg.responseStart, fgEnd: fg.responseEnd,
          fgWire: fg.transferSize, fgDecoded: fg.decodedBodySize,
          app: window.__drawn - Number(c.dataset.firstDrawMs || 0),
          parseToDraw: Number(c.dataset.firstDrawMs || 0), draw: Number(c.dataset.drawMs || 0),
        };
      })(),
    };
  });
}

async function browse(fn) {
  const b = await launchBrowser({ args: ['--enable-unsafe-swiftshader'] });
  try {
    await b.context.addInitScript(WATCH);
    const page = await b.page();
    return await fn(page);
  } finally {
    await b.close();
  }
}

const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const summary = (rs) => ({
  n: rs.length,
  ms: median(rs.map((r) => r.ms)),
  min: Math.min(...rs.map((r) => r.ms)),
  max: Math.max(...rs.map((r) => r.ms)),
  wire: median(rs.map((r) => r.wire)),
  decoded: median(rs.map((r) => r.decoded)),
  requests: median(rs.map((r) => r.requests)),
  split: rs.every((r) => r.split)
    ? Object.fromEntries(Object.keys(rs[0].split).map((k) => [k, median(rs.map((r) => r.split[k]))])) : null,
});

async function benchFlamedex(file) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flamedex-nav-'));
  const db = path.join(dir, 'f.db');
  const res = { upload: [], coldServer: [], coldBrowser: [], warm: [] };
  try {
    let srv = await flamedexServer(db);
    const t0 = performance.now();
    const up = await fetch(srv.url + '/api/v1/profiles?name=' + encodeURIComponent(path.basename(file)),
      { method: 'POST', body: fs.readFileSync(file), headers: { 'Content-Type': 'application/octet-stream' } });
    const meta = await up.json();
    res.uploadMs = performance.now() - t0;
    if (up.status !== 201) throw new Error('upload: ' + JSON.stringify(meta));
    res.samples = meta.samples;
    const pagePath = `/p/${meta.id}`;
    res.upload.push(await browse((page) => open(page, srv.url + pagePath)));
    for (let i = 0; i < RUNS; i++) {
      await srv.stop();
      srv = await flamedexServer(db);
      res.coldServer.push(await browse((page) => open(page, srv.url + pagePath)));
      await browse(async (page) => {
        res.coldBrowser.push(await open(page, srv.url + pagePath));
        res.warm.push(await open(page, srv.url + pagePath));
      });
    }
    // The API alone, warm: the flame graph request as the page makes it.
    const api = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      await (await fetch(`${srv.url}/api/v1/profiles/${meta.id}/flamegraph`, { headers: { 'Accept-Encoding': 'gzip' } })).arrayBuffer();
      api.push(performance.now() - t);
    }
    res.apiMs = median(api);
    await srv.stop();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return res;
}

async function benchPprof(file) {
  const out = { start: [], nav: [] };
  for (let i = 0; i < PPROF_RUNS; i++) {
    const port = await freePort();
    const t0 = performance.now();
    const proc = spawn('go', ['tool', 'pprof', `-http=127.0.0.1:${port}`, '-no_browser', file],
      { stdio: 'ignore', env: { ...process.env, PPROF_TMPDIR: os.tmpdir() } });
    try {
      // Serving once its HTTP server answers; /ui/top would do the work,
      // so poll a path it does not know (404 is fast).
      await waitUrl(`http://127.0.0.1:${port}/ui/nothing-here`, proc, TIMEOUT);
      out.start.push(performance.now() - t0);
      out.nav.push(await browse((page) => open(page, `http://127.0.0.1:${port}/ui/flamegraph`)));
    } catch (e) {
      out.error = e.message.split('\n')[0];
      break;
    } finally {
      await new Promise((r) => { if (proc.exitCode !== null) return r(); proc.once('exit', r); proc.kill('SIGTERM'); });
    }
  }
  return out;
}

function staticServer(extra) {
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.json': 'application/json', '.png': 'image/png', '.woff2': 'font/woff2' };
  const srv = http.createServer((req, res) => {
    const u = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const p = u === '/profile' ? extra : path.join(SS_DIR, path.normalize(u === '/' ? '/index.html' : u));
    if (u !== '/profile' && !p.startsWith(SS_DIR)) { res.writeHead(403); return res.end(); }
    fs.readFile(p, (err, data) => {
      if (err) { res.writeHead(404); return res.end(); }
      res.writeHead(200, { 'Content-Type': types[path.extname(p)] || 'application/octet-stream', 'Content-Length': data.length });
      res.end(data);
    });
  });
  return new Promise((r) => srv.listen(0, '127.0.0.1', () => r({ url: `http://127.0.0.1:${srv.address().port}`, close: () => srv.close() })));
}

async function benchSpeedscope(file) {
  const out = { nav: [] };
  const srv = await staticServer(file);
  try {
    for (let i = 0; i < SS_RUNS; i++) {
      const u = `${srv.url}/index.html#profileURL=${encodeURIComponent(srv.url + '/profile')}&title=${encodeURIComponent(path.basename(file))}`;
      try {
        out.nav.push(await browse((page) => open(page, u)));
      } catch (e) {
        out.error = e.message.split('\n')[0];
        break;
      }
    }
  } finally {
    srv.close();
  }
  return out;
}

const fms = (x) => (Number.isFinite(x) ? (x >= 10000 ? `${(x / 1000).toFixed(1)} s` : `${Math.round(x)} ms`) : '—');
const fkb = (x) => (Number.isFinite(x) ? `${(x / 1024).toFixed(0)} KB` : '—');
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(1)}x` : '—');

const load = () => os.loadavg().map((x) => x.toFixed(1)).join(' ');
console.log(`bench nav: ${new Date().toISOString()}, ${os.cpus().length} CPUs, load ${load()}; runs ${RUNS} (pprof ${PPROF_RUNS}, speedscope ${SS_RUNS})`);
const results = [];
for (const file of files) {
  if (!fs.existsSync(file)) { console.log(`bench nav: ${file}: missing, skipped`); continue; }
  const r = { file, bytes: fs.statSync(file).size, loadBefore: os.loadavg()[0] };
  if (ONLY.has('flamedex')) {
    const f = await benchFlamedex(file);
    r.samples = f.samples;
    r.uploadMs = f.uploadMs;
    r.apiMs = f.apiMs;
    for (const k of ['upload', 'coldServer', 'coldBrowser', 'warm']) r[k] = summary(f[k]);
  }
  if (ONLY.has('pprof') && haveGo) {
    const p = await benchPprof(file);
    r.pprofStart = median(p.start);
    r.pprof = p.nav.length ? summary(p.nav) : null;
    r.pprofError = p.error;
  }
  if (ONLY.has('speedscope') && haveSS) {
    const s = await benchSpeedscope(file);
    r.speedscope = s.nav.length ? summary(s.nav) : null;
    r.speedscopeError = s.error;
  }
  r.loadAfter = os.loadavg()[0];
  results.push(r);
  const base = r.coldBrowser?.ms;
  console.log(`\n${path.basename(file)} (${fkb(r.bytes)} on disk, ${r.samples ?? '?'} samples; load ${r.loadBefore.toFixed(1)} -> ${r.loadAfter.toFixed(1)})`);
  if (r.coldBrowser) {
    console.log(`  flamedex upload ${fms(r.uploadMs)}, API /flamegraph warm ${fms(r.apiMs)}`);
    for (const [k, label] of [['upload', 'after upload'], ['coldServer', 'cold server'], ['coldBrowser', 'cold browser'], ['warm', 'warm']]) {
      const s = r[k];
      console.log(`  flamedex ${label.padEnd(13)} ${fms(s.ms).padStart(8)} (min ${fms(s.min)}, max ${fms(s.max)}, n=${s.n})  wire ${fkb(s.wire)} (decoded ${fkb(s.decoded)}, ${s.requests} requests)`);
      const x = s.split;
      if (x) {
        console.log(`    where: html ${fms(x.doc)}, scripts ${fms(x.scripts)}; /flamegraph asked ${fms(x.fgStart)}, sent ${fms(x.fgSent)}, first byte ${fms(x.fgFirstByte)} (server ${fms(x.fgFirstByte - x.fgSent)}), last byte ${fms(x.fgEnd)} (${fkb(x.fgWire)} on the wire, ${fkb(x.fgDecoded)} JSON); app has it ${fms(x.app)}, JSON+model+draw ${fms(x.parseToDraw)} (draw ${fms(x.draw)})`);
      }
    }
  }
  if (r.pprof || r.pprofError) {
    console.log(`  pprof -http   start ${fms(r.pprofStart)}, /ui/flamegraph ${fms(r.pprof?.ms)} (n=${r.pprof?.n ?? 0})  wire ${fkb(r.pprof?.wire)}  = ${ratio(r.pprof?.ms, base)} flamedex cold browser${r.pprofError ? '  error: ' + r.pprofError : ''}`);
  }
  if (r.speedscope || r.speedscopeError) {
    console.log(`  speedscope    ${fms(r.speedscope?.ms)} (n=${r.speedscope?.n ?? 0})  wire ${fkb(r.speedscope?.wire)}  = ${ratio(r.speedscope?.ms, base)} flamedex cold browser${r.speedscopeError ? '  error: ' + r.speedscopeError : ''}`);
  }
}

// One markdown table for docs/BENCHMARKS.md.
console.log('\n| file | flamedex after upload | cold server | cold browser | warm | wire cold / warm | pprof -http (start + nav) | pprof / flamedex | speedscope | speedscope / flamedex |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const r of results) {
  const base = r.coldBrowser?.ms;
  console.log(`| ${path.basename(r.file)} | ${fms(r.upload?.ms)} | ${fms(r.coldServer?.ms)} | ${fms(r.coldBrowser?.ms)} | ${fms(r.warm?.ms)} | ${fkb(r.coldBrowser?.wire)} / ${fkb(r.warm?.wire)} | ${fms(r.pprofStart)} + ${fms(r.pprof?.ms)} | ${ratio(r.pprof?.ms, base)} | ${fms(r.speedscope?.ms)} | ${ratio(r.speedscope?.ms, base)} |`);
}
if (opts.json) fs.writeFileSync(opts.json, JSON.stringify({ date: new Date().toISOString(), load: os.loadavg(), results }, null, 1));
