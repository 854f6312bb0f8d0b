// Screenshots of the main pages in light and dark themes, at laptop and wide
// sizes, into tests/e2e/screenshots/ (git-ignored) for a person to look at.
// With UPDATE_DOCS_IMG=1 the README images in docs/img/ are rewritten too.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, launchBrowser, uploadViaApi, corpusFile, waitFlame, shot, REPO } from './lib/harness.mjs';

const DOCS = path.join(REPO, 'docs', 'img');
let srv, profile;

before(async () => {
  srv = await startServer();
  const up = (rel, name, labels) => uploadViaApi(srv.url, fs.readFileSync(corpusFile(rel)), { name, labels });
  await up('agent-insight/goroutine.pb.gz', 'checkout goroutines', 'service:checkout,env:prod');
  await up('pyroscope/heap', 'ingest heap', 'service:ingest,env:prod');
  await up('Golbat/default.pgo', 'golbat cpu 60s', 'service:golbat');
  profile = await up('apm-server/default.pgo', 'apm-server cpu (benchmarks)', 'service:apm-server,env:bench');
});

after(async () => {
  if (srv) await srv.stop();
});

async function save(page, name, docsName) {
  await shot(page, name);
  if (docsName && process.env.UPDATE_DOCS_IMG === '1') {
    fs.mkdirSync(DOCS, { recursive: true });
    await page.screenshot({ path: path.join(DOCS, docsName) });
  }
}

/** Hover the widest frame of a row so the tooltip is in the picture. */
async function hoverRow(page, row) {
  const f = await page.$eval('#view-flame canvas', (c, row) => {
    const fg = c.flamegraph, r = fg.lay.rows[row], box = c.getBoundingClientRect();
    let best = 0;
    for (let k = 0; k < r.x.length; k++) if (r.node[k] >= 0 && r.w[k] > r.w[best]) best = k;
    return { x: box.left + r.x[best] + Math.min(r.w[best] / 2, 160), y: box.top + (row + 0.5) * 18 };
  }, row);
  await page.mouse.move(f.x, f.y);
  await page.waitForSelector('.tooltip:not([hidden])');
}

for (const scheme of ['light', 'dark']) {
  test(`profile page and front page, ${scheme}`, { timeout: 120000 }, async () => {
    const b = await launchBrowser({ colorScheme: scheme, viewport: { width: 1440, height: 900 } });
    try {
      const page = await b.page();
      await page.goto(srv.url + profile.url + (scheme === 'dark' ? '?search=json' : ''));
      await waitFlame(page);
      if (scheme === 'light') await hoverRow(page, 5);
      await save(page, `docs-profile-${scheme}`, `profile-${scheme}.png`);

      await page.goto(srv.url + '/');
      await page.waitForSelector('#profile-rows tr');
      await save(page, `docs-home-${scheme}`, scheme === 'light' ? 'home.png' : null);
      assert.deepEqual(b.problems, []);
    } finally {
      await b.close();
    }
  });
}

test('wide and narrow windows', { timeout: 120000 }, async () => {
  for (const [w, h] of [[1920, 1080], [1024, 720]]) {
    const b = await launchBrowser({ viewport: { width: w, height: h } });
    try {
      const page = await b.page();
      await page.goto(srv.url + profile.url + '?view=top');
      await page.waitForSelector('.top-table tbody tr');
      await shot(page, `size-${w}-top`);
      await page.goto(srv.url + profile.url);
      await waitFlame(page);
      const width = await page.$eval('#view-flame canvas', (c) => c.getBoundingClientRect().width);
      assert.ok(width > w * 0.85, `the graph uses the window width (${width} of ${w})`);
      await shot(page, `size-${w}-flame`);
      await page.goto(srv.url + '/');
      await page.waitForSelector('#profile-rows tr');
      await shot(page, `size-${w}-home`);
      // no horizontal page scroll at this size
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `page scrolls sideways by ${overflow}px at ${w}px`);
    } finally {
      await b.close();
    }
  }
});
