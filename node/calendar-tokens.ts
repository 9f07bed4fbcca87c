/**
 * The calendar feed tokens (`/cal/<token>.ics`): one random token per org this node's
 * member belongs to, in `calendar.json` in the data directory (owner-only, like the member
 * key). Node-local on purpose: a token is this member's secret, never part of a CRDT
 * document, never synced, and not in backups (a restored node makes a new one).
 *
 * The file is read on every lookup, so a rotation (this process or the CLI on a stopped
 * node) holds at once; it is written whole to a temporary file and renamed over.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { readFile, rename, stat, writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { z } from 'zod'
import { FILE_MODE } from './data-dir.ts'
import { CalendarFileError } from './errors.ts'

/** The file, in the data directory. */
export const CALENDAR_FILE = 'calendar.json'
/** 32 random bytes (256 bits), base64url: 43 characters. */
export const TOKEN_BYTES = 32
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/
/** The file is a handful of lines; anything larger is not ours. */
const MAX_FILE_BYTES = 256 * 1024

const fileSchema = z.strictObject({
  version: z.literal(1),
  feeds: z.record(z.string().regex(/^[0-9a-f]{32}$/), z.string().regex(TOKEN_PATTERN)),
})
type CalendarFile = z.infer<typeof fileSchema>

export class CalendarTokens {
  readonly path: string
  /** Writes one at a time, each on the file the previous one left. */
  private writing: Promise<unknown> = Promise.resolve()

  constructor(dataDir: string) {
    this.path = resolve(dataDir, CALENDAR_FILE)
  }

  /** The org's feed token; made (and saved) the first time it is asked for. */
  async token(org: string): Promise<string> {
    const existing = (await this.read()).feeds[org]
    if (existing !== undefined) return existing
    return this.update(org, (current) => current ?? newToken())
  }

  /** Gives the org a new token: the old one stops working at once. */
  async rotate(org: string): Promise<string> {
    return this.update(org, () => newToken())
  }

  /**
   * The org whose token `given` is, or null. Compares with every stored token in constant
   * time (no early exit on the first differing byte, none on the first match).
   */
  async find(given: string): Promise<string | null> {
    if (!TOKEN_PATTERN.test(given)) return null
    const bytes = Buffer.from(given)
    let found: string | null = null
    for (const [org, token] of Object.entries((await this.read()).feeds)) {
      const expected = Buffer.from(token)
      if (expected.length === bytes.length && timingSafeEqual(expected, bytes) && found === null) found = org
    }
    return found
  }

  private update(org: string, next: (current: string | undefined) => string): Promise<string> {
    const run = this.writing.then(async () => {
      const file = await this.read()
      const token = next(file.feeds[org])
      const updated: CalendarFile = { version: 1, feeds: { ...file.feeds, [org]: token } }
      const tmp = `${this.path}.${randomBytes(6).toString('hex')}.tmp`
      await writeFile(tmp, `${JSON.stringify(updated, null, 2)}\n`, { mode: FILE_MODE })
      await rename(tmp, this.path)
      return token
    })
    this.writing = run.catch(() => {})
    return run
  }

  private async read(): Promise<CalendarFile> {
    let text: string
    try {
      if ((await stat(this.path)).size > MAX_FILE_BYTES)
        throw new CalendarFileError(this.path, `larger than ${MAX_FILE_BYTES} bytes`)
      text = await readFile(this.path, 'utf8')
    } catch (err) {
      if (err instanceof CalendarFileError) throw err
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, feeds: {} }
      throw new CalendarFileError(this.path, (err as Error).message, { cause: err })
    }
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch (err) {
      throw new CalendarFileError(this.path, 'not JSON', { cause: err })
    }
    const parsed = fileSchema.safeParse(json)
    if (!parsed.success)
      throw new CalendarFileError(this.path, parsed.error.issues[0]?.message ?? 'wrong shape')
    return parsed.data
  }
}

function newToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url')
}
