/**
 * Property: random concurrent operations on three honest replicas and a lawless one
 * (modified software: its store takes anything, and it also writes straight to the
 * roster with its own signed entries), exchanged in random orders, leave the honest
 * replicas with identical documents, because every honest node reaches the same verdict
 * on every change: what one honest replica holds, every other takes, and the lawless
 * replica's refused changes, which do reach them, are refused by each alike.
 * The runs count what was applied and refused: a property whose commands were mostly
 * refused would prove little, so it fails then.
 */
import * as A from '@automerge/automerge'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { memberField, rosterId } from '../../services/org/roster-access.ts'
import { type RosterDoc, str } from '../../services/org/roster-schema.ts'
import { enlist, licenseOrg, makeReplica, type Replica, sync } from '../helpers/replica.ts'
import { makeSigner } from '../helpers/signer.ts'

const EXPECTED = new Set([
  'ChangeRefusedError',
  'InvalidInputError',
  'NotAMemberError',
  'PermissionDeniedError',
])
/** Replicas 0–2 are honest (leader, officer, member); 3 is the lawless member. */
const N = 4
const LAWLESS = 3
const RUNS = 30

type Cmd =
  | { kind: 'handle'; who: number; n: number }
  | { kind: 'notes'; who: number; target: number; n: number }
  | { kind: 'rank'; who: number; target: number; rank: string }
  | { kind: 'ship'; who: number; n: number }
  | { kind: 'shipStatus'; who: number; status: string }
  | { kind: 'customRank'; who: number; level: number }
  | { kind: 'rogue'; target: number; field: 'rank' | 'notes'; n: number }
  | { kind: 'sync'; from: number; to: number }

const who = fc.integer({ min: 0, max: N - 1 })
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  fc.record({ kind: fc.constant('handle' as const), who, n: fc.nat(99) }),
  fc.record({ kind: fc.constant('notes' as const), who, target: who, n: fc.nat(99) }),
  fc.record({
    kind: fc.constant('rank' as const),
    who,
    target: who,
    rank: fc.constantFrom('member', 'recruit', 'officer'),
  }),
  { arbitrary: fc.record({ kind: fc.constant('ship' as const), who, n: fc.nat(99) }), weight: 2 },
  fc.record({
    kind: fc.constant('shipStatus' as const),
    who,
    status: fc.constantFrom('available', 'in-use', 'destroyed'),
  }),
  fc.record({ kind: fc.constant('customRank' as const), who, level: fc.integer({ min: 2, max: 60 }) }),
  fc.record({
    kind: fc.constant('rogue' as const),
    target: who,
    field: fc.constantFrom('rank' as const, 'notes' as const),
    n: fc.nat(99),
  }),
  { arbitrary: fc.record({ kind: fc.constant('sync' as const), from: who, to: who }), weight: 3 },
)

async function snapshot(r: Replica): Promise<Record<string, { heads: string[]; json: unknown }>> {
  const out: Record<string, { heads: string[]; json: unknown }> = {}
  for (const id of await r.store.list()) {
    const doc = await r.store.get(id)
    out[id] = { heads: [...A.getHeads(doc)].sort(), json: A.toJS(doc) }
  }
  return out
}

const isHonest = (i: number) => i !== LAWLESS

/**
 * Over all runs: honest replicas' commands that changed their documents and those their
 * node refused; the lawless replica's writes, and its entries the honest ones refused.
 */
const tally = { applied: 0, refused: 0, lawlessWrites: 0, lawlessRefusedByHonest: 0 }

describe('convergence', () => {
  it(`random concurrent operations on 3 honest replicas and a lawless one, exchanged in random orders: the honest converge and refuse alike (${RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(cmd, { minLength: 8, maxLength: 30 }), async (cmds) => {
        const rs: Replica[] = []
        for (let i = 0; i < N; i++)
          rs.push(await makeReplica(makeSigner(), { lawless: i === LAWLESS, storage: 'memory' }))
        try {
          const [leader] = rs as [Replica]
          const org = await leader.org.createOrg({ name: 'Prop Org', tag: 'PROP', handle: 'Lead_0' })
          await licenseOrg(leader, org.id, 'enterprise')
          const ranks = ['officer', 'member', 'member']
          for (let i = 1; i < N; i++)
            await enlist(leader, org.id, rs[i] as Replica, ranks[i - 1] as string, `M_${i}`)
          for (const r of rs) await sync(leader, r)
          const key = (i: number) => (rs[i] as Replica).signer.memberKey
          const lawless = rs[LAWLESS] as Replica
          for (const c of cmds) {
            if (c.kind === 'sync') {
              if (c.from === c.to) continue
              const result = await sync(rs[c.from] as Replica, rs[c.to] as Replica)
              // What an honest replica holds, every honest replica takes.
              if (isHonest(c.from) && isHonest(c.to)) expect(result.rejected).toEqual([])
              continue
            }
            const by = c.kind === 'rogue' ? LAWLESS : c.who
            const r = rs[by] as Replica
            try {
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
                  if (ship === undefined) continue // nothing to do: counted neither way
                  await r.fleet.updateShip(org.id, key(c.who), ship.id, { status: c.status })
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
                case 'rogue': {
                  // Straight to the roster, no service in between: a rank or notes a member may not set.
                  const target = key(c.target)
                  await lawless.store.change<RosterDoc>(
                    rosterId(org.id),
                    { action: `member.${c.field}`, resource: `member:${org.id}/${target}` },
                    (d) => {
                      if (c.field === 'rank') memberField(d, 'mRank', target)[target] = str('leader')
                      else memberField(d, 'mNotes', target)[target] = str(`rogue ${c.n}`)
                    },
                  )
                  break
                }
              }
              if (isHonest(by)) tally.applied++
              else tally.lawlessWrites++
            } catch (err) {
              if (!EXPECTED.has((err as Error).name)) throw err
              if (isHonest(by)) tally.refused++
            }
          }
          // Heal: everyone sends everything to everyone, twice; refused changes stay refused.
          for (let round = 0; round < 2; round++) {
            for (const [i, a] of rs.entries()) {
              for (const [j, b] of rs.entries()) {
                if (i === j) continue
                const result = await sync(a, b)
                if (isHonest(i) && isHonest(j)) expect(result.rejected).toEqual([])
              }
            }
          }
          // The lawless replica's refused entries, offered once more: each honest replica refuses the same ones.
          const refusedBy: string[][] = []
          for (const [i, r] of rs.entries()) {
            if (!isHonest(i)) continue
            const { rejected } = await sync(lawless, r)
            refusedBy.push([...new Set(rejected.map((x) => `${x.author}/${x.seq}/${x.hash}`))].sort())
          }
          for (const list of refusedBy) expect(list).toEqual(refusedBy[0])
          tally.lawlessRefusedByHonest += refusedBy[0]?.length ?? 0
          const honest = rs.filter((_, i) => isHonest(i))
          const [s0, ...others] = await Promise.all(honest.map(snapshot))
          for (const s of others) expect(s).toEqual(s0)
        } finally {
          for (const r of rs) await r.close()
        }
      }),
      { numRuns: RUNS },
    )
    // The property proves something only if the commands mostly did something, and the
    // lawless replica's refused changes did reach the honest ones.
    console.info('convergence:', JSON.stringify(tally))
    expect(tally.applied, JSON.stringify(tally)).toBeGreaterThan(tally.refused)
    expect(tally.lawlessRefusedByHonest, JSON.stringify(tally)).toBeGreaterThan(0)
  }, 300_000)
})
