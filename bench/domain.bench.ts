/**
 * Issue 3 figures.
 * - receiveOverhead: 10,000 remote hangar changes received with full verification
 *   (entries, chain links, signatures, authorship, rules, persistence) vs a plain
 *   Automerge `applyChanges` of the same changes, same run (target ≤ 3).
 */
import * as A from '@automerge/automerge'
import { everything, makeReplica } from '../tests/helpers/replica.ts'
import { makeSigner } from '../tests/helpers/signer.ts'
import { hangarHistory } from './domain-setup.ts'
import { median, printTable, quick, type Row, settle, time, writeResults } from './lib.ts'

const CHANGES = quick ? 1_000 : 10_000
const SHIPS = 100

async function receive(): Promise<Row[]> {
  const { leader, hangar, changes: hangarChanges, entries } = await hangarHistory(CHANGES, SHIPS)

  const plain: number[] = []
  const ours: number[] = []
  const ratios: number[] = []
  for (let r = 0; r < (quick ? 1 : 9); r++) {
    // Each timed run, ours and the baseline's, starts from a collected heap: neither pays
    // for the garbage of the setup (a fresh receiver, the roster) or of the run before.
    settle()
    plain.push(await time(() => A.applyChanges(A.init(), hangarChanges)))
    // A fresh receiver each round, holding the roster (as every member's node does), fsync on.
    const receiver = await makeReplica(makeSigner(), { sync: true })
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
