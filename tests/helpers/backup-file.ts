/**
 * Backup files for tests: the content of a checked backup as a `BackupSource` again, so a
 * test can write a variant of it (an entry altered, with every checksum made to fit: what
 * only the chains' verification can catch).
 */
import { packEntry, type SignedEntry, unpackEntry } from '../../crdt/index.ts'
import { type BackupSource, contentsSource, inspectBackup, writeBackup } from '../../services/backup/index.ts'

export async function sourceOf(file: string, passphrase?: string): Promise<BackupSource> {
  const { report, contents } = await inspectBackup(file, {
    keep: true,
    ...(passphrase === undefined ? {} : { passphrase }),
  })
  if (contents === null) throw new Error('no contents')
  return contentsSource(report.header, contents)
}

/** Writes `file`'s content to `out` with the first org-scoped entry `alter`ed (checksums fit). */
export async function withAlteredEntry(
  file: string,
  out: string,
  alter: (e: SignedEntry) => SignedEntry,
): Promise<void> {
  const source = await sourceOf(file)
  let done = false
  await writeBackup(
    {
      ...source,
      chainRuns: async function* () {
        for await (const run of source.chainRuns()) {
          if (!done && run.scope !== null && run.packed.length > 0) {
            done = true
            const [first, ...rest] = run.packed
            yield { ...run, packed: [packEntry(alter(unpackEntry(first as Uint8Array))), ...rest] }
          } else yield run
        }
      },
    },
    { file: out, app: 'test', withKey: false },
  )
}
