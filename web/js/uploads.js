// uploads.js: uploading files from a page (the front page and the leak
// page): a hidden file input, and the list of upload rows, one per file,
// newest on top: name, size, progress bar, then the outcome (stored, with
// kind, samples and a link to the profile; or the server's message).
// Files go one after the other: the server ingests each in one transaction.

import { api } from './api.js';
import { h, replace } from './dom.js';
import { formatInt, formatBytes } from './format.js';
import { profileHref } from './chrome.js';

/** A hidden multiple-file input; onFiles(File[]) on each pick. Show it with a <label for=id>. */
export function fileInput(id, accept, onFiles) {
  const input = h('input', { class: 'visually-hidden', id, type: 'file', multiple: true, accept });
  input.addEventListener('change', () => {
    const files = [...input.files];
    input.value = '';
    onFiles(files);
  });
  return input;
}

export class UploadList {
  constructor() {
    /** The list (ul#uploads); rows have class upload-item and pending, active, done or failed. */
    this.el = h('ul', { class: 'uploads', id: 'uploads', 'aria-live': 'polite' });
  }

  /**
   * Upload the files, each with params(file) ({name, labels} for the API)
   * and the file's lastModified as time= (the server keeps a profile's own
   * time; goroutine text dumps have none).
   * Resolves to the metadata of the stored profiles, in file order.
   */
  async uploadAll(files, params) {
    const rows = files.map((f) => this.row(f));
    const stored = [];
    for (let i = 0; i < files.length; i++) {
      const f = files[i];
      const time = f.lastModified > 0 ? new Date(f.lastModified).toISOString() : undefined;
      const meta = await this.uploadOne(f, rows[i], { time, ...params(f) });
      if (meta) stored.push(meta);
    }
    return stored;
  }

  row(file) {
    const bar = h('progress', { class: 'progress', max: 100, value: 0 });
    const status = h('span', { class: 'up-status' }, 'waiting');
    const li = h('li', { class: 'upload-item pending' },
      h('span', { class: 'up-name' }, file.name),
      h('span', { class: 'up-size muted' }, formatBytes(file.size)),
      bar, status);
    this.el.prepend(li);
    return { li, bar, status };
  }

  /** One upload into its row; resolves to the stored profile's metadata, or null. */
  async uploadOne(file, row, params) {
    row.li.className = 'upload-item active';
    row.status.textContent = 'uploading…';
    const { promise } = api.upload(file, params, (loaded, total) => {
      const p = total ? Math.round((100 * loaded) / total) : 0;
      row.bar.value = p;
      row.status.textContent = p < 100 ? `${p}%` : 'processing…';
    });
    try {
      const meta = await promise;
      row.bar.value = 100;
      row.li.className = 'upload-item done';
      replace(row.status, h('span', { class: 'ok' }, '✓ stored'),
        ` · ${meta.kind || 'profile'} · ${formatInt(meta.samples || 0)} samples · `,
        h('a', { href: profileHref(meta), class: 'open-link' }, 'open →'));
      return meta;
    } catch (e) {
      row.li.className = 'upload-item failed';
      row.bar.value = 0;
      const code = e.code && !e.code.startsWith('http_') ? ' ' + e.code : '';
      replace(row.status, h('span', { class: 'err-text' }, e.message), e.status ? h('span', { class: 'muted' }, ` (${e.status}${code})`) : null);
      row.li.dataset.error = e.code || 'error';
      return null;
    }
  }
}
