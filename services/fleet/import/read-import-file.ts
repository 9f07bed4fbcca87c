/**
 * Reads an import file from disk within the import's bound: its size is checked before
 * anything is read, and at most one byte past the bound is ever read (a file that grows
 * meanwhile is refused too), so no allocation is sized by the file.
 */
import { open } from 'node:fs/promises'
import { ImportFileError, ImportTooLargeError } from '../errors.ts'
import { IMPORT_LIMITS } from './imported-ship.ts'

/** The file's text (UTF-8); `ImportTooLargeError` past the bound, `ImportFileError` if unreadable. */
export async function readImportFile(path: string, limit: number = IMPORT_LIMITS.fileBytes): Promise<string> {
  let handle: Awaited<ReturnType<typeof open>>
  try {
    handle = await open(path, 'r')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new ImportFileError(
      code === 'ENOENT' ? `no file ${path}` : `cannot read ${path} (${code ?? 'error'})`,
    )
  }
  try {
    const stat = await handle.stat()
    if (!stat.isFile()) throw new ImportFileError(`${path} is not a file`)
    if (stat.size > limit) throw new ImportTooLargeError(stat.size, limit)
    const buffer = Buffer.alloc(Math.min(stat.size, limit) + 1)
    let read = 0
    while (read < buffer.length) {
      const { bytesRead } = await handle.read(buffer, read, buffer.length - read, read)
      if (bytesRead === 0) break
      read += bytesRead
    }
    if (read > limit) throw new ImportTooLargeError(read, limit)
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(buffer.subarray(0, read))
    } catch {
      throw new ImportFileError(`${path} is not UTF-8 text`)
    }
  } finally {
    await handle.close()
  }
}
