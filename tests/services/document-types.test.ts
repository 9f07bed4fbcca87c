import * as A from '@automerge/automerge'
import { describe, expect, it } from 'vitest'
import type { ChangeContext, DocId, Entry } from '../../crdt/index.ts'
import { DOCUMENT_TYPES, DOMAIN_INDEXERS, documentTypeOf, orgOfDoc } from '../../services/document-types.ts'
import { DomainValidator } from '../../services/domain-validator.ts'
import { hangarId } from '../../services/fleet/index.ts'
import { licenseDocId } from '../../services/licensing/license-doc.ts'
import { opDocId } from '../../services/operations/op-schema.ts'
import { rosterId } from '../../services/org/roster-access.ts'

const ORG = 'ab'.repeat(16)
const OTHER = 'cd'.repeat(16)
const MEMBER = 'ef'.repeat(32)

/** An id of every registered type, built by the services that write them, for `org`. */
const idsOf = (org: string): Record<string, string> => ({
  org: rosterId(org),
  hangar: hangarId(org, MEMBER),
  op: opDocId(org, '12'.repeat(16)),
  license: licenseDocId(org),
})

/** The validator's verdict on an empty entry to `docId` whose chain is `scope`'s. */
function judge(docId: string, scope: string | null) {
  const validator = new DomainValidator({ roster: async () => null })
  const ctx: ChangeContext = {
    docId: docId as DocId,
    entry: { scope, author: MEMBER } as unknown as Entry,
    changes: [],
    changeBytes: [],
    origin: 'remote',
    doc: A.init(),
    prior: [],
  }
  return validator.validate(ctx)
}

describe('the document-type registry', () => {
  it('knows every type the services write, and each finds the org of its ids', () => {
    const ids = idsOf(ORG)
    expect(DOCUMENT_TYPES.map((t) => t.name).sort()).toEqual(Object.keys(ids).sort())
    for (const [name, id] of Object.entries(ids)) {
      expect(documentTypeOf(id)?.name).toBe(name)
      expect(orgOfDoc(id)).toBe(ORG)
    }
    // The one-entry cache answers for the id asked, not the one before.
    for (const id of Object.values(idsOf(OTHER))) expect(orgOfDoc(id)).toBe(OTHER)
  })

  it('gives no org to an id of no registered type, or with no org in it', () => {
    for (const id of [
      `widget:${ORG}`,
      `hangars:${ORG}.${MEMBER}`,
      ORG,
      '',
      `org:${ORG.toUpperCase()}`,
      'org:12',
    ]) {
      expect(orgOfDoc(id)).toBeNull()
    }
    expect(documentTypeOf(`widget:${ORG}`)).toBeNull()
    expect(documentTypeOf('org')).toBeNull()
  })

  it('refuses a change to a document of no registered type', async () => {
    expect(await judge(`widget:${ORG}`, null)).toEqual({
      ok: false,
      reason: 'no rules accept widget documents',
    })
  })

  it("refuses an entry in another org's chain than its document's, for every type", async () => {
    for (const id of Object.values(idsOf(ORG))) {
      expect(await judge(id, OTHER)).toMatchObject({ ok: false, kind: 'wrong-scope' })
      expect(await judge(id, null)).toMatchObject({ ok: false, kind: 'wrong-scope' })
    }
    expect(await judge(`widget:${ORG}`, ORG)).toMatchObject({ ok: false, kind: 'wrong-scope' })
  })

  it("keeps the indexers of registered types only, each under its type's name", () => {
    expect(DOMAIN_INDEXERS.length).toBeGreaterThan(0)
    for (const indexer of DOMAIN_INDEXERS) {
      const owner = DOCUMENT_TYPES.find((t) => t.indexers?.includes(indexer))
      expect(owner?.name).toBe(indexer.type)
    }
  })
})
