/**
 * Running a child process in a fresh network namespace that holds only the loopback
 * interface, for the mDNS tests: `@libp2p/mdns` multicasts to 224.0.0.251 through the
 * default route (here `eth0`) with no option to pin the interface, so outside such a
 * namespace an mDNS test would send packets off this machine.
 */
import { spawn, spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** Sets up an isolated network namespace's loopback for multicast; then runs the rest. */
const NETNS_SETUP = 'ip link set lo up && ip link set lo multicast on && ip route add 224.0.0.0/4 dev lo'

/** The `unshare` flags that give us a network namespace here, or why none can be had. */
function netnsFlags(): { flags: string } | { reason: string } {
  for (const flags of ['-n', '-rn']) {
    const probe = spawnSync('unshare', [flags, 'sh', '-c', NETNS_SETUP], { stdio: 'ignore', timeout: 5_000 })
    if (probe.status === 0) return { flags }
  }
  return { reason: 'cannot create a network namespace (unshare -n / -rn with ip link) on this machine' }
}

export const netns = netnsFlags()

export interface Exit {
  code: number | null
  stdout: string
  stderr: string
}

/**
 * Runs the TypeScript file `script` with this Node inside a fresh network namespace, to
 * its end. The environment's network overrides (loopback-only listening, mDNS off) are
 * dropped: inside, only `lo` exists.
 */
export function runInNetns(script: string, timeoutMs: number): Promise<Exit> {
  if ('reason' in netns) throw new Error(netns.reason)
  const env = { ...process.env }
  delete env.VERSEGUY_NET_LISTEN
  delete env.VERSEGUY_NET_MDNS
  const args = [netns.flags, 'sh', '-c', `${NETNS_SETUP} && exec "$0" "$1"`, process.execPath, script]
  return run('unshare', args, timeoutMs, env)
}

/** Runs a command to its end; kills it (and fails) after `timeoutMs`. */
export function run(
  command: string,
  args: readonly string[],
  timeoutMs: number,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${command} still running after ${timeoutMs} ms\n${stdout}\n${stderr}`))
    }, timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}
