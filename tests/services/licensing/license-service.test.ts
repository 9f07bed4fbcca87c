/**
 * Licensing on the node: a license installed on one member's node reaches the others
 * through the org's license document, every node judges it itself, gated features turn
 * read-only when it lapses (no data lost or hidden), revocation lists spread and never
 * go backwards, and a clock set back extends nothing.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as A from '@automerge/automerge'
import { afterEach, describe, expect, it } from 'vitest'
import { ManualClock } from '../../../crdt/index.ts'
import { type LicenseDoc, licenseDocId } from '../../../services/licensing/index.ts'
import { DAY, issueLicense, issueRevocations, licenseFields } from '../../helpers/license.ts'
import { admitVia, enlist, makeReplica, type Replica, sync } from '../../helpers/replica.ts'
import { makeSigner } from '../../helpers/signer.ts'

const open: Replica[] = []
afterEach(async () => {
  for (const r of open.splice(0)) await r.close()
})

/** A replica whose wall clock the test sets. */
async function node(start = Date.now()): Promise<Replica & { clock: ManualClock }> {
  const clock = new ManualClock(start)
  const r = await makeReplica(makeSigner(), { clock, storage: 'memory' })
  open.push(r)
  return Object.assign(r, { clock })
}

async function orgOn(r: Replica, name = 'Licensed Org') {
  return r.org.createOrg({ name, tag: 'LIC', handle: 'Lead_1' })
}

const customRank = { id: 'pilot', name: 'Pilot', level: 20, permissions: ['fleet:view', 'ops:view'] }

describe('license service', () => {
  it('without a license the org works on Free, and Pro features are refused with a reason, changing nothing', async () => {
    const leader = await node()
    const org = await orgOn(leader)
    const status = await leader.licenses.status(org.id)
    expect(status).toMatchObject({ state: 'none', effectiveTier: 'free', seats: null })
    const before = A.getHeads(await leader.org.roster(org.id))
    await expect(leader.org.putRank(org.id, customRank)).rejects.toThrow(/custom-ranks.*Pro license/)
    await expect(orgOn(leader, 'Second Org')).rejects.toMatchObject({ name: 'FeatureLockedError' })
    expect(A.getHeads(await leader.org.roster(org.id))).toEqual(before)
    expect(await leader.org.listOrgs()).toHaveLength(1)
    // Free features stay open: invites, ships.
    await leader.invites.createInvite(org.id, { rank: 'member' })
    await leader.fleet.addShip(org.id, { model: 'Cutlass Black', manufacturer: 'Drake' })
  })

  it('a Pro license unlocks custom ranks and a second org; permission sets beyond the defaults need Enterprise', async () => {
    const leader = await node()
    const org = await orgOn(leader)
    const status = await leader.licenses.install(org.id, issueLicense(org, 'pro'))
    expect(status).toMatchObject({ state: 'valid', tier: 'pro', effectiveTier: 'pro', seats: 100 })
    await leader.org.putRank(org.id, {
      ...customRank,
      permissions: ['fleet:view', 'members:view', 'ops:view'],
    })
    await expect(leader.org.putRank(org.id, customRank)).rejects.toThrow(/rbac.*enterprise/i)
    await orgOn(leader, 'Second Org')
    expect(await leader.org.listOrgs()).toHaveLength(2)
  })

  it('the license reaches other members through the mesh and each node verifies it itself', async () => {
    const leader = await node()
    const officer = await node()
    const org = await orgOn(leader)
    await enlist(leader, org.id, officer, 'officer', 'Off_1')
    await leader.licenses.install(org.id, issueLicense(org, 'enterprise'))
    const r = await sync(leader, officer)
    expect(r.rejected).toEqual([])
    expect(await officer.licenses.status(org.id)).toMatchObject({ state: 'valid', tier: 'enterprise' })
    await officer.org.putRank(org.id, { ...customRank, level: 30 })
  })

  it('only a member with org:manage may install a license, on their node and on every other', async () => {
    const leader = await node()
    const member = await node()
    const org = await orgOn(leader)
    await enlist(leader, org.id, member, 'member', 'Mem_1')
    await expect(member.licenses.install(org.id, issueLicense(org))).rejects.toThrow(/org:manage/)
    expect(await member.store.has(licenseDocId(org.id))).toBe(false)
  })

  it('a license issued for one org cannot be pasted into another', async () => {
    const a = await node()
    const b = await node()
    const orgA = await orgOn(a, 'Org Alpha')
    const orgB = await orgOn(b, 'Org Beta')
    const forA = issueLicense(orgA, 'pro')
    await expect(b.licenses.install(orgB.id, forA)).rejects.toThrow(/issued for org/)
    // Same org id but another founder: also refused.
    await expect(
      b.licenses.install(orgB.id, issueLicense({ id: orgB.id, owner: orgA.owner })),
    ).rejects.toThrow(/issued for org|not this org/)
    expect(await b.store.has(licenseDocId(orgB.id))).toBe(false)
    expect((await b.licenses.status(orgB.id)).state).toBe('none')
  })

  it('a tampered license is refused at install, and one written into the document by a modified node counts as none', async () => {
    const leader = await node()
    const org = await orgOn(leader)
    const text = issueLicense(org, 'pro')
    const lines = text.split('\n')
    const at = lines.findIndex((l) => l.startsWith('-----BEGIN')) + 2
    const line = lines[at] as string
    lines[at] = (line[0] === 'A' ? 'B' : 'A') + line.slice(1)
    const forged = lines.join('\n')
    await expect(leader.licenses.install(org.id, forged)).rejects.toMatchObject({
      name: 'LicenseInvalidError',
    })
    // Bypassing install (a modified node writes the document directly).
    await leader.store.create<LicenseDoc>(
      licenseDocId(org.id),
      {
        action: 'license.install',
        resource: 'x',
        authHeads: A.getHeads(await leader.org.roster(org.id)) as never,
      },
      (d) => {
        d.schema = 1
        d.org = new A.ImmutableString(org.id)
        d.revocations = {}
        d.license = new A.ImmutableString(forged)
      },
    )
    const status = await leader.licenses.status(org.id)
    expect(status.state).toBe('invalid')
    expect(status.effectiveTier).toBe('free')
    await expect(leader.org.putRank(org.id, customRank)).rejects.toMatchObject({ name: 'FeatureLockedError' })
  })

  it('expiry: features stay on through the grace period, then turn read-only without losing or hiding data', async () => {
    const now = Date.now()
    const leader = await node(now)
    const org = await orgOn(leader)
    await leader.licenses.install(
      org.id,
      issueLicense(org, 'pro', { expires: now + 10 * DAY, grace: 5 * DAY }, now),
    )
    await leader.org.putRank(org.id, {
      ...customRank,
      permissions: ['fleet:view', 'members:view', 'ops:view'],
    })

    leader.clock.set(now + 12 * DAY)
    const grace = await leader.licenses.status(org.id)
    expect(grace.state).toBe('grace')
    expect(grace.warnings.join()).toMatch(/expired/)
    await leader.org.putRank(org.id, {
      id: 'ace',
      name: 'Ace',
      level: 15,
      permissions: ['fleet:view', 'members:view', 'ops:view'],
    })

    leader.clock.set(now + 16 * DAY)
    const expired = await leader.licenses.status(org.id)
    expect(expired).toMatchObject({ state: 'expired', effectiveTier: 'free' })
    await expect(leader.org.deleteRank(org.id, 'ace')).rejects.toThrow(/custom-ranks.*expired/)
    // Nothing lost, nothing hidden: the custom ranks are still there and readable.
    expect((await leader.org.ranks(org.id)).map((r) => r.id)).toEqual(
      expect.arrayContaining(['pilot', 'ace']),
    )
    // Installing an expired license is refused.
    await expect(
      leader.licenses.install(org.id, issueLicense(org, 'pro', { expires: now, grace: 0 }, now)),
    ).rejects.toThrow(/expired/)
  })

  it('a license not yet valid can be installed and turns on at its start', async () => {
    const now = Date.now()
    const leader = await node(now)
    const org = await orgOn(leader)
    const s = await leader.licenses.install(
      org.id,
      issueLicense(org, 'pro', { notBefore: now + 2 * DAY, expires: now + 40 * DAY }, now),
    )
    expect(s.state).toBe('not-yet-valid')
    await expect(leader.org.putRank(org.id, customRank)).rejects.toMatchObject({ name: 'FeatureLockedError' })
    leader.clock.set(now + 3 * DAY)
    expect((await leader.licenses.status(org.id)).state).toBe('valid')
  })

  it('a clock set back does not extend a license, and is reported', async () => {
    const now = Date.now()
    const leader = await node(now)
    const org = await orgOn(leader)
    await leader.licenses.install(
      org.id,
      issueLicense(org, 'pro', { expires: now + 10 * DAY, grace: 0 }, now),
    )
    leader.clock.set(now + 11 * DAY)
    expect((await leader.licenses.status(org.id)).state).toBe('expired')
    // Back to a day when the license was valid: still expired, and the rollback is named.
    leader.clock.set(now + DAY)
    const back = await leader.licenses.status(org.id)
    expect(back.state).toBe('expired')
    expect(back.clock.rolledBack).toBe(true)
    expect(back.warnings.join()).toMatch(/clock/)
    await expect(leader.org.putRank(org.id, customRank)).rejects.toMatchObject({ name: 'FeatureLockedError' })
  })

  it('the watermark survives a restart', async () => {
    const now = Date.now()
    const clock = new ManualClock(now)
    const signer = makeSigner()
    const dir = await mkdtemp(join(tmpdir(), 'vg-watermark-'))
    try {
      const first = await makeReplica(signer, { clock, dir })
      const org = await orgOn(first)
      await first.licenses.install(
        org.id,
        issueLicense(org, 'pro', { expires: now + 10 * DAY, grace: 0 }, now),
      )
      clock.set(now + 20 * DAY)
      expect((await first.licenses.status(org.id)).state).toBe('expired')
      await first.close()
      // Restarted with the clock set back to when the license was valid.
      clock.set(now + DAY)
      const again = await makeReplica(signer, { clock, dir })
      const s = await again.licenses.status(org.id)
      expect(s.state).toBe('expired')
      expect(s.clock.rolledBack).toBe(true)
      await again.close()
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('with no watermark yet, the signed chain still floors the time', async () => {
    const now = Date.now()
    // The org was just created (its entry carries the time then); the clock is then set
    // back 100 days, before any license was installed (no watermark yet).
    const leader = await node(now)
    const org = await orgOn(leader)
    leader.clock.set(now - 100 * DAY)
    const old = issueLicense(
      org,
      'pro',
      { notBefore: now - 200 * DAY, expires: now - 50 * DAY, grace: 0 },
      now - 200 * DAY,
    )
    await expect(leader.licenses.install(org.id, old)).rejects.toThrow(/expired/)
  })

  it('seats: a full org shows a warning and takes no new invites; nobody is removed', async () => {
    const leader = await node()
    const a = await node()
    const b = await node()
    const org = await orgOn(leader)
    await leader.licenses.install(org.id, issueLicense(org, 'pro', { seats: 2 }))
    await enlist(leader, org.id, a, 'member', 'Mem_A')
    await expect(leader.invites.createInvite(org.id, { rank: 'member' })).rejects.toMatchObject({
      name: 'SeatsExhaustedError',
    })
    // A member who joined on an invite made before the license still joins (no one is turned away or removed).
    await leader.licenses.install(org.id, issueLicense(org, 'pro', { seats: 3 }))
    const { token } = await leader.invites.createInvite(org.id, { rank: 'member' })
    await leader.licenses.install(org.id, issueLicense(org, 'pro', { seats: 2 }))
    expect(await admitVia(leader, b, token, 'Mem_B')).toEqual({ ok: true })
    const s = await leader.licenses.status(org.id)
    expect(s.members).toBe(3)
    expect(s.warnings.join()).toMatch(/3 members but 2 seats/)
    expect((await leader.org.members(org.id)).length).toBe(3)
  })

  it('revocation: a signed list spreads through the org document, revokes on every node, and older lists are refused', async () => {
    const leader = await node()
    const officer = await node()
    const org = await orgOn(leader)
    await enlist(leader, org.id, officer, 'officer', 'Off_1')
    const fields = licenseFields(org, 'pro')
    const { signLicense } = await import('../../../services/licensing/index.ts')
    const { testIssuer } = await import('../../helpers/license.ts')
    await leader.licenses.install(org.id, signLicense(fields, testIssuer))
    await sync(leader, officer)
    expect((await officer.licenses.status(org.id)).state).toBe('valid')

    // The officer's node receives list 2 (say, from another org) and spreads it.
    await officer.licenses.installRevocations(issueRevocations(2, [fields.id]))
    expect((await officer.licenses.status(org.id)).state).toBe('revoked')
    await sync(officer, leader)
    const s = await leader.licenses.status(org.id)
    expect(s).toMatchObject({ state: 'revoked', effectiveTier: 'free' })
    await expect(leader.org.putRank(org.id, customRank)).rejects.toThrow(/revoked/)

    // An older (or replayed) list is refused and changes nothing.
    await expect(leader.licenses.installRevocations(issueRevocations(1, []))).rejects.toThrow(/not newer/)
    await expect(leader.licenses.installRevocations(issueRevocations(2, []))).rejects.toThrow(/not newer/)
    expect(await leader.licenses.revocations()).toEqual([{ issuer: 'Test Issuer', seq: 2, revoked: 1 }])
    // A newer list that no longer names the license lifts the revocation.
    await leader.licenses.installRevocations(issueRevocations(3, []))
    expect((await leader.licenses.status(org.id)).state).toBe('valid')
  })

  it('a forged revocation list written into the document by a member is ignored', async () => {
    const leader = await node()
    const member = await node()
    const org = await orgOn(leader)
    const fields = licenseFields(org, 'pro')
    const { signLicense, signRevocations, generateIssuerKey } = await import(
      '../../../services/licensing/index.ts'
    )
    const { testIssuer } = await import('../../helpers/license.ts')
    await leader.licenses.install(org.id, signLicense(fields, testIssuer))
    await enlist(leader, org.id, member, 'member', 'Mem_1')
    // Signed by a key that claims the test issuer's name and key id.
    const rogue = { ...generateIssuerKey('Test Issuer').signer, keyId: testIssuer.keyId }
    const forged = signRevocations(
      {
        v: 1,
        keyId: testIssuer.keyId,
        issuer: 'Test Issuer',
        seq: 9,
        issuedAt: Date.now(),
        revoked: [fields.id],
      },
      rogue,
    )
    await expect(member.licenses.installRevocations(forged)).rejects.toMatchObject({
      name: 'LicenseInvalidError',
    })
    await member.store.change<LicenseDoc>(
      licenseDocId(org.id),
      {
        action: 'license.revocations',
        resource: 'x',
        authHeads: A.getHeads(await member.org.roster(org.id)) as never,
      },
      (d) => {
        d.revocations['9'] = new A.ImmutableString(forged)
      },
    )
    expect((await sync(member, leader)).rejected).toEqual([])
    expect((await leader.licenses.status(org.id)).state).toBe('valid')
  })

  it('the license document refuses writes outside its rules from a modified node', async () => {
    const leader = await node()
    const org = await orgOn(leader)
    await leader.licenses.install(org.id, issueLicense(org, 'pro'))
    const lawless = await makeReplica(makeSigner(), { lawless: true, storage: 'memory' })
    open.push(lawless)
    await enlist(leader, org.id, lawless, 'member', 'Mem_X')
    const heads = A.getHeads(await lawless.org.roster(org.id)) as never
    await lawless.store.change<LicenseDoc>(
      licenseDocId(org.id),
      { action: 'license.install', resource: 'x', authHeads: heads },
      (d) => {
        d.license = null
      },
    )
    const r = await sync(lawless, leader)
    expect(r.rejected.map((x) => x.reason).join()).toMatch(/org:manage/)
    expect((await leader.licenses.status(org.id)).state).toBe('valid')
  })
})
