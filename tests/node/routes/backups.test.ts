import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { restoreNewNode } from '../../../node/restore-new-node.ts'
import { foundOrg } from '../../helpers/roster-nodes.ts'
import { startTestNodeIn, type TestNode, useNodes } from '../../helpers/start-nodes.ts'
import { useTempDirs } from '../../helpers/temp-dir.ts'
import { waitFor } from '../../helpers/wait-for.ts'

const nodes = useNodes()
const temp = useTempDirs('vg-backup-')

interface Job {
  state: 'running' | 'done' | 'failed'
  done: number
  total: number
  file: string | null
  result: Record<string, unknown> | null
  error: { code: string; message: string } | null
}

async function finished(t: TestNode, job: string): Promise<Job> {
  return waitFor('the backup job', async () => {
    const j = await t.api<Job>('GET', `/api/v1/backups/jobs/${job}`)
    return j.state === 'running' ? null : j
  })
}

/** What a node holds, to compare: documents' heads and every chain's head. */
async function holdings(t: TestNode): Promise<unknown> {
  const store = t.node.documents
  const docs: Record<string, string[]> = {}
  for (const id of await store.list())
    docs[id] = [...(await import('@automerge/automerge')).getHeads(await store.get(id))].sort()
  const chains: Record<string, number> = {}
  for (const scope of await store.chains.scopes())
    for (const author of await store.chains.authors(scope))
      chains[`${scope}/${author}`] = (await store.chains.head(scope, author))?.seq ?? 0
  return { docs, chains }
}

describe('/backups', () => {
  it('writes a backup as a job with progress, and gives the node back in an empty data directory', async () => {
    const o = await foundOrg(nodes, 'Backup Org')
    for (let i = 0; i < 5; i++)
      await o.leader.api('POST', `${o.path}/ships`, { model: `Cutlass ${i}`, manufacturer: 'Drake' })
    const dir = await temp.make()
    const out = join(dir, 'node.vgbak')
    const { job } = await o.leader.api<{ job: string }>('POST', '/api/v1/backups', { out, withKey: true })
    const j = await finished(o.leader, job)
    expect(j.error).toBeNull()
    expect(j.state).toBe('done')
    expect(j.file).toBe(out)
    expect(j.total).toBeGreaterThan(0)
    expect(j.done).toBe(j.total)

    const before = await holdings(o.leader)
    const status = await o.leader.api<{ memberKey: string; peerId: string }>('GET', '/api/v1/status')
    const fresh = join(dir, 'restored')
    const restored = await restoreNewNode(fresh, out)
    expect(restored.memberKey).toBe(status.memberKey)
    expect(restored.peerId).toBe(status.peerId)
    const back = await startTestNodeIn(fresh)
    try {
      expect(await holdings(back)).toEqual(before)
      const again = await back.api<{ memberKey: string; peerId: string }>('GET', '/api/v1/status')
      expect(again.peerId).toBe(status.peerId)
      const ships = await back.api<{ items: unknown[] }>('GET', `${o.path}/ships`)
      expect(ships.items).toHaveLength(5)
      const me = await back.api<{ rank: string }>('GET', `${o.path}/members/${status.memberKey}`)
      expect(me.rank).toBe('leader')
    } finally {
      await back.node.stop()
      await rm(fresh, { recursive: true, force: true })
    }
  }, 60_000)
})
