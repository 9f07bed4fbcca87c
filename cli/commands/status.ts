import type { Command } from 'commander'
import { cliHint } from '../../node/cli-hint.ts'
import { resolveDataDir } from '../../node/data-dir.ts'
import type { NodeStatus } from '../../node/status.ts'
import { runtimeOf } from '../node-client.ts'
import { printJson, printLines } from '../output.ts'
import { examples } from './context.ts'

export function registerStatus(program: Command): void {
  const cmd = program
    .command('status')
    .description('show whether the node runs, its identity and its data')
    .option('--json', 'print the status as JSON')
    .action(async (opts: { json?: boolean }) => {
      const given = program.opts<{ dataDir?: string }>().dataDir
      const dataDir = resolveDataDir(given)
      const status = await currentStatus(dataDir)
      if (opts.json) {
        printJson(status)
        return
      }
      if (!status.initialized) {
        printLines([`No node in ${dataDir}. Create one with: ${cliHint('init', given)}`])
        return
      }
      printLines([
        `Verse Guy ${status.version} — node ${status.running ? `running (pid ${status.pid})` : 'stopped'}`,
        `  data dir    ${status.dataDir}`,
        `  member key  ${status.memberKey}`,
        `  peer id     ${status.peerId}`,
        ...(status.running
          ? [
              `  api         ${status.apiUrl}`,
              `  uptime      ${status.uptimeSeconds} s`,
              `  documents   ${status.documents}`,
              `  own chain   ${status.chain?.seq ?? 0} entries`,
            ]
          : []),
      ])
    })
  examples(cmd, 'status', 'status --json')
}

/** Asks the running node, or reads the data directory when none runs. */
export async function currentStatus(dataDir: string): Promise<NodeStatus> {
  const runtime = await runtimeOf(dataDir)
  if (runtime !== null) {
    try {
      const res = await fetch(`${runtime.apiUrl}/api/v1/status`, {
        headers: { authorization: `Bearer ${runtime.token}` },
        signal: AbortSignal.timeout(5000),
      })
      if (res.ok) return (await res.json()) as NodeStatus
    } catch {
      // Fall through: report what the data directory says.
    }
  }
  const { offlineStatus } = await import('../../node/status.ts')
  return offlineStatus(dataDir)
}
