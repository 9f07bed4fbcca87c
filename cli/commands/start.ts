import type { Command } from 'commander'
import { isInitialized, resolveDataDir } from '../../node/data-dir.ts'
import type { LogLevel } from '../../node/index.ts'
import { oneOf, wholeNumber } from '../options.ts'
import { printLines } from '../output.ts'
import { readPassphrase } from '../passphrase.ts'
import { examples } from './context.ts'

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'silent'] as const satisfies readonly LogLevel[]

export function registerStart(program: Command): void {
  const cmd = program
    .command('start')
    .description('run the node until Ctrl-C / SIGTERM (creates the data directory on first run)')
    .option(
      '--passphrase-file <file>',
      'read the passphrase from a file (else $VERSEGUY_PASSPHRASE, else a prompt)',
    )
    .option(
      '--api-port <port>',
      'port for the local API and UI (0: any free port)',
      wholeNumber('--api-port', { min: 0, max: 65535 }),
    )
    .option('--log-level <level>', `log level: ${LEVELS.join(', ')}`, oneOf('--log-level', LEVELS))
    .option('--headless', "an always-on node: also serves as a circuit relay for the org's nodes behind NAT")
    .action(
      async (opts: {
        passphraseFile?: string
        apiPort?: number
        logLevel?: LogLevel
        headless?: boolean
      }) => {
        const dataDir = resolveDataDir(program.opts<{ dataDir?: string }>().dataDir)
        const { initDataDir, VerseGuyNode } = await import('../../node/index.ts')
        let passphrase: string
        if (!isInitialized(dataDir)) {
          passphrase = await readPassphrase(opts, 'new')
          const created = await initDataDir(dataDir, passphrase)
          printLines([`Created a new node in ${dataDir} (member key ${created.memberKey})`])
        } else {
          passphrase = await readPassphrase(opts, 'unlock')
        }
        const node = new VerseGuyNode({
          dataDir,
          passphrase,
          ...(opts.apiPort !== undefined ? { apiPort: opts.apiPort } : {}),
          ...(opts.logLevel !== undefined ? { logLevel: opts.logLevel } : {}),
          ...(opts.headless ? { relay: true } : {}),
        })
        const stopSignal = new Promise<NodeJS.Signals>((resolve) => {
          process.once('SIGINT', resolve)
          process.once('SIGTERM', resolve)
        })
        await node.start()
        const status = await node.status()
        printLines([
          'Verse Guy node ready',
          `  data dir    ${dataDir}`,
          `  member key  ${status.memberKey}`,
          `  peer id     ${status.peerId}`,
          `  web UI      ${node.apiUrl}/  (open it and log in with your passphrase)`,
          `  api         ${node.apiUrl}/api/v1`,
          ...node.addresses().map((a, i) => `  ${i === 0 ? 'p2p    ' : '       '}     ${a}`),
          'Press Ctrl-C to stop.',
        ])
        const signal = await stopSignal
        await node.stop()
        printLines([`Stopped (${signal}).`])
      },
    )
  examples(
    cmd,
    'start',
    'start --api-port 7420 --log-level warn',
    'start --headless --passphrase-file ~/.verseguy-passphrase',
  )
}
