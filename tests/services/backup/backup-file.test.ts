import { open, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  BackupCorruptError,
  BackupPassphraseError,
  BackupTamperedError,
  inspectBackup,
  readBackupHeader,
} from '../../../services/backup/index.ts'
import { withAlteredEntry } from '../../helpers/backup-file.ts'
import { foundOrg } from '../../helpers/roster-nodes.ts'
import { type TestNode, useNodes } from '../../helpers/start-nodes.ts'
import { useTempDirs } from '../../helpers/temp-dir.ts'
import { waitFor } from '../../helpers/wait-for.ts'

const nodes = useNodes('file')
const temp = useTempDirs('vg-backup-file-')
const PASS = 'backup passphrase 1'

let leader: TestNode | null = null
async function node(): Promise<TestNode> {
  if (leader !== null) return leader
  const o = await foundOrg(nodes, 'File Org')
  for (let i = 0; i < 3; i++)
    await o.leader.api('POST', `${o.path}/ships`, { model: `Prospector ${i}`, manufacturer: 'MISC' })
  leader = o.leader
  return leader
}

interface Job {
  state: string
  error: { message: string } | null
}

/** A backup written by the node through its API (`encrypt`: with that passphrase). */
async function backup(options: { passphrase?: string; withKey?: boolean } = {}): Promise<string> {
  const t = await node()
  const file = join(await temp.make(), 'b.vgbak')
  const { job } = await t.api<{ job: string }>('POST', '/api/v1/backups', { out: file, ...options })
  const j = await waitFor('the backup', async () => {
    const j = await t.api<Job>('GET', `/api/v1/backups/jobs/${job}`)
    return j.state === 'running' ? null : j
  })
  if (j.error !== null) throw new Error(j.error.message)
  return file
}

async function flipByte(file: string, at: number): Promise<void> {
  const fh = await open(file, 'r+')
  const b = Buffer.alloc(1)
  await fh.read(b, 0, 1, at)
  b[0] = (b[0] as number) ^ 0xff
  await fh.write(b, 0, 1, at)
  await fh.close()
}

describe('backup file', () => {
  it('verifies a whole backup: counts, chains and documents', async () => {
    const file = await backup()
    const { report } = await inspectBackup(file)
    expect(report.documents).toBeGreaterThan(0)
    expect(report.entries).toBeGreaterThan(3)
    expect(report.header.encryption).toBeNull()
    expect((await stat(`${file}.tmp`).catch(() => null)) === null).toBe(true)
  }, 30_000)

  it('refuses a damaged byte in the body with a clear error', async () => {
    const file = await backup()
    const { headerBytes } = await readBackupHeader(file)
    const size = (await stat(file)).size
    await flipByte(file, headerBytes.length + Math.floor((size - headerBytes.length) / 2))
    await expect(inspectBackup(file)).rejects.toThrow(BackupCorruptError)
  }, 30_000)

  it('refuses a truncated backup', async () => {
    const file = await backup()
    const bytes = await readFile(file)
    // Cut at the end, or in the middle: each is named as truncated.
    await writeFile(file, bytes.subarray(0, bytes.length - 20))
    await expect(inspectBackup(file)).rejects.toThrow(/truncated/)
    await writeFile(file, bytes.subarray(0, Math.floor(bytes.length / 2)))
    await expect(inspectBackup(file)).rejects.toThrow(/is damaged or not a Verse Guy backup: it is truncated/)
  }, 30_000)

  it('refuses a header claiming gigabytes before reading it', async () => {
    const file = await backup()
    const fh = await open(file, 'r+')
    const len = Buffer.alloc(4)
    len.writeUInt32BE(0xfffffff0)
    await fh.write(len, 0, 4, 8)
    await fh.close()
    await expect(inspectBackup(file)).rejects.toThrow(/header claims/)
  }, 30_000)

  it('refuses an altered header (its manifest inside differs)', async () => {
    const file = await backup()
    const bytes = await readFile(file)
    const i = bytes.indexOf('"withKey":false')
    bytes.write('"withKey":true ', i, 'latin1')
    // Same length: the header length still fits; only the manifest check can tell.
    await writeFile(file, bytes)
    await expect(inspectBackup(file)).rejects.toThrow(/header/)
  }, 30_000)

  it('encrypts: the wrong passphrase, no passphrase and a flipped chunk byte are refused', async () => {
    const file = await backup({ passphrase: PASS })
    expect((await readFile(file)).includes(Buffer.from('Prospector'))).toBe(false)
    const { report } = await inspectBackup(file, { passphrase: PASS })
    expect(report.header.encryption?.cipher).toBe('aes-256-gcm')
    await expect(inspectBackup(file, { passphrase: 'not the passphrase' })).rejects.toThrow(
      BackupPassphraseError,
    )
    await expect(inspectBackup(file)).rejects.toThrow(BackupPassphraseError)
    const size = (await stat(file)).size
    await flipByte(file, size - 30)
    await expect(inspectBackup(file, { passphrase: PASS })).rejects.toThrow(/does not authenticate/)
  }, 30_000)

  it('encrypted and cut after a whole chunk: truncation is caught (no final chunk)', async () => {
    const file = await backup({ passphrase: PASS })
    const bytes = await readFile(file)
    const { headerBytes } = await readBackupHeader(file)
    // Keep the header and the first chunk's frame only, cut inside it.
    await writeFile(file, bytes.subarray(0, headerBytes.length + 20))
    await expect(inspectBackup(file, { passphrase: PASS })).rejects.toThrow(BackupCorruptError)
  }, 30_000)

  it('a backup with a tampered entry (checksums made to fit) fails verification', async () => {
    const file = await backup()
    const out = join(await temp.make(), 'tampered.vgbak')
    await withAlteredEntry(file, out, (e) => {
      const bytes = new Uint8Array(e.bytes)
      bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 1
      return { bytes, signature: e.signature }
    })
    await expect(inspectBackup(out)).rejects.toThrow(BackupTamperedError)
    await expect(inspectBackup(out)).rejects.toThrow(/tampered/)
  }, 30_000)

  it('holds the sealed member key file only when asked', async () => {
    const without = await inspectBackup(await backup())
    expect(without.report.files).not.toContain('identity.key')
    const withKey = await inspectBackup(await backup({ withKey: true }))
    expect(withKey.report.files).toContain('identity.key')
    expect(withKey.report.header.withKey).toBe(true)
  }, 30_000)
})
