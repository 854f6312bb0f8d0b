// diffcolors.js: colours of the diff flame graph. A frame is coloured by its
// change class (grew / shrank / same) with an intensity from the relative
// change; frames only in the target or only in the base get a hatch on top.
// Two palettes: red/green (the pprof convention) and blue/orange, which
// stays readable with red-green colour blindness. Pure: colours are CSS
// strings and hatches descriptions, which render.js turns into patterns.

import { GREW, SHRANK, MARK_NEW, MARK_GONE } from './diffmodel.js';

export const PALETTES = {
  rg: { label: 'red / green', grew: { h: 2, s: 78 }, shrank: { h: 138, s: 50 } },
  bo: { label: 'colour-blind safe: orange / blue', grew: { h: 28, s: 92 }, shrank: { h: 212, s: 78 } },
};

const STEPS = 8;

/** Fill and text colours of one class at strength step k (0..STEPS-1). */
function shade(hs, k, dark) {
  const t = (k + 1) / STEPS;
  // light: from a pale tint to a full colour; dark: from a dim tone to a bright one
  const l = dark ? 27 + 29 * t : 88 - 38 * t;
  return { fill: `hsl(${hs.h} ${hs.s}% ${l.toFixed(1)}%)`, text: dark && l < 43 ? '#f2ebe6' : '#16100c' };
}

/** Swatch colour for the legend (a strong step). */
export function swatch(palette, cls, dark) {
  const p = PALETTES[palette] || PALETTES.rg;
  if (cls === GREW) return shade(p.grew, STEPS - 2, dark).fill;
  if (cls === SHRANK) return shade(p.shrank, STEPS - 2, dark).fill;
  return dark ? '#3a3632' : '#dedad5';
}

/**
 * The paint object for render.js: fill, text and hatch per node of the
 * diff; new frames are hatched rising (/), gone ones falling (\).
 * @param {import('./diffmodel.js').DiffModel} dm  (classify() already run)
 */
export function diffPaint(dm, { palette = 'rg', dark = false } = {}) {
  const p = PALETTES[palette] || PALETTES.rg;
  const grew = [], shrank = [];
  for (let k = 0; k < STEPS; k++) { grew.push(shade(p.grew, k, dark)); shrank.push(shade(p.shrank, k, dark)); }
  const same = dark ? { fill: '#3a3632', text: '#b7aea5' } : { fill: '#dedad5', text: '#4a443e' };
  const step = (i) => Math.min(STEPS - 1, Math.max(1, Math.round(dm.level[i] * (STEPS - 1))));
  const pick = (i) => (dm.cls[i] === GREW ? grew[step(i)] : dm.cls[i] === SHRANK ? shrank[step(i)] : same);
  const line = dark ? 'rgba(255,255,255,.34)' : 'rgba(20,14,10,.34)';
  const hatches = { [MARK_NEW]: { dir: 1, colour: line }, [MARK_GONE]: { dir: -1, colour: line } };
  return {
    fill: (i) => pick(i).fill,
    text: (i) => pick(i).text,
    hatch: (i) => hatches[dm.mark[i]] || null,
  };
}
