import { rm, stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { restoreNewNode } from '../../../node/restore-new-node.ts'
import { inspectBackup } from '../../../services/backup/index.ts'
import { withAlteredEntry } from '../../helpers/backup-file.ts'
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

  it('merges an old backup into a node with newer data: nothing lost, nothing duplicated', async () => {
    const o = await foundOrg(nodes, 'Merge Org')
    await o.leader.api('POST', `${o.path}/ships`, { model: 'Old Ship', manufacturer: 'RSI' })
    const out = join(await temp.make(), 'old.vgbak')
    const { job } = await o.leader.api<{ job: string }>('POST', '/api/v1/backups', { out })
    expect((await finished(o.leader, job)).state).toBe('done')
    await o.leader.api('POST', `${o.path}/ships`, { model: 'New Ship', manufacturer: 'RSI' })
    const before = await holdings(o.leader)

    const r = await o.leader.api<{ job: string }>('POST', '/api/v1/backups/restore', { file: out })
    const j = await finished(o.leader, r.job)
    expect(j.error).toBeNull()
    expect(j.result).toMatchObject({ accepted: 0, refused: [] })
    expect(j.result?.duplicates).toBeGreaterThan(0)
    expect(await holdings(o.leader)).toEqual(before)
    const ships = await o.leader.api<{ items: { model: string }[] }>('GET', `${o.path}/ships`)
    expect(ships.items.map((s) => s.model).sort()).toEqual(['New Ship', 'Old Ship'])
  }, 60_000)

  it('refuses a backup of an org this node is not a member of, changing nothing', async () => {
    const o = await foundOrg(nodes, 'Wipe Org')
    await o.leader.api('POST', `${o.path}/ships`, { model: 'Kept Ship', manufacturer: 'RSI' })
    const out = join(await temp.make(), 'w.vgbak')
    const { job } = await o.leader.api<{ job: string }>('POST', '/api/v1/backups', { out })
    expect((await finished(o.leader, job)).state).toBe('done')
    const other = await nodes.start('other')
    await other.api('POST', '/api/v1/orgs', { name: 'Other Org', tag: 'OTH', handle: 'Lead_O' })
    const before = await holdings(other)
    const r = await other.api<{ job: string }>('POST', '/api/v1/backups/restore', { file: out })
    const j = await finished(other, r.job)
    expect(j.state).toBe('failed')
    expect(j.error?.code).toBe('backup-foreign')
    expect(j.error?.message).toContain(o.org.id)
    // What to run instead, as it works when typed.
    expect(j.error?.message).toContain(
      `npx verseguy -d NEWDIR backup restore ${out} (NEWDIR: a new or empty folder)`,
    )
    expect(await holdings(other)).toEqual(before)
  }, 60_000)

  it('a tampered backup is refused before anything is merged', async () => {
    const o = await foundOrg(nodes, 'Tamper Org')
    await o.leader.api('POST', `${o.path}/ships`, { model: 'Ship', manufacturer: 'RSI' })
    const dir = await temp.make()
    const out = join(dir, 't.vgbak')
    const { job } = await o.leader.api<{ job: string }>('POST', '/api/v1/backups', { out })
    expect((await finished(o.leader, job)).state).toBe('done')
    const bad = join(dir, 'bad.vgbak')
    // A byte of the first entry changed: its hash no longer matches the link the next entry holds.
    await withAlteredEntry(out, bad, (e) => {
      const bytes = new Uint8Array(e.bytes)
      bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 1
      return { bytes, signature: e.signature }
    })
    const before = await holdings(o.leader)
    const r = await o.leader.api<{ job: string }>('POST', '/api/v1/backups/restore', { file: bad })
    const j = await finished(o.leader, r.job)
    expect(j.error?.code).toBe('backup-tampered')
    expect(await holdings(o.leader)).toEqual(before)
  }, 60_000)

  it('with no file named, writes into the backup folder (backups/ in the data directory by default) and lists it', async () => {
    const o = await foundOrg(nodes, 'Folder Org')
    const folder = join(o.leader.dir, 'backups')
    const empty = await o.leader.api<{ dir: string; configured: boolean; backups: unknown[] }>(
      'GET',
      '/api/v1/backups',
    )
    expect(empty).toEqual({ dir: folder, configured: false, backups: [] })
    const { job } = await o.leader.api<{ job: string }>('POST', '/api/v1/backups', {})
    const j = await finished(o.leader, job)
    expect(j.error).toBeNull()
    expect(j.file).toMatch(/\/backups\/verseguy-backup-\d{8}T\d{6}Z\.vgbak$/)
    expect(dirname(j.file ?? '')).toBe(folder)
    expect((await stat(folder)).mode & 0o777).toBe(0o700)
    const listed = await o.leader.api<{ backups: { path: string; size: number; kept: boolean }[] }>(
      'GET',
      '/api/v1/backups',
    )
    expect(listed.backups).toEqual([
      expect.objectContaining({ path: j.file, size: (await stat(j.file ?? '')).size, kept: true }),
    ])
    const { report } = await inspectBackup(j.file ?? '')
    expect(report.header.orgs).toEqual([o.org.id])
  }, 60_000)

  it('answers not-found for an unknown job', async () => {
    const t = await nodes.start('solo')
    await expect(t.api('GET', '/api/v1/backups/jobs/0123456789abcdef')).rejects.toThrow(/No backup job/)
  }, 30_000)
})
