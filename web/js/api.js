// api.js: the JSON API of /api/v1 (see API.md), and nothing else.
// Every call resolves to parsed JSON or rejects with an ApiError carrying the
// server's error.code and error.message.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code || ('HTTP ' + status));
    this.status = status;
    this.code = code || 'http_' + status;
  }
}

const BASE = '/api/v1';

/** Build a query string from an object, skipping empty values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v === undefined || v === null || v === '') continue;
    q.append(k, String(v));
  }
  const s = q.toString();
  return s ? '?' + s : '';
}

/** Turn a non-2xx response body into an ApiError. */
function errorFrom(status, statusText, bodyText) {
  try {
    const j = JSON.parse(bodyText);
    if (j && j.error) return new ApiError(status, j.error.code, j.error.message);
  } catch (_) { /* not JSON: a proxy page or empty body */ }
  const text = (bodyText || '').trim();
  const short = text && text.length < 200 && !text.startsWith('<') ? text : '';
  return new ApiError(status, 'http_' + status, short || `${status} ${statusText || 'error'}`);
}

/** The response prefetch.js started for url, once; null when none. */
function takeEarly(method, url) {
  const early = globalThis.__flamedexEarly;
  if (method !== 'GET' || !early || !early.has(url)) return null;
  const p = early.get(url);
  early.delete(url);
  return p;
}

async function request(method, path, { params, signal, timing, json } = {}) {
  const url = BASE + path + query(params);
  const headers = { Accept: 'application/json' };
  if (json !== undefined) headers['Content-Type'] = 'application/json';
  const res = await (takeEarly(method, url) || fetch(url, {
    method,
    signal,
    headers,
    body: json !== undefined ? JSON.stringify(json) : undefined,
    credentials: 'same-origin',
  }));
  if (res.status === 204) return null;
  const text = await res.text();
  if (timing) timing.received = performance.now();
  if (!res.ok) throw errorFrom(res.status, res.statusText, text);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ApiError(res.status, 'bad_json', 'the server sent a response that is not JSON');
  }
}

const id = (x) => encodeURIComponent(x);

export const api = {
  listProfiles: (params, signal) => request('GET', '/profiles', { params, signal }),
  profile: (pid, signal) => request('GET', `/profiles/${id(pid)}`, { signal }),
  deleteProfile: (pid) => request('DELETE', `/profiles/${id(pid)}`),
  /** Rename and/or relabel: {name?, labels?: {k: v}} (labels replace the old ones). */
  editProfile: (pid, change) => request('PATCH', `/profiles/${id(pid)}`, { json: change }),
  flamegraph: (pid, params, signal, timing) => request('GET', `/profiles/${id(pid)}/flamegraph`, { params, signal, timing }),
  top: (pid, params, signal) => request('GET', `/profiles/${id(pid)}/top`, { params, signal }),
  tags: (pid, params, signal) => request('GET', `/profiles/${id(pid)}/tags`, { params, signal }),
  sandwich: (pid, params, signal) => request('GET', `/profiles/${id(pid)}/sandwich`, { params, signal }),
  peek: (pid, params, signal) => request('GET', `/profiles/${id(pid)}/peek`, { params, signal }),
  list: (pid, params, signal) => request('GET', `/profiles/${id(pid)}/list`, { params, signal }),
  diff: (params, signal) => request('GET', '/diff', { params, signal }),
  diffTop: (params, signal) => request('GET', '/diff/top', { params, signal }),
  leaks: (params, signal) => request('GET', '/leaks', { params, signal }),
  timeline: (params, signal) => request('GET', '/timeline', { params, signal }),
  functions: (params, signal) => request('GET', '/functions', { params, signal }),
  targets: (signal) => request('GET', '/targets', { signal }),
  series: (params, signal) => request('GET', '/series', { params, signal }),
  runtime: (pid, params, signal) => request('GET', `/profiles/${id(pid)}/runtime`, { params, signal }),
  diffRuntime: (params, signal) => request('GET', '/diff/runtime', { params, signal }),
  labelValues: (key, signal) => request('GET', '/labels', { params: { key }, signal }),
  rawUrl: (pid) => `${BASE}/profiles/${id(pid)}/raw`,

  /**
   * Upload one file as the raw request body (the server sniffs gzip).
   * onProgress(loaded, total) follows XMLHttpRequest upload progress.
   * Returns {promise, abort}.
   */
  upload(file, { name, labels, time } = {}, onProgress) {
    const xhr = new XMLHttpRequest();
    const promise = new Promise((resolve, reject) => {
      xhr.open('POST', BASE + '/profiles' + query({ name, labels, time }));
      xhr.setRequestHeader('Content-Type', 'application/octet-stream');
      xhr.setRequestHeader('Accept', 'application/json');
      xhr.responseType = 'text';
      xhr.upload.onprogress = (ev) => {
        if (onProgress) onProgress(ev.loaded, ev.lengthComputable ? ev.total : file.size);
      };
      xhr.onload = () => {
        if (xhr.status >= 200 && xhr.status < 300) {
          try { resolve(JSON.parse(xhr.responseText)); } catch (_) {
            reject(new ApiError(xhr.status, 'bad_json', 'the server sent a response that is not JSON'));
          }
        } else reject(errorFrom(xhr.status, xhr.statusText, xhr.responseText));
      };
      xhr.onerror = () => reject(new ApiError(0, 'network', 'the upload failed: the connection to the server was lost'));
      xhr.onabort = () => reject(new ApiError(0, 'aborted', 'upload cancelled'));
      xhr.send(file);
    });
    return { promise, abort: () => xhr.abort() };
  },
};

/** Regex-escape a literal so that the server's regex matches exactly it. */
export function regexEscape(s) {
  return String(s).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
