/**
 * Each org to itself, on real nodes over 127.0.0.1: a founder's node in orgs X and Y
 * (a Pro license on X lets it found Y) serves each org's members that org only, by
 * catch-up, gossip and snapshots; an invite holder it admits gets only the org invited
 * to. A member kicked while its node runs stops receiving the org's new changes, and is
 * told it was removed.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join as joinPath } from 'node:path'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { packEntry } from '../../crdt/index.ts'
import { encodeMessage, SYNC_PROTOCOL } from '../../net/sync/messages.ts'
import type { VerseGuyNode } from '../../node/index.ts'
import { orgOfDoc } from '../../services/document-types.ts'
import { publicKeyOf } from '../../services/licensing/index.ts'
import { issueLicense, testIssuer } from '../helpers/license.ts'
import { expectBanned, useMeshNodes, waitFor } from '../helpers/mesh-nodes.ts'
import { everything, makeReplica, type Replica } from '../helpers/replica.ts'
import { ScaledClock } from '../helpers/scaled-clock.ts'
import { makeSigner } from '../helpers/signer.ts'

/** The nodes' clock: real speed, but while the tests let pull rounds pass (see `rounds`). */
const clock = new ScaledClock()
const mesh = useMeshNodes({ clock })
const replicas: Replica[] = []
afterEach(async () => {
  clock.speed = 1
  for (const r of replicas.splice(0)) await r.close()
})
const FAST = { syncIntervalSeconds: 1 }

/** Lets `ms` of the nodes' time pass (pull rounds every second of it) at four times real speed. */
async function rounds(ms: number): Promise<void> {
  clock.speed = 4
  await clock.sleep(ms)
  clock.speed = 1
}
let trustDir = ''
let license: Record<string, unknown> = {}

beforeAll(async () => {
  trustDir = await mkdtemp(joinPath(tmpdir(), 'vg-trust-'))
  const pub = joinPath(trustDir, 'test-issuer.pub')
  await writeFile(pub, JSON.stringify(publicKeyOf(testIssuer)))
  license = { license: { trust: [pub] } }
})
afterAll(async () => {
  await rm(trustDir, { recursive: true, force: true })
})

/** `node` joins `orgId` by an invite of `leader`'s, admitted by the leader's node. */
async function join(leader: VerseGuyNode, node: VerseGuyNode, orgId: string, handle: string) {
  const addr = leader.addresses()[0] as string
  const { token } = await leader.services.invites.createInvite(orgId, { rank: 'member', bootstrap: [addr] })
  await node.services.invites.accept(token, handle, node.admissions)
  await waitFor(
    `${handle} in the org on its own node`,
    async () => (await node.services.org.listOrgs()).length > 0,
    30_000,
  )
}

/** What a node holds of orgs: org ids it lists, orgs of its documents, scopes of its chains. */
async function holdings(n: VerseGuyNode) {
  return {
    orgs: (await n.services.org.listOrgs()).map((o) => o.id).sort(),
    docOrgs: [...new Set((await n.documents.list()).map((d) => orgOfDoc(d)))].sort(),
    scopes: (await n.documents.chains.scopes()).sort(),
  }
}

const shipsIn = async (n: VerseGuyNode, org: string) =>
  (await n.services.fleet.ships(org)).map((s) => s.model)

describe('each org to itself on real nodes', () => {
  it('a node in orgs X and Y: members of X get only X and members of Y only Y, by catch-up and by gossip', async () => {
    const f = await mesh.node([], FAST, license)
    const x = await f.services.org.createOrg({ name: 'Org X', tag: 'XXX', handle: 'Lead_F' })
    await f.services.licenses.install(x.id, issueLicense({ id: x.id, owner: x.owner }, 'pro'))
    const y = await f.services.org.createOrg({ name: 'Org Y', tag: 'YYY', handle: 'Lead_F' })
    // History before anyone joins (travels by catch-up) ...
    await f.services.fleet.addShip(x.id, { model: 'X before', manufacturer: 'Drake' })
    await f.services.fleet.addShip(y.id, { model: 'Y before', manufacturer: 'Aegis' })
    const boot = [f.addresses()[0] as string]
    const [a, b] = await Promise.all([mesh.node(boot, FAST), mesh.node(boot, FAST)])
    // Invite holders admitted by F: A to X, B to Y.
    await join(f, a, x.id, 'Mem_A')
    await join(f, b, y.id, 'Mem_B')
    await waitFor('X before on A', async () => (await shipsIn(a, x.id)).includes('X before'), 30_000)
    await waitFor('Y before on B', async () => (await shipsIn(b, y.id)).includes('Y before'), 30_000)
    // ... and after (gossip, and the pulls every second).
    await f.services.fleet.addShip(y.id, { model: 'Y after', manufacturer: 'Aegis' })
    await f.services.fleet.addShip(x.id, { model: 'X after', manufacturer: 'Drake' })
    await waitFor('X after on A', async () => (await shipsIn(a, x.id)).includes('X after'), 30_000)
    await waitFor('Y after on B', async () => (await shipsIn(b, y.id)).includes('Y after'), 30_000)
    await rounds(2_500) // a few more pull rounds

    expect(await holdings(a)).toEqual({ orgs: [x.id], docOrgs: [x.id], scopes: [x.id] })
    expect(await holdings(b)).toEqual({ orgs: [y.id], docOrgs: [y.id], scopes: [y.id] })
    expect(await a.documents.chains.authors(y.id)).toEqual([])
    expect(await b.documents.chains.authors(x.id)).toEqual([])
    // F holds both, each chain from seq 1.
    const me = f.services.org.me
    expect((await holdings(f)).orgs).toEqual([x.id, y.id].sort())
    for (const org of [x.id, y.id]) {
      const first = f.documents.chains.entries(org, me as never, { limit: 1 })
      for await (const e of first) expect(e.bytes.length).toBeGreaterThan(0)
    }
  }, 120_000)

  it('a member kicked while its node runs stops receiving the org’s new changes, and is told it was removed', async () => {
    const f = await mesh.node([], FAST)
    const org = await f.services.org.createOrg({ name: 'Kick Live', tag: 'KLV', handle: 'Lead_F' })
    const k = await mesh.node([f.addresses()[0] as string], FAST)
    await join(f, k, org.id, 'Mem_K')
    await f.services.fleet.addShip(org.id, { model: 'Before kick', manufacturer: 'Drake' })
    await waitFor('the ship on K', async () => (await shipsIn(k, org.id)).includes('Before kick'), 30_000)

    await f.services.org.kick(org.id, k.services.org.me)
    for (let i = 0; i < 3; i++)
      await f.services.fleet.addShip(org.id, { model: `After kick ${i}`, manufacturer: 'Drake' })
    await waitFor(
      'K told it was removed',
      () => k.mesh.peers().some((p) => p.peerId === f.network.peerId && p.removedFrom.includes(org.id)),
      30_000,
    )
    await rounds(3_000) // gossip and pulls had every chance
    expect((await shipsIn(k, org.id)).filter((m) => m.startsWith('After kick'))).toEqual([])
    const fHead = (await f.documents.chains.head(org.id, f.services.org.me as never))?.seq ?? 0
    const onK = (await k.documents.chains.head(org.id, f.services.org.me as never))?.seq ?? 0
    expect(onK).toBeLessThan(fHead)
  }, 120_000)

  it("a member's node answering a pull of X with another org's entries: refused unverified, banned after three", async () => {
    const t = await mesh.node()
    const x = await t.services.org.createOrg({ name: 'Org X', tag: 'XXX', handle: 'Lead_T' })
    // A member of X whose node founded an org Z of its own: its Z entries are validly signed.
    const seed = new Uint8Array(randomBytes(32))
    const r = await makeReplica(makeSigner(seed))
    replicas.push(r)
    const z = await r.org.createOrg({ name: 'Org Z', tag: 'ZZZ', handle: 'Lead_R' })
    await r.fleet.addShip(z.id, { model: 'Z ship', manufacturer: 'Drake' })
    const { token } = await t.services.invites.createInvite(x.id, { rank: 'member' })
    expect((await t.services.invites.admit(r.invites.joinRequest(token, 'Mem_R').request)).ok).toBe(true)
    const zs = await everything(r, z.id)
    expect(zs.entries.length).toBeGreaterThan(0)
    const h = await mesh.hostile(seed)
    let served = 0
    await h.libp2p.handle(SYNC_PROTOCOL, async (stream) => {
      try {
        const lp = lpStream(stream)
        await lp.read()
        served++
        await lp.write(
          encodeMessage({ t: 'batch', entries: zs.entries.map((e) => packEntry(e)), changes: zs.changes }),
        )
        await lp.write(encodeMessage({ t: 'done' }))
      } catch {}
    })
    await h.libp2p.dial(multiaddr(t.addresses()[0] as string))
    await waitFor('the member known as one', async () => (await t.services.org.members(x.id)).length === 2)
    for (let i = 0; i < 3 && !t.network.isBanned(h.peerId); i++) await t.mesh.pull(h.peerId)
    await expectBanned(t, h)
    expect(served).toBeGreaterThanOrEqual(1)
    expect(await t.documents.chains.authors(z.id)).toEqual([])
    expect((await t.documents.list()).filter((d) => orgOfDoc(d) === z.id)).toEqual([])
  }, 60_000)
})
