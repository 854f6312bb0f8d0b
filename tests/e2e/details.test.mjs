// Smaller things a user trips on (issue 9): label shares of one whole, the
// same as the flame graph's; the top table's sum% and (inline) marker as
// go tool pprof prints them, and sort by name; batch uploads named per
// file; "Older ›" is a step Back undoes; a refused label filter clears the
// rows; the leak table offered only when it can work; "Compare with…"
// preselects the previous profile of the same series.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startServer, launchBrowser, corpusFile, shot, uploadViaPicker, uploadViaApi, waitFlame } from './lib/harness.mjs';
import fs from 'node:fs';

let srv, browser, page;

before(async () => {
  srv = await startServer();
  browser = await launchBrowser();
  page = await browser.page();
});

after(async () => {
  if (browser) await browser.close();
  if (srv) await srv.stop();
});

const upload = (rel, params) => uploadViaApi(srv.url, fs.readFileSync(corpusFile(rel)), params);

function pprofTop(file) {
  const out = execFileSync('go', ['tool', 'pprof', '-symbolize=none', '-top', '-nodecount=1000000', '-nodefraction=0', '-edgefraction=0', file],
    { encoding: 'utf8', env: { ...process.env, PPROF_TMPDIR: '/tmp', PPROF_BINARY_PATH: '/nonexistent' }, stdio: ['ignore', 'pipe', 'ignore'] });
  const lines = out.split('\n');
  const at = lines.findIndex((l) => /^\s+flat\s+flat%\s+sum%\s+cum\s+cum%$/.test(l));
  assert.ok(at > 0, 'pprof -top printed its header');
  return lines.slice(at + 1).filter(Boolean).map((l) => {
    const m = l.match(/^\s*\S+\s+(\S+%)\s+(\S+%)\s+\S+\s+(\S+%)  (.*?)( \((?:partial-)?inline\))?$/);
    assert.ok(m, l);
    return { flatp: m[1], sump: m[2], cump: m[3], fn: m[4], mark: (m[5] || '').trim() };
  });
}

test('label shares are of the whole profile, as in the flame graph, with an unlabelled row', async () => {
  const meta = await upload('pyroscope/go.cpu.labels.pprof', { name: 'labelled' });
  await page.goto(`${srv.url}/p/${meta.id}?view=labels`);
  await page.waitForSelector('.label-card[data-key="function"]');
  const card = await page.$eval('.label-card[data-key="function"]', (c) => ({
    // a value's cell: its own name, without the "vs rest" / "vs other" diff links beside it
    rows: [...c.querySelectorAll('tbody tr')].map((tr) => ({ cls: tr.className, cells: [...tr.children].map((td, i) => (i === 0 && td.querySelector('.label-value') ? td.querySelector('.label-value').textContent : td.textContent)) })),
    total: c.querySelector('.label-total').textContent,
  }));
  const slow = card.rows.find((r) => r.cells[0] === 'slow');
  const none = card.rows.find((r) => r.cls.includes('unlabelled'));
  assert.ok(slow && none, JSON.stringify(card.rows));
  assert.equal(none.cells[0], '(no function label)');
  // pprof: function=slow keeps 6740ms of 8730ms: 77.21% of the profile
  assert.equal(slow.cells[2], '77.21%');
  assert.match(card.total, /of 8\.73 ?s \(94\.39%\)/);
  // the values and the unlabelled row add up to the whole
  const pct = (s) => parseFloat(s);
  const sum = card.rows.reduce((a, r) => a + pct(r.cells[2]), 0);
  assert.ok(Math.abs(sum - 100) < 0.05, `shares add up to ${sum}`);
  await shot(page, 'labels-shares');

  // the flame graph's share of the frames only function=slow reaches: the same text
  await page.goto(`${srv.url}/p/${meta.id}`);
  await waitFlame(page);
  await page.fill('#search', 'main.slowFunction.func1');
  await page.waitForFunction(() => document.querySelector('#match-info').dataset.matches > 0);
  assert.equal(await page.$eval('#match-info', (e) => e.dataset.share), slow.cells[2]);
  assert.deepEqual(browser.problems, []);
});

test('the top table shows sum% and (inline) exactly as go tool pprof -top, and sorts by name', async () => {
  const file = corpusFile('apm-server/default.pgo');
  const meta = await uploadViaApi(srv.url, fs.readFileSync(file), { name: 'apm' });
  const want = pprofTop(file);
  await page.goto(`${srv.url}/p/${meta.id}?view=top`);
  await page.waitForSelector('.top-table tbody tr');
  const got = await page.$$eval('.top-table tbody tr', (trs) => trs.map((tr) => {
    const c = tr.children;
    return { flatp: c[1].querySelector('.pct-text').textContent, sump: c[2].textContent, cump: c[4].querySelector('.pct-text').textContent,
      fn: c[5].querySelector('.fn-focus').textContent, mark: (c[5].querySelector('.inline-mark') || { textContent: '' }).textContent.trim() };
  }));
  assert.ok(got.length >= 100, `${got.length} rows`);
  const bad = got.map((g, i) => [i, g, want[i]]).filter(([, g, w]) => JSON.stringify(g) !== JSON.stringify(w));
  assert.deepEqual(bad.slice(0, 3), [], `${bad.length} rows differ from pprof -top`);
  assert.ok(got.some((g) => g.mark === '(inline)') && got.some((g) => g.mark === '(partial-inline)'));
  await shot(page, 'top-sum-inline');

  await page.click('.top-table th button:text("Function")');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('sort') === 'name');
  await page.waitForSelector('.top-table th.sorted:has-text("Function")');
  await page.waitForFunction(() => {
    const fns = [...document.querySelectorAll('.top-table .fn-focus')].map((b) => b.textContent);
    return fns.length > 1 && fns.every((f, i) => i === 0 || fns[i - 1] <= f);
  });
  // by name over the whole profile, from the server: the first name of all
  const api = await (await fetch(`${srv.url}/api/v1/profiles/${meta.id}/top?sort=name&limit=1`)).json();
  assert.equal(await page.textContent('.top-table .fn-focus'), api.rows[0].function);
  assert.deepEqual(browser.problems, []);
});

test('a batch upload names each file by its file name; a typed name prefixes them', async () => {
  await uploadViaPicker(page, srv.url, [corpusFile('agent-insight/cpu.pb.gz'), corpusFile('agent-insight/heap.pb.gz')], { name: 'nightly' });
  await page.waitForFunction(() => [...document.querySelectorAll('#profile-rows .profile-link')].some((a) => a.textContent === 'nightly · heap.pb.gz'));
  const names = await page.$$eval('#profile-rows .profile-link', (as) => as.map((a) => a.textContent));
  assert.ok(names.includes('nightly · cpu.pb.gz') && names.includes('nightly · heap.pb.gz'), names.join(', '));
});

test('"Older ›" is a step Back undoes; a key-only label filter shows its error and no stale rows', async () => {
  for (let i = 0; i < 26; i++) await upload('agent-insight/goroutine.pb.gz', { name: `g${i}` });
  await page.goto(srv.url + '/');
  await page.waitForSelector('#profile-rows tr');
  const first = await page.textContent('#profile-rows .profile-link');
  const depth = await page.evaluate(() => history.length);
  await page.click('button:text("Older ›")');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('offset') > 0);
  await page.waitForFunction((f) => document.querySelector('#profile-rows .profile-link').textContent !== f, first);
  assert.equal(await page.evaluate(() => history.length), depth + 1, 'pushState: a new history entry');
  await page.goBack();
  await page.waitForFunction(() => !new URL(location.href).searchParams.get('offset'));
  await page.waitForFunction((f) => document.querySelector('#profile-rows .profile-link').textContent === f, first);
  assert.equal(new URL(page.url()).pathname, '/', 'Back stays in the app');

  await page.fill('#list-label', 'service');
  await page.waitForFunction(() => !document.querySelector('.error-box[role=alert]').hidden);
  assert.match(await page.textContent('.error-box[role=alert]'), /key:value/);
  assert.equal(await page.$$eval('#profile-rows tr', (t) => t.length), 0, 'no rows of the previous query');
  await shot(page, 'list-bad-label');
  await page.fill('#list-label', '');
  await page.waitForSelector('#profile-rows tr');
});

test('"Leak table for selected" is offered only for goroutine (or heap) snapshots', async () => {
  const cpu = await upload('agent-insight/cpu.pb.gz', { name: 'only-cpu', labels: 'pick:leak' });
  const g1 = await upload('agent-insight/goroutine.pb.gz', { name: 'only-g1', labels: 'pick:leak' });
  const g2 = await upload('agent-insight/goroutine.pb.gz', { name: 'only-g2', labels: 'pick:leak' });
  await page.goto(srv.url + '/?label=pick:leak');
  await page.waitForFunction(() => document.querySelectorAll('#profile-rows tr').length === 3);
  const tick = (id) => page.check(`#profile-rows tr[data-id="${id}"] .sel-box`);
  await tick(cpu.id);
  assert.equal(await page.$('#leaks-link'), null, 'a CPU profile: no leak table');
  await tick(g1.id);
  assert.equal(await page.$('#leaks-link'), null, 'CPU and goroutine: no leak table');
  await page.uncheck(`#profile-rows tr[data-id="${cpu.id}"] .sel-box`);
  await tick(g2.id);
  await page.waitForSelector('#leaks-link');
  await page.click('#leaks-link');
  await page.waitForSelector('#leak-body tr', { timeout: 30000 });
  assert.equal(await page.$eval('#leak-error', (e) => e.hidden), true, 'the leak table works');
});

test('"Compare with…" preselects the previous profile of the same series', async () => {
  const cpu = fs.readFileSync(corpusFile('agent-insight/cpu.pb.gz'));
  // uploaded in order: the series' older one, another service, a Java
  // profile of the same service, then the one we look at
  const prev = await uploadViaApi(srv.url, cpu, { name: 'checkout prev', labels: 'service:checkout' });
  await uploadViaApi(srv.url, cpu, { name: 'billing', labels: 'service:billing' });
  await uploadViaApi(srv.url, fs.readFileSync(corpusFile('pyroscope/profile_java')), { name: 'java', labels: 'service:checkout' }).catch(() => null);
  const me = await uploadViaApi(srv.url, cpu, { name: 'checkout now', labels: 'service:checkout' });
  await page.goto(`${srv.url}/p/${me.id}`);
  await waitFlame(page);
  await page.click('#compare-with');
  await page.waitForSelector('#compare-select');
  assert.equal(await page.$eval('#compare-select', (s) => s.value), prev.id);
  assert.equal(await page.$eval('#compare-role', (s) => s.value), 'target', 'the older one is the base');
  await shot(page, 'compare-with');
});

test('a profile is renamed and relabelled from its page (PATCH), and the download follows the name', async () => {
  const meta = await upload('agent-insight/cpu.pb.gz', { name: 'cpu.pb.gz', labels: 'service:old' });
  await page.goto(`${srv.url}/p/${meta.id}`);
  await waitFlame(page);
  await page.click('#edit-profile');
  await page.fill('#edit-name', 'checkout after the fix');
  await page.fill('#edit-labels', 'service:checkout, env:prod');
  await shot(page, 'profile-edit');
  await page.click('#edit-save');
  await page.waitForFunction(() => document.querySelector('.profile-title').textContent === 'checkout after the fix');
  assert.equal(await page.$eval('#edit-panel', (f) => f.hidden), true);
  const chips = await page.$$eval('.meta .chip', (cs) => cs.map((c) => c.textContent).sort());
  assert.deepEqual(chips, ['env:prod', 'service:checkout']);
  const stored = await (await fetch(`${srv.url}/api/v1/profiles/${meta.id}`)).json();
  assert.equal(stored.name, 'checkout after the fix');
  assert.deepEqual(stored.labels, { env: 'prod', service: 'checkout' });
  const raw = await fetch(`${srv.url}/api/v1/profiles/${meta.id}/raw`);
  assert.equal(raw.headers.get('content-disposition'), "attachment; filename=\"checkout after the fix.pb.gz\"; filename*=UTF-8''checkout%20after%20the%20fix.pb.gz");
  // a bad label is the form's error, and nothing changes
  await page.click('#edit-profile');
  await page.fill('#edit-labels', 'nocolon');
  await page.click('#edit-save');
  await page.waitForFunction(() => !document.querySelector('#edit-error').hidden);
  assert.equal((await (await fetch(`${srv.url}/api/v1/profiles/${meta.id}`)).json()).name, 'checkout after the fix');
  // one the server refuses: its message
  await page.fill('#edit-labels', 'k:' + 'v'.repeat(129));
  await page.click('#edit-save');
  await page.waitForFunction(() => /limited to 128 bytes/.test(document.querySelector('#edit-error').textContent));
  await shot(page, 'profile-edit-error');
  assert.deepEqual(browser.problems, []);
});
