// placeholder.js: routes whose pages are not built yet (diff, leaks) and 404.

import { h, replace } from './dom.js';
import { appBar } from './chrome.js';

export function mountDiff(root, base, target) {
  document.title = 'diff · flamedex';
  replace(root, appBar(), h('main', { class: 'page narrow' },
    h('h1', null, 'Compare two profiles'),
    h('p', null, 'The diff view is not available in this version yet. The two profiles:'),
    h('ul', null,
      h('li', null, 'base: ', h('a', { href: '/p/' + encodeURIComponent(base) }, base)),
      h('li', null, 'target: ', h('a', { href: '/p/' + encodeURIComponent(target) }, target))),
    h('p', { class: 'muted' }, 'The JSON is already there: ',
      h('a', { href: `/api/v1/diff?base=${encodeURIComponent(base)}&target=${encodeURIComponent(target)}` }, '/api/v1/diff'))));
}

export function mountLeaks(root) {
  document.title = 'leaks · flamedex';
  replace(root, appBar(), h('main', { class: 'page narrow' },
    h('h1', null, 'Leak candidates'),
    h('p', null, 'The leak table is not available in this version yet; the JSON is at ',
      h('a', { href: '/api/v1/leaks' + location.search }, '/api/v1/leaks' + location.search), '.')));
}

export function mountNotFound(root) {
  document.title = 'not found · flamedex';
  replace(root, appBar(), h('main', { class: 'page narrow' },
    h('h1', null, 'Page not found'),
    h('p', null, h('a', { href: '/' }, 'Back to the profiles'))));
}
