// notfound.js: the page for any path the router does not know.

import { h, replace } from './dom.js';
import { appBar } from './chrome.js';

export function mountNotFound(root) {
  document.title = 'not found · flamedex';
  replace(root, appBar(), h('main', { class: 'page narrow' },
    h('h1', null, 'Page not found'),
    h('p', null, h('a', { href: '/' }, 'Back to the profiles'))));
}
