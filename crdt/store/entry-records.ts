/**
 * How chain entries lie in LevelDB (the `entries` section). A record holds either one
 * entry, under `scope!author!seq` (seq zero-padded; every local action), or a run of
 * consecutive, linked entries of one chain received together, under
 * `scope!author!last!first`: its value holds entries `first` to `last` in the compact form
 * of run-record.ts (about a quarter of their bytes). A run's key sorts with single keys by its last seq, so the first record
 * at or after `scope!author!seq` is the one that holds `seq`, and a chain's last record
 * holds its head. Thousands of entries of one catch-up batch become a few dozen puts
 * (a LevelDB put costs about as much CPU as copying a few kilobytes).
 *
 * Storage format 3 stored a run as its packed entries framed as a byte list (see
 * byte-list.ts), and format 2 held single records only: both read as before.
 */
import { unpackByteList } from '../byte-list.ts'
import { type Entry, type EntryScope, isScope, packEntry } from '../chain/entry.ts'
import { fromHex } from '../crypto.ts'
import type { MemberKey } from '../ids.ts'
import { isCompactRun, packRun, type RunPlace, unpackRun } from './run-record.ts'

const SEQ_DIGITS = 15
/** The key prefix of the node-local chain: not hex, so never an org's scope. */
const LOCAL_SCOPE_KEY = 'local'
/** Entries in one run record at most. */
export const RUN_ENTRIES = 256
/** Bytes of the packed entries one run record holds at most (a single read of one stays small). */
export const RUN_BYTES = 256 * 1024

function pad(seq: number): string {
  return String(seq).padStart(SEQ_DIGITS, '0')
}

/** The key prefix of one scope's chains. */
export function scopeKey(scope: EntryScope): string {
  if (scope !== null && !isScope(scope)) throw new TypeError(`invalid chain scope: ${scope}`)
  return scope ?? LOCAL_SCOPE_KEY
}

/** The scope a `scopeKey` names. */
export function scopeOfKey(token: string): EntryScope {
  return token === LOCAL_SCOPE_KEY ? null : token
}

/** The key prefix of one (scope, author) chain. */
export function chainKey(scope: EntryScope, author: MemberKey): string {
  return `${scopeKey(scope)}!${author}`
}

/** The key of the single record of entry `seq` (and where a seek for `seq` starts). */
export function entryKey(scope: EntryScope, author: MemberKey, seq: number): string {
  return `${chainKey(scope, author)}!${pad(seq)}`
}

/** One stored record: entries `first` to `last` of a chain, packed (signature then bytes). */
export interface EntryRecord {
  readonly first: number
  readonly last: number
  readonly packed: readonly Uint8Array[]
}

/** A record read back from its key (in the entries section) and value; null if damaged. */
export function readRecord(key: string, value: Uint8Array): EntryRecord | null {
  const end = key.length
  const lastAt = key.lastIndexOf('!')
  if (lastAt < 0) return null
  const tail = key.slice(lastAt + 1, end)
  // `…!last!first`: the part before the last `!` is a seq too (an author never is: 64 hex).
  const before = key.lastIndexOf('!', lastAt - 1)
  const middle = before < 0 ? '' : key.slice(before + 1, lastAt)
  if (middle.length === SEQ_DIGITS) {
    const first = Number(tail)
    const last = Number(middle)
    if (!(first >= 1 && last > first && last - first < RUN_ENTRIES)) return null
    if (isCompactRun(value)) {
      const place = runPlace(key, first, last)
      const packed = place === null ? null : unpackRun(value, place)
      return packed === null ? null : { first, last, packed }
    }
    const packed = unpackByteList(value, 0, RUN_ENTRIES)
    if (packed === null || !(first >= 1 && last > first) || packed.length !== last - first + 1) return null
    return { first, last, packed }
  }
  const seq = Number(tail)
  if (!(seq >= 1)) return null
  return { first: seq, last: seq, packed: [value] }
}

/**
 * The chain and last seq a record's key names (`scope!author!seq` or
 * `scope!author!last!first`), read from the key alone; null if it is not a record's key.
 */
export function recordKeyPlace(key: string): {
  readonly chain: string
  readonly scope: EntryScope
  readonly author: MemberKey
  readonly last: number
} | null {
  const parts = key.split('!')
  if (parts.length !== 3 && parts.length !== 4) return null
  const [token, author, last] = parts as [string, string, string]
  if (!HEX64.test(author) || last.length !== SEQ_DIGITS) return null
  const seq = Number(last)
  const scope = scopeOfKey(token)
  if (!(seq >= 1) || (scope !== null && !isScope(scope))) return null
  return { chain: `${token}!${author}`, scope, author: author as MemberKey, last: seq }
}

/** The author and scope of a run record's key (`scope!author!last!first`), as bytes; null if not one. */
function runPlace(key: string, first: number, last: number): RunPlace | null {
  const place = recordKeyPlace(key)
  if (place === null) return null
  const { author, scope } = place
  return { author: fromHex(author), scope: scope === null ? null : fromHex(scope), first, last }
}

const HEX64 = /^[0-9a-f]{64}$/

/** A record's key and value for `entries`: consecutive linked entries of one chain, in seq order. */
function recordOf(entries: readonly Entry[]): [string, Uint8Array] {
  const first = entries[0] as Entry
  const last = entries[entries.length - 1] as Entry
  if (entries.length === 1) return [entryKey(first.scope, first.author, first.seq), packEntry(first)]
  return [`${entryKey(first.scope, first.author, last.seq)}!${pad(first.seq)}`, packRun(entries)]
}

/**
 * Records holding `entries` (of any chains, in any order): consecutive entries of a chain
 * share a run record (at most `RUN_ENTRIES` entries, `RUN_BYTES` bytes), the rest are
 * single records.
 */
export function entryRecords(entries: readonly Entry[]): [string, Uint8Array][] {
  const byChain = new Map<string, Entry[]>()
  /** The last entry's chain: a batch holds a chain's entries together. */
  let last: Entry[] | null = null
  for (const e of entries) {
    const prior = last?.[0]
    if (last !== null && prior !== undefined && prior.author === e.author && prior.scope === e.scope) {
      last.push(e)
      continue
    }
    const chain = chainKey(e.scope, e.author)
    last = byChain.get(chain) ?? null
    if (last === null) {
      last = [e]
      byChain.set(chain, last)
    } else last.push(e)
  }
  const out: [string, Uint8Array][] = []
  for (const list of byChain.values()) {
    list.sort((a, b) => a.seq - b.seq)
    let run: Entry[] = []
    let bytes = 0
    for (const e of list) {
      const size = e.signature.length + e.bytes.length
      const prev = run[run.length - 1]
      if (
        prev !== undefined &&
        (prev.seq + 1 !== e.seq ||
          e.prev !== prev.hash ||
          run.length >= RUN_ENTRIES ||
          bytes + size > RUN_BYTES)
      ) {
        out.push(recordOf(run))
        run = []
        bytes = 0
      }
      run.push(e)
      bytes += size
    }
    if (run.length > 0) out.push(recordOf(run))
  }
  return out
}
