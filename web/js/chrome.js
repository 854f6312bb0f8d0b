// chrome.js: what every page has around its content: the bar at the top
// (with who is signed in), the "Copy link" button, the error box of a
// failed request, and the link to a profile's page.

import { h, replace, copyText, toast } from './dom.js';

const onLoginPage = () => document.getElementById('app')?.dataset.page === 'login';

/** The sign-in page, coming back to this page's URL afterwards. */
export function signInHref() {
  return '/login?next=' + encodeURIComponent(location.pathname + location.search + location.hash);
}

/**
 * Who is signed in (#whoami): the token's name and role and a "Sign out"
 * button; a "Sign in" link when nobody is; nothing on a server without an
 * auth file (whoami says auth: false), or when whoami does not answer.
 */
let whoamiOnce = null;
/** One GET /api/v1/whoami a page: its Response (a clone each caller). */
function whoamiResponse() {
  if (!whoamiOnce) whoamiOnce = fetch('/api/v1/whoami', { credentials: 'same-origin', headers: { Accept: 'application/json' } });
  return whoamiOnce.then((res) => res.clone());
}

/**
 * What a shell snippet shown on a page needs to be run against this
 * server: '' without an auth file, else the header that carries a token
 * (the token itself is the reader's: $FLAMEDEX_TOKEN). Resolves '' when
 * whoami does not answer.
 */
export function curlAuth() {
  return whoamiResponse()
    .then(async (res) => {
      if (res.status === 401) return ' -H "Authorization: Bearer $FLAMEDEX_TOKEN"';
      if (!res.ok) return '';
      const who = await res.json();
      return who && who.auth ? ' -H "Authorization: Bearer $FLAMEDEX_TOKEN"' : '';
    })
    .catch(() => '');
}

/**
 * A <pre> of a shell snippet that uploads to this server: text(auth) is
 * the snippet given curlAuth()'s header ('' at first, then what whoami
 * says), so a copied command works on a server with --auth-file too.
 */
export function curlSnippet(text) {
  const pre = h('pre', { class: 'snippet' }, text(''));
  curlAuth().then((a) => { if (a) pre.textContent = text(a); });
  return pre;
}

function whoBox(signIn) {
  const box = h('span', { class: 'appbar-who', id: 'whoami', hidden: true });
  whoamiResponse()
    .then(async (res) => {
      if (res.status === 401 && signIn) {
        replace(box, h('a', { href: signInHref(), id: 'sign-in' }, 'Sign in'));
        box.hidden = false;
      }
      if (!res.ok) return;
      sessionStorage.removeItem('flamedex.reopened'); // login.js: this page opened signed in
      const who = await res.json();
      if (!who || !who.auth || !who.name) return;
      const out = h('button', {
        class: 'btn small', type: 'button', id: 'sign-out',
        onclick: async () => {
          out.disabled = true;
          await fetch('/api/v1/logout', { method: 'POST', credentials: 'same-origin' }).catch(() => {});
          location.assign('/login');
        },
      }, 'Sign out');
      replace(box, h('span', { class: 'who-name', title: `signed in as ${who.name} (${who.role})` }, who.name),
        h('span', { class: 'muted who-role' }, ` (${who.role})`), ' ', who.via === 'session' ? out : null);
      box.hidden = false;
    })
    .catch(() => {});
  return box;
}

/** The bar at the top; signIn: false on the sign-in page itself. */
export function appBar(actions = [], { signIn = true } = {}) {
  return h('header', { class: 'appbar' },
    h('a', { class: 'brand', href: '/', title: 'All profiles' },
      h('img', { class: 'brand-logo', src: '/favicon.svg', alt: '', width: 20, height: 20 }),
      h('span', null, 'flamedex')),
    h('nav', { class: 'appbar-nav' },
      h('a', { href: '/', class: location.pathname === '/' ? 'current' : null }, 'Profiles'),
      h('a', { href: '/leaks', class: location.pathname.startsWith('/leaks') ? 'current' : null }, 'Leaks'),
      h('a', { href: '/targets', class: location.pathname.startsWith('/targets') ? 'current' : null }, 'Targets')),
    h('span', { class: 'spacer' }),
    h('div', { class: 'appbar-actions' }, actions),
    whoBox(signIn));
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
    hint ? h('div', { class: 'error-hint' }, hint) : null,
    code === 'unauthorized' && !onLoginPage() ? h('div', { class: 'error-hint' }, h('a', { href: signInHref(), class: 'sign-in-link' }, 'Sign in'),
      ' to see this (your sign-in may have expired).') : null);
  el.dataset.code = code || 'error';
  el.hidden = false;
}

/** Link to a profile page: the server's url when it is a local path, else built from the id. */
export function profileHref(p) {
  const u = typeof p.url === 'string' ? p.url : '';
  return /^\/[^/\\]/.test(u) ? u : '/p/' + encodeURIComponent(p.id);
}
