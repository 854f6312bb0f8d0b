// flame/colors.js and flame/diffcolors.js: colours are pure functions of
// the names (a package keeps its colour everywhere) and of the change.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { packageOf, hash32, warmColor, Palette } from '../../../web/js/flame/colors.js';
import { PALETTES, swatch, diffPaint } from '../../../web/js/flame/diffcolors.js';
import { DiffModel, GREW, SHRANK } from '../../../web/js/flame/diffmodel.js';

const hsl = (c) => c.match(/^hsl\((\d+(?:\.\d+)?) (\d+(?:\.\d+)?)% (\d+(?:\.\d+)?)%\)$/).slice(1).map(Number);

test('the package of a symbol', () => {
  assert.equal(packageOf('github.com/a/b/pkg.(*T).F'), 'github.com/a/b/pkg');
  assert.equal(packageOf('main.main'), 'main');
  assert.equal(packageOf('pkg.F[go.shape.int]'), 'pkg');
  assert.equal(packageOf('ns::Type::method'), 'ns::Type');
  assert.equal(packageOf('malloc'), 'malloc');
});

test('FNV-1a, 32 bits', () => {
  assert.equal(hash32(''), 0x811c9dc5);
  assert.equal(hash32('a'), 0xe40c292c);
  assert.equal(hash32('foobar'), 0xbf9cf968);
});

test('warm colours: hue 6–50°, lighter in the light scheme, the same for the same package', () => {
  for (const pkg of ['runtime', 'main', 'net/http', 'github.com/x/y', 'a', 'b', 'c']) {
    const [hl, sl, ll] = hsl(warmColor(pkg, false));
    const [hd, sd, ld] = hsl(warmColor(pkg, true));
    assert.ok(hl >= 6 && hl <= 50 && sl >= 62 && sl <= 89, pkg);
    assert.deepEqual([hd, sd], [hl, sl]);
    assert.ok(ll >= 58 && ll <= 73 && ld >= 44 && ld <= 57, pkg);
  }
  const p = new Palette(['root', 'net/http.A', 'net/http.B', 'main.main'], false);
  assert.equal(p.forName(1), p.forName(2));
  assert.equal(p.forName(1), warmColor('net/http', false));
  assert.notEqual(p.forName(0), warmColor('root', false), 'the root has its own grey');
  assert.notEqual(new Palette(['root'], true).forName(0), p.forName(0));
});

test('diff paint: hue by class and palette, stronger change darker (light) or brighter (dark), hatches', () => {
  const dm = new DiffModel({
    names: ['root', 'up2', 'up4', 'down', 'same', 'new', 'gone'],
    nodes: [[0, 0, 0, 100, 0, 100], [1, 1, 10, 10, 20, 20], [2, 1, 10, 10, 40, 40], [3, 1, 40, 40, 10, 10], [4, 1, 30, 30, 30, 30], [5, 1, 0, 0, 5, 5], [6, 1, 5, 5, 0, 0]],
  }, 'max');
  dm.classify({ minPct: 15, minAbs: 0, useSig: false });
  assert.deepEqual([...dm.cls].slice(1), [GREW, GREW, SHRANK, 0, GREW, SHRANK]);
  for (const [name, pal] of Object.entries(PALETTES)) {
    for (const dark of [false, true]) {
      const paint = diffPaint(dm, { palette: name, dark });
      const [h2, , l2] = hsl(paint.fill(1));
      const [h4, , l4] = hsl(paint.fill(2));
      assert.equal(h2, pal.grew.h);
      assert.equal(h4, pal.grew.h);
      assert.equal(hsl(paint.fill(3))[0], pal.shrank.h);
      assert.ok(dark ? l4 > l2 : l4 < l2, `${name} dark=${dark}: ×4 is stronger than ×2`);
      assert.equal(paint.fill(4), paint.fill(0), 'unchanged frames share the grey');
      assert.equal(paint.hatch(4), null);
      assert.equal(paint.hatch(5).dir, 1);
      assert.equal(paint.hatch(6).dir, -1);
      assert.equal(typeof paint.text(1), 'string');
      assert.equal(hsl(swatch(name, GREW, dark))[0], pal.grew.h);
      assert.equal(hsl(swatch(name, SHRANK, dark))[0], pal.shrank.h);
    }
  }
  assert.equal(diffPaint(dm, { palette: 'nope' }).fill(1), diffPaint(dm, { palette: 'rg' }).fill(1));
});
