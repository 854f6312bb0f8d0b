// format.js: values in a profile's unit, amounts typed by a person, times.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatInt, unitKind, formatNanos, formatBytes, formatValue, formatPercent, formatTime, formatAgo,
  formatPeriod, parseAmount, formatDelta, formatRelative, shortName,
} from '../../../web/js/format.js';

test('nanoseconds: the largest unit that keeps the number readable, three significant digits', () => {
  assert.equal(formatNanos(0), '0');
  assert.equal(formatNanos(80), '80.0 ns');
  assert.equal(formatNanos(1234567), '1.23 ms');
  assert.equal(formatNanos(1.5e9), '1.50 s');
  assert.equal(formatNanos(120e9), '120 s');
  assert.equal(formatNanos(900e9), '15.0 min');
  assert.equal(formatNanos(72000e9), '20.0 h');
  assert.equal(formatNanos(-2.5e6), '-2.50 ms');
});

test('bytes: binary units, plain bytes with digit groups below 1 KiB', () => {
  assert.equal(formatBytes(1023), '1,023 B');
  assert.equal(formatBytes(1024), '1.00 KiB');
  assert.equal(formatBytes(1536 * 1024), '1.50 MiB');
  assert.equal(formatBytes(5 * 1024 ** 3), '5.00 GiB');
  assert.equal(formatBytes(-2048), '-2.00 KiB');
});

test('a value in its unit; the unit kinds', () => {
  assert.equal(formatValue(2, 'milliseconds'), '2.00 ms');
  assert.equal(formatValue(3, 'kilobytes'), '3.00 KiB');
  assert.equal(formatValue(1234567, 'count'), '1,234,567');
  assert.equal(formatValue(1234567, ''), '1,234,567');
  assert.equal(formatInt(1000000), '1,000,000');
  assert.deepEqual(['nanoseconds', 'Seconds', 'bytes', 'count', 'objects', ''].map(unitKind), ['time', 'time', 'bytes', 'count', 'count', 'count']);
});

test('percentages: two decimals, 0% of nothing, tiny shares and 100% spelled out', () => {
  assert.equal(formatPercent(1, 3), '33.33%');
  assert.equal(formatPercent(0, 5), '0%');
  assert.equal(formatPercent(1, 0), '0%');
  assert.equal(formatPercent(1, 1e6), '<0.01%');
  assert.equal(formatPercent(5, 5), '100%');
});

test('amounts typed by a person, in the profile unit; a bare number is ms for time', () => {
  assert.equal(parseAmount('1ms', 'nanoseconds'), 1e6);
  assert.equal(parseAmount('250 µs', 'nanoseconds'), 250000);
  assert.equal(parseAmount('2s', 'milliseconds'), 2000);
  assert.equal(parseAmount('10', 'nanoseconds'), 10e6);
  assert.equal(parseAmount('.5 min', 'seconds'), 30);
  assert.equal(parseAmount('64KiB', 'bytes'), 65536);
  assert.equal(parseAmount('1 MB', 'kilobytes'), 1024);
  assert.equal(parseAmount('10', 'bytes'), 10);
  assert.equal(parseAmount('5', 'count'), 5);
  for (const [text, unit] of [['5x', 'count'], ['ten', 'nanoseconds'], ['1 parsec', 'nanoseconds'], ['1ms', 'bytes'], ['', 'count'], ['-3', 'count']]) {
    assert.equal(parseAmount(text, unit), null, `${text} in ${unit}`);
  }
});

test('signed deltas and relative changes', () => {
  assert.equal(formatDelta(0, 'nanoseconds'), '0');
  assert.equal(formatDelta(1e9, 'nanoseconds'), '+1.00 s');
  assert.equal(formatDelta(-340e6, 'nanoseconds'), '−340 ms');
  assert.equal(formatRelative(0, 5), '0%');
  assert.equal(formatRelative(5, 0), 'new');
  assert.equal(formatRelative(-5, 0), '—');
  assert.equal(formatRelative(50, 100), '+50.0%');
  assert.equal(formatRelative(-100, 100), '−100%');
  assert.equal(formatRelative(1, 300), '+0.33%');
  assert.equal(formatRelative(30, -100), '+30.0%');
});

test('times in local time, "ago" against a given now, periods', () => {
  const iso = new Date(2024, 4, 1, 12, 34, 56).toISOString();
  assert.equal(formatTime(iso), '2024-05-01 12:34:56');
  assert.equal(formatTime(''), '—');
  assert.equal(formatTime('not a time'), 'not a time');
  const now = Date.parse('2024-05-10T12:00:00Z');
  const ago = (s) => formatAgo(new Date(now - s * 1000).toISOString(), now);
  assert.equal(ago(10), 'just now');
  assert.equal(ago(300), '5 min ago');
  assert.equal(ago(3 * 3600), '3 h ago');
  assert.equal(ago(2 * 86400), '2 d ago');
  assert.equal(ago(10 * 86400), formatTime(new Date(now - 10 * 86400e3).toISOString()).slice(0, 10));
  assert.equal(formatAgo('garbage', now), '—');
  assert.equal(formatPeriod({ type: 'cpu', unit: 'nanoseconds', value: 1e7 }), '10.0 ms (cpu)');
  assert.equal(formatPeriod({ unit: 'count', value: 1 }), '1');
  assert.equal(formatPeriod(null), '—');
});

test('short names drop the import path, but not a / inside the receiver, arguments or type arguments', () => {
  assert.equal(shortName('github.com/acme/api/handler.(*Server).ServeHTTP'), 'handler.(*Server).ServeHTTP');
  assert.equal(shortName('main.main'), 'main.main');
  assert.equal(shortName('net/http.HandlerFunc.ServeHTTP'), 'http.HandlerFunc.ServeHTTP');
  assert.equal(shortName('pkg.F(a/b)'), 'pkg.F(a/b)');
  assert.equal(shortName('x/y/pkg.G[go.shape.*a/b.T]'), 'pkg.G[go.shape.*a/b.T]');
  assert.equal(shortName('x/y/pkg.(*L[go.shape.*a/b.T]).M'), 'pkg.(*L[go.shape.*a/b.T]).M');
});

test('shortName keeps the parts of a name printed at a granularity', () => {
  assert.equal(shortName('main.odd /work/p/main.go:46'), 'main.odd main.go:46');
  assert.equal(shortName('github.com/a/b.(*T).F /src/b/x.go:12'), 'b.(*T).F x.go:12');
  assert.equal(shortName('main.mix /src/main.go'), 'main.mix main.go');
  assert.equal(shortName('/usr/lib/go/src/runtime/proc.go'), 'proc.go');
  assert.equal(shortName('00000000004a1b2c net/http.(*conn).serve /go/src/net/http/server.go:1995'), '4a1b2c http.(*conn).serve server.go:1995');
  assert.equal(shortName('0000000000000000 main.f /x.go:3'), '0 main.f x.go:3');
  // names with spaces that are no file reference stay as they were
  assert.equal(shortName('foo (bar.py:12)'), 'foo (bar.py:12)');
  assert.equal(shortName('[unknown] perf'), '[unknown] perf');
});
