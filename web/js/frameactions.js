// frameactions.js: what the frame menu (contextmenu.js) offers for one
// function, and what each entry does to the page's URL state. Pure (no
// DOM), for node's tests: the page applies a patch through its FilterBar
// (filterbar.js: a filter change clears the zoom), opens a URL, or copies
// a text.
//
// A frame's name becomes the regex ^NAME$ with NAME escaped, the form the
// Top table and the graph's click use. Focus and Show from replace their
// filter (the frame is what to look at now); Ignore, Hide and Merge add
// the frame as one more alternative (A|B) to what is there, as the `m`
// key does. A pseudo-frame of tagroot/tagleaf (a label value, not a
// function) takes no name filter (the API refuses filters that match
// one): its menu offers the label comparison and Copy only.
//
// At a granularity other than functions (state.gran) a frame is named
// "main.f /x.go:12" and so on, but the name filters match functions and
// files, as pprof applies -focus before it aggregates: the entries filter
// on the frame's function (^main\.f$), at files on its file (^/x\.go$,
// which the filters match as pprof does; merge_fn, by function name
// only, is off there). Peek matches the names of the view, so it takes
// the whole printed name; Lines (pprof -list) takes the function.

import { regexEscape } from './api.js';
import { parseTagExpr } from './filterbar.js';
import { functionOf, listRegex } from './views/list.js';

/** ^NAME$ with NAME regex-escaped. */
export function exactRe(name) {
  return '^' + regexEscape(name) + '$';
}

/** cur with re added as another alternative (unchanged when already one). */
export function addAlternative(cur, re) {
  const parts = cur ? cur.split('|') : [];
  return parts.includes(re) ? cur : parts.concat(re).join('|');
}

/**
 * The label value a comparison is about: the frame's own when it is a
 * tagroot/tagleaf pseudo-frame ({key, value} given as pseudo), else the
 * one value the state's tagfocus selects (KEY=^VALUE$), else null.
 */
export function comparedLabel(state, pseudo) {
  if (pseudo) return pseudo;
  const s = state.tagfocus || '';
  const t = parseTagExpr(s);
  // only the one-value form the label picker writes: KEY=^VALUE$, VALUE a literal
  if (!t || !t.key || !t.value || s.slice(s.indexOf('=') + 1) !== '^' + regexEscape(t.value) + '$') return null;
  return t;
}

/**
 * What the name filters of a frame named `name` at granularity `gran`
 * take: {re, kind} with re the regex (null when the name has no function
 * or file: "[binary]", "<unknown>") and kind 'function' or 'file'.
 */
export function filterTarget(name, gran) {
  if (gran === 'files') return { re: /^\[.*\]$|^<unknown>$/.test(name) ? null : exactRe(name), kind: 'file' };
  const fn = functionOf(name, gran);
  return { re: fn === null ? null : exactRe(fn), kind: 'function', fn };
}

/**
 * The entries of the menu of the frame `name` (as the view prints it at
 * state.gran), in order: {id, label, key (the letter that picks it in the
 * open menu), title, and one of patch (for the FilterBar), href (to open)
 * or copy (a text)}; disabled entries carry why in title.
 * @param {Record<string,string>} state  the page's URL state
 * @param {string} name
 * @param {{pseudo?: {key:string, value:string}|null, compareUrl?: (key:string, value:string, focus:string)=>string,
 *          list?: boolean}} ctx  list: offer the Lines view (a stored profile; a merge has none)
 */
export function frameActions(state, name, ctx = {}) {
  const gran = state.gran || '';
  const t = filterTarget(name, gran);
  const re = t.re;
  const what = t.kind === 'file' ? 'file' : 'function';
  // at lines (filefunctions, addresses) the entries are about the frame's function, and say so
  const its = t.kind === 'function' && gran && gran !== 'functions' && t.fn !== null;
  const it = its ? 'its function' : 'it';
  const thisOne = its ? t.fn : 'this ' + what;
  const pseudo = ctx.pseudo || null;
  const noName = pseudo ? 'A label value of tagroot/tagleaf, not a function: the name filters do not take it'
    : re === null ? 'This frame has no function or file name for the filters to match' : '';
  const out = [
    { id: 'focus', label: `Focus on ${it}`, key: 'f', title: `Keep only the samples through ${thisOne} (focus)`, patch: { focus: re } },
    { id: 'ignore', label: `Ignore ${it}`, key: 'i', title: `Drop the samples through ${thisOne} (ignore)`, patch: { ignore: addAlternative(state.ignore, re) } },
    { id: 'hide', label: `Hide ${it}`, key: 'h', title: `Remove ${thisOne} from the stacks, keeping their samples (hide)`, patch: { hide: addAlternative(state.hide, re) } },
    { id: 'show_from', label: `Show from ${it}`, key: 'w', title: `Root the stacks at ${thisOne}, dropping the samples without it (show_from)`, patch: { show_from: re } },
    { id: 'peek', label: 'Peek at callers and callees', key: 'p', title: 'Its callers and callees with the weight of each call (peek)', patch: { view: 'peek', peek: exactRe(name) } },
  ];
  if (ctx.list) {
    const fn = t.kind === 'function' ? t.fn : null;
    out.push(fn === null
      ? { id: 'list', label: 'Line table (Lines)', key: 'l', title: t.kind === 'file' ? 'A file is no function: pick a frame at another granularity' : noName, disabled: true }
      : { id: 'list', label: 'Line table (Lines)', key: 'l', title: `Each line of ${its ? fn : 'this function'} with its flat and cum (pprof -list)`, patch: { view: 'list', list: listRegex(fn) } });
  }
  out.push(
    state.collapse_recursion === '1'
      ? { id: 'collapse', label: 'Stop collapsing recursion', key: 'c', title: 'Show recursive calls again (collapse_recursion)', patch: { collapse_recursion: '' } }
      : { id: 'collapse', label: 'Collapse recursion', key: 'c', title: 'Drop a frame whose function is already on the path above it, everywhere (collapse_recursion)', patch: { collapse_recursion: '1' } },
    t.kind === 'file'
      ? { id: 'merge', label: 'Merge into callers', key: 'm', title: 'Merge takes a function: pick a frame at another granularity', disabled: true }
      : { id: 'merge', label: its ? 'Merge its function into callers' : 'Merge into callers', key: 'm', title: `Drop the frames of ${its ? t.fn : 'this function'} and give their self time to the callers (merge_fn)`, patch: { merge_fn: addAlternative(state.merge_fn, re) } },
  );
  if (pseudo || re === null) {
    for (const a of out) {
      if (a.id === 'collapse' || (a.id === 'peek' && !pseudo)) continue;
      a.disabled = true;
      a.title = noName;
      delete a.patch;
    }
  }
  out.push({ id: 'copy', label: 'Copy name', key: 'y', title: 'Copy the name to the clipboard', copy: name });
  const lab = comparedLabel(state, pseudo);
  if (lab && ctx.compareUrl) {
    out.push({
      id: 'compare', label: `Compare ${lab.key}=${lab.value} with the rest`, key: 'v',
      title: `Diff the samples of ${lab.key}=${lab.value} against every other sample of this profile` + (pseudo || re === null ? '' : `, focused on this ${what}`),
      href: ctx.compareUrl(lab.key, lab.value, pseudo || re === null ? '' : re),
    });
  }
  return out;
}
