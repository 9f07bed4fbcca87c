/**
 * Property: random concurrent operations on three replicas, exchanged in random orders
 * (and some refused by the rules), always converge to identical documents, because
 * every node reaches the same verdict on every change.
 */
import * as A from '@automerge/automerge'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { admitVia, licenseOrg, makeReplica, type Replica, sync } from '../helpers/replica.ts'
import { makeSigner } from '../helpers/signer.ts'

const EXPECTED = new Set(['ChangeRefusedError', 'InvalidInputError', 'NotAMemberError'])

type Cmd =
  | { kind: 'handle'; who: number; n: number }
  | { kind: 'notes'; who: number; target: number; n: number }
  | { kind: 'rank'; who: number; target: number; rank: string }
  | { kind: 'ship'; who: number; n: number }
  | { kind: 'shipStatus'; who: number; status: string }
  | { kind: 'customRank'; who: number; level: number }
  | { kind: 'sync'; from: number; to: number }

const who = fc.integer({ min: 0, max: 2 })
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  fc.record({ kind: fc.constant('handle' as const), who, n: fc.nat(99) }),
  fc.record({ kind: fc.constant('notes' as const), who, target: who, n: fc.nat(99) }),
  fc.record({
    kind: fc.constant('rank' as const),
    who,
    target: who,
    rank: fc.constantFrom('member', 'recruit', 'officer'),
  }),
  fc.record({ kind: fc.constant('ship' as const), who, n: fc.nat(99) }),
  fc.record({
    kind: fc.constant('shipStatus' as const),
    who,
    status: fc.constantFrom('available', 'in-use', 'destroyed'),
  }),
  fc.record({ kind: fc.constant('customRank' as const), who, level: fc.integer({ min: 2, max: 60 }) }),
  fc.record({ kind: fc.constant('sync' as const), from: who, to: who }),
)

async function snapshot(r: Replica): Promise<Record<string, { heads: string[]; json: unknown }>> {
  const out: Record<string, { heads: string[]; json: unknown }> = {}
  for (const id of await r.store.list()) {
    const doc = await r.store.get(id)
    out[id] = { heads: [...A.getHeads(doc)].sort(), json: A.toJS(doc) }
  }
  return out
}

describe('convergence', () => {
  it('random concurrent operations on 3 replicas, exchanged in random orders, converge', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(cmd, { minLength: 5, maxLength: 25 }), async (cmds) => {
        const rs = [
          await makeReplica(makeSigner(), { storage: 'memory' }),
          await makeReplica(makeSigner(), { storage: 'memory' }),
          await makeReplica(makeSigner(), { storage: 'memory' }),
        ] as const
        try {
          const [leader, officer, member] = rs
          const org = await leader.org.createOrg({ name: 'Prop Org', tag: 'PROP', handle: 'Lead_0' })
          await licenseOrg(leader, org.id, 'enterprise')
          for (const [r, rank, h] of [
            [officer, 'officer', 'Off_1'],
            [member, 'member', 'Mem_2'],
          ] as const) {
            const { token } = await leader.invites.createInvite(org.id, { rank })
            expect((await admitVia(leader, r, token, h)).ok).toBe(true)
          }
          for (const r of rs) await sync(leader, r)
          const key = (i: number) => (rs[i] as Replica).signer.memberKey
          for (const c of cmds) {
            try {
              if (c.kind === 'sync') {
                if (c.from !== c.to) await sync(rs[c.from] as Replica, rs[c.to] as Replica)
              } else {
                const r = rs[c.who] as Replica
                switch (c.kind) {
                  case 'handle':
                    await r.org.setHandle(org.id, key(c.who), `H_${c.who}_${c.n}`)
                    break
                  case 'notes':
                    await r.org.setNotes(org.id, key(c.target), `note ${c.n}`)
                    break
                  case 'rank':
                    await r.org.setRank(org.id, key(c.target), c.rank)
                    break
                  case 'ship':
                    await r.fleet.addShip(org.id, { model: `Ship ${c.n}`, manufacturer: 'RSI', cost: c.n })
                    break
                  case 'shipStatus': {
                    const [ship] = await r.fleet.ships(org.id, { owner: key(c.who) })
                    if (ship) await r.fleet.updateShip(org.id, key(c.who), ship.id, { status: c.status })
                    break
                  }
                  case 'customRank':
                    await r.org.putRank(org.id, {
                      id: 'custom',
                      name: 'Custom',
                      level: c.level,
                      permissions: ['fleet:view'],
                    })
                    break
                }
              }
            } catch (err) {
              if (!EXPECTED.has((err as Error).name)) throw err
            }
          }
          // Heal: everyone sends everything to everyone, twice (refused changes stay refused everywhere).
          for (let round = 0; round < 2; round++) {
            for (const a of rs) for (const b of rs) if (a !== b) await sync(a, b)
          }
          const [s0, s1, s2] = [await snapshot(rs[0]), await snapshot(rs[1]), await snapshot(rs[2])]
          expect(s1).toEqual(s0)
          expect(s2).toEqual(s0)
        } finally {
          for (const r of rs) await r.close()
        }
      }),
      { numRuns: 20 },
    )
  }, 120_000)
})
