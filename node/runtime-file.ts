/**
 * `node.json`: written while a node runs so the CLI can find and authenticate to it.
 * Owner-only; removed on clean shutdown; a stale one (dead pid) is ignored.
 */
import { readFile, rm, writeFile } from 'node:fs/promises'
import { z } from 'zod'

const runtimeSchema = z.strictObject({
  pid: z.number().int().positive(),
  apiUrl: z.url(),
  token: z.string().regex(/^[A-Za-z0-9_-]{32,}$/),
  startedAt: z.string(),
  version: z.string(),
})

export type RuntimeInfo = z.infer<typeof runtimeSchema>

export async function writeRuntimeFile(path: string, info: RuntimeInfo): Promise<void> {
  await writeFile(path, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 })
}

export async function removeRuntimeFile(path: string): Promise<void> {
  await rm(path, { force: true })
}

/** The running node's info, or null if none runs (no file, unreadable, or a dead pid). */
export async function readRuntimeFile(path: string): Promise<RuntimeInfo | null> {
  let json: unknown
  try {
    json = JSON.parse(await readFile(path, 'utf8'))
  } catch {
    return null
  }
  const parsed = runtimeSchema.safeParse(json)
  if (!parsed.success || !isAlive(parsed.data.pid)) return null
  return parsed.data
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
