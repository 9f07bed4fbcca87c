/**
 * Issue 15, hangar import: a file is read within the import's bound; a 100 MB file is
 * refused from its size, never read whole.
 */
import { open, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import {
  IMPORT_LIMITS,
  ImportFileError,
  ImportTooLargeError,
  readImportFile,
} from '../../../../services/fleet/index.ts'
import { useTempDirs } from '../../../helpers/temp-dir.ts'

const temp = useTempDirs('vg-import-')

describe('readImportFile', () => {
  it('reads a file within the bound as text', async () => {
    const path = join(await temp.make(), 'ships.csv')
    await writeFile(path, 'Ship\nVulture\n')
    expect(await readImportFile(path)).toBe('Ship\nVulture\n')
  })

  it('a 100 MB file: refused from its size before a byte is read, nothing allocated for it', async () => {
    const path = join(await temp.make(), 'huge.json')
    const handle = await open(path, 'w')
    await handle.truncate(100 * 1024 * 1024) // sparse: 100 MB on paper, nothing on disk
    await handle.close()
    const alloc = vi.spyOn(Buffer, 'alloc')
    const before = process.memoryUsage().arrayBuffers
    const err = await readImportFile(path).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ImportTooLargeError)
    expect((err as Error).message).toMatch(
      `import file: 104857600 bytes, more than the ${IMPORT_LIMITS.fileBytes} bytes an import reads`,
    )
    expect(alloc).not.toHaveBeenCalled()
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 * 1024 * 1024)
    alloc.mockRestore()
  })

  it('a file one byte past the bound is refused; one at the bound is read', async () => {
    const dir = await temp.make()
    await writeFile(join(dir, 'at.csv'), 'x'.repeat(IMPORT_LIMITS.fileBytes))
    await writeFile(join(dir, 'past.csv'), 'x'.repeat(IMPORT_LIMITS.fileBytes + 1))
    expect((await readImportFile(join(dir, 'at.csv'))).length).toBe(IMPORT_LIMITS.fileBytes)
    await expect(readImportFile(join(dir, 'past.csv'))).rejects.toBeInstanceOf(ImportTooLargeError)
  })

  it('no such file, a folder, bytes that are not UTF-8: clear errors', async () => {
    const dir = await temp.make()
    await expect(readImportFile(join(dir, 'nope.json'))).rejects.toThrow(/no file .*nope\.json/)
    await expect(readImportFile(dir)).rejects.toBeInstanceOf(ImportFileError)
    await writeFile(join(dir, 'bin.json'), Buffer.from([0x5b, 0xff, 0xfe, 0x5d]))
    await expect(readImportFile(join(dir, 'bin.json'))).rejects.toThrow(/is not UTF-8 text/)
  })
})
