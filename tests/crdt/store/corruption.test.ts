/**
 * How damaged, missing and locked databases are reported. Every case is made with the
 * real files of a real LevelDB; the expected messages are what classic-level reports.
 */
import { spawn } from 'node:child_process'
import { mkdir, readdir, rm, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import * as A from '@automerge/automerge'
import { Level } from 'level'
import { describe, expect, it } from 'vitest'
import {
  Database,
  type DocId,
  FORMAT_VERSION,
  parseDocId,
  StorageCorruptError,
  StorageFormatError,
  StorageLockedError,
  StorageMissingError,
} from '../../../crdt/index.ts'
import { changeKey } from '../../../crdt/store/change-records.ts'
import { TEST_SCOPE } from '../../helpers/signer.ts'
import { keysOf, useStores } from '../../helpers/store.ts'
import { useTempDirs } from '../../helpers/temp-dir.ts'

// A neutral prefix: database.ts classifies open errors by words that may be in the path (see the BUG tests).
const dirs = useTempDirs('vg-db-')
const stores = useStores(dirs)

const ORG = parseDocId('org:abc')
const OTHER = parseDocId('org:other')

interface Org {
  name: string
  members: string[]
}

/** A closed database at `path` (default: a new temp folder) holding two documents, ORG compacted. */
async function seeded(path?: string): Promise<string> {
  const h = await stores.open(path === undefined ? {} : { path })
  for (const id of [ORG, OTHER]) {
    await h.store.create<Org>(id, { action: 'org.create', resource: id }, (d) => {
      d.name = id
      d.members = ['ann']
    })
    await h.store.change<Org>(id, { action: 'org.member-add', resource: id }, (d) => {
      d.members.push('bob')
    })
  }
  await h.store.compact(ORG)
  await h.store.stop()
  await h.db.close()
  return h.path
}

/** Asserts a `StorageCorruptError` that names the folder and the way out. */
function expectCorrupt(err: unknown, path: string, detail: RegExp): void {
  expect(err).toBeInstanceOf(StorageCorruptError)
  const e = err as StorageCorruptError
  expect(e.name).toBe('StorageCorruptError')
  expect(e.path).toBe(path)
  expect(e.message).toContain(`The database at ${path} is damaged`)
  expect(e.message).toMatch(/npx verseguy backup restore FILE/)
  expect(e.message).toMatch(detail)
}

async function openError(path: string, options?: { create?: boolean }): Promise<unknown> {
  return Database.open(path, options).then(
    async (db) => {
      await db.close()
      throw new Error('the database opened')
    },
    (err: unknown) => err,
  )
}

async function rawLevel(path: string): Promise<Level<string, Uint8Array>> {
  const level = new Level<string, Uint8Array>(path, { keyEncoding: 'utf8', valueEncoding: 'view' })
  await level.open({ createIfMissing: false })
  return level
}

/** Rewrites one stored value through a plain `level` handle (as a damaged disk or another program would). */
async function rewrite(
  path: string,
  sublevel: string,
  key: string,
  fn: (value: Uint8Array) => Uint8Array | undefined,
): Promise<void> {
  const level = await rawLevel(path)
  try {
    const sub = level.sublevel<string, Uint8Array>(sublevel, { valueEncoding: 'view' })
    const value = await sub.get(key)
    if (value === undefined) throw new Error(`no ${sublevel}/${key}`)
    const next = fn(Uint8Array.from(value))
    if (next === undefined) await sub.del(key)
    else await sub.put(key, next)
  } finally {
    await level.close()
  }
}

const manifestOf = async (path: string): Promise<string> => {
  const name = (await readdir(path)).find((f) => f.startsWith('MANIFEST-'))
  if (name === undefined) throw new Error('no MANIFEST')
  return join(path, name)
}

describe('damaged database files', () => {
  it('(a) a MANIFEST overwritten with garbage: StorageCorruptError naming the path and the backup', async () => {
    const path = await seeded()
    await writeFile(await manifestOf(path), Buffer.alloc(200, 0x5a))
    const err = await openError(path)
    expectCorrupt(err, path, /Corruption: no meta-nextfile entry in descriptor/)
    expect((err as Error).cause).toMatchObject({ code: 'LEVEL_DATABASE_NOT_OPEN' })
  })

  it('(a) a MANIFEST truncated to 0 bytes: StorageCorruptError', async () => {
    const path = await seeded()
    await truncate(await manifestOf(path), 0)
    expectCorrupt(await openError(path), path, /Corruption: no meta-nextfile entry in descriptor/)
  })

  it('(a) CURRENT truncated to 0 bytes: StorageCorruptError', async () => {
    const path = await seeded()
    await truncate(join(path, 'CURRENT'), 0)
    expectCorrupt(await openError(path), path, /Corruption: CURRENT file does not end with newline/)
  })

  it('(a) CURRENT naming a MANIFEST that is not there, or the MANIFEST deleted: StorageCorruptError', async () => {
    const path = await seeded()
    await writeFile(join(path, 'CURRENT'), 'MANIFEST-999999\n')
    expectCorrupt(await openError(path), path, /IO error: .*MANIFEST-999999: No such file or directory/)

    const other = await seeded()
    const manifest = await manifestOf(other)
    await rm(manifest)
    expectCorrupt(await openError(other), other, /IO error: .*MANIFEST-\d+: No such file or directory/)
  })

  it('a data folder whose path contains "lock" (e.g. …/blocks/…) with a deleted MANIFEST is reported as corrupt, not as locked', async () => {
    const base = await dirs.make()
    await mkdir(join(base, 'blocks'))
    const path = await seeded(join(base, 'blocks', 'db'))
    await rm(await manifestOf(path))
    // database.ts classifyOpenError tests /LEVEL_LOCKED|lock/i against messages that contain the path.
    expectCorrupt(await openError(path), path, /No such file or directory/)
  })

  it('a database in use, in a folder whose path contains "corrupt", is reported as locked, not as damaged', async () => {
    const base = await dirs.make()
    await mkdir(join(base, 'corrupt-tests'))
    const path = await seeded(join(base, 'corrupt-tests', 'db'))
    const first = await Database.open(path)
    try {
      // database.ts classifyOpenError: `!/corrupt/i` also matches the path inside "IO error: lock <path>/LOCK".
      expect(await openError(path)).toBeInstanceOf(StorageLockedError)
    } finally {
      await first.close()
    }
  })

  it('(b) a deleted database folder: StorageMissingError unless `create`', async () => {
    const path = await seeded()
    await rm(path, { recursive: true })
    const err = await openError(path)
    expect(err).toBeInstanceOf(StorageMissingError)
    expect((err as Error).message).toBe(
      `The database at ${path} is missing. Restore the data directory from a backup: \`npx verseguy backup restore FILE\`.`,
    )
    // An empty folder where the database should be is missing too (LevelDB: "does not exist").
    await mkdir(path)
    const empty = await openError(path)
    expect(empty).toBeInstanceOf(StorageMissingError)
    expect((empty as Error).cause).toMatchObject({ code: 'LEVEL_DATABASE_NOT_OPEN' })
    // With `create` (init) a new, empty database is made.
    const db = await Database.open(path, { create: true })
    expect(await keysOf(db.snapshots)).toEqual([])
    await db.close()
  })

  it('(c) a second open of a database that is open: StorageLockedError; fine once closed', async () => {
    const path = await seeded()
    const first = await Database.open(path)
    try {
      const err = await openError(path)
      expect(err).toBeInstanceOf(StorageLockedError)
      expect((err as Error).message).toContain(`The database at ${path} is in use by another process`)
      expect(((err as Error).cause as Error).cause).toMatchObject({ code: 'LEVEL_LOCKED' })
    } finally {
      await first.close()
    }
    const again = await Database.open(path)
    await again.close()
  })

  it('(c) a database held by another process: StorageLockedError', async () => {
    const path = await seeded()
    const script =
      "import { Level } from 'level'; const db = new Level(process.argv[1]); await db.open(); " +
      "process.stdout.write('ready\\n'); process.stdin.resume(); process.stdin.on('end', () => db.close().then(() => process.exit(0)))"
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, path], {
      cwd: process.cwd(),
      stdio: ['pipe', 'pipe', 'inherit'],
    })
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          if (d.toString().includes('ready')) resolve()
        })
        child.on('exit', (code) => reject(new Error(`holder exited early (${code})`)))
      })
      expect(await openError(path)).toBeInstanceOf(StorageLockedError)
    } finally {
      child.stdin.end()
      await exited
    }
    const db = await Database.open(path)
    await db.close()
  })

  it('(d) a damaged snapshot value: loading that document raises StorageCorruptError naming it; others still load', async () => {
    const path = await seeded()
    await rewrite(path, 'snap', ORG, (v) => {
      const i = Math.floor(v.length / 2)
      v[i] = (v[i] ?? 0) ^ 0xff
      return v
    })
    const h = await stores.open({ path })
    const err = await h.store.get(ORG).catch((e: unknown) => e)
    expectCorrupt(err, path, /document org:abc does not load/)
    expect(String((err as Error).cause)).toMatch(/checksum/)
    expect(A.toJS(await h.store.get<Org>(OTHER))).toEqual({ name: OTHER, members: ['ann', 'bob'] })
  })

  it('(d) a snapshot replaced with garbage or cut short: StorageCorruptError naming the document', async () => {
    for (const damage of [(v: Uint8Array) => v.slice(0, v.length - 5), () => new Uint8Array(64).fill(7)]) {
      const path = await seeded()
      await rewrite(path, 'snap', ORG, damage)
      const h = await stores.open({ path })
      expectCorrupt(await h.store.get(ORG).catch((e: unknown) => e), path, /document org:abc does not load/)
    }
  })

  it('(d) a damaged or missing change row: StorageCorruptError naming the document', async () => {
    // OTHER was not compacted: its snapshot is empty and its content lives in change rows 1 and 2.
    const path = await seeded()
    await rewrite(path, 'chg', changeKey(OTHER, 2), (v) => {
      v[v.length - 3] = (v[v.length - 3] ?? 0) ^ 0xff
      return v
    })
    let h = await stores.open({ path })
    expectCorrupt(await h.store.get(OTHER).catch((e: unknown) => e), path, /document org:other does not load/)
    await h.store.stop()
    await h.db.close()

    const other = await seeded()
    await rewrite(other, 'chg', changeKey(OTHER, 1), () => undefined)
    h = await stores.open({ path: other })
    expectCorrupt(
      await h.store.get(OTHER).catch((e: unknown) => e),
      other,
      /document org:other is missing changes/,
    )
  })

  it("(d) a damaged stored chain entry: the store's start fails with StorageCorruptError", async () => {
    const base = await dirs.make()
    const path = join(base, 'db')
    const h = await stores.open({ path })
    await h.store.create<Org>(ORG, { action: 'org.create', resource: ORG }, (d) => {
      d.name = 'x'
      d.members = []
    })
    const [key] = await keysOf(h.db.entries)
    await h.store.stop()
    await h.db.close()
    if (key === undefined) throw new Error('no entry')
    await rewrite(path, 'ent', key, (v) => v.slice(0, 70))
    const err = await stores.open({ path, signer: h.signer }).catch((e: unknown) => e)
    expectCorrupt(err, path, /a stored chain entry does not decode/)
  })

  it('(e) a LevelDB that is not a Verse Guy database (no format marker): StorageCorruptError, and the lock is released', async () => {
    const path = join(await dirs.make(), 'db')
    const foreign = new Level<string, string>(path)
    await foreign.put('some', 'thing')
    await foreign.close()
    expectCorrupt(await openError(path), path, /no format marker: not a Verse Guy database, or emptied/)
    // The failed open closed the database again.
    const level = await rawLevel(path)
    await level.close()
  })

  it('(e) a Verse Guy database whose format marker was deleted or changed: StorageCorruptError', async () => {
    const path = await seeded()
    await rewrite(path, 'meta', 'format', () => undefined)
    expectCorrupt(await openError(path), path, /no format marker/)

    const other = await seeded()
    await rewrite(other, 'meta', 'format', () => new TextEncoder().encode('x9'))
    expectCorrupt(await openError(other), other, /its format version is not a number/)
  })

  it('a database of another storage format (an older version wrote it) is named as such, not as damaged', async () => {
    for (const found of [1, 99]) {
      const path = await seeded()
      await rewrite(path, 'meta', 'format', () => new TextEncoder().encode(String(found)))
      const err = await openError(path)
      expect(err).toBeInstanceOf(StorageFormatError)
      expect(err).toMatchObject({ path, found, supported: FORMAT_VERSION })
      expect((err as Error).message).toContain(`is in storage format ${found}`)
      expect((err as Error).message).not.toContain('damaged')
      // Nothing was changed: the marker is as it was.
      expect(await openError(path)).toBeInstanceOf(StorageFormatError)
    }
  })

  it.each([2, 3])('a database of storage format %i opens as it is, and is marked 4 after', async (old) => {
    const path = await seeded()
    await rewrite(path, 'meta', 'format', () => new TextEncoder().encode(String(old)))
    const h = await stores.open({ path })
    for (const id of [ORG, OTHER]) expect(A.toJS(await h.store.get<Org>(id)).members).toEqual(['ann', 'bob'])
    const [author] = await h.store.chains.authors(TEST_SCOPE)
    if (author === undefined) throw new Error('no chain')
    expect((await h.store.chains.head(TEST_SCOPE, author))?.seq).toBe(4)
    expect((await h.store.chains.get(TEST_SCOPE, author, 2))?.seq).toBe(2)
    await h.store.stop()
    await h.db.close()
    const level = await rawLevel(path)
    const marker = await level.sublevel<string, Uint8Array>('meta', { valueEncoding: 'view' }).get('format')
    await level.close()
    expect(new TextDecoder().decode(marker)).toBe(String(FORMAT_VERSION))
    expect(FORMAT_VERSION).toBe(4)
  })

  it('an undamaged database opens and loads every document', async () => {
    const path = await seeded()
    const h = await stores.open({ path })
    const ids: DocId[] = await h.store.list()
    expect(ids).toEqual([ORG, OTHER])
    for (const id of ids) expect(A.toJS(await h.store.get<Org>(id)).members).toEqual(['ann', 'bob'])
  })
})
