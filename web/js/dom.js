// dom.js: the one way this frontend builds DOM nodes.
//
// Everything that comes from a profile (function names, file names, labels,
// profile names) is untrusted. It only ever reaches the page as a text node or
// through textContent / setAttribute, never through innerHTML or friends, so a
// name such as "<img src=x onerror=alert(1)>" is shown as the text it is.

/**
 * h('div', {class: 'x', onclick: fn}, 'text', child, [more children])
 * Attribute values are set with setAttribute; 'text' sets textContent;
 * 'dataset' is an object copied into el.dataset; 'on*' keys must be functions.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'text') el.textContent = String(v);
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k === 'value') el.value = v;
      else if (k === 'checked' || k === 'disabled' || k === 'selected') el[k] = !!v;
      else if (k.startsWith('on')) {
        if (typeof v !== 'function') throw new Error('h: ' + k + ' must be a function');
        el.addEventListener(k.slice(2), v);
      } else if (k === 'style' || k === 'innerHTML' || k === 'outerHTML') {
        throw new Error('h: ' + k + ' is not allowed (CSP and XSS safety)');
      } else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * svg('polyline', {points: '0,1 2,3', class: 'x'}, …children): an SVG element
 * built with createElementNS; attributes through setAttribute, text as a text
 * node (for <title>). The same rules as h(): no style, no markup.
 */
export function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'style' || k.startsWith('on') || k === 'href' || k === 'xlink:href') throw new Error('svg: ' + k + ' is not allowed');
      el.setAttribute(k, String(v));
    }
  }
  append(el, children);
  return el;
}

/** Append children (strings become text nodes; arrays are flattened). */
export function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
  return el;
}

/** Remove all children, then append the new ones. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** Put text on the clipboard; falls back to a hidden textarea for plain http. */
export async function copyText(text) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch (_) { /* fall through */ }
  const ta = h('textarea', { class: 'offscreen', readonly: true });
  ta.value = text;
  document.body.appendChild(ta);
  ta.select();
  let ok = false;
  try { ok = document.execCommand('copy'); } catch (_) { ok = false; }
  ta.remove();
  return ok;
}

let toastTimer = 0;
/** A short message at the bottom of the window. */
export function toast(message, kind = 'info') {
  let el = document.getElementById('toast');
  if (!el) {
    el = h('div', { id: 'toast', class: 'toast', role: 'status', 'aria-live': 'polite' });
    document.body.appendChild(el);
  }
  el.textContent = message;
  el.className = 'toast show ' + kind;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.className = 'toast'; }, 2500);
}

/** True when a key event is typed into a text field (shortcuts stay off). */
export function isTyping(ev) {
  const t = ev.target;
  if (!t || !t.tagName) return false;
  const tag = t.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || t.isContentEditable;
}
