// prefetch.js: the URLs fetched before the app's modules have loaded are
// exactly those profile.js asks for first (api.js takes them by URL), for
// the default view, a sample type and filters; no early fetch elsewhere.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { earlyUrls } from '../../../web/js/prefetch.js';
import { query } from '../../../web/js/api.js';
import { FILTER_KEYS, filterParams } from '../../../web/js/filterbar.js';

// what profile.js requests: api.profile(id), api.flamegraph(id, {sample_type, ...filterParams(state)})
function appUrls(href) {
  const u = new URL(href);
  const m = /^\/p\/([^/]+)$/.exec(u.pathname);
  const id = decodeURIComponent(m[1]);
  const s = Object.fromEntries(u.searchParams);
  const state = { sample_type: s.sample_type || '', ...Object.fromEntries(FILTER_KEYS.map((k) => [k, s[k] || ''])) };
  const urls = [`/api/v1/profiles/${encodeURIComponent(id)}`];
  if ((s.view || 'flame') === 'flame') urls.push(`/api/v1/profiles/${encodeURIComponent(id)}/flamegraph` + query({ sample_type: state.sample_type, ...filterParams(state) }));
  return urls;
}

test('early URLs are the app\'s first requests', () => {
  for (const href of [
    'http://h/p/abcDEF123',
    'http://h/p/abcDEF123?sample_type=alloc_space',
    'http://h/p/abcDEF123?focus=%5Emain%5C.&tagfocus=function%3D%5Eslow%24&zoom=a%2Fb&orient=flame',
    'http://h/p/abcDEF123?ignore=runtime&hide=x&tagignore=k%3Dv&sample_type=1&search=foo',
    'http://h/p/abc?view=top',
  ]) {
    const u = new URL(href);
    assert.deepEqual(earlyUrls({ pathname: u.pathname, search: u.search }), appUrls(href), href);
  }
});

test('nothing early on other pages', () => {
  for (const p of ['/', '/leaks', '/diff/a/b', '/p/a/b']) assert.deepEqual(earlyUrls({ pathname: p, search: '' }), []);
});
