/** LevelDB's failures, named as the crdt errors a person can act on. */
import { readdirSync } from 'node:fs'
import { StorageCorruptError, StorageLockedError, StorageMissingError } from '../../errors.ts'

/** Codes and messages along an error's cause chain, with the database path removed. */
function describe(path: string, err: unknown): { codes: Set<string>; text: string } {
  const codes = new Set<string>()
  const parts: string[] = []
  let e: unknown = err
  for (let i = 0; i < 5 && e instanceof Error; i++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string') codes.add(code)
    parts.push(e.message.split(path).join('<db>'))
    e = e.cause
  }
  return { codes, text: parts.join(' | ') }
}

/** An error opening the database at `path` (a folder that exists). */
export function classifyOpenError(path: string, err: unknown): Error {
  const { codes, text } = describe(path, err)
  if (codes.has('LEVEL_LOCKED')) return new StorageLockedError(path, { cause: err })
  // The folder exists (checked before opening). Without any data file (LevelDB leaves
  // LOCK and LOG even after a failed open) the database is missing; otherwise damaged.
  const data = readdirSync(path).filter((f) => !/^(LOCK|LOG|LOG\.old)$/.test(f))
  if (data.length === 0) return new StorageMissingError(path, { cause: err })
  return new StorageCorruptError(path, firstLine(text), { cause: err })
}

/** An error of a read or write: `StorageCorruptError` for damage, the error itself otherwise. */
export function classifyIoError(path: string, err: unknown): Error {
  const { codes, text } = describe(path, err)
  if (
    codes.has('LEVEL_CORRUPTION') ||
    codes.has('LEVEL_IO_ERROR') ||
    /Corruption|checksum|bad block|IO error/.test(text)
  ) {
    return new StorageCorruptError(path, firstLine(text), { cause: err })
  }
  return err instanceof Error ? err : new Error(String(err))
}

function firstLine(text: string): string {
  const line = text.split(' | ').find((p) => /corrupt|checksum|IO error|No such|invalid/i.test(p)) ?? text
  return line.trim().slice(0, 300)
}
