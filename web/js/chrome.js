// chrome.js: what every page has around its content: the bar at the top,
// the "Copy link" button, the error box of a failed request, and the link
// to a profile's page.

import { h, replace, copyText, toast } from './dom.js';

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

/** The app bar's "Copy link" button (#copy-link): the page's URL reopens `what` ("this exact view"). */
export function copyLinkButton(what) {
  return h('button', {
    class: 'btn', type: 'button', id: 'copy-link', title: `Copy a link to ${what}`,
    onclick: async () => {
      const ok = await copyText(location.href);
      toast(ok ? `Link copied: it reopens ${what}.` : 'Could not copy; the address bar has the link.', ok ? 'info' : 'error');
    },
  }, 'Copy link');
}

/**
 * Show an error (an ApiError or any Error) in an error box: lead, message,
 * the code in grey, and a hint under them; data-code carries the code.
 */
export function showError(el, e, { lead = 'Error: ', hint = '' } = {}) {
  const code = e && e.code ? String(e.code) : '';
  replace(el, h('strong', null, lead), String((e && e.message) || e), h('span', { class: 'muted' }, code ? ` (${code})` : ''),
    hint ? h('div', { class: 'error-hint' }, hint) : null);
  el.dataset.code = code || 'error';
  el.hidden = false;
}

/** Link to a profile page: the server's url when it is a local path, else built from the id. */
export function profileHref(p) {
  const u = typeof p.url === 'string' ? p.url : '';
  return /^\/[^/\\]/.test(u) ? u : '/p/' + encodeURIComponent(p.id);
}
