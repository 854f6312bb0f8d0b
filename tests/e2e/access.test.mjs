// Access in a real Chromium (docs/SECURITY.md): a hostile page on another
// port tries to write to flamedex with what needs no CORS preflight (form
// posts, no-cors fetches) and with a DELETE; a rebinding-style name (a host
// name the browser resolves to 127.0.0.1) tries to read and delete; nothing
// may be stored or deleted and each is refused. Then sign-in: a share link
// asks for a token at its own URL and opens the same view after it, a
// link from another site opens it signed in, /login?next= goes nowhere but
// this origin, sign-out ends the session, and a short --session-ttl
// (5 s) expires it.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { startServer, launchBrowser, tmpDir, uploadViaApi, waitFlame } from './lib/harness.mjs';
import { encodeProfile } from './lib/pprof.mjs';

// In this browser every *.test name resolves to 127.0.0.1: REBIND plays a
// rebinding name, EVIL_SITE another site (cross-site, unlike another port
// of 127.0.0.1, which is the same site).
const REBIND = 'flamedex-rebind.test';
const EVIL_SITE = 'evil.test';
const profile = (fn) => encodeProfile({
  sampleTypes: [['samples', 'count'], ['cpu', 'nanoseconds']],
  periodType: ['cpu', 'nanoseconds'],
  period: 10000000,
  samples: [{ stack: ['main.main', fn], values: [5, 50000000] }, { stack: ['main.main', 'main.other'], values: [2, 20000000] }],
});

const newToken = () => 'fdx_' + crypto.randomBytes(32).toString('base64url');
const sha = (s) => crypto.createHash('sha256').update(s).digest('hex');

function authFile(dir, tokens) {
  const p = path.join(dir, 'auth');
  fs.writeFileSync(p, Object.entries(tokens).map(([role, t]) => `${role} ${role}-person ${sha(t)}\n`).join(''));
  return p;
}

async function api(srv, method, p, { token, cookie, body, headers = {} } = {}) {
  const h = { ...headers };
  if (token) h.Authorization = 'Bearer ' + token;
  if (cookie) h.Cookie = cookie;
  const r = await fetch(srv.url + p, { method, body, headers: h, redirect: 'manual' });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch (_) { /* html */ }
  return { status: r.status, json, text, headers: r.headers };
}

const total = async (srv, token) => (await api(srv, 'GET', '/api/v1/profiles', { token })).json.total;

/** The hostile site: pages that attack `target` from another origin. Its
 *  own URL is http://127.0.0.1:PORT or, cross-site, http://EVIL_SITE:PORT. */
function hostileServer(target, victimId) {
  const pages = {
    '/form-multipart': `<form id=f method=POST enctype="multipart/form-data" action="${target}/api/v1/profiles?name=evil-form">
        <input type=file name=file id=file></form>`,
    '/form-urlencoded': `<form id=f method=POST action="${target}/api/v1/profiles?name=evil-urlenc">
        <input name=a value=b></form><script src="/submit.js"></script>`,
    '/form-text': `<form id=f method=POST enctype="text/plain" action="${target}/api/v1/profiles?name=evil-text">
        <input name=a value=b></form><script src="/submit.js"></script>`,
    '/fetches': `<script src="/fetches.js"></script>`,
    '/link': `<a id=share href="${target}/p/${victimId}?sample_type=cpu">a flamedex link</a>`,
  };
  const js = {
    '/submit.js': `document.getElementById('f').submit();`,
    // no-cors text/plain and urlencoded POSTs need no preflight; a DELETE
    // cannot be no-cors, and its CORS preflight (OPTIONS) is no route
    '/fetches.js': `
      const t = ${JSON.stringify(target)}, id = ${JSON.stringify(victimId)};
      window.results = Promise.allSettled([
        fetch(t + '/api/v1/profiles?name=evil-nocors', { method: 'POST', mode: 'no-cors', credentials: 'include',
          headers: { 'Content-Type': 'text/plain' }, body: 'x' }),
        fetch(t + '/api/v1/profiles?name=evil-nocors-form', { method: 'POST', mode: 'no-cors', credentials: 'include',
          body: new URLSearchParams({ a: 'b' }) }),
        fetch(t + '/api/v1/profiles/' + id, { method: 'DELETE', credentials: 'include' }),
      ]).then((rs) => rs.map((r) => r.status));`,
  };
  const srv = http.createServer((req, res) => {
    const u = new URL(req.url, 'http://x');
    if (pages[u.pathname]) {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end(`<!doctype html><title>not flamedex</title>${pages[u.pathname]}`);
    } else if (js[u.pathname]) {
      res.writeHead(200, { 'Content-Type': 'text/javascript' });
      res.end(js[u.pathname]);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve(srv)));
}

/** Stop a node http server now (Chromium keeps idle connections open). */
function closeServer(srv) {
  srv.closeAllConnections();
  return new Promise((r) => srv.close(r));
}

let open, authed, expiring, browser, dir, tokens, victimOpen, victimAuthed, shareId, profFile;

before(async () => {
  dir = tmpDir('flamedex-access-');
  tokens = { read: newToken(), write: newToken(), admin: newToken() };
  const auth = authFile(dir, tokens);
  open = await startServer();
  authed = await startServer({ args: ['--auth-file', auth] });
  expiring = await startServer({ args: ['--auth-file', auth, '--session-ttl', '5'] });
  // The rebinding name resolves to 127.0.0.1 in this browser only.
  browser = await launchBrowser({ args: ['--host-resolver-rules=MAP *.test 127.0.0.1'] });
  victimOpen = (await uploadViaApi(open.url, profile('main.victim'), { name: 'victim' })).id;
  const r = await api(authed, 'POST', '/api/v1/profiles?name=shared', { token: tokens.write, body: profile('main.shared') });
  assert.equal(r.status, 201);
  assert.equal(r.json.uploaded_by, 'write-person');
  shareId = r.json.id;
  victimAuthed = shareId;
  profFile = path.join(dir, 'evil.pb.gz');
  fs.writeFileSync(profFile, profile('main.evil'));
});

after(async () => {
  if (browser) await browser.close();
  for (const s of [open, authed, expiring]) if (s) await s.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Run every hostile page against srv; returns the statuses flamedex answered. */
async function attack(srv, victim) {
  const evil = await hostileServer(srv.url, victim);
  const evilUrl = `http://127.0.0.1:${evil.address().port}`;
  const page = await browser.context.newPage();
  const seen = [];
  page.on('response', (res) => {
    if (res.url().startsWith(srv.url + '/api/')) seen.push({ method: res.request().method(), url: res.url(), status: res.status() });
  });
  try {
    // multipart form with a real profile file, submitted by the page
    await page.goto(evilUrl + '/form-multipart');
    await page.setInputFiles('#file', profFile);
    await Promise.all([page.waitForURL(srv.url + '/**'), page.$eval('#f', (f) => f.submit())]);
    assert.match(await page.textContent('body'), /cross_origin/);
    for (const p of ['/form-urlencoded', '/form-text']) {
      await Promise.all([page.waitForURL(srv.url + '/**'), page.goto(evilUrl + p)]);
      assert.match(await page.textContent('body'), /cross_origin/, p);
    }
    await page.goto(evilUrl + '/fetches');
    const statuses = await page.evaluate(() => window.results);
    // the no-cors ones resolve opaquely, the DELETE fails its preflight
    assert.deepEqual(statuses, ['fulfilled', 'fulfilled', 'rejected']);
  } finally {
    await page.close();
    await closeServer(evil);
  }
  return seen;
}

/** Every write flamedex saw was refused: five POSTs with 403, the DELETE
 *  never sent past its preflight (405: OPTIONS is no route). */
function assertRefused(srv, seen, victim, what) {
  const posts = seen.filter((s) => s.method === 'POST');
  assert.equal(posts.length, 5, `${what}: ${JSON.stringify(seen)}`);
  for (const s of posts) assert.equal(s.status, 403, `${what}: ${JSON.stringify(s)}`);
  for (const s of seen.filter((x) => x.method === 'DELETE')) assert.equal(s.status, 403, `${what}: ${JSON.stringify(s)}`);
  const log = srv.log();
  assert.match(log, new RegExp(`method=OPTIONS path=/api/v1/profiles/${victim} status=405`), what);
  assert.doesNotMatch(log, new RegExp(`method=DELETE path=/api/v1/profiles/${victim} status=2`), what);
}

test('a page of another origin stores and deletes nothing (no auth file)', async () => {
  const before = await total(open);
  const seen = await attack(open, victimOpen);
  assertRefused(open, seen, victimOpen, 'no auth file');
  assert.equal(await total(open), before);
  assert.equal((await api(open, 'GET', '/api/v1/profiles/' + victimOpen)).status, 200);
  assert.equal((await api(open, 'GET', '/api/v1/profiles?q=evil')).json.total, 0);
  assert.equal((open.log().match(/cross-origin write refused/g) || []).length, 5);
});

// Another port of 127.0.0.1 is the same site: the Strict cookie goes along,
// and only the Origin rule stands in the way.
test('a page of another origin stores and deletes nothing, even with the browser signed in', async () => {
  const page = await browser.context.newPage();
  await page.goto(`${authed.url}/login`);
  await page.fill('#login-token', tokens.admin);
  await Promise.all([page.waitForURL(authed.url + '/'), page.click('#login-submit')]);
  await page.close();
  const before = await total(authed, tokens.admin);
  const seen = await attack(authed, victimAuthed);
  assertRefused(authed, seen, victimAuthed, 'signed in');
  assert.equal(await total(authed, tokens.admin), before);
  assert.equal((await api(authed, 'GET', '/api/v1/profiles/' + victimAuthed, { token: tokens.admin })).status, 200);
  await browser.context.clearCookies();
});

test('a rebinding name gets nothing: no page, no list, no raw bytes, no delete', async () => {
  const rebound = `http://${REBIND}:${open.port}`;
  const page = await browser.context.newPage();
  try {
    const res = await page.goto(rebound + '/');
    assert.equal(res.status(), 421);
    assert.match(await page.textContent('body'), /misdirected_request/);
    // from that origin, everything is same-origin to the browser: the server still refuses
    const got = await page.evaluate(async (id) => {
      const out = [];
      for (const [m, p] of [['GET', '/api/v1/profiles'], ['GET', `/api/v1/profiles/${id}/raw`], ['DELETE', `/api/v1/profiles/${id}`],
        ['POST', '/api/v1/profiles']]) {
        const r = await fetch(p, { method: m, body: m === 'POST' ? 'x' : undefined });
        out.push([m, p, r.status, await r.text()]);
      }
      return out;
    }, victimOpen);
    for (const [m, p, status, text] of got) {
      assert.equal(status, 421, `${m} ${p}`);
      assert.match(text, /misdirected_request/);
      assert.ok(!text.includes(victimOpen), `${m} ${p}: the answer names the profile`);
    }
  } finally {
    await page.close();
  }
  assert.equal((await api(open, 'GET', '/api/v1/profiles/' + victimOpen)).status, 200);
});

test('a share link asks for a token at its own URL, then opens that view', async () => {
  await browser.context.clearCookies();
  const page = await browser.context.newPage();
  const link = `${authed.url}/p/${shareId}?sample_type=cpu&focus=main%5C.shared`;
  try {
    const res = await page.goto(link);
    assert.equal(res.status(), 401);
    await page.waitForSelector('#login-form');
    assert.equal(page.url(), link);
    // a wrong token: the server's message, still here
    await page.fill('#login-token', newToken());
    await page.click('#login-submit');
    await page.waitForSelector('#login-error:not([hidden])');
    assert.equal(await page.getAttribute('#login-error', 'data-code'), 'unauthorized');
    assert.equal(page.url(), link);
    // the right one: the same URL, now the view
    await page.fill('#login-token', tokens.read);
    await Promise.all([page.waitForEvent('load'), page.click('#login-submit')]);
    await waitFlame(page);
    assert.equal(page.url(), link);
    assert.equal(await page.inputValue('#filter-focus'), 'main\\.shared');
    await page.waitForSelector('#whoami:not([hidden]) .who-name');
    assert.equal(await page.textContent('#whoami .who-name'), 'read-person');
    assert.match(await page.textContent('#whoami'), /\(read\)/);
    // the cookie: HttpOnly, SameSite=Strict, not readable by the page
    const [c] = await browser.context.cookies(authed.url);
    assert.equal(c.name, 'flamedex_session');
    assert.equal(c.httpOnly, true);
    assert.equal(c.sameSite, 'Strict');
    assert.equal(c.secure, false);
    assert.equal(await page.evaluate(() => document.cookie), '');
    // the session is the server's: the cookie alone works from anywhere
    const who = await api(authed, 'GET', '/api/v1/whoami', { cookie: `${c.name}=${c.value}` });
    assert.equal(who.json.name, 'read-person');
    // a read token may not delete
    const del = await page.evaluate(async (id) => (await fetch('/api/v1/profiles/' + id, { method: 'DELETE' })).status, shareId);
    assert.equal(del, 403);
  } finally {
    await page.close();
  }
});

test('a link from another site opens the view signed in (the Strict cookie stays home)', async () => {
  // signed in by the previous test
  const evil = await hostileServer(authed.url, shareId);
  const page = await browser.context.newPage();
  try {
    const target = `${authed.url}/p/${shareId}?sample_type=cpu`, answers = [];
    page.on('response', (r) => { if (r.url() === target) answers.push(r.status()); });
    await page.goto(`http://${EVIL_SITE}:${evil.address().port}/link`);
    await Promise.all([page.waitForURL(target), page.click('#share')]);
    await waitFlame(page);
    assert.equal(await page.locator('#login-form').count(), 0);
    assert.equal(page.url(), target);
    // the cross-site navigation came without the cookie (401), the page
    // found the sign-in and opened itself again (200)
    assert.deepEqual(answers, [401, 200]);
  } finally {
    await page.close();
    await closeServer(evil);
  }
});

test('/login?next= goes to this origin only', async () => {
  const page = await browser.context.newPage();
  try {
    for (const [next, want] of [
      [`/p/${shareId}?sample_type=samples`, `/p/${shareId}?sample_type=samples`],
      ['https://evil.example/', '/'], ['//evil.example/x', '/'], ['/\\evil.example', '/'],
      ['javascript:alert(1)', '/'], [`${authed.url.replace('127.0.0.1', 'localhost')}/x`, '/'], ['', '/'],
    ]) {
      await page.goto(`${authed.url}/login?next=${encodeURIComponent(next)}`);
      await page.waitForURL((u) => u.pathname !== '/login');
      const u = new URL(page.url());
      assert.equal(u.origin, authed.url, `next=${next} left for ${page.url()}`);
      assert.equal(u.pathname + u.search, want, `next=${next}`);
    }
  } finally {
    await page.close();
  }
});

test('sign-out ends the session on the server', async () => {
  const page = await browser.context.newPage();
  try {
    await page.goto(`${authed.url}/`);
    await page.waitForSelector('#sign-out');
    const [c] = await browser.context.cookies(authed.url);
    await Promise.all([page.waitForURL(`${authed.url}/login`), page.click('#sign-out')]);
    await page.waitForSelector('#login-form');
    assert.deepEqual(await browser.context.cookies(authed.url), []);
    // the old cookie value, replayed, is nobody now
    assert.equal((await api(authed, 'GET', '/api/v1/whoami', { cookie: `${c.name}=${c.value}` })).status, 401);
    const res = await page.goto(`${authed.url}/p/${shareId}`);
    assert.equal(res.status(), 401);
    await page.waitForSelector('#login-form');
  } finally {
    await page.close();
  }
});

test('a sign-in expires after --session-ttl', async () => {
  const page = await browser.context.newPage();
  try {
    await page.goto(`${expiring.url}/`);
    await page.fill('#login-token', tokens.write);
    await Promise.all([page.waitForURL(`${expiring.url}/`), page.click('#login-submit')]);
    // the app bar asked whoami with the cookie: the session served a request
    await page.waitForSelector('#whoami .who-name');
    assert.equal(await page.textContent('#whoami .who-name'), 'write-person');
    const [c] = await browser.context.cookies(expiring.url);
    const cookie = `${c.name}=${c.value}`;
    // Max-Age=5: the browser's expiry is the server's, to the second
    const expires = c.expires * 1000;
    await new Promise((r) => setTimeout(r, Math.max(0, expires - Date.now()) + 1100));
    // the server no longer takes it, whatever the browser still holds
    assert.equal((await api(expiring, 'GET', '/api/v1/whoami', { cookie })).status, 401);
    const res = await page.goto(`${expiring.url}/p/${shareId}`);
    assert.equal(res.status(), 401);
    await page.waitForSelector('#login-form');
  } finally {
    await page.close();
  }
  assert.deepEqual(browser.problems, []);
});

test('upload snippets carry the token header only where a token is needed', async () => {
  const page = await browser.context.newPage();
  try {
    await page.goto(`${open.url}/leaks`);
    await page.waitForSelector('pre.snippet');
    await page.waitForResponse((r) => r.url().endsWith('/api/v1/whoami')).catch(() => {});
    const plain = await page.textContent('pre.snippet');
    assert.match(plain, /curl --data-binary @g\$i\.pb\.gz/);
    assert.ok(!plain.includes('Authorization'), plain);
    await page.goto(`${authed.url}/login?next=/leaks`);
    await page.fill('#login-token', tokens.read);
    await Promise.all([page.waitForURL(`${authed.url}/leaks`), page.click('#login-submit')]);
    await page.waitForFunction(() => (document.querySelector('pre.snippet')?.textContent || '').includes('Authorization'));
    const text = await page.textContent('pre.snippet');
    // the reader's own token, never the one this browser signed in with
    assert.match(text, /curl -H "Authorization: Bearer \$FLAMEDEX_TOKEN" --data-binary @g\$i\.pb\.gz '/);
    assert.ok(!text.includes(tokens.read));
  } finally {
    await page.close();
    await browser.context.clearCookies();
  }
});

test('no token ever reaches a log', () => {
  for (const s of [open, authed, expiring]) {
    const log = s.log();
    for (const t of Object.values(tokens)) assert.ok(!log.includes(t), 'a token is in the server log');
  }
  assert.match(authed.log(), /level=audit rid=\S+ method=POST route=\/api\/v1\/profiles status=201 who=write-person client=127\.0\.0\.1 profile=/);
});
