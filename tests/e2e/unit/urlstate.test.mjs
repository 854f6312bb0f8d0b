// urlstate.js: zoom paths survive any function name; the view state in the
// query string holds only what differs from the defaults, in a fixed order.

import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { joinPath, splitPath, UrlState } from '../../../web/js/urlstate.js';

let calls;
/** A stand-in for the browser's location and history: pushState and replaceState move `location`. */
function at(href) {
  calls = [];
  const move = (kind) => (_, __, url) => {
    calls.push([kind, url]);
    const u = new URL(url, globalThis.location.href);
    Object.assign(globalThis.location, { href: u.href, pathname: u.pathname, search: u.search, hash: u.hash });
  };
  const u = new URL(href);
  globalThis.location = { href: u.href, pathname: u.pathname, search: u.search, hash: u.hash };
  globalThis.history = { pushState: move('push'), replaceState: move('replace') };
}

beforeEach(() => at('http://h/p/1'));

test('zoom paths: ; and \\ inside names are escaped, every list comes back', () => {
  assert.equal(joinPath(['main.main', 'pkg.F']), 'main.main;pkg.F');
  assert.deepEqual(splitPath('main.main;pkg.F'), ['main.main', 'pkg.F']);
  const odd = ['a;b', 'c\\d', '', 'e\\;f', ';'];
  assert.equal(joinPath(odd), 'a\\;b;c\\\\d;;e\\\\\\;f;\\;');
  assert.deepEqual(splitPath(joinPath(odd)), odd);
  assert.deepEqual(splitPath(''), ['']);
});

test('the state reads the URL over the defaults, and writes only what differs, in the defaults\' order', () => {
  at('http://h/p/1?zoom=a%3Bb&view=top&unknown=1');
  const us = new UrlState({ view: 'flame', search: '', zoom: '' });
  assert.deepEqual(us.state, { view: 'top', search: '', zoom: 'a;b' });
  assert.equal(us.search(), '?view=top&zoom=a%3Bb');
  assert.equal(us.search({ view: 'flame', search: 'x', zoom: '' }), '?search=x');
  assert.equal(us.search({ view: 'flame', search: '', zoom: '' }), '');
});

test('update: changed keys, replaceState by default, pushState for steps; unknown keys and no-ops ignored', () => {
  at('http://h/p/1#frag');
  const us = new UrlState({ view: 'flame', zoom: '' });
  assert.deepEqual([...us.update({ zoom: 'main.main' }, { push: true })], ['zoom']);
  assert.deepEqual(calls, [['push', '/p/1?zoom=main.main#frag']]);
  assert.deepEqual([...us.update({ zoom: 'main.main', nope: 'x' })], []);
  assert.equal(calls.length, 1, 'nothing written when nothing changed');
  assert.deepEqual([...us.update({ view: 'top', zoom: null })], ['view', 'zoom']);
  assert.deepEqual(calls[1], ['replace', '/p/1?view=top#frag']);
  assert.equal(us.state.zoom, '', 'null is the default');
  assert.deepEqual([...us.update({ view: 5 })], ['view']);
  assert.equal(us.state.view, '5');
});

test('reload after Back: the keys that differ from the URL', () => {
  at('http://h/p/1?view=top');
  const us = new UrlState({ view: 'flame', zoom: '' });
  us.update({ zoom: 'x' }, { push: true });
  at('http://h/p/1?view=top&zoom=y');
  assert.deepEqual([...us.reload()], ['zoom']);
  assert.equal(us.state.zoom, 'y');
  assert.deepEqual([...us.reload()], []);
});
