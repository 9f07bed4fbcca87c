/**
 * Node settings in `config.json`: validated on load, defaults filled in, unknown keys
 * refused (a typo should not silently do nothing).
 */
import { readFile, writeFile } from 'node:fs/promises'
import { z } from 'zod'
import { backupConfigSchema } from './backup-config.ts'
import { type MultiaddrUse, multiaddrProblem } from './config-multiaddr.ts'
import { ConfigError } from './errors.ts'

export const DEFAULT_API_PORT = 7420

/** A list of multiaddrs, each checked for its use; an issue names the bad value. */
const multiaddrs = (use: MultiaddrUse) =>
  z.array(
    z
      .string()
      .min(1)
      .superRefine((value, ctx) => {
        const problem = multiaddrProblem(value, use)
        if (problem !== null) ctx.addIssue({ code: 'custom', message: problem })
      }),
  )

const configSchema = z.strictObject({
  api: z
    .strictObject({
      /** Loopback by default; the API is for this machine's CLI and browser. */
      host: z.string().default('127.0.0.1'),
      /** Preferred port; if taken, the node falls back to a free one and says where. */
      port: z.number().int().min(0).max(65535).default(DEFAULT_API_PORT),
    })
    .prefault({}),
  storage: z
    .strictObject({
      /** fsync every write: survives power loss, not only a crash of the process. */
      sync: z.boolean().default(true),
      compactAfter: z.number().int().min(10).max(1_000_000).default(500),
    })
    .prefault({}),
  log: z
    .strictObject({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'silent']).default('info') })
    .prefault({}),
  net: z
    .strictObject({
      /** Where libp2p listens. Port 0: a free port, so several nodes on one machine never clash. */
      listen: multiaddrs('listen').default(['/ip4/0.0.0.0/tcp/0']),
      /** Peers to dial at start (multiaddrs with /p2p/<peer id>), besides invites'. */
      bootstrap: multiaddrs('bootstrap').default([]),
      /** Find the org's nodes on the LAN. */
      mdns: z.boolean().default(true),
      /** Serve as a circuit relay for nodes behind NAT (`start --headless` turns it on). */
      relay: z.boolean().default(false),
      /** Anti-entropy: pull from every connected peer this often. */
      syncIntervalSeconds: z.number().int().min(1).max(86_400).default(30),
      /** Announce the node's orgs in the DHT and look for their other nodes this often. */
      discoveryIntervalSeconds: z.number().int().min(1).max(86_400).default(60),
      /**
       * `invite accept`: how long to look for the org's nodes in the DHT (after the
       * invite's own addresses) before giving up.
       */
      joinSearchSeconds: z.number().int().min(1).max(3_600).default(20),
    })
    .prefault({}),
  license: z
    .strictObject({
      /**
       * Issuer public key files (`*.pub`) trusted besides the shipped trust store:
       * a self-hosted issuer, or a rotated vendor key shipped before an update.
       * Relative paths are read from the data directory.
       */
      trust: z.array(z.string().min(1)).default([]),
    })
    .prefault({}),
  /** Scheduled backups and their retention (backup-config.ts). */
  backup: backupConfigSchema,
})

export type NodeConfig = z.infer<typeof configSchema>

export function defaultConfig(): NodeConfig {
  return configSchema.parse({})
}

export function parseConfig(json: unknown, path: string): NodeConfig {
  const parsed = configSchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new ConfigError(path, `${issue?.path.join('.') || '(root)'}: ${issue?.message}`)
  }
  return parsed.data
}

/**
 * Environment overrides for the network settings, for scripts, containers and tests:
 * `VERSEGUY_NET_LISTEN` and `VERSEGUY_NET_BOOTSTRAP` (comma-separated multiaddrs),
 * `VERSEGUY_NET_MDNS` (`0` or `1`); and the scheduled backups' folder,
 * `VERSEGUY_BACKUP_DIR`. Checked as config.json is: a bad value is a `ConfigError`
 * naming the variable and the value.
 */
export function withEnv(config: NodeConfig, env: NodeJS.ProcessEnv = process.env): NodeConfig {
  const list = (v: string | undefined) =>
    v === undefined || v.trim() === ''
      ? undefined
      : v
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean)
  const checked = (name: string, use: MultiaddrUse) => {
    const values = list(env[name])
    for (const v of values ?? []) {
      const problem = multiaddrProblem(v, use)
      if (problem !== null) throw new ConfigError(name, problem)
    }
    return values
  }
  const listen = checked('VERSEGUY_NET_LISTEN', 'listen')
  const bootstrap = checked('VERSEGUY_NET_BOOTSTRAP', 'bootstrap')
  const mdns = env.VERSEGUY_NET_MDNS
  if (mdns !== undefined && mdns !== '0' && mdns !== '1')
    throw new ConfigError('VERSEGUY_NET_MDNS', 'must be 0 or 1')
  const backupDir = env.VERSEGUY_BACKUP_DIR?.trim()
  return {
    ...config,
    ...(backupDir ? { backup: { ...config.backup, dir: backupDir } } : {}),
    net: {
      ...config.net,
      ...(listen ? { listen } : {}),
      ...(bootstrap ? { bootstrap } : {}),
      ...(mdns !== undefined ? { mdns: mdns === '1' } : {}),
    },
  }
}

export async function loadConfig(path: string): Promise<NodeConfig> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return defaultConfig()
    throw err
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (cause) {
    throw new ConfigError(path, 'not valid JSON', { cause })
  }
  return parseConfig(json, path)
}

export async function writeConfig(path: string, config: NodeConfig): Promise<void> {
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 })
}
