// colors.js: a stable colour per Go package, hashed from the package path,
// so that one package looks the same in every profile and every session.
// Flame graphs use a warm palette (reds, oranges, ambers). Pure: whether
// the page is dark is the caller's to say (render.js isDark).

/** The package path of a Go symbol; for other languages a stable prefix. */
export function packageOf(name) {
  let s = String(name);
  const br = s.indexOf('[');           // generics: pkg.F[go.shape.int]
  if (br > 0) s = s.slice(0, br);
  const cc = s.lastIndexOf('::');      // C++ / Rust: ns::Type::method
  if (cc > 0) return s.slice(0, cc);
  const slash = s.lastIndexOf('/');
  const dot = s.indexOf('.', slash + 1);
  if (dot > 0) return s.slice(0, dot);
  return s;
}

/** 32-bit FNV-1a of a string. */
export function hash32(s) {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Warm colour for a package: hue 6–50°, saturation and lightness from the hash. */
export function warmColor(pkg, dark) {
  const h = hash32(pkg);
  const hue = 6 + (h % 45);
  const sat = 62 + ((h >>> 8) % 28);
  const light = dark ? 44 + ((h >>> 16) % 14) : 58 + ((h >>> 16) % 16);
  return `hsl(${hue} ${sat}% ${light}%)`;
}

/** Colour cache for one names table and one theme. */
export class Palette {
  constructor(names, dark) {
    this.names = names;
    this.dark = dark;
    this.cache = new Array(names.length);
    this.byPkg = new Map();
  }
  forName(ni) {
    let c = this.cache[ni];
    if (c === undefined) {
      const name = this.names[ni];
      if (name === 'root' && ni === 0) c = this.dark ? 'hsl(30 6% 40%)' : 'hsl(30 8% 72%)';
      else {
        const pkg = packageOf(name);
        c = this.byPkg.get(pkg);
        if (c === undefined) { c = warmColor(pkg, this.dark); this.byPkg.set(pkg, c); }
      }
      this.cache[ni] = c;
    }
    return c;
  }
}
