// mock-server.mjs: a development stand-in for the flamedex server. It serves
// web/ like the real server (SPA routes, same Content-Security-Policy) and a
// small in-memory implementation of the JSON API (API.md plus the extras the
// frontend uses), decoding profiles with lib/pprof.mjs. Approximate where the
// real server is exact; the e2e suite runs against the real binary by default
// and uses this only with FLAMEDEX_MOCK=1.
//
//   node tests/e2e/mock-server.mjs --listen 127.0.0.1:8080 --web web

import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { decodeProfile } from './lib/pprof.mjs';

export const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";
const MIME = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json' };

function kindOf(types) {
  const t = types.map((x) => x.type);
  if (t.includes('cpu') || t.includes('samples')) return 'cpu';
  if (t.some((x) => x.includes('space') || x.includes('objects'))) return 'heap';
  if (t.includes('goroutine')) return 'goroutine';
  if (t.includes('contentions') || t.includes('delay')) return 'mutex';
  return 'other';
}

function typeIndex(p, st) {
  const types = p.decoded.sampleTypes;
  if (st !== null && st !== undefined && st !== '') {
    const i = types.findIndex((t) => t.type === st);
    if (i >= 0) return i;
    if (/^\d+$/.test(st) && +st < types.length) return +st;
    throw apiErr(400, 'bad_sample_type', `unknown sample type "${st}"`);
  }
  const d = p.decoded.defaultSampleType;
  const i = d ? types.findIndex((t) => t.type === d) : -1;
  return i >= 0 ? i : types.length - 1;
}

function apiErr(status, code, message) { const e = new Error(message); e.status = status; e.code = code; return e; }

function re(src, what) {
  try { return new RegExp(src); } catch (e) { throw apiErr(400, 'bad_regex', `${what}: ${e.message}`); }
}

/** Filtered samples: [{stack, value, labels}] for one sample type. */
function filtered(p, q) {
  const ti = typeIndex(p, q.get('sample_type'));
  const focus = q.get('focus') ? re(q.get('focus'), 'focus') : null;
  const ignore = q.get('ignore') ? re(q.get('ignore'), 'ignore') : null;
  const hide = q.get('hide') ? re(q.get('hide'), 'hide') : null;
  const tag = (name) => {
    const v = q.get(name);
    if (!v) return null;
    const eq = v.indexOf('=');
    if (eq < 0) throw apiErr(400, 'bad_tag_filter', `${name} must be KEY=VALUE`);
    return { key: v.slice(0, eq), re: re(v.slice(eq + 1), name) };
  };
  const tf = tag('tagfocus'), ti2 = tag('tagignore');
  const out = [];
  for (const s of p.decoded.samples) {
    if (focus && !s.stack.some((f) => focus.test(f))) continue;
    if (ignore && s.stack.some((f) => ignore.test(f))) continue;
    if (tf && !(tf.key in s.labels && tf.re.test(s.labels[tf.key]))) continue;
    if (ti2 && ti2.key in s.labels && ti2.re.test(s.labels[ti2.key])) continue;
    const stack = hide ? s.stack.filter((f) => !hide.test(f)) : s.stack;
    out.push({ stack, value: s.values[ti], labels: s.labels });
  }
  return { ti, samples: out, sampleType: p.decoded.sampleTypes[ti] };
}

function newNode(name) { return { name, self: 0, total: 0, kids: new Map() }; }
function insert(root, stack, v) {
  let n = root;
  n.total += v;
  for (const f of stack) {
    let c = n.kids.get(f);
    if (!c) { c = newNode(f); n.kids.set(f, c); }
    c.total += v;
    n = c;
  }
  n.self += v;
}
function flatten(root, files) {
  const names = [], idx = new Map(), nodes = [];
  const ni = (s) => { let i = idx.get(s); if (i === undefined) { i = names.length; names.push(s); idx.set(s, i); } return i; };
  const walk = (n, d) => {
    nodes.push([ni(n.name), d, n.self, n.total]);
    const kids = [...n.kids.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const k of kids) walk(k, d + 1);
  };
  walk(root, 0);
  const out = { names, nodes };
  if (files) out.files = names.map((n) => files[n] || '');
  return out;
}

function flamegraph(p, q) {
  const { samples, sampleType } = filtered(p, q);
  const root = newNode('root');
  for (const s of samples) insert(root, s.stack, s.value);
  return { sample_type: sampleType, total: root.total, ...flatten(root, p.decoded.files) };
}

function top(p, q) {
  const { samples, sampleType } = filtered(p, q);
  const flat = new Map(), cum = new Map();
  let total = 0;
  for (const s of samples) {
    total += s.value;
    if (s.stack.length) { const leaf = s.stack[s.stack.length - 1]; flat.set(leaf, (flat.get(leaf) || 0) + s.value); }
    for (const f of new Set(s.stack)) cum.set(f, (cum.get(f) || 0) + s.value);
  }
  const rows = [...cum.keys()].map((f) => ({ function: f, flat: flat.get(f) || 0, cum: cum.get(f) }));
  const by = q.get('sort') === 'cum' ? 'cum' : 'flat';
  rows.sort((a, b) => b[by] - a[by] || (a.function < b.function ? -1 : 1));
  const limit = parseInt(q.get('limit') || '0', 10);
  return { sample_type: sampleType, total, rows: limit > 0 ? rows.slice(0, limit) : rows };
}

function tags(p, q) {
  const ti = typeIndex(p, q.get('sample_type'));
  const keys = new Map();
  for (const s of p.decoded.samples) {
    for (const [k, v] of Object.entries(s.labels)) {
      if (!keys.has(k)) keys.set(k, new Map());
      const m = keys.get(k);
      m.set(v, (m.get(v) || 0) + s.values[ti]);
    }
  }
  return {
    tags: [...keys.entries()].sort().map(([key, m]) => ({
      key, values: [...m.entries()].map(([value, total]) => ({ value, total })).sort((a, b) => b.total - a.total),
    })),
  };
}

function sandwich(p, q) {
  const fn = q.get('function') || '';
  const { samples, sampleType } = filtered(p, q);
  const callers = newNode(fn), callees = newNode(fn);
  let total = 0;
  for (const s of samples) {
    total += s.value;
    const first = s.stack.indexOf(fn);
    if (first < 0) continue;
    insert(callees, s.stack.slice(first + 1), s.value);
    insert(callers, s.stack.slice(0, s.stack.lastIndexOf(fn)).reverse(), s.value);
  }
  return { sample_type: sampleType, total, function: fn, callers: flatten(callers, p.decoded.files), callees: flatten(callees, p.decoded.files) };
}

function meta(p) {
  const d = p.decoded;
  return {
    id: p.id, name: p.name, kind: kindOf(d.sampleTypes), uploaded_at: p.uploadedAt,
    time: d.timeNanos ? new Date(d.timeNanos / 1e6).toISOString() : null,
    duration_ns: d.durationNanos,
    period: d.periodType ? { type: d.periodType.type, unit: d.periodType.unit, value: d.period } : null,
    sample_types: d.sampleTypes, default_sample_type: d.defaultSampleType || d.sampleTypes[d.sampleTypes.length - 1].type,
    samples: d.samples.length, functions: d.functions, locations: d.locations, bytes: p.raw.length,
    labels: p.labels, url: '/p/' + p.id,
  };
}

export function createMockServer({ webDir }) {
  const store = new Map(); // id -> profile, insertion order = upload order
  const json = (res, status, obj) => {
    const body = JSON.stringify(obj);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff' });
    res.end(body);
  };
  const serveFile = (res, file) => {
    fs.readFile(file, (err, data) => {
      if (err) { res.writeHead(404, { 'Content-Type': 'text/plain' }); res.end('not found'); return; }
      res.writeHead(200, { 'Content-Type': MIME[path.extname(file)] || 'application/octet-stream', 'Content-Security-Policy': CSP, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' });
      res.end(data);
    });
  };
  const handle = async (req, res) => {
    const url = new URL(req.url, 'http://x');
    const q = url.searchParams;
    const parts = url.pathname.split('/').filter(Boolean);
    if (url.pathname === '/healthz') { res.writeHead(200, { 'Content-Type': 'text/plain' }); res.end('ok'); return; }
    if (parts[0] === 'api' && parts[1] === 'v1' && parts[2] === 'profiles') {
      const id = parts[3];
      if (!id) {
        if (req.method === 'POST') {
          const chunks = [];
          for await (const c of req) chunks.push(c);
          const raw = Buffer.concat(chunks);
          let decoded;
          try { decoded = decodeProfile(raw); } catch (e) { throw apiErr(400, 'bad_profile', 'not a valid pprof profile: ' + e.message); }
          const labels = {};
          for (const kv of (q.get('labels') || '').split(',').filter(Boolean)) { const c = kv.indexOf(':'); labels[kv.slice(0, c)] = kv.slice(c + 1); }
          const p = { id: crypto.randomBytes(16).toString('hex'), name: q.get('name') || 'profile', labels, raw, decoded, uploadedAt: new Date().toISOString() };
          store.set(p.id, p);
          return json(res, 201, meta(p));
        }
        if (req.method !== 'GET') throw apiErr(405, 'method_not_allowed', 'method not allowed');
        let list = [...store.values()].reverse();
        const text = (q.get('q') || '').toLowerCase();
        if (text) list = list.filter((p) => p.name.toLowerCase().includes(text));
        const label = q.get('label');
        if (label) { const c = label.indexOf(':'); list = list.filter((p) => p.labels[label.slice(0, c)] === label.slice(c + 1)); }
        if (q.get('type')) list = list.filter((p) => kindOf(p.decoded.sampleTypes) === q.get('type'));
        const limit = parseInt(q.get('limit') || '50', 10), offset = parseInt(q.get('offset') || '0', 10);
        return json(res, 200, { profiles: list.slice(offset, offset + limit).map(meta), total: list.length });
      }
      const p = store.get(id);
      if (!p) throw apiErr(404, 'not_found', 'no such profile');
      const view = parts[4];
      if (!view) {
        if (req.method === 'DELETE') { store.delete(id); res.writeHead(204); res.end(); return; }
        return json(res, 200, meta(p));
      }
      if (view === 'raw') { res.writeHead(200, { 'Content-Type': 'application/octet-stream' }); res.end(p.raw); return; }
      if (view === 'flamegraph') return json(res, 200, flamegraph(p, q));
      if (view === 'top') return json(res, 200, top(p, q));
      if (view === 'tags') return json(res, 200, tags(p, q));
      if (view === 'sandwich') return json(res, 200, sandwich(p, q));
      throw apiErr(404, 'not_found', 'no such endpoint');
    }
    if (parts[0] === 'api') throw apiErr(404, 'not_found', 'no such endpoint');
    const spa = url.pathname === '/' || /^\/p\/[^/]+$/.test(url.pathname) || /^\/diff\/[^/]+\/[^/]+$/.test(url.pathname) || url.pathname === '/leaks';
    if (spa) return serveFile(res, path.join(webDir, 'index.html'));
    const file = path.normalize(path.join(webDir, url.pathname));
    if (!file.startsWith(path.resolve(webDir) + path.sep)) { res.writeHead(404); res.end(); return; }
    return serveFile(res, file);
  };
  return http.createServer((req, res) => {
    handle(req, res).catch((e) => {
      if (!res.headersSent) json(res, e.status || 500, { error: { code: e.code || 'internal', message: e.status ? e.message : 'internal error' } });
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (k, d) => { const i = process.argv.indexOf(k); return i > 0 ? process.argv[i + 1] : d; };
  const [host, port] = arg('--listen', '127.0.0.1:8080').split(':');
  const webDir = path.resolve(arg('--web', 'web'));
  createMockServer({ webDir }).listen(+port, host, () => console.error(`mock flamedex on http://${host}:${port} serving ${webDir}`));
}
