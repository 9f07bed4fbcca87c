/**
 * The license clock's reset: a watermark pushed ahead by a clock that was wrong once
 * expires valid licenses until the member confirms their clock is right and resets it;
 * the reset is a signed entry in their chain that the other members receive, and
 * without confirmation (or with nothing to reset) nothing changes.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ManualClock, type SignedEntry, verifyChain } from '../../../crdt/index.ts'
import { CLOCK_RESET_ACTION } from '../../../services/licensing/index.ts'
import { DAY, issueLicense } from '../../helpers/license.ts'
import { enlist, makeReplica, type Replica, sync } from '../../helpers/replica.ts'
import { makeSigner } from '../../helpers/signer.ts'

const open: Replica[] = []
afterEach(async () => {
  vi.useRealTimers()
  for (const r of open.splice(0)) await r.close()
})

async function node(
  clock: ManualClock,
  options: { dir?: string; signer?: ReturnType<typeof makeSigner> } = {},
): Promise<Replica> {
  const r = await makeReplica(options.signer ?? makeSigner(), {
    clock,
    ...(options.dir === undefined ? { storage: 'memory' as const } : { dir: options.dir }),
  })
  open.push(r)
  return r
}

/** An org on `r` with a Pro license valid for 30 days from `now`, no grace. */
async function licensedOrg(r: Replica, now: number) {
  const org = await r.org.createOrg({ name: 'Clock Org', tag: 'CLK', handle: 'Lead_1' })
  await r.licenses.install(org.id, issueLicense(org, 'pro', { expires: now + 30 * DAY, grace: 0 }, now))
  return org
}

describe('license clock reset', () => {
  it('a watermark pushed a year ahead expires a valid license until the member resets it; the reset is a signed chain entry', async () => {
    const now = Date.now()
    const clock = new ManualClock(now)
    const dir = await mkdtemp(join(tmpdir(), 'vg-clock-'))
    try {
      const signer = makeSigner()
      const me = await node(clock, { dir, signer })
      const org = await licensedOrg(me, now)
      expect((await me.licenses.status(org.id)).state).toBe('valid')

      // A wrong clock, once: a year ahead. Then the clock is right again.
      clock.set(now + 365 * DAY)
      expect((await me.licenses.status(org.id)).state).toBe('expired')
      clock.set(now + DAY)
      const stuck = await me.licenses.status(org.id)
      expect(stuck.state).toBe('expired')
      expect(stuck.clock).toMatchObject({ rolledBack: true, watermark: now + 365 * DAY })
      expect(stuck.warnings.join()).toMatch(/reset the license clock \(license clock-reset/)

      const headBefore = await me.store.chains.head(null, signer.memberKey)
      const reset = await me.licenses.resetClock(true)
      expect(reset).toMatchObject({ needed: true, done: true, from: now + 365 * DAY, to: now + DAY })
      const valid = await me.licenses.status(org.id)
      expect(valid.state).toBe('valid')
      expect(valid.clock.rolledBack).toBe(false)
      expect(valid.warnings).toEqual([])

      // The reset is the newest entry of the node-local chain, signed, naming both times.
      const head = await me.store.chains.head(null, signer.memberKey)
      expect(head?.seq).toBe((headBefore?.seq ?? 0) + 1)
      expect(reset.entry).toEqual({ seq: head?.seq, hash: head?.hash })
      expect(head).toMatchObject({
        action: CLOCK_RESET_ACTION,
        resource: `license-clock:${signer.memberKey}`,
        doc: null,
        details: { from: now + 365 * DAY, to: now + DAY },
      })
      const chain: SignedEntry[] = []
      for await (const e of me.store.chains.entries(null, signer.memberKey)) chain.push(e)
      expect(verifyChain(signer.memberKey, chain).status).toBe('ok')

      // It holds across a restart (the watermark setting was reset too).
      await me.close()
      open.splice(open.indexOf(me), 1)
      const again = await node(clock, { dir, signer })
      expect((await again.licenses.status(org.id)).state).toBe('valid')
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it("the reset stays on the member's node: the node-local chain is never sent", async () => {
    const now = Date.now()
    const leaderClock = new ManualClock(now)
    const leader = await node(leaderClock)
    const other = await node(new ManualClock(now))
    const org = await licensedOrg(leader, now)
    await enlist(leader, org.id, other, 'member', 'Mem_1')
    leaderClock.set(now + 365 * DAY)
    await leader.licenses.status(org.id)
    leaderClock.set(now)
    await leader.licenses.resetClock(true)
    const r = await sync(leader, other)
    expect(r.rejected).toEqual([])
    expect(await leader.store.chains.head(null, leader.signer.memberKey)).toMatchObject({
      action: CLOCK_RESET_ACTION,
      details: { from: now + 365 * DAY, to: now },
    })
    expect(await other.store.chains.head(null, leader.signer.memberKey)).toBeNull()
    expect(await other.store.chains.scopes()).toEqual([org.id])
    expect((await other.store.chains.head(org.id, leader.signer.memberKey))?.action).not.toBe(
      CLOCK_RESET_ACTION,
    )
  })

  it('entries signed while the clock was ahead no longer floor the time once the reset is recorded', async () => {
    const now = Date.now()
    const clock = new ManualClock(now)
    const me = await node(clock)
    const org = await licensedOrg(me, now)
    // The clock was a year ahead for a while: entries made then carry that time.
    clock.set(now + 365 * DAY)
    await me.invites.createInvite(org.id, { rank: 'member' })
    expect((await me.store.chains.head(org.id, me.signer.memberKey))?.time).toBeGreaterThanOrEqual(
      now + 365 * DAY,
    )
    clock.set(Date.now())
    expect((await me.licenses.status(org.id)).state).toBe('expired')

    expect((await me.licenses.resetClock(true)).done).toBe(true)
    expect((await me.licenses.status(org.id)).state).toBe('valid')
  })

  it('without confirmation, or with nothing to reset, nothing changes', async () => {
    const now = Date.now()
    const clock = new ManualClock(now)
    const me = await node(clock)
    const org = await licensedOrg(me, now)

    // Nothing to reset: the clock is not behind.
    const head0 = await me.store.chains.head(null, me.signer.memberKey)
    expect(await me.licenses.resetClock(true)).toMatchObject({ needed: false, done: false, entry: null })
    expect(await me.store.chains.head(null, me.signer.memberKey)).toEqual(head0)

    clock.set(now + 365 * DAY)
    await me.licenses.status(org.id)
    clock.set(now)
    const head1 = await me.store.chains.head(null, me.signer.memberKey)
    const preview = await me.licenses.resetClock(false)
    expect(preview).toMatchObject({ needed: true, done: false, from: now + 365 * DAY, to: now, entry: null })
    expect(await me.store.chains.head(null, me.signer.memberKey)).toEqual(head1)
    expect(await me.store.getSetting('license.watermark')).toBe(now + 365 * DAY)
    const still = await me.licenses.status(org.id)
    expect(still.state).toBe('expired')
    expect(still.clock.rolledBack).toBe(true)
  })
})
