/**
 * What the `verseguy` process loads before it can answer: `--version` and a usage error
 * load no database, CRDT or network code (that would add most of a second of CPU to each).
 */
import { spawn } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { BIN } from '../helpers/cli.ts'

/** Prints, at exit, every package under node_modules the process loaded a file of. */
const RECORD_PACKAGES = `data:text/javascript,${encodeURIComponent(`
import { registerHooks } from 'node:module'
import { writeSync } from 'node:fs'
const seen = new Set()
registerHooks({ load(url, context, next) {
  const m = url.match(/node_modules\\/((?:@[^/]+\\/)?[^/]+)/)
  if (m) seen.add(m[1])
  return next(url, context)
} })
process.on('exit', () => writeSync(2, '\\nloaded: ' + JSON.stringify([...seen].sort()) + '\\n'))
`)}`

function packagesLoaded(args: readonly string[]): Promise<{ code: number | null; packages: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', RECORD_PACKAGES, BIN, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (d) => {
      stderr += d
    })
    child.on('error', reject)
    child.on('exit', (code) => {
      const line = stderr.split('\n').find((l) => l.startsWith('loaded: '))
      if (line === undefined) reject(new Error(`no record of loaded packages:\n${stderr}`))
      else resolve({ code, packages: JSON.parse(line.slice('loaded: '.length)) as string[] })
    })
  })
}

const HEAVY =
  /^(@automerge\/|@libp2p\/|libp2p$|@chainsafe\/|level$|classic-level$|abstract-level$|hono$|@hono\/|pino$|zod$)/

describe('verseguy start cost', () => {
  it('--version and a usage error load commander and nothing of the node', async () => {
    const [version, usage] = await Promise.all([
      packagesLoaded(['--version']),
      packagesLoaded(['frobnicate']),
    ])
    expect(version.code).toBe(0)
    expect(usage.code).toBe(2)
    for (const { packages } of [version, usage]) {
      expect(packages).toContain('commander')
      expect(packages.filter((p) => HEAVY.test(p))).toEqual([])
    }
  })
})
