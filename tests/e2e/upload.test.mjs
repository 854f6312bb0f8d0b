// The front page: upload through the file picker (several files, each with
// its own progress and outcome), the server's error message for a refused
// file, and the list: search, label filter, compare link, delete.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, launchBrowser, corpusFile, tmpDir, shot, uploadViaPicker, uploadViaApi } from './lib/harness.mjs';

let srv, browser, page, garbage;

before(async () => {
  srv = await startServer();
  browser = await launchBrowser();
  page = await browser.page();
  garbage = path.join(tmpDir('flamedex-garbage-'), 'garbage.pb.gz');
  fs.writeFileSync(garbage, Buffer.from('this is not a profile, just some text that is long enough\n'.repeat(20)));
});

after(async () => {
  if (browser) await browser.close();
  if (srv) await srv.stop();
});

test('uploading several files shows one progress row each; a refused file shows the server message', async () => {
  // what the server says about this file, straight from the API
  const direct = await fetch(srv.url + '/api/v1/profiles', { method: 'POST', body: fs.readFileSync(garbage), headers: { 'Content-Type': 'application/octet-stream' } });
  assert.ok(direct.status >= 400 && direct.status < 500, `garbage upload answered ${direct.status}`);
  const message = (await direct.json()).error.message;
  assert.ok(message, 'the server error has a message');

  const files = [corpusFile('agent-insight/goroutine.pb.gz'), corpusFile('agent-insight/cpu.pb.gz'), garbage];
  await uploadViaPicker(page, srv.url, files, { labels: 'service:checkout,env:test' });
  const items = await page.$$eval('.upload-item', (els) => els.map((li) => ({
    name: li.querySelector('.up-name').textContent,
    cls: li.className,
    status: li.querySelector('.up-status').textContent,
    progress: li.querySelector('progress').value,
  })));
  assert.equal(items.length, 3);
  const byName = Object.fromEntries(items.map((i) => [i.name, i]));
  assert.match(byName['goroutine.pb.gz'].cls, /done/);
  assert.equal(byName['goroutine.pb.gz'].progress, 100);
  assert.match(byName['cpu.pb.gz'].cls, /done/);
  assert.match(byName['garbage.pb.gz'].cls, /failed/);
  assert.ok(byName['garbage.pb.gz'].status.includes(message), `failed row shows "${message}", got "${byName['garbage.pb.gz'].status}"`);
  await shot(page, 'upload-results');

  // the list refreshed: both stored profiles, with the labels, newest first
  await page.waitForFunction(() => document.querySelectorAll('#profile-rows tr').length === 2);
  const names = await page.$$eval('#profile-rows .profile-link', (as) => as.map((a) => a.textContent));
  assert.deepEqual(names, ['cpu.pb.gz', 'goroutine.pb.gz']);
  const chips = await page.$$eval('#profile-rows tr:first-child .chip:not(.timeline-link)', (cs) => cs.map((c) => c.textContent));
  assert.deepEqual(chips.sort(), ['env:test', 'service:checkout']);
  assert.deepEqual(browser.problems, []);
});

test('an upload with a name and the list search by name and label', async () => {
  await uploadViaPicker(page, srv.url, [corpusFile('agent-insight/heap.pb.gz')], { name: 'nightly heap', labels: 'service:billing' });
  await page.waitForFunction(() => document.querySelectorAll('#profile-rows tr').length === 3);
  assert.equal(await page.textContent('#profile-rows tr:first-child .profile-link'), 'nightly heap');

  await page.fill('#list-q', 'nightly');
  await page.waitForFunction(() => document.querySelectorAll('#profile-rows tr').length === 1);
  assert.match(page.url(), /[?&]q=nightly/);
  await page.fill('#list-q', '');
  await page.waitForFunction(() => document.querySelectorAll('#profile-rows tr').length === 3);

  // clicking a label chip filters by it
  await page.click('#profile-rows .chip-btn:text-is("service:checkout")');
  await page.waitForFunction(() => document.querySelectorAll('#profile-rows tr').length === 2);
  assert.match(decodeURIComponent(page.url()), /label=service:checkout/);
  assert.equal(await page.inputValue('#list-label'), 'service:checkout');
  await page.fill('#list-label', '');
  await page.waitForFunction(() => document.querySelectorAll('#profile-rows tr').length === 3);
});

test('ticking two profiles links to their diff, base = older', async () => {
  const rows = page.locator('#profile-rows tr');
  await rows.nth(0).locator('.sel-box').check();
  await rows.nth(2).locator('.sel-box').check();
  const href = await page.getAttribute('#compare-link', 'href');
  const ids = await page.$$eval('#profile-rows tr', (trs) => trs.map((tr) => tr.dataset.id));
  assert.equal(href, `/diff/${ids[2]}/${ids[0]}`);
  await shot(page, 'home-compare');
});

test('delete asks for a second click, then removes the profile', async () => {
  const before = await page.locator('#profile-rows tr').count();
  const id = await page.getAttribute('#profile-rows tr:first-child', 'data-id');
  await page.click('#profile-rows tr:first-child .del');
  assert.equal(await page.textContent('#profile-rows tr:first-child .del'), 'Confirm delete');
  assert.equal(await page.locator('#profile-rows tr').count(), before);
  await page.click('#profile-rows tr:first-child .del');
  await page.waitForFunction((n) => document.querySelectorAll('#profile-rows tr').length === n, before - 1);
  const r = await fetch(`${srv.url}/api/v1/profiles/${id}`);
  assert.equal(r.status, 404);
  assert.deepEqual(browser.problems, []);
});

test('a file dropped on the drop zone is uploaded', async () => {
  const bytes = [...fs.readFileSync(corpusFile('agent-insight/cpu.pb.gz'))];
  const before = await page.locator('.upload-item').count();
  await page.evaluate((bytes) => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(bytes)], 'dropped.pb.gz', { type: 'application/gzip' }));
    const zone = document.getElementById('dropzone');
    zone.dispatchEvent(new DragEvent('dragenter', { dataTransfer: dt, bubbles: true, cancelable: true }));
    zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, bytes);
  await page.waitForFunction((n) => {
    const items = document.querySelectorAll('.upload-item');
    return items.length === n + 1 && items[0].classList.contains('done');
  }, before);
  assert.equal(await page.textContent('.upload-item .up-name'), 'dropped.pb.gz');
  await page.waitForSelector('#profile-rows .profile-link:text-is("dropped.pb.gz")');
});

test('the list pages through many profiles, newest first', async () => {
  const body = fs.readFileSync(corpusFile('agent-insight/cpu.pb.gz'));
  for (let i = 0; i < 21; i++) await uploadViaApi(srv.url, body, { name: `bulk ${String(i).padStart(2, '0')}` });
  await page.goto(srv.url + '/');
  await page.waitForSelector('#profile-rows tr');
  const total = (await (await fetch(srv.url + '/api/v1/profiles?limit=1')).json()).total;
  assert.equal(await page.locator('#profile-rows tr').count(), 20);
  assert.equal(await page.textContent('#profile-rows tr:first-child .profile-link'), 'bulk 20');
  assert.match(await page.textContent('#pager'), new RegExp(`1–20 of ${total}`));
  await page.click('#pager button:text("Older")');
  await page.waitForFunction((n) => document.querySelectorAll('#profile-rows tr').length === n, total - 20);
  assert.equal(new URL(page.url()).searchParams.get('offset'), '20');
  // the page is in the URL
  await page.reload();
  await page.waitForFunction((n) => document.querySelectorAll('#profile-rows tr').length === n, total - 20);
  await page.click('#pager button:text("Newer")');
  await page.waitForFunction(() => document.querySelectorAll('#profile-rows tr').length === 20);
  await shot(page, 'home-many');
  assert.deepEqual(browser.problems, []);
});
