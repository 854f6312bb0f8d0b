// Granularity and the frame menu together, on a real CPU profile of
// tests/progs/cpuprof made at test time, checked against `go tool pprof`
// itself (not only the API): Top at gran=lines shows the rows, flats and
// inline markers of `go tool pprof -top -lines`; at gran=files one row per
// file with `-top -files`'s flat; the menu of a frame printed at lines
// filters on its function (pprof applies -focus to functions and files
// before it aggregates), so Focus gives `-top -lines -focus=^F$`'s rows and
// stays at lines; at files it filters on the file; its "Line table" entry
// opens the Lines view, whose numbers are `go tool pprof -list`'s; Peek
// takes the printed name. Screenshots, light and dark: Top at lines, the
// Lines view of a function, the menu open over a frame at lines
// (screenshots/granmenu-*.png; with UPDATE_DOCS_IMG=1 also docs/img/
// views-top-lines-*.png, views-list-*.png, views-menu-*.png).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, launchBrowser, uploadViaApi, waitFlame, frameAt, shot, tmpDir, REPO } from './lib/harness.mjs';
import { formatValue } from '../../web/js/format.js';
import { regexEscape } from '../../web/js/api.js';

const SEL = '#view-flame canvas.flame-canvas';
const DOCS = path.join(REPO, 'docs', 'img');
const UNIT = 'nanoseconds';
let srv, prof, file, env;

before(async () => {
  const dir = tmpDir('granmenu');
  env = { ...process.env, GO111MODULE: 'off', GOFLAGS: '', GOCACHE: process.env.GOCACHE || path.join(dir, 'gocache'), GOPATH: path.join(dir, 'gopath') };
  const exe = path.join(dir, 'cpuprof');
  execFileSync('go', ['build', '-o', exe, './cpuprof'], { cwd: path.join(REPO, 'tests', 'progs'), env, stdio: 'pipe' });
  file = path.join(dir, 'cpu.pb.gz');
  execFileSync(exe, [file], { env, stdio: 'pipe' });
  srv = await startServer();
  prof = await uploadViaApi(srv.url, fs.readFileSync(file), { name: 'tests/progs/cpuprof' });
});

after(async () => {
  if (srv) await srv.stop();
});

function pprof(...args) {
  return execFileSync('go', ['tool', 'pprof', '-unit=ns', ...args, file], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

const ns = (s) => (s === '0' ? 0 : Number(s.replace(/ns$/, '')));

/** The rows of `go tool pprof -top ARGS`: [{name, flat, cum}] in its order (name with its " (inline)" marker). */
function pprofTop(...args) {
  const out = [];
  for (const line of pprof('-top', '-nodefraction=0', '-nodecount=100000', ...args).split('\n')) {
    const m = /^\s*(\S+)\s+\S+%\s+\S+%\s+(\S+)\s+\S+%\s+(.+)$/.exec(line);
    if (m && m[1] !== 'flat') out.push({ name: m[3], flat: ns(m[1]), cum: ns(m[2]) });
  }
  assert.ok(out.length, 'pprof printed rows');
  return out;
}

/** `go tool pprof -top -files ARGS`, flat summed per file, sorted as the server sorts (flat, then name). */
function filesTop(...args) {
  const files = new Map();
  for (const r of pprofTop('-files', ...args)) files.set(r.name, (files.get(r.name) || 0) + r.flat);
  return [...files].map(([name, flat]) => ({ name, flat }))
    .sort((a, b) => Math.abs(b.flat) - Math.abs(a.flat) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** `go tool pprof -list RE`: [{function, file, flat, cum, lines: [[line, flat, cum]]}], numbered lines with a value. */
function pprofList(re) {
  const out = [];
  for (const line of pprof('-list', re).split('\n')) {
    let m = /^ROUTINE =+ (.+) in (.+)$/.exec(line);
    if (m) { out.push({ function: m[1], file: m[2], lines: [] }); continue; }
    m = /^\s*(\S+)\s+(\S+) \(flat, cum\)/.exec(line);
    if (m) { Object.assign(out[out.length - 1], { flat: ns(m[1]), cum: ns(m[2]) }); continue; }
    m = /^\s*(\S+)\s+(\S+)\s+(\d+):/.exec(line);
    if (m && (m[1] !== '.' || m[2] !== '.')) out[out.length - 1].lines.push([Number(m[3]), m[1] === '.' ? 0 : ns(m[1]), m[2] === '.' ? 0 : ns(m[2])]);
  }
  return out;
}

/** The Top table as shown: [{name (with the inline marker), flat, cum}] (flat and cum as printed). */
function shownTop(page) {
  return page.$$eval('#view-top tbody tr', (trs) => trs.map((tr) => ({
    name: tr.querySelector('td.fn').textContent,
    flat: tr.children[0].textContent,
    cum: tr.children[3].textContent,
  })));
}

const asShown = (rows) => rows.map((r) => ({ name: r.name, flat: formatValue(r.flat, UNIT), cum: formatValue(r.cum, UNIT) }));
const param = (page, k) => new URL(page.url()).searchParams.get(k);

async function docsShot(page, name) {
  if (process.env.UPDATE_DOCS_IMG !== '1') return;
  fs.mkdirSync(DOCS, { recursive: true });
  await page.screenshot({ path: path.join(DOCS, name + '.png') });
}

async function rowMenu(page, name) {
  const row = page.locator(`#view-top tr[data-fn="${name.replace(/"/g, '\\"')}"]`);
  await row.waitFor();
  await row.click({ button: 'right' });
  await page.waitForSelector('#frame-menu:not([hidden])');
  assert.equal(await page.textContent('#frame-menu .ctx-title'), name);
}

async function pick(page, action) {
  await page.click(`#frame-menu .ctx-item[data-action="${action}"]`);
  await page.waitForSelector('#frame-menu', { state: 'hidden' });
}

/** Wait until the Top table shows `want` (rows as shown). */
async function topIs(page, want) {
  await page.waitForFunction((n) => document.querySelectorAll('#view-top tbody tr').length === n && !document.querySelector('.views.loading'), want.length);
  assert.deepEqual(await shownTop(page), want);
}

for (const scheme of ['light', 'dark']) {
  test(`Top at lines and files is go tool pprof -top -lines / -files; the menu filters on the function or file (${scheme})`, { timeout: 180000 }, async () => {
    const browser = await launchBrowser({ colorScheme: scheme, viewport: { width: 1440, height: 900 } });
    try {
      const page = await browser.page();
      const base = `${srv.url}/p/${prof.id}`;

      // lines: every row, its flat, cum and inline marker as pprof prints them
      await page.goto(base + '?view=top&gran=lines');
      const lines = pprofTop('-lines');
      await topIs(page, asShown(lines));
      assert.ok(lines.some((r) => r.name.endsWith(' (inline)')), 'cpuprof has inlined frames (main.mix, main.square)');
      assert.equal(await page.$eval('#gran', (s) => s.value), 'lines');
      await shot(page, `granmenu-top-lines-${scheme}`);
      await docsShot(page, `views-top-lines-${scheme}`);

      // the menu of a row printed at lines: Focus filters on its function, at lines still
      const row = lines.find((r) => r.name.startsWith('main.') && !r.name.endsWith(' (inline)') && r.cum > 0);
      const fn = row.name.slice(0, row.name.indexOf(' '));
      await rowMenu(page, row.name);
      const items = await page.$$eval('#frame-menu .ctx-item', (b) => b.map((x) => x.dataset.action));
      assert.deepEqual(items, ['focus', 'ignore', 'hide', 'show_from', 'peek', 'list', 'collapse', 'merge', 'copy']);
      await pick(page, 'focus');
      const re = '^' + regexEscape(fn) + '$';
      await page.waitForFunction((re) => new URL(location.href).searchParams.get('focus') === re, re);
      assert.equal(param(page, 'gran'), 'lines');
      assert.equal(param(page, 'view'), 'top');
      await topIs(page, asShown(pprofTop('-lines', '-focus=' + re)));

      // ... Ignore and Hide too (alternatives of the function, not of the line)
      await page.goto(base + '?view=top&gran=lines');
      await rowMenu(page, row.name);
      await pick(page, 'ignore');
      await page.waitForFunction((re) => new URL(location.href).searchParams.get('ignore') === re, re);
      await topIs(page, asShown(pprofTop('-lines', '-ignore=' + re)));
      await page.goto(base + '?view=top&gran=lines');
      await rowMenu(page, row.name);
      await pick(page, 'hide');
      await page.waitForFunction((re) => new URL(location.href).searchParams.get('hide') === re, re);
      await topIs(page, asShown(pprofTop('-lines', '-hide=' + re)));

      // Peek takes the printed name (peek matches the view's names, as -peek does)
      await page.goto(base + '?view=top&gran=lines');
      await rowMenu(page, row.name);
      await pick(page, 'peek');
      await page.waitForFunction(() => new URL(location.href).searchParams.get('view') === 'peek');
      assert.equal(param(page, 'peek'), '^' + regexEscape(row.name) + '$');
      assert.equal(param(page, 'gran'), 'lines');
      await page.waitForFunction((n) => document.querySelector('#view-peek').textContent.includes(n), row.name);

      // files: one row per file, the flat of pprof -files summed per file
      // (pprof keeps a node per file and function start line, flamedex per file)
      await page.goto(base + '?view=top&gran=files');
      await page.waitForSelector('#view-top tbody tr');
      const want = filesTop();
      const shownFiles = async (n) => {
        await page.waitForFunction((n) => document.querySelectorAll('#view-top tbody tr').length === n && !document.querySelector('.views.loading'), n);
        return (await shownTop(page)).map((r) => ({ name: r.name, flat: r.flat }));
      };
      assert.deepEqual(await shownFiles(want.length), want.map((r) => ({ name: r.name, flat: formatValue(r.flat, UNIT) })));
      assert.equal(await page.locator('#view-top .list-btn').count(), 0, 'a file has no line table');
      // the menu of a file: Focus on the file (the filters match files as pprof's do); no Lines, no Merge
      // a file that some samples lack, so that focusing on it drops
      // something (which file that is depends on the run: an assembly file
      // when one has samples, else the first go tool pprof says is one)
      const sum = (rs) => rs.reduce((a, r) => a + r.flat, 0);
      const candidates = [...want.filter((r) => r.name.endsWith('.s')), ...want.filter((r) => !r.name.endsWith('.s'))];
      const rt = candidates.find((r) => sum(filesTop('-focus=^' + regexEscape(r.name) + '$')) < sum(want));
      assert.ok(rt, 'every file is in every sample: nothing to focus on');
      await rowMenu(page, rt.name);
      assert.equal(await page.$eval('#frame-menu .ctx-item[data-action="list"]', (b) => b.disabled), true);
      assert.equal(await page.$eval('#frame-menu .ctx-item[data-action="merge"]', (b) => b.disabled), true);
      await pick(page, 'focus');
      const fre = '^' + regexEscape(rt.name) + '$';
      await page.waitForFunction((re) => new URL(location.href).searchParams.get('focus') === re, fre);
      const focused = filesTop('-focus=' + fre);
      await page.waitForFunction((n) => {
        const t = document.querySelector('#view-top tbody tr td.fn');
        return t && t.textContent === n;
      }, focused[0].name);
      assert.deepEqual(await shownFiles(focused.length), focused.map((r) => ({ name: r.name, flat: formatValue(r.flat, UNIT) })));
      assert.ok(sum(focused) < sum(want), 'the focus on one file drops the samples without it');
      assert.deepEqual(browser.problems, []);
    } finally {
      await browser.close();
    }
  });

  test(`the frame menu at lines opens the Lines view, with go tool pprof -list's numbers (${scheme})`, { timeout: 180000 }, async () => {
    const browser = await launchBrowser({ colorScheme: scheme, viewport: { width: 1440, height: 900 } });
    try {
      const page = await browser.page();
      await page.goto(`${srv.url}/p/${prof.id}?gran=lines`);
      await waitFlame(page, SEL);
      // the frame of main.handleA at the line that calls hashLoop (the function always runs both halves)
      const names = await page.$eval(SEL, (c) => c.flamegraph.model.names.slice());
      const frame = names.filter((n) => n.startsWith('main.handleA ')).sort()[0];
      assert.ok(frame, 'main.handleA is drawn at lines: ' + names.join(', '));
      const f = await frameAt(page, SEL, frame);
      await page.mouse.click(f.x, f.y, { button: 'right' });
      await page.waitForSelector('#frame-menu:not([hidden])');
      assert.equal(await page.textContent('#frame-menu .ctx-title'), frame);
      await shot(page, `granmenu-menu-${scheme}`);
      await docsShot(page, `views-menu-${scheme}`);
      await page.keyboard.press('l');
      await page.waitForSelector('#frame-menu', { state: 'hidden' });
      await page.waitForFunction(() => new URL(location.href).searchParams.get('view') === 'list');
      assert.equal(param(page, 'list'), '^main\\.handleA$');
      await page.waitForSelector('#list-body section.list-fn');

      // the function of the flame graph with the most lines, listed from the Lines field: pprof -list's numbers
      const re = '^main\\.(fib|handleA|hashLoop|odd|even)$';
      const want = pprofList(re);
      assert.ok(want.length >= 2, 'pprof lists several routines');
      await page.fill('#list-re', re);
      await page.press('#list-re', 'Enter');
      await page.waitForFunction((n) => document.querySelectorAll('#list-body section.list-fn').length === n, want.length);
      const got = await page.$$eval('#list-body section.list-fn', (ss) => ss.map((s) => ({
        function: s.dataset.function, file: s.dataset.file,
        flat: s.querySelector('.list-flat').textContent, cum: s.querySelector('.list-cum').textContent,
        lines: [...s.querySelectorAll('tbody tr[data-line]')].map((r) => [Number(r.dataset.line), r.children[1].textContent, r.children[2].textContent]),
      })));
      const dot = (v) => (v ? formatValue(v, UNIT) : '.');
      assert.deepEqual(got, want.map((w) => ({
        function: w.function, file: w.file,
        flat: formatValue(w.flat, UNIT) + ' flat', cum: formatValue(w.cum, UNIT) + ' cum',
        lines: w.lines.map(([l, fl, c]) => [l, dot(fl), dot(c)]),
      })));
      // the screenshot: the one with the most lines alone
      const most = want.slice().sort((a, b) => b.lines.length - a.lines.length)[0];
      await page.fill('#list-re', '^' + regexEscape(most.function) + '$');
      await page.press('#list-re', 'Enter');
      await page.waitForFunction((fn) => {
        const s = document.querySelectorAll('#list-body section.list-fn');
        return s.length === 1 && s[0].dataset.function === fn;
      }, most.function);
      await page.$eval('#list-re', (e) => e.blur());
      // lines without samples between two listed ones are one gap row
      const gaps = await page.$$eval('#list-body tr.list-gap', (g) => g.length);
      const wantGaps = most.lines.filter(([l], k) => k > 0 && l > most.lines[k - 1][0] + 1).length;
      assert.equal(gaps, wantGaps);
      await shot(page, `granmenu-list-${scheme}`);
      await docsShot(page, `views-list-${scheme}`);

      // a line's number: where that line is in the call tree (the flame graph at lines, its frames
      // highlighted: their outermost total is the line's cum, as -list counts it, once per sample)
      const [hot, , hotCum] = most.lines.slice().sort((a, b) => b[2] - a[2])[0];
      const lineName = `${most.function} ${most.file}:${hot}`;
      await page.click(`#list-body tr[data-line="${hot}"] .line-flame`);
      await page.waitForFunction(() => (new URL(location.href).searchParams.get('view') || 'flame') === 'flame');
      assert.equal(param(page, 'gran'), 'lines');
      assert.equal(param(page, 're'), '1');
      assert.equal(param(page, 'search'), '^' + regexEscape(lineName) + '$');
      await waitFlame(page, SEL);
      await page.waitForFunction(() => document.querySelector('#match-info').dataset.matches > 0);
      const hits = await page.$eval(SEL, (c, name) => {
        const m = c.flamegraph.model;
        const r = m.search((s) => s === name);
        return r.value;
      }, lineName);
      assert.equal(hits, hotCum);
      assert.ok(await frameAt(page, SEL, lineName), 'the line is drawn');
      await page.mouse.move(2, 2);
      await shot(page, `granmenu-line-flame-${scheme}`);
      await docsShot(page, `views-line-flame-${scheme}`);
      // ... and its callers and callees at lines
      await page.goBack();
      await page.waitForSelector(`#list-body tr[data-line="${hot}"] .line-sandwich`);
      await page.click(`#list-body tr[data-line="${hot}"] .line-sandwich`);
      await page.waitForFunction(() => new URL(location.href).searchParams.get('view') === 'sandwich');
      assert.equal(param(page, 'fn'), lineName);
      assert.equal(param(page, 'gran'), 'lines');
      await page.waitForFunction(() => document.querySelector('#view-sandwich canvas'));
      assert.deepEqual(browser.problems, []);
    } finally {
      await browser.close();
    }
  });
}

test('Export carries the granularity and the zoom: the zoomed frame\'s stacks, read back by go tool pprof', { timeout: 120000 }, async () => {
  const browser = await launchBrowser();
  try {
    const page = await browser.page();
    await page.goto(`${srv.url}/p/${prof.id}?gran=lines`);
    await waitFlame(page, SEL);
    const fullHref = await page.getAttribute('#export-menu a[data-format="folded"]', 'href');
    assert.equal(new URL(fullHref, srv.url).searchParams.get('granularity'), 'lines');
    const full = (await (await page.request.get(srv.url + fullHref)).text()).trim().split('\n');
    // zoom into the frame of main.handleA that calls hashLoop
    const names = await page.$eval(SEL, (c) => c.flamegraph.model.names.slice());
    const frame = names.filter((n) => n.startsWith('main.handleA ')).sort().pop();
    const f = await frameAt(page, SEL, frame);
    await page.mouse.click(f.x, f.y);
    await page.waitForFunction(() => new URL(location.href).searchParams.has('zoom'));
    await waitFlame(page, SEL);
    const zoom = param(page, 'zoom');
    const href = await page.getAttribute('#export-menu a[data-format="folded"]', 'href');
    const q = new URL(href, srv.url).searchParams;
    assert.equal(q.get('zoom'), zoom);
    assert.equal(q.get('granularity'), 'lines');
    // the folded export: the lines of the unzoomed one through the zoomed frame (its path a prefix)
    const zpath = await page.$eval(SEL, (c) => c.flamegraph.model.pathOf(c.flamegraph.zoom));
    assert.equal(zpath[zpath.length - 1], frame);
    const prefix = zpath.join(';') + ';';
    const want = full.filter((l) => l.startsWith(prefix) || l.slice(0, l.lastIndexOf(' ')) === zpath.join(';'));
    assert.ok(want.length > 0 && want.length < full.length);
    const got = (await (await page.request.get(srv.url + href)).text()).trim().split('\n');
    assert.deepEqual(got, want);
    // the pprof export: go tool pprof's total is the zoomed frame's, as the breadcrumb says
    const zoomed = await page.$eval(SEL, (c) => c.flamegraph.model.total[c.flamegraph.zoom]);
    const pb = path.join(tmpDir('granmenu-export'), 'zoomed.pb.gz');
    fs.writeFileSync(pb, await (await page.request.get(srv.url + await page.getAttribute('#export-menu a[data-format="pprof"]', 'href'))).body());
    const out = execFileSync('go', ['tool', 'pprof', '-unit=ns', '-top', pb], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const m = /of (\d+)ns total/.exec(out);
    assert.ok(m, out);
    assert.equal(Number(m[1]), zoomed);
    // not on another view: Top shows no zoom, its export has none
    await page.click('#tab-top');
    await page.waitForSelector('#view-top tbody tr');
    assert.equal(new URL(await page.getAttribute('#export-menu a[data-format="folded"]', 'href'), srv.url).searchParams.get('zoom'), null);
    assert.deepEqual(browser.problems, []);
  } finally {
    await browser.close();
  }
});

for (const scheme of ['light', 'dark']) {
  test(`the diff page at lines: frames and rows named per line, a row's focus on its function (${scheme})`, { timeout: 120000 }, async () => {
    const browser = await launchBrowser({ colorScheme: scheme });
    try {
      const page = await browser.page();
      // one endpoint of the profile against the other (the label slices of the labels tab)
      const q = new URLSearchParams({ base_tagfocus: 'endpoint=^/api/a$', target_tagfocus: 'endpoint=^/api/b$' });
      await page.goto(`${srv.url}/diff/${prof.id}/${prof.id}?${q}`);
      await waitFlame(page, '.diff-graph canvas.flame-canvas');
      await page.selectOption('#gran', 'lines');
      await page.waitForFunction(() => new URL(location.href).searchParams.get('gran') === 'lines');
      const api = await (await fetch(`${srv.url}/api/v1/diff/top?` + new URLSearchParams({ base: prof.id, target: prof.id, ...Object.fromEntries(q), granularity: 'lines', max_growth: '10', min_share: '1', sort: 'cum_delta', limit: '50' }))).json();
      // the table leaves out unchanged rows whose delta is 0
      const want = api.rows.filter((r) => r.change === 'grew' || r.change === 'shrank' || r.target_cum !== r.base_cum).map((r) => r.function);
      assert.ok(want.length > 0 && want.every((n) => / \S+:\d+$/.test(n)), want.join(', '));
      await page.waitForFunction((n) => document.querySelectorAll('#regress-table tr[data-fn]').length === n
        && document.querySelector('#regress-table tr[data-fn]').dataset.fn.includes(':'), want.length);
      const shown = await page.$$eval('#regress-table tr[data-fn]', (trs) => trs.map((t) => t.dataset.fn));
      assert.deepEqual(shown.slice().sort(), want.slice().sort());
      const names = await page.$eval('.diff-graph canvas.flame-canvas', (c) => c.flamegraph.model.names.slice(1));
      assert.ok(names.length && names.every((n) => / \S+:\d+$/.test(n) || /^\[.*\]$|^<unknown>$/.test(n)), names.join(', '));
      await shot(page, `granmenu-diff-lines-${scheme}`);
      // a row is a line; its focus is its function's, and the granularity stays
      const row = shown.find((n) => n.startsWith('main.'));
      await page.click(`#regress-table tr[data-fn="${row}"] .fn-focus`);
      const fn = row.slice(0, row.indexOf(' '));
      await page.waitForFunction((re) => new URL(location.href).searchParams.get('focus') === re, '^' + regexEscape(fn) + '$');
      assert.equal(param(page, 'gran'), 'lines');
      await waitFlame(page, '.diff-graph canvas.flame-canvas');
      assert.deepEqual(browser.problems, []);
    } finally {
      await browser.close();
    }
  });
}
