/**
 * The order of keys in storage: by Unicode code point, which is the order of their UTF-8
 * bytes (LevelDB's). JavaScript's `<` compares UTF-16 code units instead, which puts
 * characters outside the BMP (surrogate pairs, 0xD800–0xDFFF) before 0xE000–0xFFFF.
 */

/** Negative, zero or positive as `a` sorts before, with or after `b`. */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x !== y) return rank(x) - rank(y)
  }
  return a.length - b.length
}

/** A code unit moved so that surrogates (code points past 0xFFFF) sort after 0xE000–0xFFFF. */
function rank(unit: number): number {
  if (unit < 0xd800) return unit
  return unit < 0xe000 ? unit + 0x2000 : unit - 0x800
}
