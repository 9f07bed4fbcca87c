/**
 * Issue 3 figures.
 * - receiveOverhead: 10,000 remote hangar changes received with full verification
 *   (entries, chain links, signatures, authorship, rules, persistence) vs a plain
 *   Automerge `applyChanges` of the same changes, same run (target ≤ 3).
 */
import { generateKeyPairSync } from 'node:crypto'
import * as A from '@automerge/automerge'
import { ed25519RawPublicKey, ed25519Sign, type MemberKey, type Signer, toHex } from '../crdt/index.ts'
import { hangarId } from '../services/fleet/index.ts'
import { benchNode, everything } from './domain-setup.ts'
import { median, printTable, quick, type Row, settle, time, writeResults } from './lib.ts'

const CHANGES = quick ? 1_000 : 10_000
const SHIPS = 100

function signer(): Signer {
  const { privateKey } = generateKeyPairSync('ed25519')
  return {
    memberKey: toHex(ed25519RawPublicKey(privateKey)) as MemberKey,
    sign: (d) => ed25519Sign(privateKey, d),
  }
}

async function receive(): Promise<Row[]> {
  const leader = await benchNode(signer(), { sync: false })
  const member = await benchNode(signer(), { sync: false })
  const org = await leader.org.createOrg({ name: 'Bench Org', tag: 'BNCH', handle: 'Bench_Lead' })
  const { token } = await leader.invites.createInvite(org.id, { rank: 'member' })
  const { request } = member.invites.joinRequest(token, 'Bench_Member')
  const admitted = await leader.invites.admit(request)
  if (!admitted.ok) throw new Error(admitted.reason)
  await member.store.receive(await everything(leader))
  const ids: string[] = []
  for (let i = 0; i < SHIPS; i++) {
    ids.push((await member.fleet.addShip(org.id, { model: `Ship ${i}`, manufacturer: 'RSI', cost: i })).id)
  }
  const statuses = ['available', 'in-use', 'maintenance'] as const
  for (let i = SHIPS; i < CHANGES; i++) {
    await member.fleet.updateShip(org.id, member.signer.memberKey, ids[i % SHIPS] as string, {
      status: statuses[i % 3],
    })
  }
  const all = await everything(member)
  const hangar = hangarId(org.id, member.signer.memberKey)
  const hangarChanges = await member.store.changes(hangar)
  const hangarHashes = new Set(hangarChanges.map((c) => A.decodeChange(c).hash))
  const entries = all.entries.filter((e) => true && e.bytes.length > 0)
  await member.close()

  const plain: number[] = []
  const ours: number[] = []
  const ratios: number[] = []
  for (let r = 0; r < (quick ? 1 : 9); r++) {
    // Each timed run, ours and the baseline's, starts from a collected heap: neither pays
    // for the garbage of the setup (a fresh receiver, the roster) or of the run before.
    settle()
    plain.push(await time(() => A.applyChanges(A.init(), hangarChanges)))
    // A fresh receiver each round, holding the roster (as every member's node does), fsync on.
    const receiver = await benchNode(signer(), { sync: true })
    const roster = await everything(leader)
    await receiver.store.receive(roster)
    const batch = {
      entries: entries.filter((e) => !roster.entries.some((x) => x.bytes === e.bytes)),
      changes: hangarChanges,
    }
    let accepted = 0
    settle()
    ours.push(
      await time(async () => {
        const result = await receiver.store.receive(batch)
        accepted = [...result.byDoc.values()].reduce((n, d) => n + d.changes.length, 0)
        if (result.rejected.length > 0) throw new Error(`refused: ${result.rejected[0]?.reason}`)
      }),
    )
    // The baseline again right after, so each round's ratio compares runs seconds apart
    // (this machine's speed drifts by ±30% over a minute).
    settle()
    plain.push(await time(() => A.applyChanges(A.init(), hangarChanges)))
    ratios.push(
      (ours[ours.length - 1] as number) / (((plain.at(-1) as number) + (plain.at(-2) as number)) / 2),
    )
    if (accepted !== hangarChanges.length) throw new Error(`accepted ${accepted} of ${hangarChanges.length}`)
    const doc = await receiver.store.get(hangar)
    if (A.getHeads(doc).join() !== A.getHeads(A.applyChanges(A.init(), hangarChanges)[0]).join())
      throw new Error('diverged')
    await receiver.close()
  }
  await leader.close()
  void hangarHashes
  const p = median(plain)
  const o = median(ours)
  return [
    { figure: 'plain applyChanges (baseline)', value: (hangarChanges.length / p) * 1000, unit: 'changes/s' },
    { figure: 'verified receive', value: (hangarChanges.length / o) * 1000, unit: 'changes/s' },
    {
      figure: 'receiveOverhead',
      value: median(ratios),
      unit: '×',
      target: '≤ 3',
      note: 'median over rounds of verified time / plain time (baseline before and after)',
    },
    { figure: 'receiveOverhead, best round', value: Math.min(...ratios), unit: '×' },
    { figure: 'receiveOverhead, worst round', value: Math.max(...ratios), unit: '×' },
  ]
}

export async function run(): Promise<Row[]> {
  const rows = await receive()
  printTable(`Domain (${CHANGES} remote changes${quick ? ', quick' : ''})`, rows)
  const file = writeResults('domain', {
    figures: Object.fromEntries(
      rows.map((r) => [r.figure, { value: r.value, unit: r.unit, target: r.target }]),
    ),
  })
  console.log(`results: ${file}`)
  return rows
}

if (import.meta.main) await run()
