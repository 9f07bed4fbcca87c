/** A node given back from a backup takes no derived state from the file: only what is checked when read. */
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { LocalNode } from '../../node/local-node.ts'
import { restoreNewNode } from '../../node/restore-new-node.ts'
import { writeBackup } from '../../services/backup/index.ts'
import { sourceOf } from '../helpers/backup-file.ts'
import { runMain } from '../helpers/cli.ts'
import { initTestNodeDir, TEST_NODE_PASS } from '../helpers/start-nodes.ts'
import { useTempDirs } from '../helpers/temp-dir.ts'

const temp = useTempDirs('vg-restore-new-')

describe('restore into an empty data directory', () => {
  it('takes the license watermark but never an authorization state from the file', async () => {
    const work = await temp.make()
    const dir = await initTestNodeDir(join(work, 'node'))
    const env = { VERSEGUY_PASSPHRASE: TEST_NODE_PASS }
    await runMain(
      ['-d', dir, 'org', 'create', '--name', 'Shelf Org', '--tag', 'SHF', '--handle', 'Lead_S'],
      env,
    )
    const file = join(work, 'b.vgbak')
    expect((await runMain(['-d', dir, 'backup', 'create', '--out', file, '--with-key'])).code).toBe(0)
    const source = await sourceOf(file)
    const forged = join(work, 'forged.vgbak')
    const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v))
    await writeBackup(
      {
        ...source,
        settings: async function* () {
          yield ['auth-state:forged', json({ members: { me: 'leader' } })] as [string, Uint8Array]
          yield ['license.watermark', json(1_900_000_000_000)] as [string, Uint8Array]
        },
      },
      { file: forged, app: 'test', withKey: true },
    )
    const into = join(work, 'new')
    await restoreNewNode(into, forged)
    const node = await LocalNode.open({ dataDir: into, logLevel: 'silent' })
    try {
      expect(await node.documents.getSetting('auth-state:forged')).toBeUndefined()
      expect(await node.documents.getSetting('license.watermark')).toBe(1_900_000_000_000)
    } finally {
      await node.close()
    }
  }, 60_000)
})
