// filterbar.js: the filter bar of the profile and diff pages. Three regex
// fields (focus, ignore, hide), the label picker (tagfocus / tagignore of
// one label value) and the chips of the filters in force, each with its ×.
// The filters live in the page's URL state (urlstate.js) under the keys of
// FILTER_KEYS and go to the API unchanged.
//
// One rule for every page: a change of any filter clears the zoom (the
// zoomed frame was picked in the tree the old filters made); setting a
// filter to the value it has already changes nothing, zoom included.
// A label key is numeric when /tags reports `numeric: true` for it (in any
// of the page's profiles); its values take pprof's KEY=VALUE form, other
// values KEY=^VALUE$ with VALUE regex-escaped.
//
// The functions above the class are pure (no DOM), for node's tests.

import { h, replace } from './dom.js';
import { regexEscape } from './api.js';
import { formatValue } from './format.js';

export const FILTER_KEYS = ['focus', 'ignore', 'hide', 'tagfocus', 'tagignore', 'show', 'show_from', 'prune_from', 'tagroot', 'tagleaf', 'collapse_recursion', 'merge_fn'];
/** The keys the runtime-share routes do not take (docs/API.md). */
export const STACK_KEYS = ['show', 'show_from', 'prune_from', 'tagroot', 'tagleaf', 'collapse_recursion', 'merge_fn'];
/** The filters' URL defaults, for a page's UrlState defaults. */
export const FILTER_DEFAULTS = Object.freeze(Object.fromEntries(FILTER_KEYS.map((k) => [k, ''])));
const CHIP_LABEL = { focus: 'focus', ignore: 'ignore', hide: 'hide', tagfocus: 'label focus', tagignore: 'label ignore', show: 'show', show_from: 'show from', prune_from: 'prune from', tagroot: 'split by label', tagleaf: 'label leaves', collapse_recursion: 'recursion collapsed', merge_fn: 'merged into callers' };
const MAX_VALUES = 1000; // options per label key in the picker

/** The filter parameters of a state, for the API. */
export function filterParams(state) {
  const p = {};
  for (const k of FILTER_KEYS) p[k] = state[k];
  return p;
}

/**
 * The patch for a filter change: `patch` plus zoom: '' when it changes a
 * filter of `state`; `patch` as it is otherwise.
 */
export function filterPatch(state, patch) {
  const changes = FILTER_KEYS.some((k) => k in patch && String(patch[k] ?? '') !== state[k]);
  return changes ? { ...patch, zoom: '' } : patch;
}

/**
 * tagfocus/tagignore value that selects exactly one label value: KEY=^VALUE$
 * with VALUE regex-escaped; numeric labels use pprof's KEY=VALUE form.
 */
export function tagExpr(key, value, numeric = false) {
  return numeric ? `${key}=${value}` : `${key}=^${regexEscape(value)}$`;
}

/** Inverse of tagExpr, for highlighting: {key, value}, or null without KEY=. */
export function parseTagExpr(s) {
  const eq = s.indexOf('=');
  if (eq < 0) return null;
  const key = s.slice(0, eq);
  const re = s.slice(eq + 1);
  if (!re.startsWith('^') || !re.endsWith('$')) return { key, value: re };
  return { key, value: re.slice(1, -1).replace(/\\(.)/g, '$1') };
}

/**
 * The labels of one or more /tags responses (one per profile of the page;
 * a missing one counts as no labels): [{key, numeric, values: [{value,
 * totals}]}] in the order the keys first appear, where totals[i] is the
 * value's total in response i and values are sorted by the sum of their
 * totals, largest first (ties keep the server's order).
 */
export function mergeTags(responses) {
  const keys = new Map();
  responses.forEach((d, i) => {
    for (const t of (d && Array.isArray(d.tags) ? d.tags : [])) {
      const name = String(t.key);
      let k = keys.get(name);
      if (!k) { k = { key: name, numeric: false, values: new Map() }; keys.set(name, k); }
      if (t.numeric === true) k.numeric = true;
      for (const v of Array.isArray(t.values) ? t.values : []) {
        const value = String(v.value);
        let totals = k.values.get(value);
        if (!totals) { totals = responses.map(() => 0); k.values.set(value, totals); }
        totals[i] += +v.total || 0;
      }
    }
  });
  const sum = (v) => v.totals.reduce((a, b) => a + b, 0);
  return [...keys.values()].map((k) => ({
    key: k.key,
    numeric: k.numeric,
    values: [...k.values].map(([value, totals]) => ({ value, totals })).sort((a, b) => sum(b) - sum(a)),
  }));
}

/** A label value's option text: "VALUE — total", or "VALUE — base → target" for two profiles. */
export function tagOptionText(v, unit) {
  return `${v.value || '(empty)'} — ${v.totals.map((t) => formatValue(t, unit)).join(' → ')}`;
}

export class FilterBar {
  /**
   * @param {{state: ()=>Record<string,string>, set: (patch:object, opts?:object)=>void, pair?: boolean}} o
   *   state() is the page's URL state; set(patch, opts) changes it (and the
   *   page); pair: the filters apply to two profiles (the diff page).
   */
  constructor(o) {
    this.o = o;
    const hints = {
      focus: 'Keep only the samples that have a frame matching this regex' + (o.pair ? ' (in both profiles)' : ''),
      ignore: 'Drop the samples that have a frame matching this regex',
      hide: 'Remove the frames matching this regex from the stacks',
      show: 'Keep only the frames matching this regex (pprof -show)',
      show_from: 'Drop the frames above the first one matching this regex, and the samples without one (pprof -show_from)',
      prune_from: 'Drop the frames below the last one matching this regex (pprof -prune_from)',
    };
    this.labelsTitle = o.pair ? 'Filter both profiles by a pprof label of the samples' : 'Filter by a pprof label of the samples';
    this.noLabels = o.pair ? 'These profiles have no pprof labels' : 'This profile has no pprof labels';
    this.tags = [];
    this.unit = '';
    this.chipSig = null;
    this.inputs = {};
    const field = (key, label, placeholder) => {
      const input = h('input', { class: 'input mono', id: 'filter-' + key, type: 'text', placeholder, title: hints[key], autocomplete: 'off', spellcheck: 'false', 'aria-label': label + ' regex' });
      const commit = () => this.set({ [key]: input.value.trim() });
      input.addEventListener('change', commit);
      input.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') commit(); });
      this.inputs[key] = input;
      return h('label', { class: 'field', title: hints[key] }, h('span', null, label), input);
    };
    this.keySel = h('select', { class: 'select', id: 'tag-key', 'aria-label': 'Label key', onchange: () => this.fillValues() });
    this.valueSel = h('select', { class: 'select', id: 'tag-value', 'aria-label': 'Label value' });
    this.focusBtn = h('button', { class: 'btn', type: 'button', id: 'tag-focus', onclick: () => this.pick('tagfocus') }, 'Focus');
    this.ignoreBtn = h('button', { class: 'btn', type: 'button', id: 'tag-ignore', onclick: () => this.pick('tagignore') }, 'Ignore');
    this.splitBtn = h('button', { class: 'btn', type: 'button', id: 'tag-split', title: 'Put this label\'s values at the root of every stack (pprof -tagroot)', onclick: () => this.split('tagroot') }, 'Split');
    this.leafBtn = h('button', { class: 'btn', type: 'button', id: 'tag-leaf', title: 'Put this label\'s values under the leaf of every stack (pprof -tagleaf)', onclick: () => this.split('tagleaf') }, 'At leaves');
    this.picker = h('div', { class: 'field tag-picker' }, h('span', null, 'Label'), this.keySel, this.valueSel, this.focusBtn, this.ignoreBtn, this.splitBtn, this.leafBtn);
    /** The bar: regex fields and label picker. */
    this.el = h('div', { class: 'filters' },
      field('focus', 'Focus', 'regex to keep'), field('ignore', 'Ignore', 'regex to drop'), field('hide', 'Hide', 'regex to hide'),
      this.picker,
      field('show', 'Show', 'regex of frames to keep'), field('show_from', 'Show from', 'regex'), field('prune_from', 'Prune from', 'regex'));
    /** The chips of the filters in force (placed by the page, under the bar). */
    this.chips = h('div', { class: 'chips', id: 'active-filters' });
    this.setTags([], '');
  }

  /** Change filters (see filterPatch); opts go to the page's set. */
  set(patch, opts) {
    this.o.set(filterPatch(this.o.state(), patch), opts);
  }

  /** The patch that focuses (kind 'tagfocus') or ignores one label value. */
  tagPatch(kind, key, value) {
    return filterPatch(this.o.state(), { [kind]: tagExpr(key, value, this.isNumeric(key)) });
  }

  isNumeric(key) {
    const t = this.tags.find((x) => x.key === key);
    return !!(t && t.numeric);
  }

  /** Bring the fields (but the one being typed in) and the chips up to the state. */
  sync() {
    const s = this.o.state();
    for (const [k, input] of Object.entries(this.inputs)) if (document.activeElement !== input) input.value = s[k];
    this.renderChips(s);
  }

  /**
   * The labels the picker offers (mergeTags), their totals in `unit`. The
   * picker is always there, so nothing moves when labels arrive; without
   * labels it is disabled.
   */
  setTags(tags, unit) {
    this.tags = tags;
    this.unit = unit;
    for (const el of [this.keySel, this.valueSel, this.focusBtn, this.ignoreBtn, this.splitBtn, this.leafBtn]) el.disabled = !tags.length;
    this.picker.title = tags.length ? this.labelsTitle : this.noLabels;
    const prev = this.keySel.value;
    replace(this.keySel, tags.length ? tags.map((t) => h('option', { value: t.key }, t.key)) : h('option', { value: '' }, 'no labels'));
    if (tags.some((t) => t.key === prev)) this.keySel.value = prev;
    this.fillValues();
  }

  fillValues() {
    const t = this.tags.find((x) => x.key === this.keySel.value);
    const values = t ? t.values.slice(0, MAX_VALUES) : [];
    replace(this.valueSel, values.length
      ? values.map((v) => h('option', { value: v.value }, tagOptionText(v, this.unit)))
      : h('option', { value: '' }, '—'));
  }

  pick(kind) {
    const key = this.keySel.value;
    if (!key) return;
    this.o.set(this.tagPatch(kind, key, this.valueSel.value), { push: true });
  }

  /** tagroot / tagleaf of the picked key: a second key is added after the first. */
  split(kind) {
    const key = this.keySel.value;
    if (!key) return;
    const cur = (this.o.state()[kind] || '').split(',').filter(Boolean);
    if (cur.includes(key)) return;
    this.set({ [kind]: [...cur, key].join(',') }, { push: true });
  }

  renderChips(s) {
    // re-render only on change: a rebuilt chip under the mouse would eat the click
    const sig = FILTER_KEYS.map((k) => s[k]).join('\u0000');
    if (sig === this.chipSig) return;
    this.chipSig = sig;
    const chips = FILTER_KEYS.filter((k) => s[k]).map((k) => h('span', { class: 'chip filter-chip', dataset: { filter: k } },
      h('span', { class: 'chip-k' }, CHIP_LABEL[k]), h('span', { class: 'chip-v' }, s[k]),
      h('button', { class: 'chip-x', type: 'button', title: 'Remove this filter', 'aria-label': 'Remove ' + CHIP_LABEL[k] + ' filter', onclick: () => this.set({ [k]: '' }) }, '×')));
    if (chips.length > 1) chips.push(h('button', { class: 'link', type: 'button', onclick: () => this.set({ ...FILTER_DEFAULTS }) }, 'clear all'));
    replace(this.chips, chips);
    this.chips.hidden = !chips.length;
  }
}
