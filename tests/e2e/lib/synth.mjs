// synth.mjs: synthetic CPU profiles: a small one made of given stacks (for
// the diff and filter tests), and a deterministic one of a given size
// (samples, functions) for the performance test when bench/out/large.pb.gz
// is absent.

import { encodeProfile } from './pprof.mjs';

const MS10 = 10000000; // one sample = 10 ms

/**
 * A CPU profile of 10 s, `minutesAgo` minutes old; stacks are 'a;b;c' (root
 * first) → number of 10 ms samples, labels(stack) the string labels of a
 * stack's samples.
 */
export function cpuProfile(stacks, { minutesAgo = 0, labels = () => ({}) } = {}) {
  return encodeProfile({
    sampleTypes: [['samples', 'count'], ['cpu', 'nanoseconds']],
    periodType: ['cpu', 'nanoseconds'],
    period: MS10,
    durationNanos: 10e9,
    timeNanos: BigInt(Date.now() - minutesAgo * 60000) * 1000000n,
    samples: Object.entries(stacks).map(([s, n]) => ({ stack: s.split(';'), values: [n, n * MS10], labels: labels(s) })),
  });
}

function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A call tree of `functions` nodes; each sample is the path to a random node. */
export function synthProfile({ samples = 300000, functions = 30000, seed = 42 } = {}) {
  const rand = rng(seed);
  const pkgs = ['runtime', 'net/http', 'encoding/json', 'github.com/acme/api/handler', 'github.com/acme/store/db', 'google.golang.org/grpc', 'sync', 'bytes', 'main'];
  const parent = new Int32Array(functions);
  const names = new Array(functions);
  names[0] = 'main.main';
  parent[0] = -1;
  for (let i = 1; i < functions; i++) {
    // a random recursive tree: depth about ln(functions), at most a few dozen
    parent[i] = Math.floor(rand() * i);
    names[i] = `${pkgs[i % pkgs.length]}.fn${i}`;
  }
  const out = [];
  for (let s = 0; s < samples; s++) {
    // a skewed pick so some stacks are hot; every function is a leaf at least once
    const leaf = s < functions ? s : Math.floor(Math.pow(rand(), 2) * functions);
    const stack = [];
    for (let f = leaf; f >= 0; f = parent[f]) stack.push(names[f]);
    stack.reverse();
    const n = 1 + Math.floor(rand() * 3);
    out.push({ stack, values: [n, n * 10000000] });
  }
  return encodeProfile({
    sampleTypes: [['samples', 'count'], ['cpu', 'nanoseconds']],
    periodType: ['cpu', 'nanoseconds'],
    period: 10000000,
    samples: out,
  });
}
