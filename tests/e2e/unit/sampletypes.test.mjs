// sampletypes.js: how the pages name a sample type and which one they show.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { typeValue, typeLabel, selectedType, typeUnit } from '../../../web/js/sampletypes.js';

const heap = [
  { type: 'alloc_objects', unit: 'count' }, { type: 'alloc_space', unit: 'bytes' },
  { type: 'inuse_objects', unit: 'count' }, { type: 'inuse_space', unit: 'bytes' },
];
// two types named alike: they go by index
const twins = [{ type: 'samples', unit: 'count' }, { type: 'x', unit: 'nanoseconds' }, { type: 'x', unit: 'bytes' }];

test('a type is named by its name when unique, else by its index', () => {
  assert.deepEqual(heap.map((_, i) => typeValue(heap, i)), ['alloc_objects', 'alloc_space', 'inuse_objects', 'inuse_space']);
  assert.deepEqual(twins.map((_, i) => typeValue(twins, i)), ['samples', '1', '2']);
  assert.equal(typeValue([{ type: '', unit: 'count' }], 0), '0');
  assert.equal(typeLabel(heap[1]), 'alloc_space (bytes)');
  assert.equal(typeLabel({ type: '', unit: '' }), '(unnamed) (count)');
});

test('the type shown: the URL\'s, else the default one the profile has, else the last', () => {
  assert.equal(selectedType({ sample_types: heap, default_sample_type: 'alloc_space' }, 'inuse_objects'), 'inuse_objects');
  assert.equal(selectedType({ sample_types: heap, default_sample_type: 'alloc_space' }, ''), 'alloc_space');
  assert.equal(selectedType({ sample_types: heap, default_sample_type: 'gone' }, ''), 'inuse_space');
  assert.equal(selectedType({ sample_types: twins }, ''), '2');
  assert.equal(selectedType({}, ''), '');
});

test('the unit of a named type', () => {
  assert.equal(typeUnit(heap, 'inuse_space'), 'bytes');
  assert.equal(typeUnit(twins, '1'), 'nanoseconds');
  assert.equal(typeUnit(twins, 'x'), '', 'an ambiguous name names nothing');
  assert.equal(typeUnit(undefined, 'x'), '');
});
