/**
 * The network's modules load when a node starts (node/net-parts.ts), beside the
 * passphrase KDF, not when `node/` is imported: the `verseguy` command and every start
 * import `node/` first.
 */
import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'

/** The files under node_modules a fresh Node has loaded after running `body` (ESM). */
function loadedAfter(body: string): string[] {
  const script = `import { registerHooks } from 'node:module'
    const seen = []
    registerHooks({ load(url, context, next) { seen.push(url); return next(url, context) } })
    ${body}
    console.log(JSON.stringify(seen.filter((u) => u.includes('/node_modules/'))))`
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(r.stderr)
  return JSON.parse(r.stdout.trim().split('\n').pop() as string) as string[]
}

const url = (path: string) => JSON.stringify(new URL(path, import.meta.url).href)
const isLibp2p = (u: string) =>
  /\/node_modules\/(libp2p|@libp2p\/(tcp|kad-dht|gossipsub)|@chainsafe\/libp2p-[a-z]+)\//.test(u)

describe('network modules', () => {
  it('are not loaded by importing node/, and are by the start step that loads them', () => {
    expect(loadedAfter(`await import(${url('../../node/index.ts')})`).filter(isLibp2p)).toEqual([])
    const started = loadedAfter(
      `await import(${url('../../node/index.ts')}); await (await import(${url('../../node/net-parts.ts')})).loadNetParts()`,
    )
    expect(started.filter(isLibp2p).length).toBeGreaterThan(0)
  })
})
