/** Plain JSON data, as stored in entry details and documents. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue }

const MAX_DEPTH = 32

/**
 * True for plain JSON data: finite numbers, well-formed strings (no lone surrogates,
 * which encoders would silently replace), plain objects and arrays, at most 32 levels deep.
 */
export function isJsonValue(value: unknown, depth = 0): value is JsonValue {
  if (depth > MAX_DEPTH) return false
  if (value === null || typeof value === 'boolean') return true
  if (typeof value === 'string') return value.isWellFormed()
  if (typeof value === 'number') return Number.isFinite(value)
  if (Array.isArray(value)) {
    // An index loop, not every(): every() skips the holes of sparse arrays.
    for (let i = 0; i < value.length; i++)
      if (!(i in value) || !isJsonValue(value[i], depth + 1)) return false
    return true
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.entries(value).every(([k, v]) => k.isWellFormed() && isJsonValue(v, depth + 1))
  }
  return false
}
