/**
 * A node's local part alone (no network, no HTTP): opened without the passphrase it reads
 * and refuses to sign; unlocked it changes things. The in-process API answers what needs
 * the network with 503 `node-not-running`, and accepting an invite judges the token before
 * it asks for the network.
 */
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  initDataDir,
  LocalNode,
  NodeNotRunningError,
  openLocalApi,
  PassphraseNeededError,
} from '../../node/index.ts'
import { acceptInvite } from '../../node/use-cases/accept-invite.ts'
import { WrongPassphraseError } from '../../services/identity/errors.ts'
import { InvalidInputError } from '../../services/org/index.ts'
import { FAST_KDF } from '../helpers/start-nodes.ts'
import { useTempDirs } from '../helpers/temp-dir.ts'

const PASS = 'local node passphrase'
const dirs = useTempDirs('vg-local-node-')

async function dataDir(): Promise<string> {
  const dir = join(await dirs.make(), 'node')
  await initDataDir(dir, PASS, FAST_KDF)
  return dir
}

const notRunning = () => {
  throw new NodeNotRunningError()
}

describe('LocalNode', () => {
  it('opened without the passphrase it reads, refuses to sign and changes nothing; unlocked it writes', async () => {
    const dir = await dataDir()
    const writer = await LocalNode.open({ dataDir: dir, passphrase: PASS, logLevel: 'silent' })
    const org = await writer.services.org.createOrg({ name: 'Local Wing', tag: 'LOCW', handle: 'founder' })
    await writer.close({ shelve: true })

    const node = await LocalNode.open({ dataDir: dir, logLevel: 'silent' })
    try {
      expect(node.writable).toBe(false)
      expect((await node.services.org.listOrgs()).map((o) => o.id)).toEqual([org.id])
      const status = await node.status()
      expect(status).toMatchObject({ running: false, memberKey: writer.signer.memberKey })
      expect(status.documents).toBeGreaterThan(0)

      await expect(node.services.org.updateOrg(org.id, { description: 'slipped' })).rejects.toThrow(
        PassphraseNeededError,
      )
      await expect(node.unlock('not the passphrase')).rejects.toThrow(WrongPassphraseError)
      expect(node.writable).toBe(false)
      expect((await node.services.org.getOrg(org.id)).description).toBe('')

      await node.unlock(PASS)
      await node.services.org.updateOrg(org.id, { description: 'changed' })
      expect((await node.services.org.getOrg(org.id)).description).toBe('changed')
    } finally {
      await node.close({ shelve: true })
    }
  })

  it('the in-process API: reads without a passphrase, the network answers 503, a change unlocks first', async () => {
    const dir = await dataDir()
    let asked = 0
    const api = await openLocalApi({
      dataDir: dir,
      passphrase: async () => {
        asked++
        return PASS
      },
    })
    try {
      const status = await api.request('GET', '/api/v1/status')
      expect(status.status).toBe(200)
      expect(await status.json()).toMatchObject({ running: false })
      const peers = await api.request('GET', '/api/v1/peers')
      expect(peers.status).toBe(503)
      expect(await peers.json()).toMatchObject({ error: { code: 'node-not-running', kind: 'unavailable' } })
      expect(asked).toBe(0)
      const created = await api.request('POST', '/api/v1/orgs', {
        name: 'Api Wing',
        tag: 'APIW',
        handle: 'founder',
      })
      expect(created.status, await created.clone().text()).toBe(201)
      const { id } = (await created.json()) as { id: string }
      expect((await api.request('PATCH', `/api/v1/orgs/${id}`, { description: 'x' })).status).toBe(200)
      expect(asked).toBe(1)
    } finally {
      await api.close()
    }
  })
})

describe('acceptInvite', () => {
  it('judges the token first; a good one on a node without network is refused and changes nothing', async () => {
    const leaderDir = await dataDir()
    const leader = await LocalNode.open({ dataDir: leaderDir, passphrase: PASS, logLevel: 'silent' })
    const org = await leader.services.org.createOrg({ name: 'Invite Wing', tag: 'INVW', handle: 'founder' })
    const { token } = await leader.services.invites.createInvite(org.id, { rank: 'member', bootstrap: [] })
    await leader.close()

    const node = await LocalNode.open({ dataDir: await dataDir(), passphrase: PASS, logLevel: 'silent' })
    try {
      let asked = 0
      const network = () => {
        asked++
        return notRunning()
      }
      await expect(
        acceptInvite(
          { invites: node.services.invites, network },
          { token: 'vginv1.garbage', handle: 'newcomer' },
        ),
      ).rejects.toMatchObject({ name: InvalidInputError.name, field: 'token' })
      expect(asked).toBe(0)
      await expect(
        acceptInvite({ invites: node.services.invites, network }, { token, handle: 'newcomer' }),
      ).rejects.toThrow(NodeNotRunningError)
      expect(asked).toBe(1)
      expect(await node.services.org.listOrgs()).toEqual([])
    } finally {
      await node.close()
    }
  })
})
