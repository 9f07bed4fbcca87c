/**
 * docs/api.md's shell examples work as printed: against a real node on the default data
 * directory (HOME pointed at a temporary folder), the curl lines reach the API with the
 * token from node.json, and the save-openapi.sh script saves the OpenAPI document.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningNode, startNode } from '../helpers/cli.ts'

const API_DOC = new URL('../../docs/api.md', import.meta.url).pathname
const run = promisify(execFile)

/** The ```sh block that follows `after` in the markdown. */
function shBlock(markdown: string, after: string): string {
  const at = markdown.indexOf(after)
  expect(at, `docs/api.md has no ${after}`).toBeGreaterThanOrEqual(0)
  const m = /```sh\n([\s\S]*?)```/.exec(markdown.slice(at))
  if (m?.[1] === undefined) throw new Error(`no sh block after ${after}`)
  return m[1]
}

let home: string
let node: RunningNode
let env: NodeJS.ProcessEnv

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'vg-api-doc-'))
  // The default data directory, as the docs assume: no VERSEGUY_HOME, no XDG_DATA_HOME.
  env = {
    ...process.env,
    HOME: home,
    VERSEGUY_HOME: undefined,
    XDG_DATA_HOME: undefined,
    // Any Node.js reads node.json; put the project's first, as npm scripts do.
    PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
  }
  node = await startNode(
    ['--api-port', '0'],
    {
      HOME: home,
      VERSEGUY_HOME: undefined,
      XDG_DATA_HOME: undefined,
      VERSEGUY_PASSPHRASE: 'correct horse battery staple',
    },
    // A first start creates the member key (scrypt); the machine may be busy.
    50_000,
  )
}, 60_000)

afterAll(async () => {
  await node?.stop()
  await rm(home, { recursive: true, force: true })
})

describe('docs/api.md', () => {
  it('the curl lines reach the API with the token from node.json', async () => {
    const block = shBlock(await readFile(API_DOC, 'utf8'), '## Reaching it')
    const { stdout } = await run('sh', ['-c', block], { env, cwd: home })
    expect(stdout).toMatch(/^\{.*"memberKey":"[0-9a-f]+".*\}\[\]$/s)
  })

  it('save-openapi.sh saves the OpenAPI document to a file', async () => {
    const script = join(home, 'save-openapi.sh')
    await writeFile(script, shBlock(await readFile(API_DOC, 'utf8'), '<!-- save-openapi.sh -->'))
    const { stdout } = await run('sh', [script], { env, cwd: home })
    expect(stdout).toContain('Saved the OpenAPI document of http://127.0.0.1:')
    const doc = JSON.parse(await readFile(join(home, 'openapi.json'), 'utf8')) as {
      openapi: string
      paths: Record<string, unknown>
    }
    expect(doc.openapi).toBe('3.1.0')
    expect(Object.keys(doc.paths)).toContain('/orgs/{org}/members')

    const none = await run('sh', [script, join(home, 'no-node'), join(home, 'x.json')], { env }).catch(
      (err: { code: number; stderr: string }) => err,
    )
    expect(none).toMatchObject({ code: 1, stderr: expect.stringContaining('No node runs on') })
  })
})
