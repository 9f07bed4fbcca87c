/**
 * Property (rule 5): with kicks, demotions and a lawless writer (modified software that
 * skips its own checks) in the mix, random concurrent operations exchanged in random
 * orders leave every honest replica with identical documents and identical views:
 * members, ranks, ships, sign-ups, who is removed and the flagged list. Rank changes
 * include cutting a rank's permissions while its holders are offline.
 */
import * as A from '@automerge/automerge'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { ChangeHash } from '../../crdt/index.ts'
import type { HangarDoc } from '../../services/fleet/hangar-schema.ts'
import { hangarId } from '../../services/fleet/index.ts'
import { enlist, licenseOrg, makeReplica, type Replica, sync } from '../helpers/replica.ts'
import { makeSigner } from '../helpers/signer.ts'

const EXPECTED = new Set([
  'ChangeRefusedError',
  'InvalidInputError',
  'NotAMemberError',
  'OperationNotFoundError',
  'OperationConflictError',
  'PermissionDeniedError',
  'FeatureLockedError',
  'PermissionDeniedError',
])
const OFFICER_FULL = ['members:*', 'ranks:*', 'fleet:*', 'ops:*', 'treasury:view']
const OFFICER_CUT = ['members:view', 'ranks:view', 'fleet:*', 'ops:*', 'treasury:view']
const SOON = Math.floor(Date.now() / 60_000) * 60_000 + 7 * 24 * 3_600_000
const N = 4
const LAWLESS = 3

type Cmd =
  | { kind: 'notes'; who: number; target: number; n: number }
  | { kind: 'rank'; who: number; target: number; rank: string }
  | { kind: 'kick'; who: number; target: number }
  | { kind: 'ship'; who: number; n: number }
  | { kind: 'shipStatus'; who: number; status: string }
  | { kind: 'signUp'; who: number }
  | { kind: 'staleShip'; n: number }
  | { kind: 'rankDef'; who: number; cut: boolean }
  | { kind: 'sync'; from: number; to: number }

const who = fc.integer({ min: 0, max: N - 1 })
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  fc.record({ kind: fc.constant('notes' as const), who, target: who, n: fc.nat(99) }),
  {
    arbitrary: fc.record({
      kind: fc.constant('rank' as const),
      who,
      target: who,
      rank: fc.constantFrom('member', 'recruit', 'officer'),
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ kind: fc.constant('kick' as const), who, target: who }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('ship' as const), who, n: fc.nat(99) }), weight: 2 },
  fc.record({
    kind: fc.constant('shipStatus' as const),
    who,
    status: fc.constantFrom('available', 'in-use', 'destroyed'),
  }),
  fc.record({ kind: fc.constant('signUp' as const), who }),
  fc.record({ kind: fc.constant('staleShip' as const), n: fc.nat(99) }),
  fc.record({ kind: fc.constant('rankDef' as const), who, cut: fc.boolean() }),
  { arbitrary: fc.record({ kind: fc.constant('sync' as const), from: who, to: who }), weight: 2 },
)

async function documents(r: Replica): Promise<Record<string, { heads: string[]; json: unknown }>> {
  const out: Record<string, { heads: string[]; json: unknown }> = {}
  for (const id of await r.store.list()) {
    const doc = await r.store.get(id)
    out[id] = { heads: [...A.getHeads(doc)].sort(), json: A.toJS(doc) }
  }
  return out
}

async function views(r: Replica, orgId: string, keys: readonly string[]) {
  const state = await r.org.currentState(orgId)
  return {
    members: (await r.org.members(orgId)).map((m) => [m.memberKey, m.rank, m.notes]),
    // Lists show what the viewer may see: compared between replicas that may see the fleet.
    ships: state.can(r.signer.memberKey, 'fleet:view')
      ? (await r.fleet.ships(orgId)).map((s) => [s.owner, s.id, s.model, s.status])
      : null,
    ops: state.can(r.signer.memberKey, 'ops:view')
      ? (await r.ops.list(orgId)).map((o) => o.participants.map((p) => [p.memberKey, p.state]))
      : null,
    removed: keys.map((k) => state.isKicked(k)),
    ranks: keys.map((k) => state.rankOf(k) ?? null),
    flagged: (await r.org.flagged(orgId)).map((f) => [f.author, f.seq, f.action, f.why]),
  }
}

describe('convergence with removals', () => {
  it('kicks, demotions and a lawless writer: honest replicas converge to the same documents and views', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(cmd, { minLength: 10, maxLength: 40 }), async (cmds) => {
        const rs: Replica[] = []
        for (let i = 0; i < N; i++)
          rs.push(await makeReplica(makeSigner(), { lawless: i === LAWLESS, storage: 'memory' }))
        try {
          const [leader] = rs as [Replica]
          const org = await leader.org.createOrg({ name: 'Prop Org', tag: 'PROP', handle: 'Lead_0' })
          await licenseOrg(leader, org.id, 'enterprise')
          const ranks = ['officer', 'member', 'officer']
          for (let i = 1; i < N; i++) {
            const r = rs[i] as Replica
            await enlist(leader, org.id, r, ranks[i - 1] as string, `Mem_${i}`)
          }
          const op = await leader.ops.createOperation(org.id, {
            title: 'Prop op',
            type: 'mining',
            scheduledAt: SOON,
            durationMin: 60,
          })
          for (const r of rs) await sync(leader, r)
          // The lawless writer keeps claiming the roster as it was at the start, whatever it hears since.
          const lawless = rs[LAWLESS] as Replica
          const staleHeads = A.getHeads(await lawless.org.roster(org.id)) as ChangeHash[]
          const key = (i: number) => (rs[i] as Replica).signer.memberKey
          for (const c of cmds) {
            try {
              if (c.kind === 'sync') {
                if (c.from === c.to) continue
                const result = await sync(rs[c.from] as Replica, rs[c.to] as Replica)
                // What an honest replica holds, every honest replica takes: verdicts agree.
                if (c.from !== LAWLESS && c.to !== LAWLESS) expect(result.rejected).toEqual([])
                continue
              }
              const r = rs[c.kind === 'staleShip' ? LAWLESS : c.who] as Replica
              switch (c.kind) {
                case 'notes':
                  await r.org.setNotes(org.id, key(c.target), `note ${c.n}`)
                  break
                case 'rank':
                  await r.org.setRank(org.id, key(c.target), c.rank)
                  break
                case 'kick':
                  await r.org.kick(org.id, key(c.target))
                  break
                case 'ship':
                  await r.fleet.addShip(org.id, { model: `Ship ${c.n}`, manufacturer: 'RSI', cost: c.n })
                  break
                case 'shipStatus': {
                  const [ship] = await r.fleet.ships(org.id, { owner: key(c.who) })
                  if (ship) await r.fleet.updateShip(org.id, key(c.who), ship.id, { status: c.status })
                  break
                }
                case 'signUp':
                  await r.ops.signUp(org.id, op.id, { role: 'Crew' })
                  break
                case 'rankDef':
                  await r.org.putRank(org.id, {
                    id: 'officer',
                    name: 'Officer',
                    level: 50,
                    permissions: c.cut ? OFFICER_CUT : OFFICER_FULL,
                  })
                  break
                case 'staleShip': {
                  const docId = hangarId(org.id, key(LAWLESS))
                  const action = {
                    action: 'ship.add',
                    resource: `ship:${org.id}/s${c.n}`,
                    authHeads: staleHeads,
                  }
                  const add = (d: HangarDoc) => {
                    d.ships[`${c.n}`.padStart(16, '0')] = {
                      id: new A.ImmutableString(`${c.n}`.padStart(16, '0')),
                      model: new A.ImmutableString(`Stale ${c.n}`),
                    } as never
                  }
                  if (await lawless.store.has(docId))
                    await lawless.store.change<HangarDoc>(docId, action, add)
                  else
                    await lawless.store.create<HangarDoc>(docId, action, (d) => {
                      d.schema = 1
                      d.org = new A.ImmutableString(org.id)
                      d.owner = new A.ImmutableString(key(LAWLESS))
                      d.ships = {}
                      add(d)
                    })
                  break
                }
              }
            } catch (err) {
              if (!EXPECTED.has((err as Error).name)) throw err
            }
          }
          for (let round = 0; round < 2; round++) {
            for (const [i, a] of rs.entries()) {
              for (const [j, b] of rs.entries()) {
                if (i === j) continue
                const result = await sync(a, b)
                if (i !== LAWLESS && j !== LAWLESS) expect(result.rejected).toEqual([])
              }
            }
          }
          const honest = rs.filter((_, i) => i !== LAWLESS)
          const keys = rs.map((r) => r.signer.memberKey)
          const docs = await Promise.all(honest.map(documents))
          const seen = await Promise.all(honest.map((r) => views(r, org.id, keys)))
          const ships = seen.map((v) => v.ships).filter((v) => v !== null)
          const ops = seen.map((v) => v.ops).filter((v) => v !== null)
          for (let i = 1; i < honest.length; i++) {
            expect(docs[i]).toEqual(docs[0])
            expect({ ...seen[i], ships: null, ops: null }).toEqual({ ...seen[0], ships: null, ops: null })
          }
          for (const v of ships) expect(v).toEqual(ships[0])
          for (const v of ops) expect(v).toEqual(ops[0])
        } finally {
          for (const r of rs) await r.close()
        }
      }),
      { numRuns: 25 },
    )
  }, 300_000)
})
