/**
 * `backup list|prune` on a backup folder, with no node running: the configured folder or
 * `--dir`, retention by config.json or flags, confirmation, and what is never touched.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { backupFileName } from '../../services/backup/index.ts'
import { runMain } from '../helpers/cli.ts'
import { useTempDirs } from '../helpers/temp-dir.ts'

const temp = useTempDirs('vg-backup-cli-')
const DAY = 86_400_000
const NEWEST = Date.parse('2026-12-03T03:00:00Z')

/** A folder with one backup a day for `days` days up to NEWEST, and a file of the member's. */
async function folder(days: number): Promise<string> {
  const dir = await temp.make()
  for (let i = 0; i < days; i++)
    await writeFile(join(dir, backupFileName(NEWEST - i * DAY)), 'x'.repeat(100 + i))
  await writeFile(join(dir, 'notes.txt'), 'mine')
  await writeFile(join(dir, `.${backupFileName(NEWEST + DAY)}.0011aabbccdd.partial`), 'being written')
  return dir
}

const backupsIn = async (dir: string) =>
  (await readdir(dir)).filter((n) => n.startsWith('verseguy-backup-')).sort()
/** A data directory with no node: config.json is not read, so there is no configured folder. */
const noNode = async () => ({ VERSEGUY_HOME: join(await temp.make(), 'home') })

describe('backup list', () => {
  it('lists the backups newest first, with time, size and the slot that keeps each', async () => {
    const dir = await folder(10)
    const res = await runMain(['backup', 'list', '--dir', dir, '--json'], await noNode())
    expect(res.code).toBe(0)
    const out = JSON.parse(res.stdout) as {
      dir: string
      backups: { file: string; takenAt: string; size: number; kept: boolean; keptBy: string[] }[]
    }
    expect(out.dir).toBe(dir)
    expect(out.backups).toHaveLength(10) // not notes.txt, not the one being written
    expect(out.backups[0]).toEqual(
      expect.objectContaining({
        file: backupFileName(NEWEST),
        takenAt: '2026-12-03T03:00:00.000Z',
        size: 100,
        kept: true,
        keptBy: ['newest', 'daily 2026-12-03', 'weekly 2026-W49', 'monthly 2026-12'],
      }),
    )
    // 7 daily, 4 weekly, 12 monthly: Sunday 2026-11-29 is also its week's newest, 11-30 its month's;
    // 11-24 to 11-26 are newest of nothing (the folder holds only two weeks and two months).
    const kept = (day: string) => out.backups.find((b) => b.takenAt.startsWith(day))?.keptBy
    expect(kept('2026-11-29')).toEqual(['daily 2026-11-29', 'weekly 2026-W48'])
    expect(kept('2026-11-30')).toEqual(['daily 2026-11-30', 'monthly 2026-11'])
    expect(out.backups.slice(7).map((b) => b.kept)).toEqual([false, false, false])
  })

  it('prints a table for people, and says how to prune', async () => {
    const dir = await folder(10)
    const res = await runMain(['backup', 'list', '--dir', dir], await noNode())
    expect(res.code).toBe(0)
    expect(res.stdout).toContain(`Backups in ${dir} (keep 7 daily, 4 weekly, 12 monthly):`)
    expect(res.stdout).toMatch(/2026-12-03 03:00 UTC.*100 B.*newest, daily 2026-12-03/)
    expect(res.stdout).toContain('— (prune removes it)')
    expect(res.stdout).toMatch(
      /10 backups, 1\.0 kB\. Prune would remove 3: npx verseguy .*backup prune --dir/,
    )
  })

  it('reads the folder and the policy from config.json when --dir is not given', async () => {
    const dir = await folder(5)
    const home = join(await temp.make(), 'home')
    const init = await runMain(['-d', home, 'init'], { VERSEGUY_PASSPHRASE: 'correct horse battery' })
    expect(init.code).toBe(0)
    const config = JSON.parse(await readFile(join(home, 'config.json'), 'utf8'))
    config.backup = { dir, keep: { daily: 2, weekly: 0, monthly: 0 } }
    await writeFile(join(home, 'config.json'), JSON.stringify(config))
    const res = await runMain(['-d', home, 'backup', 'list', '--json'])
    const out = JSON.parse(res.stdout) as { dir: string; backups: { kept: boolean }[] }
    expect(out.dir).toBe(dir)
    expect(out.backups.map((b) => b.kept)).toEqual([true, true, false, false, false])
  })

  it('says how to choose a folder when none is set, and names a missing one', async () => {
    const none = await runMain(['backup', 'list'], await noNode())
    expect(none.code).toBe(1)
    expect(none.stderr).toMatch(
      /No backup folder is set\. Name one with --dir DIR, or set "backup": \{ "dir"/,
    )
    const missing = join(await temp.make(), 'nowhere')
    const res = await runMain(['backup', 'list', '--dir', missing], await noNode())
    expect(res.code).toBe(1)
    expect(res.stderr).toContain(`error: Backup folder ${missing}: no such folder`)
  })

  it('says a folder holds no backups yet', async () => {
    const res = await runMain(['backup', 'list', '--dir', await temp.make()], await noNode())
    expect(res.stdout).toMatch(/No backups in .* yet\./)
  })
})

describe('backup prune', () => {
  it('--dry-run prints what would go and removes nothing', async () => {
    const dir = await folder(10)
    const before = await readdir(dir)
    const res = await runMain(['backup', 'prune', '--dir', dir, '--daily', '3', '--dry-run'], await noNode())
    expect(res.code).toBe(0)
    expect(res.stdout).toContain(`Would remove`)
    expect(res.stdout).toContain('Nothing was removed (--dry-run).')
    expect((await readdir(dir)).sort()).toEqual(before.sort())
  })

  it('--yes removes what the policy does not keep, with flags over config.json, and nothing else', async () => {
    const dir = await folder(10)
    const res = await runMain(
      ['backup', 'prune', '--dir', dir, '--daily', '3', '--weekly', '0', '--monthly', '0', '--yes', '--json'],
      await noNode(),
    )
    expect(res.code).toBe(0)
    const out = JSON.parse(res.stdout) as { removed: string[]; kept: string[]; dryRun: boolean }
    expect(out.dryRun).toBe(false)
    expect(out.removed).toHaveLength(7)
    expect(await backupsIn(dir)).toEqual([0, 1, 2].map((i) => backupFileName(NEWEST - i * DAY)).sort())
    expect(await readdir(dir)).toContain('notes.txt')
    expect((await readdir(dir)).some((n) => n.endsWith('.partial'))).toBe(true)
  })

  it('keeps the newest backup even when every count is 0', async () => {
    const dir = await folder(3)
    const flags = [
      '--hourly',
      '0',
      '--daily',
      '0',
      '--weekly',
      '0',
      '--monthly',
      '0',
      '--yearly',
      '0',
      '--yes',
    ]
    const res = await runMain(['backup', 'prune', '--dir', dir, ...flags], await noNode())
    expect(res.code).toBe(0)
    expect(res.stdout).toContain(`Removed 2 backups from ${dir}`)
    expect(await backupsIn(dir)).toEqual([backupFileName(NEWEST)])
  })

  it('without --yes and no terminal to ask on, refuses and removes nothing (usage, exit 2)', async () => {
    const dir = await folder(10)
    const res = await runMain(['backup', 'prune', '--dir', dir, '--daily', '1'], await noNode())
    expect(res.code).toBe(2)
    expect(res.stderr).toMatch(
      /Remove 7 of 10 backups .*\? Add --yes to confirm, or --dry-run to see which\. Nothing was removed\./,
    )
    expect(await backupsIn(dir)).toHaveLength(10)
  })

  it('says when there is nothing to prune', async () => {
    const dir = await folder(3)
    const res = await runMain(['backup', 'prune', '--dir', dir], await noNode())
    expect(res.code).toBe(0)
    expect(res.stdout).toContain('Nothing to prune')
  })

  it('refuses a bad count as a usage error naming the flag, before touching the folder', async () => {
    const dir = await folder(3)
    for (const bad of ['-1', 'x', '1.5', '10001']) {
      const res = await runMain(['backup', 'prune', '--dir', dir, '--daily', bad, '--yes'], await noNode())
      expect(res.code, bad).toBe(2)
      expect(res.stderr, bad).toMatch(/--daily must be a whole number from 0 to 10000/)
    }
    expect(await backupsIn(dir)).toHaveLength(3)
  })
})
