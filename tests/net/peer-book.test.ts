/**
 * The mesh's peer book is bounded and expiring: a disconnected peer's record goes once
 * idle, the longest idle ones go first past the cap, and a connected peer's record (or
 * one with requests being served) always stays.
 */
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../crdt/index.ts'
import { PeerBook } from '../../net/mesh/peer-book.ts'

const connected = { connected: true, memberKey: null }

describe('peer book', () => {
  it("drops a disconnected peer's record (and its member verdict) once idle", async () => {
    const clock = new ManualClock()
    const book = new PeerBook({ clock, idleMs: 60_000 })
    book.record('a', connected)
    book.setMember('a', false)
    book.disconnected('a')
    await clock.advance(59_999)
    expect(book.statuses(() => false).map((s) => s.peerId)).toEqual(['a'])
    await clock.advance(1)
    expect(book.statuses(() => false)).toEqual([])
    expect(book.member('a')).toBeUndefined()
  })

  it('keeps a member verdict across a disconnect, and drops an outsider verdict at once', () => {
    const book = new PeerBook({ clock: new ManualClock() })
    book.record('m', connected)
    book.record('o', connected)
    book.setMember('m', true)
    book.setMember('o', false)
    book.disconnected('m')
    book.disconnected('o')
    expect(book.member('m')).toBe(true)
    expect(book.member('o')).toBeUndefined()
  })

  it('past the cap, the longest idle disconnected records go first; connected and busy ones stay', async () => {
    const clock = new ManualClock()
    const book = new PeerBook({ clock, maxPeers: 3 })
    book.record('live', connected)
    book.record('busy', connected).serving = 1
    book.disconnected('busy')
    for (const p of ['old', 'new']) {
      book.record(p, connected)
      book.disconnected(p)
      await clock.advance(10)
    }
    book.record('next', connected)
    book.record('later', connected)
    const ids = book.statuses(() => false).map((s) => s.peerId)
    expect(ids).toContain('live')
    expect(ids).toContain('busy')
    expect(ids).not.toContain('old')
    expect(ids).not.toContain('new')
    expect(ids).toEqual(expect.arrayContaining(['next', 'later']))
  })
})
