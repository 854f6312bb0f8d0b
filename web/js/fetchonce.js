// fetchonce.js: loading with "latest wins", one slot per kind of data (the
// flame graph, the top table, the labels…). A request for the key already
// under way in its slot shares that request; one for another key aborts
// the older request, whose callers then get null. Pure: needs only
// AbortController, so node can test it.
//
// Invariant: a slot holds at most one request, the latest; a request's
// result reaches its callers only while it is still in its slot.

export class LatestFetch {
  /**
   * @param {{onBusy?: (busy:boolean)=>void, onError?: (e:Error, kind:string)=>void}} o
   *   onBusy(true) when the first slot fills, onBusy(false) when all are
   *   empty again; onError once per failed request that was still the
   *   latest of its slot (not for aborted or superseded ones).
   */
  constructor({ onBusy, onError } = {}) {
    this.slots = new Map(); // kind -> {key, ctrl, promise}
    this.onBusy = onBusy || (() => {});
    this.onError = onError || (() => {});
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
      return current() ? data : null;
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
