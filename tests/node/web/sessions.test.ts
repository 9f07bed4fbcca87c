/** Web sessions: unguessable ids, expiry, a bound on how many, CSRF compared exactly. */
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../../crdt/index.ts'
import { MAX_SESSIONS, SESSION_TTL_MS, Sessions } from '../../../node/web/sessions.ts'

describe('sessions', () => {
  it('are found by id until they expire', async () => {
    const clock = new ManualClock()
    const sessions = new Sessions(clock)
    const s = sessions.open()
    expect(s.id).toMatch(/^[\w-]{43}$/)
    expect(s.csrf).not.toBe(s.id)
    expect(sessions.find(s.id)).toBe(s)
    await clock.advance(SESSION_TTL_MS - 1)
    expect(sessions.find(s.id)).toBe(s)
    await clock.advance(1)
    expect(sessions.find(s.id)).toBeNull()
  })

  it('ignore unknown and malformed ids, and close', () => {
    const sessions = new Sessions(new ManualClock())
    const s = sessions.open()
    for (const id of [undefined, '', 'x', `${s.id}x`, s.id.replace(/.$/, '!'), 'a'.repeat(10_000)])
      expect(sessions.find(id)).toBeNull()
    sessions.close(s.id)
    expect(sessions.find(s.id)).toBeNull()
  })

  it('keep at most MAX_SESSIONS, closing the oldest', () => {
    const sessions = new Sessions(new ManualClock())
    const first = sessions.open()
    for (let i = 0; i < MAX_SESSIONS; i++) sessions.open()
    expect(sessions.size).toBe(MAX_SESSIONS)
    expect(sessions.find(first.id)).toBeNull()
  })

  it('take only the session’s own CSRF token', () => {
    const sessions = new Sessions(new ManualClock())
    const a = sessions.open()
    const b = sessions.open()
    expect(sessions.csrfMatches(a, a.csrf)).toBe(true)
    for (const given of [undefined, '', b.csrf, a.id, `${a.csrf} `])
      expect(sessions.csrfMatches(a, given)).toBe(false)
  })
})
