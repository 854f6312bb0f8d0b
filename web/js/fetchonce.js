// fetchonce.js: loading with "latest wins", one slot per kind of data (the
// flame graph, the top table, the labels…). A request for the key already
// under way in its slot shares that request; one for another key aborts
// the older request, whose callers then get null. load() also keeps the
// last data of each kind, so asking for the same key again costs nothing.
// Pure: needs only AbortController, so node can test it.
//
// Invariant: a slot holds at most one request, the latest; a request's
// result reaches its callers only while it is still in its slot.

export class LatestFetch {
  /**
   * @param {{onBusy?: (busy:boolean)=>void, onData?: (kind:string)=>void, onError?: (e:Error, kind:string)=>void}} o
   *   onBusy(true) when the first slot fills, onBusy(false) when all are
   *   empty again; onData once per request whose data arrived while it was
   *   the latest of its slot, onError once per such request that failed
   *   (neither for aborted or superseded ones).
   */
  constructor({ onBusy, onData, onError } = {}) {
    this.slots = new Map(); // kind -> {key, ctrl, promise}
    this.last = new Map();  // kind -> {key, data}: what load() got last
    this.onBusy = onBusy || (() => {});
    this.onData = onData || (() => {});
    this.onError = onError || (() => {});
  }

  /**
   * As get, but the same key as the kind's last loaded one resolves to its
   * data (the same object) without a request.
   */
  async load(kind, key, fn) {
    const last = this.last.get(kind);
    if (last && last.key === key) return last.data;
    const data = await this.get(kind, key, fn);
    if (data !== null) this.last.set(kind, { key, data });
    return data;
  }

  /**
   * fn(signal) for (kind, key). Resolves to its data, or null when the
   * request failed or was superseded (never rejects).
   */
  get(kind, key, fn) {
    const cur = this.slots.get(kind);
    if (cur && cur.key === key) return cur.promise;
    if (cur) cur.ctrl.abort();
    const entry = { key, ctrl: new AbortController() };
    if (!this.slots.size) this.onBusy(true);
    this.slots.set(kind, entry);
    entry.promise = this.run(kind, entry, fn);
    return entry.promise;
  }

  async run(kind, entry, fn) {
    const current = () => this.slots.get(kind) === entry;
    try {
      const data = await fn(entry.ctrl.signal);
      if (!current()) return null;
      this.onData(kind);
      return data;
    } catch (e) {
      if (e && e.name !== 'AbortError' && current()) this.onError(e, kind);
      return null;
    } finally {
      if (current()) {
        this.slots.delete(kind);
        if (!this.slots.size) this.onBusy(false);
      }
    }
  }

  /** Abort everything (the page goes away). */
  abortAll() {
    for (const e of this.slots.values()) e.ctrl.abort();
    this.slots.clear();
    this.onBusy(false);
  }
}
