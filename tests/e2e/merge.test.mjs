// The merge page, /m?<selection>: three CPU profiles ticked on the list page
// open "Merge selected (3)", which shows the profile page over the merge
// (title, "sum" note, flame graph drawn, top rows equal to the API's
// /merge/top); a goroutine series opened by label and type gets agg=avg
// chosen for it, says so, and offers the sum; the selection and the view
// state survive a reload.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, shot, waitFlame, uploadViaApi } from './lib/harness.mjs';
import { cpuProfile } from './lib/synth.mjs';
import { encodeProfile } from './lib/pprof.mjs';

let srv, browser, page;
const cpuIds = [];

before(async () => {
  srv = await startServer();
  browser = await launchBrowser();
  page = await browser.page();
  const shapes = [
    { 'main.main;main.handle;encoding/json.Marshal': 30, 'main.main;main.handle;runtime.mallocgc': 10 },
    { 'main.main;main.handle;encoding/json.Marshal': 20, 'main.main;main.work': 40 },
    { 'main.main;main.work': 25, 'main.main;main.handle;runtime.mallocgc': 5 },
  ];
  for (let i = 0; i < shapes.length; i++) {
    const j = await uploadViaApi(srv.url, cpuProfile(shapes[i], { minutesAgo: 30 - i * 10 }), { name: `cpu-${i}`, labels: 'service:checkout' });
    cpuIds.push(j.id);
  }
  for (let i = 0; i < 4; i++) {
    await uploadViaApi(srv.url, encodeProfile({
      sampleTypes: [['goroutine', 'count']], periodType: ['goroutine', 'count'], period: 1,
      timeNanos: BigInt(Date.now() - (40 - i) * 60000) * 1000000n,
      samples: [{ stack: ['runtime.goexit', 'main.worker', 'runtime.gopark'], values: [10 + 2 * i] },
        { stack: ['runtime.main', 'main.main', 'runtime.gopark'], values: [1] }],
    }), { name: `g-${i}`, labels: 'service:checkout' });
  }
});

after(async () => {
  if (browser) await browser.close();
  if (srv) await srv.stop();
});

test('ticking three CPU profiles opens their merge, numbers as the API gives them', async () => {
  await page.goto(srv.url + '/');
  for (const id of cpuIds) {
    await page.locator(`tr[data-id="${id}"] .sel-box`).check();
  }
  const link = page.locator('#merge-link');
  await link.waitFor();
  assert.equal(await link.textContent(), 'Merge selected (3)');
  await link.click();
  await page.waitForURL(/\/m\?ids=/);
  const flame = await waitFlame(page);
  assert.ok(flame, 'the merged flame graph drew');
  assert.equal(await page.textContent('.profile-title'), 'Merge of 3 cpu profiles');
  assert.match(await page.textContent('#merge-agg'), /sum of the 3 profiles \(agg=sum/);
  assert.ok(await page.locator('#edit-profile').isHidden());
  // the top view: rows equal /api/v1/merge/top (the API test compares that with pprof)
  await page.click('#tab-top');
  await page.waitForSelector('#view-top table tbody tr');
  const api = await (await fetch(`${srv.url}/api/v1/merge/top?ids=${cpuIds.join(',')}&limit=0`)).json();
  const first = await page.$eval('#view-top table tbody tr', (tr) => tr.textContent);
  assert.ok(first.includes(api.rows[0].function), `${first} vs ${api.rows[0].function}`);
  assert.equal(api.rows[0].function, 'main.work'); // 40 + 25 samples
  await shot(page, 'merge-top');
  // reload: the selection and the view stay
  await page.reload();
  await page.waitForSelector('#view-top table tbody tr');
  assert.match(page.url(), /ids=.*view=top/);
  assert.deepEqual(browser.problems, []);
});

test('a goroutine series by label gets the mean, says so and offers the sum', async () => {
  await page.goto(srv.url + '/m?label=service:checkout&type=goroutine');
  await waitFlame(page);
  assert.equal(await page.textContent('.profile-title'), 'Merge of 4 goroutine profiles');
  const note = await page.textContent('#merge-agg');
  assert.match(note, /mean of the 4 profiles \(agg=avg, chosen for goroutine snapshots/);
  await page.click('#tab-top');
  await page.waitForSelector('#view-top table tbody tr');
  const api = await (await fetch(`${srv.url}/api/v1/merge/top?label=service:checkout&type=goroutine&agg=avg&limit=0`)).json();
  assert.equal(api.merge.agg, 'avg');
  const worker = api.rows.find((r) => r.function === 'main.worker');
  assert.equal(worker.cum, 13); // (10 + 12 + 14 + 16) / 4
  await shot(page, 'merge-goroutine-avg');
  await page.click('#merge-agg-switch');
  await page.waitForURL(/agg=sum/);
  await waitFlame(page);
  assert.match(await page.textContent('#merge-agg'), /sum of the 4 profiles/);
  assert.deepEqual(browser.problems, []);
});

test('an empty selection says what is wrong', async () => {
  await page.goto(srv.url + '/m?label=service:nothing');
  await page.waitForSelector('main .error-box');
  assert.match(await page.textContent('main .error-box'), /no stored profile matches/);
});
