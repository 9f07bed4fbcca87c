/**
 * The `verseguy` command keeps Node's module compile cache in the user's own cache folder
 * (node/compile-cache.mjs): never a shared temporary folder, and off when asked.
 */
import { spawnSync } from 'node:child_process'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'

const moduleUrl = new URL('../../node/compile-cache.mjs', import.meta.url).href
const dirs: string[] = []
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

/** Runs enableModuleCache in a fresh Node with `env`, loads a module, prints the folder. */
function enableIn(env: Record<string, string>): string {
  const script = `const { enableModuleCache } = await import(${JSON.stringify(moduleUrl)});
    const dir = enableModuleCache(); await import(${JSON.stringify(new URL('../../node/version.ts', import.meta.url).href)});
    (await import('node:module')).flushCompileCache(); console.log(JSON.stringify(dir))`
  const { NODE_COMPILE_CACHE: _, NODE_DISABLE_COMPILE_CACHE: __, ...base } = process.env
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...base, ...env },
    encoding: 'utf8',
  })
  if (r.status !== 0) throw new Error(r.stderr)
  return JSON.parse(r.stdout.trim()) as string
}

describe('module compile cache', () => {
  it("is kept under the user's cache folder and holds the modules loaded", async () => {
    const home = await mkdtemp(join(tmpdir(), 'vg-cc-'))
    dirs.push(home)
    const dir = enableIn({ XDG_CACHE_HOME: home })
    expect(dir.startsWith(join(home, 'verseguy', 'compile'))).toBe(true)
    expect((await readdir(dir, { recursive: true })).length).toBeGreaterThan(0)
  })

  it('NODE_COMPILE_CACHE puts it elsewhere; NODE_DISABLE_COMPILE_CACHE turns it off', async () => {
    const home = await mkdtemp(join(tmpdir(), 'vg-cc-'))
    const other = await mkdtemp(join(tmpdir(), 'vg-cc-other-'))
    dirs.push(home, other)
    expect(enableIn({ XDG_CACHE_HOME: home, NODE_COMPILE_CACHE: other }).startsWith(other)).toBe(true)
    expect(enableIn({ XDG_CACHE_HOME: home, NODE_DISABLE_COMPILE_CACHE: '1' })).toBeNull()
    expect(await readdir(home)).toEqual([])
  })
})
