// home.js: the front page, /: upload (drop zone, file picker, per-file
// progress) and the list of stored profiles (search, label filter, paging,
// delete, pick two to compare). List filters and the page live in the URL.

import { api } from './api.js';
import { h, replace, toast, isTyping } from './dom.js';
import { formatInt, formatTime, formatAgo, formatBytes } from './format.js';
import { UrlState } from './urlstate.js';
import { appBar, profileHref, curlSnippet } from './chrome.js';
import { UploadList, fileInput } from './uploads.js';

const PAGE = 20;
const KINDS = ['cpu', 'heap', 'goroutine', 'mutex', 'block', 'other'];

export function mountHome(root) {
  const page = new HomePage(root);
  page.load();
  return page;
}

/** Parse "k:v,k2:v2" → {ok, value (normalised), error}. */
export function parseLabels(text) {
  const t = text.trim();
  if (!t) return { ok: true, value: '' };
  const out = [];
  for (const part of t.split(',')) {
    const p = part.trim();
    if (!p) continue;
    const c = p.indexOf(':');
    if (c <= 0) return { ok: false, error: `"${p}" is not key:value` };
    out.push(p.slice(0, c).trim() + ':' + p.slice(c + 1).trim());
  }
  return { ok: true, value: out.join(',') };
}

class HomePage {
  constructor(root) {
    this.root = root;
    this.us = new UrlState({ q: '', label: '', type: '', offset: '0' });
    this.selected = new Map(); // id -> metadata, for "compare with…"
    this.armed = null;         // id whose delete button awaits confirmation
    this.listCtrl = null;
    this.build();
  }

  build() {
    const s = this.us.state;
    document.title = 'flamedex';
    this.fileIn = fileInput('file-input', '.pb.gz,.pb,.pprof,.gz,.prof,.pgo,.out,.txt,.folded,.collapsed,.json,application/octet-stream,application/gzip,application/json,text/plain', (files) => this.uploadAll(files));
    this.drop = h('label', { class: 'dropzone', for: 'file-input', id: 'dropzone' },
      h('span', { class: 'drop-icon', 'aria-hidden': 'true' }, '⇪'),
      h('span', { class: 'drop-main' }, 'Drop pprof files here, or ', h('span', { class: 'link' }, 'choose files')),
      h('span', { class: 'drop-hint' }, '.pb.gz from net/http/pprof, go test -cpuprofile, continuous profilers; goroutine dumps, folded stacks, speedscope JSON · gzipped or not · several at once'));
    for (const ev of ['dragenter', 'dragover']) this.drop.addEventListener(ev, (e) => { e.preventDefault(); this.drop.classList.add('over'); });
    for (const ev of ['dragleave', 'dragend']) this.drop.addEventListener(ev, () => this.drop.classList.remove('over'));
    this.drop.addEventListener('drop', (e) => {
      e.preventDefault();
      this.drop.classList.remove('over');
      this.uploadAll([...(e.dataTransfer ? e.dataTransfer.files : [])]);
    });
    // a file dropped next to the zone must not make the browser navigate away
    this.onWinDrag = (e) => { if (e.dataTransfer && [...e.dataTransfer.types].includes('Files')) e.preventDefault(); };
    window.addEventListener('dragover', this.onWinDrag);
    window.addEventListener('drop', this.onWinDrag);

    this.nameIn = h('input', { class: 'input', id: 'upload-name', type: 'text', placeholder: 'default: the file name', autocomplete: 'off' });
    this.labelsIn = h('input', { class: 'input mono', id: 'upload-labels', type: 'text', placeholder: 'service:checkout,env:prod', autocomplete: 'off', spellcheck: 'false' });
    this.labelsErr = h('span', { class: 'field-error', id: 'labels-error', hidden: true });
    this.labelsIn.addEventListener('input', () => this.checkLabels());
    this.uploads = new UploadList();

    this.qIn = h('input', { class: 'input search', id: 'list-q', type: 'search', placeholder: 'Search names', value: s.q, autocomplete: 'off', 'aria-label': 'Search profile names' });
    this.labelIn = h('input', { class: 'input mono', id: 'list-label', type: 'search', placeholder: 'label k:v', value: s.label, autocomplete: 'off', spellcheck: 'false', 'aria-label': 'Filter by label key:value' });
    this.typeSel = h('select', { class: 'select', id: 'list-type', 'aria-label': 'Kind' },
      h('option', { value: '' }, 'all kinds'), KINDS.map((k) => h('option', { value: k }, k)));
    this.typeSel.value = s.type;
    const onFilter = () => {
      clearTimeout(this.filterTimer);
      this.filterTimer = setTimeout(() => this.setList({ q: this.qIn.value.trim(), label: this.labelIn.value.trim(), type: this.typeSel.value, offset: '0' }), 200);
    };
    this.qIn.addEventListener('input', onFilter);
    this.labelIn.addEventListener('input', onFilter);
    this.typeSel.addEventListener('change', onFilter);

    this.countEl = h('span', { class: 'count muted', id: 'list-count' });
    this.compareBar = h('div', { class: 'compare-bar', id: 'compare-bar' });
    this.listError = h('div', { class: 'error-box', role: 'alert', hidden: true });
    this.tbody = h('tbody', { id: 'profile-rows' });
    this.table = h('table', { class: 'data profiles' },
      h('thead', null, h('tr', null,
        h('th', { class: 'sel' }, h('span', { class: 'sr-only' }, 'Compare')),
        h('th', { class: 'fn' }, 'Name'),
        h('th', { title: 'The kind of profile, and the format it was uploaded in' }, 'Kind · format'),
        h('th', { class: 'num' }, 'Samples'),
        h('th', null, 'Profile time'),
        h('th', null, 'Uploaded'),
        h('th', { class: 'num' }, 'Size'),
        h('th', { class: 'act' }, h('span', { class: 'sr-only' }, 'Actions')))),
      this.tbody);
    this.emptyEl = h('div', { class: 'empty', hidden: true });
    this.pager = h('div', { class: 'pager', id: 'pager' });

    replace(this.root,
      appBar(),
      h('main', { class: 'page home' },
        h('section', { class: 'card upload-card', 'aria-labelledby': 'upload-h' },
          h('h2', { id: 'upload-h' }, 'Upload'),
          this.fileIn, this.drop,
          h('div', { class: 'upload-options' },
            h('label', { class: 'field' }, h('span', null, 'Name'), this.nameIn),
            h('label', { class: 'field grow' }, h('span', null, 'Labels'), this.labelsIn, this.labelsErr)),
          this.uploads.el),
        h('section', { class: 'card list-card', 'aria-labelledby': 'list-h' },
          h('div', { class: 'list-head' },
            h('h2', { id: 'list-h' }, 'Profiles ', this.countEl),
            h('span', { class: 'spacer' }),
            this.qIn, this.labelIn, this.typeSel),
          this.compareBar,
          this.listError,
          h('div', { class: 'table-wrap' }, this.table),
          this.emptyEl,
          this.pager)));
    this.renderCompare();
    window.addEventListener('popstate', () => { this.us.reload(); this.syncInputs(); this.load(); });
    document.addEventListener('keydown', (ev) => {
      if (ev.key === '/' && !isTyping(ev) && !ev.ctrlKey && !ev.metaKey && !ev.altKey) {
        ev.preventDefault();
        this.qIn.focus();
      }
    });
  }

  syncInputs() {
    const s = this.us.state;
    this.qIn.value = s.q;
    this.labelIn.value = s.label;
    this.typeSel.value = s.type;
  }

  checkLabels() {
    const r = parseLabels(this.labelsIn.value);
    this.labelsErr.hidden = r.ok;
    this.labelsErr.textContent = r.ok ? '' : r.error;
    this.labelsIn.classList.toggle('invalid', !r.ok);
    return r;
  }

  // ---- upload -----------------------------------------------------------

  async uploadAll(files) {
    if (!files.length) return;
    const labels = this.checkLabels();
    if (!labels.ok) { this.labelsIn.focus(); return; }
    const name = this.nameIn.value.trim();
    this.nameIn.value = ''; // a name is for this batch; labels are often reused, so they stay
    const stored = await this.uploads.uploadAll(files, (f) => ({ name: batchName(name, f.name, files.length), labels: labels.value }));
    if (stored.length) this.load();
  }

  // ---- list -------------------------------------------------------------

  /** Change the list's query; push: a step Back should undo (paging). */
  setList(patch, { push = false } = {}) {
    if (this.us.update(patch, { push }).size) this.load();
  }

  async load() {
    const s = this.us.state;
    if (this.listCtrl) this.listCtrl.abort();
    const ctrl = new AbortController();
    this.listCtrl = ctrl;
    const offset = Math.max(0, parseInt(s.offset, 10) || 0);
    let data;
    try {
      data = await api.listProfiles({ limit: PAGE, offset, q: s.q, label: s.label, type: s.type }, ctrl.signal);
    } catch (e) {
      if (e.name === 'AbortError') return;
      this.listError.hidden = false;
      this.listError.textContent = 'Could not list profiles: ' + e.message;
      // the rows on screen answer another query: do not leave them there
      replace(this.tbody);
      this.table.hidden = true;
      this.emptyEl.hidden = true;
      this.pager.hidden = true;
      this.countEl.textContent = '';
      return;
    }
    if (this.listCtrl !== ctrl) return;
    this.listError.hidden = true;
    const rows = Array.isArray(data.profiles) ? data.profiles : [];
    const total = typeof data.total === 'number' ? data.total : rows.length;
    if (!rows.length && offset > 0 && total > 0) { this.setList({ offset: String(Math.max(0, total - PAGE)) }); return; }
    this.countEl.textContent = `(${formatInt(total)})`;
    replace(this.tbody, rows.map((p, i) => this.row(p, offset + i)));
    this.table.hidden = !rows.length;
    const filtered = s.q || s.label || s.type;
    this.emptyEl.hidden = rows.length > 0;
    if (!rows.length) {
      replace(this.emptyEl, filtered
        ? 'No profile matches these filters.'
        : ['No profiles yet. Drop a file above, or upload from a script:',
          curlSnippet((a) => `curl${a} --data-binary @cpu.pb.gz '${location.origin}/api/v1/profiles?name=checkout&labels=service:checkout'`)]);
    }
    this.renderPager(offset, rows.length, total);
  }

  row(p, pos) {
    const id = String(p.id);
    const box = h('input', { type: 'checkbox', class: 'sel-box', 'aria-label': 'Select (compare two, or a leak table of several)', checked: this.selected.has(id) });
    box.addEventListener('change', () => {
      if (box.checked) this.selected.set(id, { ...p, _pos: pos });
      else this.selected.delete(id);
      this.renderCompare();
    });
    const labels = Object.entries(p.labels || {});
    const del = h('button', { class: 'btn small danger-outline del', type: 'button', title: 'Delete this profile' }, 'Delete');
    del.addEventListener('click', () => this.deleteClicked(id, del));
    return h('tr', { dataset: { id } },
      h('td', { class: 'sel' }, box),
      h('td', { class: 'fn' },
        h('a', { class: 'profile-link', href: profileHref(p) }, p.name || id),
        labels.length ? h('div', { class: 'chips inline' }, labels.map(([k, v]) =>
          h('button', { class: 'chip chip-btn', type: 'button', title: 'Show profiles with this label', onclick: () => { this.labelIn.value = `${k}:${v}`; this.setList({ label: `${k}:${v}`, offset: '0' }); } }, `${k}:${v}`)),
          h('a', { class: 'chip timeline-link', href: '/s?' + new URLSearchParams({ label: `${labels[0][0]}:${labels[0][1]}`, type: p.kind || '' }), title: `Timeline of the ${p.kind || ''} profiles with ${labels[0][0]}:${labels[0][1]}` }, 'timeline')) : null),
      h('td', { class: 'kind-cell' }, p.kind ? h('span', { class: 'badge', dataset: { kind: p.kind } }, p.kind) : '—',
        p.format ? h('span', { class: 'badge format-badge', dataset: { format: p.format }, title: 'Uploaded as ' + p.format }, p.format) : null),
      h('td', { class: 'num' }, formatInt(p.samples || 0)),
      h('td', { class: 'nowrap' }, p.time ? formatTime(p.time) : '—'),
      h('td', { class: 'nowrap', title: formatTime(p.uploaded_at) }, formatAgo(p.uploaded_at)),
      h('td', { class: 'num' }, formatBytes(p.bytes || 0)),
      h('td', { class: 'act' }, del));
  }

  async deleteClicked(id, btn) {
    if (this.armed !== id) {
      this.armed = id;
      btn.textContent = 'Confirm delete';
      btn.classList.add('armed');
      clearTimeout(this.armTimer);
      this.armTimer = setTimeout(() => {
        this.armed = null;
        btn.textContent = 'Delete';
        btn.classList.remove('armed');
      }, 4000);
      return;
    }
    this.armed = null;
    btn.disabled = true;
    try {
      await api.deleteProfile(id);
      this.selected.delete(id);
      this.renderCompare();
      toast('Profile deleted.');
      this.load();
    } catch (e) {
      btn.disabled = false;
      toast('Delete failed: ' + e.message, 'error');
    }
  }

  renderPager(offset, n, total) {
    const prev = h('button', { class: 'btn small', type: 'button', disabled: offset <= 0, onclick: () => this.setList({ offset: String(Math.max(0, offset - PAGE)) }, { push: true }) }, '‹ Newer');
    const next = h('button', { class: 'btn small', type: 'button', disabled: offset + n >= total, onclick: () => this.setList({ offset: String(offset + PAGE) }, { push: true }) }, 'Older ›');
    replace(this.pager, n ? h('span', { class: 'muted' }, `${formatInt(offset + 1)}–${formatInt(offset + n)} of ${formatInt(total)}`) : null,
      h('span', { class: 'spacer' }), prev, next);
    this.pager.hidden = total <= PAGE && offset === 0;
  }

  renderCompare() {
    const sel = [...this.selected.values()];
    const clear = h('button', { class: 'link', type: 'button', onclick: () => this.clearSelection() }, 'clear');
    if (!sel.length) {
      replace(this.compareBar, h('span', { class: 'muted' }, 'Tick two profiles to compare them, or goroutine (or heap) snapshots of one process for a leak table.'));
      return;
    }
    // a leak table of the ticked snapshots (the server orders them by profile
    // time), offered only when it can work: every one a goroutine profile, or
    // every one a heap profile
    const kinds = new Set(sel.map((p) => p.kind));
    const leakable = kinds.size === 1 && (kinds.has('goroutine') || kinds.has('heap'));
    const leakLink = !leakable ? null : h('a', { class: 'btn', id: 'leaks-link', href: '/leaks?' + new URLSearchParams({ ids: sel.map((p) => p.id).join(',') }),
      title: 'Leak candidates across the ticked goroutine or heap snapshots' }, `Leak table for selected (${sel.length})`);
    // the ticked profiles merged (merge.js), offered when they are of one kind
    const mergeLink = sel.length < 2 || kinds.size !== 1 ? null : h('a', { class: 'btn', id: 'merge-link', href: '/m?' + new URLSearchParams({ ids: sel.map((p) => p.id).join(',') }),
      title: 'One flame graph, top and labels of the ticked profiles together (as go tool pprof A B C)' }, `Merge selected (${sel.length})`);
    if (sel.length === 1) {
      replace(this.compareBar, h('span', null, 'Compare ', h('strong', null, sel[0].name || sel[0].id), ' with… (tick one more)'), leakLink, clear);
      return;
    }
    if (sel.length > 2) {
      replace(this.compareBar, h('span', null, `${sel.length} selected`), mergeLink, leakLink, h('span', { class: 'muted' }, 'tick exactly two to compare'), clear);
      return;
    }
    // base = the older one, target = the newer one: by profile time when both
    // have one, else by upload time, else by place in the newest-first list
    const t = (iso) => (iso ? new Date(iso).getTime() || 0 : 0);
    const [a, b] = sel;
    let older;
    if (t(a.time) && t(b.time) && t(a.time) !== t(b.time)) older = t(a.time) < t(b.time);
    else if (t(a.uploaded_at) !== t(b.uploaded_at)) older = t(a.uploaded_at) < t(b.uploaded_at);
    else older = (a._pos || 0) > (b._pos || 0);
    const [base, target] = older ? [a, b] : [b, a];
    replace(this.compareBar,
      h('span', null, 'Base ', h('strong', null, base.name || base.id), ' → target ', h('strong', null, target.name || target.id)),
      h('a', { class: 'btn primary', id: 'compare-link', href: `/diff/${encodeURIComponent(base.id)}/${encodeURIComponent(target.id)}` }, 'Compare'),
      mergeLink, leakLink, clear);
  }

  clearSelection() {
    this.selected.clear();
    for (const b of this.tbody.querySelectorAll('.sel-box')) b.checked = false;
    this.renderCompare();
  }
}

/**
 * The name a file of a batch is stored under: the name typed, for one file;
 * for several, each file keeps its own name (after the typed one, when
 * there is one), so that the rows of a batch tell the files apart.
 */
export function batchName(typed, fileName, count) {
  if (!typed) return fileName;
  return count > 1 ? `${typed} · ${fileName}` : typed;
}
