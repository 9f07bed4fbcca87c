import type { Command } from 'commander'
import { cliHint } from '../../node/cli-hint.ts'
import { resolveDataDir } from '../../node/data-dir.ts'
import { printJson, printLines } from '../output.ts'
import { readPassphrase } from '../passphrase.ts'
import { examples } from './context.ts'

export function registerInit(program: Command): void {
  const cmd = program
    .command('init')
    .description('create a node: data directory, encrypted member key, empty database')
    .option(
      '--passphrase-file <file>',
      'read the new passphrase from a file (else $VERSEGUY_PASSPHRASE, else a prompt)',
    )
    .option('--json', 'print the result as JSON')
    .action(async (opts: { passphraseFile?: string; json?: boolean }) => {
      const given = program.opts<{ dataDir?: string }>().dataDir
      const dataDir = resolveDataDir(given)
      const { initDataDir } = await import('../../node/index.ts')
      const result = await initDataDir(dataDir, await readPassphrase(opts, 'new'))
      if (opts.json) printJson(result)
      else
        printLines([
          `Created a Verse Guy node in ${result.dataDir}`,
          `  member key  ${result.memberKey}`,
          `  peer id     ${result.peerId}`,
          `Start it with: ${cliHint('start', given)}`,
        ])
    })
  examples(cmd, 'init', 'init --passphrase-file ~/.verseguy-passphrase')
}
