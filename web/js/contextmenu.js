// contextmenu.js: the frame menu of the flame graph and the Top table
// (entries from frameactions.js). One menu per page, placed at the mouse
// (fixed, kept inside the window), focused when it opens: ↑/↓, Home/End
// move, Enter or Space picks, an entry's letter picks it, Esc or a click
// elsewhere closes it (and gives the focus back). Keys it handles do not
// reach the page's own shortcuts.

import { h, replace } from './dom.js';

export class ContextMenu {
  /** @param {(entry: object) => void} onPick  called after the menu closes */
  constructor(onPick) {
    this.onPick = onPick;
    this.entries = [];
    this.items = [];
    this.returnFocus = null;
    this.el = h('div', { class: 'ctx-menu', id: 'frame-menu', role: 'menu', hidden: true, tabindex: '-1' });
    this.el.addEventListener('keydown', (ev) => this.handleKey(ev));
    this.onOutside = (ev) => { if (!this.el.contains(ev.target)) this.close(); };
    this.onAway = () => this.close();
    document.body.appendChild(this.el);
  }

  get isOpen() { return !this.el.hidden; }

  /** Open at (x, y) (client pixels) for `title` with these entries. */
  open(x, y, title, entries) {
    this.returnFocus = document.activeElement;
    this.entries = entries;
    this.items = entries.map((e, i) => h('button', {
      class: 'ctx-item', type: 'button', role: 'menuitem', tabindex: '-1', title: e.title || null,
      disabled: !!e.disabled, 'aria-disabled': e.disabled ? 'true' : null, dataset: { action: e.id },
      onclick: () => this.pick(i),
    }, h('span', { class: 'ctx-label' }, e.label), e.key ? h('kbd', { class: 'ctx-key' }, e.key) : null));
    replace(this.el, h('div', { class: 'ctx-title', title }, title), this.items);
    this.el.setAttribute('aria-label', 'Actions for ' + title);
    this.el.hidden = false;
    // place, then keep inside the window
    this.el.style.left = '0px';
    this.el.style.top = '0px';
    const r = this.el.getBoundingClientRect();
    const left = Math.max(4, Math.min(x, window.innerWidth - r.width - 4));
    const top = Math.max(4, Math.min(y, window.innerHeight - r.height - 4));
    this.el.style.left = left + 'px';
    this.el.style.top = top + 'px';
    this.move(0, 1);
    document.addEventListener('mousedown', this.onOutside, true);
    window.addEventListener('blur', this.onAway);
    window.addEventListener('resize', this.onAway);
    document.addEventListener('scroll', this.onAway, true);
  }

  close() {
    if (this.el.hidden) return;
    this.el.hidden = true;
    document.removeEventListener('mousedown', this.onOutside, true);
    window.removeEventListener('blur', this.onAway);
    window.removeEventListener('resize', this.onAway);
    document.removeEventListener('scroll', this.onAway, true);
    const back = this.returnFocus;
    this.returnFocus = null;
    if (back && typeof back.focus === 'function' && document.contains(back)) back.focus();
  }

  destroy() {
    this.close();
    this.el.remove();
  }

  /** Focus the next enabled item from index i in direction dir. */
  move(i, dir) {
    const n = this.items.length;
    for (let k = 0; k < n; k++) {
      const j = ((i + dir * k) % n + n) % n;
      if (!this.items[j].disabled) { this.items[j].focus(); return; }
    }
    this.el.focus();
  }

  pick(i) {
    const e = this.entries[i];
    if (!e || e.disabled) return;
    this.close();
    this.onPick(e);
  }

  handleKey(ev) {
    const cur = this.items.indexOf(document.activeElement);
    let handled = true;
    if (ev.key === 'Escape') this.close();
    else if (ev.key === 'ArrowDown') this.move(cur + 1, 1);
    else if (ev.key === 'ArrowUp') this.move(cur < 0 ? this.items.length - 1 : cur - 1, -1);
    else if (ev.key === 'Home') this.move(0, 1);
    else if (ev.key === 'End') this.move(this.items.length - 1, -1);
    else if (ev.key === 'Tab') this.close();
    else if ((ev.key === 'Enter' || ev.key === ' ') && cur >= 0) this.pick(cur);
    else if (!ev.ctrlKey && !ev.metaKey && !ev.altKey && ev.key.length === 1) {
      const i = this.entries.findIndex((e) => e.key === ev.key.toLowerCase() && !e.disabled);
      if (i >= 0) this.pick(i);
    } else handled = false;
    if (handled) {
      ev.preventDefault();
      ev.stopPropagation();
    }
  }
}
