// pprof.mjs: a small encoder and decoder for the pprof protobuf format
// (profile.proto field numbers), written for these tests: the encoder makes
// test profiles (hostile names, a large synthetic profile), the decoder backs
// the development mock server. Not a general protobuf library.

import zlib from 'node:zlib';

// ---- encoding ------------------------------------------------------------

class Writer {
  constructor(size = 256) { this.buf = new Uint8Array(size); this.len = 0; }
  ensure(n) {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const b = new Uint8Array(cap);
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }
  bytes(b) { this.ensure(b.length); this.buf.set(b, this.len); this.len += b.length; }
  varint(n) {
    this.ensure(10);
    if (typeof n === 'bigint' || n < 0 || n > Number.MAX_SAFE_INTEGER) {
      let v = BigInt(n);
      if (v < 0n) v += 1n << 64n;
      while (v >= 0x80n) { this.buf[this.len++] = Number(v & 0x7fn) | 0x80; v >>= 7n; }
      this.buf[this.len++] = Number(v);
      return;
    }
    while (n >= 0x80) { this.buf[this.len++] = (n % 128) | 0x80; n = Math.floor(n / 128); }
    this.buf[this.len++] = n;
  }
  tag(field, wire) { this.varint(field * 8 + wire); }
  uint(field, n) { if (n) { this.tag(field, 0); this.varint(n); } }
  msg(field, w) { this.tag(field, 2); this.varint(w.len); this.bytes(w.buf.subarray(0, w.len)); }
  str(field, s) { const b = Buffer.from(s, 'utf8'); this.tag(field, 2); this.varint(b.length); this.bytes(b); }
  packed(field, nums) {
    if (!nums.length) return;
    const w = new Writer(nums.length * 2 + 8);
    for (const n of nums) w.varint(n);
    this.msg(field, w);
  }
  finish() { return Buffer.from(this.buf.buffer, this.buf.byteOffset, this.len); }
}

/**
 * Encode a profile. stacks are root→leaf arrays of function names.
 * @param {{sampleTypes: [string,string][], samples: {stack:string[], values:number[], labels?:Record<string,string>}[],
 *          files?: Record<string,string>, periodType?: [string,string], period?: number,
 *          timeNanos?: number|bigint, durationNanos?: number, defaultSampleType?: string}} p
 * @returns {Buffer} gzipped protobuf
 */
export function encodeProfile(p, { gzip = true } = {}) {
  const strings = [''];
  const strIndex = new Map([['', 0]]);
  const S = (s) => {
    s = String(s);
    let i = strIndex.get(s);
    if (i === undefined) { i = strings.length; strings.push(s); strIndex.set(s, i); }
    return i;
  };
  const funcs = new Map(); // name -> id (location id == function id)
  const fid = (name) => {
    let id = funcs.get(name);
    if (id === undefined) { id = funcs.size + 1; funcs.set(name, id); }
    return id;
  };
  const w = new Writer();
  for (const [t, u] of p.sampleTypes) {
    const vt = new Writer(); vt.uint(1, S(t)); vt.uint(2, S(u)); w.msg(1, vt);
  }
  for (const s of p.samples) {
    const sw = new Writer();
    const locs = s.stack.map(fid).reverse(); // leaf first
    sw.packed(1, locs);
    sw.packed(2, s.values);
    for (const [k, v] of Object.entries(s.labels || {})) {
      const lw = new Writer(); lw.uint(1, S(k)); lw.uint(2, S(v)); sw.msg(3, lw);
    }
    w.msg(2, sw);
  }
  const m = new Writer(); m.uint(1, 1); m.uint(2, 0x400000); m.uint(3, 0x800000); m.uint(5, S('/bin/app')); w.msg(3, m);
  for (const [name, id] of funcs) {
    const lw = new Writer(); lw.uint(1, id); lw.uint(2, 1); lw.uint(3, 0x400000 + id * 16);
    const line = new Writer(); line.uint(1, id); line.uint(2, 10 + (id % 90)); lw.msg(4, line);
    w.msg(4, lw);
  }
  for (const [name, id] of funcs) {
    const fw = new Writer(); fw.uint(1, id); fw.uint(2, S(name)); fw.uint(3, S(name));
    fw.uint(4, S((p.files && p.files[name]) || 'app/' + (name.split('.')[0] || 'main') + '.go'));
    w.msg(5, fw);
  }
  const pt = p.periodType || p.sampleTypes[p.sampleTypes.length - 1];
  const ptIdx = [S(pt[0]), S(pt[1])];
  const defIdx = p.defaultSampleType ? S(p.defaultSampleType) : 0;
  for (const s of strings) w.str(6, s);
  if (p.timeNanos) w.uint(9, p.timeNanos);
  if (p.durationNanos) w.uint(10, p.durationNanos);
  const ptw = new Writer(); ptw.uint(1, ptIdx[0]); ptw.uint(2, ptIdx[1]); w.msg(11, ptw);
  if (p.period) w.uint(12, p.period);
  if (defIdx) w.uint(14, defIdx);
  const raw = w.finish();
  return gzip ? zlib.gzipSync(raw) : raw;
}

// ---- decoding ------------------------------------------------------------

class Reader {
  constructor(buf) { this.b = buf; this.p = 0; }
  eof() { return this.p >= this.b.length; }
  varint() {
    let r = 0, mul = 1, b;
    do {
      if (this.p >= this.b.length) throw new Error('truncated varint');
      b = this.b[this.p++];
      r += (b & 0x7f) * mul;
      mul *= 128;
    } while (b & 0x80);
    if (r >= 2 ** 63) r -= 2 ** 64;
    return r;
  }
  fields(fn) {
    while (!this.eof()) {
      const key = this.varint();
      const field = Math.floor(key / 8), wire = key & 7;
      if (wire === 0) fn(field, wire, this.varint());
      else if (wire === 2) {
        const len = this.varint();
        if (len < 0 || this.p + len > this.b.length) throw new Error('truncated field');
        const sub = this.b.subarray(this.p, this.p + len);
        this.p += len;
        fn(field, wire, sub);
      } else if (wire === 1) { this.p += 8; } else if (wire === 5) { this.p += 4; } else throw new Error('bad wire type ' + wire);
    }
  }
}

function nums(wire, v, out) {
  if (wire === 0) out.push(v);
  else { const r = new Reader(v); while (!r.eof()) out.push(r.varint()); }
}

/** Decode a (possibly gzipped) pprof profile into plain objects. Throws on garbage. */
export function decodeProfile(buf) {
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) buf = zlib.gunzipSync(buf);
  if (!buf.length) throw new Error('empty profile');
  const p = { sampleType: [], sample: [], location: new Map(), function: new Map(), strings: [], timeNanos: 0, durationNanos: 0, periodType: null, period: 0, defaultSampleType: 0 };
  const vt = (b) => { const o = { type: 0, unit: 0 }; new Reader(b).fields((f, w, v) => { if (f === 1) o.type = v; else if (f === 2) o.unit = v; }); return o; };
  new Reader(buf).fields((f, w, v) => {
    switch (f) {
      case 1: p.sampleType.push(vt(v)); break;
      case 2: {
        const s = { loc: [], value: [], label: [] };
        new Reader(v).fields((sf, sw, sv) => {
          if (sf === 1) nums(sw, sv, s.loc);
          else if (sf === 2) nums(sw, sv, s.value);
          else if (sf === 3) { const l = { key: 0, str: 0, num: 0 }; new Reader(sv).fields((lf, lw, lv) => { if (lf === 1) l.key = lv; else if (lf === 2) l.str = lv; else if (lf === 3) l.num = lv; }); s.label.push(l); }
        });
        p.sample.push(s);
        break;
      }
      case 4: {
        const l = { id: 0, lines: [] };
        new Reader(v).fields((lf, lw, lv) => {
          if (lf === 1) l.id = lv;
          else if (lf === 4) { const ln = { fn: 0, line: 0 }; new Reader(lv).fields((a, b, c) => { if (a === 1) ln.fn = c; else if (a === 2) ln.line = c; }); l.lines.push(ln); }
        });
        p.location.set(l.id, l);
        break;
      }
      case 5: {
        const fn = { id: 0, name: 0, file: 0 };
        new Reader(v).fields((ff, fw, fv) => { if (ff === 1) fn.id = fv; else if (ff === 2) fn.name = fv; else if (ff === 4) fn.file = fv; });
        p.function.set(fn.id, fn);
        break;
      }
      case 6: p.strings.push(v.toString('utf8')); break;
      case 9: p.timeNanos = v; break;
      case 10: p.durationNanos = v; break;
      case 11: p.periodType = vt(v); break;
      case 12: p.period = v; break;
      case 14: p.defaultSampleType = v; break;
      default: break;
    }
  });
  const str = (i) => {
    if (i < 0 || i >= p.strings.length) throw new Error('string index out of range');
    return p.strings[i];
  };
  if (!p.sampleType.length) throw new Error('profile has no sample types');
  const sampleTypes = p.sampleType.map((t) => ({ type: str(t.type), unit: str(t.unit) }));
  const files = {};
  const samples = p.sample.map((s) => {
    const stack = []; // root → leaf
    for (let i = s.loc.length - 1; i >= 0; i--) {
      const loc = p.location.get(s.loc[i]);
      if (!loc) throw new Error('unknown location id ' + s.loc[i]);
      for (let j = loc.lines.length - 1; j >= 0; j--) {
        const fn = p.function.get(loc.lines[j].fn);
        if (!fn) throw new Error('unknown function id');
        const name = str(fn.name);
        files[name] = str(fn.file);
        stack.push(name);
      }
      if (!loc.lines.length) stack.push('0x' + s.loc[i].toString(16));
    }
    const labels = {};
    for (const l of s.label) labels[str(l.key)] = l.str ? str(l.str) : String(l.num);
    if (s.value.length !== sampleTypes.length) throw new Error('sample value count does not match sample types');
    return { stack, values: s.value, labels };
  });
  return {
    sampleTypes,
    samples,
    files,
    timeNanos: p.timeNanos,
    durationNanos: p.durationNanos,
    periodType: p.periodType ? { type: str(p.periodType.type), unit: str(p.periodType.unit) } : null,
    period: p.period,
    defaultSampleType: p.defaultSampleType ? str(p.defaultSampleType) : '',
    functions: p.function.size,
    locations: p.location.size,
  };
}
