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

import { regexEscape } from './api.js';
import { parseTagExpr } from './filterbar.js';

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
 * The entries of the menu of function `name`, in order: {id, label, key
 * (the letter that picks it in the open menu), title, and one of patch
 * (for the FilterBar), href (to open) or copy (a text)}; disabled entries
 * carry why in title.
 * @param {Record<string,string>} state  the page's URL state
 * @param {string} name
 * @param {{pseudo?: {key:string, value:string}|null, compareUrl?: (key:string, value:string, focus:string)=>string}} ctx
 */
export function frameActions(state, name, ctx = {}) {
  const re = exactRe(name);
  const pseudo = ctx.pseudo || null;
  const noName = pseudo ? 'A label value of tagroot/tagleaf, not a function: the name filters do not take it' : '';
  const out = [
    { id: 'focus', label: 'Focus on it', key: 'f', title: 'Keep only the samples through this function (focus)', patch: { focus: re } },
    { id: 'ignore', label: 'Ignore it', key: 'i', title: 'Drop the samples through this function (ignore)', patch: { ignore: addAlternative(state.ignore, re) } },
    { id: 'hide', label: 'Hide it', key: 'h', title: 'Remove this function from the stacks, keeping their samples (hide)', patch: { hide: addAlternative(state.hide, re) } },
    { id: 'show_from', label: 'Show from it', key: 'w', title: 'Root the stacks at this function, dropping the samples without it (show_from)', patch: { show_from: re } },
    { id: 'peek', label: 'Peek at callers and callees', key: 'p', title: 'Its callers and callees with the weight of each call (peek)', patch: { view: 'peek', peek: re } },
    state.collapse_recursion === '1'
      ? { id: 'collapse', label: 'Stop collapsing recursion', key: 'c', title: 'Show recursive calls again (collapse_recursion)', patch: { collapse_recursion: '' } }
      : { id: 'collapse', label: 'Collapse recursion', key: 'c', title: 'Drop a frame whose function is already on the path above it, everywhere (collapse_recursion)', patch: { collapse_recursion: '1' } },
    { id: 'merge', label: 'Merge into callers', key: 'm', title: 'Drop this function\'s frames and give their self time to the callers (merge_fn)', patch: { merge_fn: addAlternative(state.merge_fn, re) } },
  ];
  if (pseudo) {
    for (const a of out) {
      if (a.id === 'collapse') continue;
      a.disabled = true;
      a.title = noName;
    }
  }
  out.push({ id: 'copy', label: 'Copy name', key: 'y', title: 'Copy the name to the clipboard', copy: name });
  const lab = comparedLabel(state, pseudo);
  if (lab && ctx.compareUrl) {
    out.push({
      id: 'compare', label: `Compare ${lab.key}=${lab.value} with the rest`, key: 'v',
      title: `Diff the samples of ${lab.key}=${lab.value} against every other sample of this profile` + (pseudo ? '' : ', focused on this function'),
      href: ctx.compareUrl(lab.key, lab.value, pseudo ? '' : re),
    });
  }
  return out;
}
