/**
 * A checked backup's content as a `BackupSource` again: what a restore stages (the
 * verified content, written as a backup of its own) and what tests write variants of.
 */
import { type MemberKey, packEntry } from '../../crdt/index.ts'
import type { BackupHeader } from './backup-format.ts'
import type { BackupContents } from './backup-inspect.ts'
import type { BackupSource } from './backup-writer.ts'

export function contentsSource(header: BackupHeader, contents: BackupContents): BackupSource {
  return {
    memberKey: header.memberKey as MemberKey,
    orgs: header.orgs,
    files: [...contents.files].map(([name, bytes]) => ({ name, bytes })),
    settings: async function* () {
      yield* contents.settings
    },
    documents: [...contents.documents.keys()],
    documentBytes: async function* () {
      yield* contents.documents
    },
    chains: contents.chains.map((c) => ({ scope: c.scope, author: c.author, count: c.entries.length })),
    chainRuns: async function* () {
      for (const c of contents.chains)
        yield { scope: c.scope, author: c.author, packed: c.entries.map(packEntry) }
    },
    forks: async () => contents.forks,
  }
}
