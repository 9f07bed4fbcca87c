import type { Command } from 'commander'
import { isInitialized, resolveDataDir } from '../../node/data-dir.ts'
import { isLoopback, parseHttpAddress } from '../../node/http-address.ts'
import type { LogLevel } from '../../node/index.ts'
import { CliError } from '../errors.ts'
import { oneOf, wholeNumber } from '../options.ts'
import { printLines } from '../output.ts'
import { readPassphrase } from '../passphrase.ts'
import { examples } from './context.ts'

/** `--http HOST:PORT`: an IP address (or localhost) and a port. */
function httpAddress(value: string): { host: string; port: number } {
  const a = parseHttpAddress(value)
  if (a === null)
    throw new CliError(
      `--http must be HOST:PORT with an IP address, e.g. 127.0.0.1:7420 or 192.168.1.20:7420 (got ${JSON.stringify(value)})`,
      { usage: true },
    )
  return a
}

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
    .option(
      '--http <host:port>',
      'where the web UI and API listen (default 127.0.0.1:7420; another address is reachable from other machines)',
      httpAddress,
    )
    .option('--log-level <level>', `log level: ${LEVELS.join(', ')}`, oneOf('--log-level', LEVELS))
    .option('--headless', "an always-on node: also serves as a circuit relay for the org's nodes behind NAT")
    .action(
      async (opts: {
        passphraseFile?: string
        apiPort?: number
        http?: { host: string; port: number }
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
          ...(opts.http !== undefined ? { apiHost: opts.http.host, apiPort: opts.http.port } : {}),
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
          ...(opts.http !== undefined && !isLoopback(opts.http.host)
            ? [
                `Warning: the web UI and API listen on ${opts.http.host}, reachable from other machines on`,
                '  that network. Anyone there can try passphrases (slowed after three wrong ones) and',
                '  the traffic is plain HTTP: use it on a network you trust only.',
              ]
            : []),
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
    'start --http 192.168.1.20:7420',
    'start --headless --passphrase-file ~/.verseguy-passphrase',
  )
}
