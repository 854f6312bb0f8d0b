// chrome.js: the bar at the top of every page.

import { h } from './dom.js';

export function appBar(actions = []) {
  return h('header', { class: 'appbar' },
    h('a', { class: 'brand', href: '/', title: 'All profiles' },
      h('img', { class: 'brand-logo', src: '/favicon.svg', alt: '', width: 20, height: 20 }),
      h('span', null, 'flamedex')),
    h('nav', { class: 'appbar-nav' },
      h('a', { href: '/', class: location.pathname === '/' ? 'current' : null }, 'Profiles'),
      h('a', { href: '/leaks', class: location.pathname.startsWith('/leaks') ? 'current' : null }, 'Leaks')),
    h('span', { class: 'spacer' }),
    h('div', { class: 'appbar-actions' }, actions));
}
