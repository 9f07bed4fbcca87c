/**
 * The calendar feed tokens in calendar.json: one per org, 256 random bits, owner-only,
 * stable until rotated, found only by the exact token, and a damaged file is an error
 * naming it (never an empty set that would silently mint new URLs over it).
 */
import { readFile, stat, writeFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { CALENDAR_FILE, CalendarTokens, TOKEN_PATTERN } from '../../node/calendar-tokens.ts'
import { useTempDirs } from '../helpers/temp-dir.ts'

const dirs = useTempDirs('vg-cal-tokens-')
const ORG_A = 'a'.repeat(32)
const ORG_B = 'b'.repeat(32)

describe('CalendarTokens', () => {
  it('makes one token per org, keeps it across instances, and finds the org only by the exact token', async () => {
    const dir = await dirs.make()
    const tokens = new CalendarTokens(dir)
    const a = await tokens.token(ORG_A)
    const b = await tokens.token(ORG_B)
    expect(a).toMatch(TOKEN_PATTERN)
    expect(Buffer.from(a, 'base64url')).toHaveLength(32)
    expect(b).not.toBe(a)
    expect(await new CalendarTokens(dir).token(ORG_A)).toBe(a)
    expect(await tokens.find(a)).toBe(ORG_A)
    expect(await tokens.find(b)).toBe(ORG_B)
    const last = a.at(-1) === 'A' ? 'B' : 'A'
    expect(await tokens.find(`${a.slice(0, -1)}${last}`)).toBeNull()
    expect(await tokens.find(a.slice(0, -1))).toBeNull()
    expect(await tokens.find('')).toBeNull()
    if (process.platform !== 'win32') expect((await stat(`${dir}/${CALENDAR_FILE}`)).mode & 0o777).toBe(0o600)
  })

  it('rotates one org: the old token finds nothing, the other org keeps its token', async () => {
    const tokens = new CalendarTokens(await dirs.make())
    const a = await tokens.token(ORG_A)
    const b = await tokens.token(ORG_B)
    const fresh = await tokens.rotate(ORG_A)
    expect(fresh).not.toBe(a)
    expect(await tokens.find(a)).toBeNull()
    expect(await tokens.find(fresh)).toBe(ORG_A)
    expect(await tokens.token(ORG_B)).toBe(b)
  })

  it('gives concurrent first asks one token', async () => {
    const tokens = new CalendarTokens(await dirs.make())
    const all = await Promise.all([tokens.token(ORG_A), tokens.token(ORG_A), tokens.token(ORG_A)])
    expect(new Set(all).size).toBe(1)
  })

  it('refuses a damaged file, naming it, and leaves it as it was', async () => {
    const dir = await dirs.make()
    const path = `${dir}/${CALENDAR_FILE}`
    for (const text of ['not json', JSON.stringify({ version: 1, feeds: { [ORG_A]: 'short' } }), '{}']) {
      await writeFile(path, text)
      const tokens = new CalendarTokens(dir)
      await expect(tokens.token(ORG_A)).rejects.toMatchObject({ code: 'calendar-file-invalid' })
      await expect(tokens.find('x'.repeat(43))).rejects.toThrow(CALENDAR_FILE)
      expect(await readFile(path, 'utf8')).toBe(text)
    }
  })
})
