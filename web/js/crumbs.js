// crumbs.js: the zoom of a flame graph page. In the URL the zoom is the
// zoomed frame's path of names from the root (urlstate.js joinPath), so it
// names the same frame after a reload and in another browser; above the
// graph it is a breadcrumb, one button per frame from "all" down to the
// zoomed one. zoomNode and zoomParam are pure.

import { h, replace } from './dom.js';
import { joinPath, splitPath } from './urlstate.js';

/** The node a zoom parameter names in a FlameModel: the deepest one of its path that exists; 0 without zoom. */
export function zoomNode(model, param) {
  if (!param) return 0;
  return model.findPath(splitPath(param)).node;
}

/** The zoom parameter of a node of a FlameModel ('' for the root). */
export function zoomParam(model, node) {
  return joinPath(model.pathOf(node));
}

/**
 * Fill the breadcrumb nav: the path from the root to `zoom`, each frame a
 * button that zooms to it (onZoom(node)), then `info` on the right.
 * @param {HTMLElement} nav
 * @param {import('./flame/model.js').FlameModel} model
 * @param {number} zoom
 * @param {{onZoom:(node:number)=>void, info:string}} o
 */
export function renderCrumbs(nav, model, zoom, { onZoom, info }) {
  const path = model.ancestry(zoom);
  const items = [];
  path.forEach((node, i) => {
    if (i) items.push(h('span', { class: 'crumb-sep', 'aria-hidden': 'true' }, '›'));
    const last = i === path.length - 1;
    const label = i === 0 ? 'all' : model.nameOf(node);
    items.push(h('button', { class: 'crumb' + (last ? ' current' : ''), type: 'button', 'aria-current': last ? 'true' : null, title: i === 0 ? 'Show everything (Esc)' : label, onclick: () => onZoom(node) }, label));
  });
  replace(nav, h('div', { class: 'crumb-list' }, items), h('span', { class: 'crumb-info' }, info));
  nav.dataset.depth = String(path.length - 1);
  const list = nav.firstChild;
  list.scrollLeft = list.scrollWidth;
}
