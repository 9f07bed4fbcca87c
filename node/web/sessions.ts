/**
 * Browser sessions of the node's web UI: a login (the node passphrase) opens one; its id
 * travels only in an HttpOnly, SameSite=Strict cookie, and every write it makes carries
 * its CSRF token in a header as well. Sessions live in the running node's memory: a
 * restart logs everyone out. Bounded: past `MAX_SESSIONS` the oldest is closed.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { Clock } from '../../crdt/index.ts'

/** How long a session lasts after login. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000
export const MAX_SESSIONS = 64

export interface Session {
  readonly id: string
  readonly csrf: string
  readonly expiresAt: number
}

const token = () => randomBytes(32).toString('base64url')

export class Sessions {
  readonly #open = new Map<string, Session>()
  readonly #clock: Clock

  constructor(clock: Clock) {
    this.#clock = clock
  }

  open(): Session {
    this.#sweep()
    if (this.#open.size >= MAX_SESSIONS) {
      const oldest = this.#open.keys().next().value as string
      this.#open.delete(oldest)
    }
    const s: Session = { id: token(), csrf: token(), expiresAt: this.#clock.now() + SESSION_TTL_MS }
    this.#open.set(s.id, s)
    return s
  }

  /** The live session `id` names, or null (unknown, malformed or expired). */
  find(id: string | undefined): Session | null {
    if (id === undefined || !/^[\w-]{43}$/.test(id)) return null
    const s = this.#open.get(id)
    if (s === undefined) return null
    if (s.expiresAt <= this.#clock.now()) {
      this.#open.delete(id)
      return null
    }
    return s
  }

  /** Whether `given` is the session's CSRF token (compared in constant time). */
  csrfMatches(s: Session, given: string | undefined): boolean {
    if (given === undefined) return false
    const a = Buffer.from(given)
    const b = Buffer.from(s.csrf)
    return a.length === b.length && timingSafeEqual(a, b)
  }

  close(id: string): void {
    this.#open.delete(id)
  }

  get size(): number {
    return this.#open.size
  }

  #sweep(): void {
    const now = this.#clock.now()
    for (const [id, s] of this.#open) if (s.expiresAt <= now) this.#open.delete(id)
  }
}
