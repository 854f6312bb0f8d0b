// login.js: the sign-in page (docs/SECURITY.md). The server answers it at
// /login, and, to somebody not signed in, at the URL of any page (401): a
// share link opens here, and signing in opens that very URL again, query
// and fragment included. At /login it goes to ?next= afterwards when that
// is a path of this origin, and to / otherwise (never to another site).
//
// The session cookie is SameSite=Strict, so a link followed from another
// site arrives without it even when the browser is signed in: the page asks
// /api/v1/whoami first (a same-origin request carries the cookie) and, when
// signed in, simply opens the URL again from here.

import { h, replace } from './dom.js';
import { appBar, showError } from './chrome.js';

/** next when it is a path of origin (a same-origin path only), else '/'. */
export function safeNext(next, origin) {
  if (typeof next !== 'string' || !next.startsWith('/') || next.startsWith('//') || next.includes('\\')) return '/';
  let u;
  try {
    u = new URL(next, origin);
  } catch (_) {
    return '/';
  }
  return u.origin === origin ? u.pathname + u.search + u.hash : '/';
}

const atLogin = () => location.pathname === '/login' || location.pathname === '/login/';

/** Open what was asked for: next, or this page's own URL again. */
function proceed() {
  if (atLogin()) location.replace(safeNext(new URLSearchParams(location.search).get('next'), location.origin));
  else location.reload();
}

// One automatic reopen per URL and tab: if the page still asks for a
// sign-in after it, the cookie is not getting through; show the form.
const REOPENED = 'flamedex.reopened';

function mount(root) {
  document.title = 'Sign in · flamedex';
  const token = h('input', {
    class: 'input mono', type: 'password', id: 'login-token', name: 'token', autocomplete: 'current-password',
    placeholder: 'fdx_…', required: true, 'aria-label': 'Token',
  });
  const err = h('div', { class: 'error-box', id: 'login-error', hidden: true });
  const submit = h('button', { class: 'btn primary', type: 'submit', id: 'login-submit' }, 'Sign in');
  const form = h('form', {
    class: 'login-form', id: 'login-form',
    onsubmit: async (ev) => {
      ev.preventDefault();
      err.hidden = true;
      submit.disabled = true;
      try {
        const res = await fetch('/api/v1/login', {
          method: 'POST', credentials: 'same-origin',
          headers: { Accept: 'application/json', Authorization: 'Bearer ' + token.value.trim() },
        });
        if (res.ok) {
          sessionStorage.removeItem(REOPENED);
          proceed();
          return;
        }
        const body = await res.json().catch(() => null);
        const e = body && body.error ? body.error : { code: 'http_' + res.status, message: res.statusText };
        showError(err, e, { lead: 'Not signed in: ' });
        err.dataset.status = String(res.status);
      } catch (e) {
        showError(err, e, { lead: 'Not signed in: ' });
      }
      submit.disabled = false;
      token.select();
    },
  }, token, submit);
  replace(root, appBar([], { signIn: false }), h('main', { class: 'page narrow' },
    h('h1', null, 'Sign in'),
    h('p', null, 'This flamedex wants a token. Paste yours: it is sent once, and the browser then keeps a sign-in ',
      'cookie for this site.'),
    form, err,
    h('p', { class: 'muted' }, 'No token? Whoever runs this server makes one with ',
      h('code', null, 'flamedex token read YOUR-NAME'), '.')));
  token.focus();
}

async function start() {
  const root = document.getElementById('app');
  let signedIn = false;
  try {
    const res = await fetch('/api/v1/whoami', { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    signedIn = res.ok;
  } catch (_) { /* show the form */ }
  const here = location.pathname + location.search;
  if (signedIn && (atLogin() || sessionStorage.getItem(REOPENED) !== here)) {
    if (!atLogin()) sessionStorage.setItem(REOPENED, here);
    proceed();
    return;
  }
  sessionStorage.removeItem(REOPENED);
  mount(root);
}

if (typeof document !== 'undefined' && document.getElementById('app')?.dataset.page === 'login') start();
