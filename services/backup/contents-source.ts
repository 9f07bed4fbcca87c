/**
 * A checked backup's content as a `BackupSource` again: what a restore stages (the
 * verified content, written as a backup of its own) and what tests write variants of.
 */
import { type DocId, type EntryScope, type MemberKey, packEntry } from '../../crdt/index.ts'
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
    snapshot: async (docId: DocId) => contents.documents.get(docId) as Uint8Array,
    chains: contents.chains.map((c) => ({ scope: c.scope, author: c.author, count: c.entries.length })),
    entries: async function* (scope: EntryScope, author: MemberKey) {
      yield (contents.chains.find((c) => c.scope === scope && c.author === author)?.entries ?? []).map(
        packEntry,
      )
    },
    forks: async () => contents.forks,
  }
}
