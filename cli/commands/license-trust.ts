/**
 * `verseguy license trust FILE`: trust an issuer public key besides the shipped ones
 * (config.json's `license.trust`). A running node trusts it at once, no restart.
 */
import type { Command } from 'commander'
import { cliHint } from '../../node/cli-hint.ts'
import { isInitialized, resolveDataDir } from '../../node/data-dir.ts'
import type { TrustedKey } from '../../node/index.ts'
import { CliError } from '../errors.ts'
import { withRunningNode } from '../node-client.ts'
import { printJson, printLines } from '../output.ts'
import { examples } from './context.ts'

export function registerLicenseTrust(license: Command, dataDir: () => string | undefined): void {
  const trust = license
    .command('trust')
    .description("trust an issuer's public key (FILE.pub) besides the shipped ones; a running node at once")
    .argument('<file>', 'the issuer public key file (license keygen writes it beside the private key)')
    .option('--json', 'print the result as JSON')
    .action(async (file: string, opts: { json?: boolean }) => {
      const dir = resolveDataDir(dataDir())
      if (!isInitialized(dir))
        throw new CliError(`No node in ${dir}. Create one with: ${cliHint('init', dataDir())}`)
      const { addTrustedKeyFile } = await import('../../node/index.ts')
      const { key, added } = await addTrustedKeyFile(dir, file)
      const reloaded = await withRunningNode(dataDir(), (api) =>
        api.request<{ trusted: TrustedKey[] }>('POST', '/api/v1/license/trust/reload'),
      )
      const running = reloaded !== null
      if (opts.json) {
        printJson({ ...key, added, running })
        return
      }
      printLines([
        `${added ? 'Trusting' : 'Already trusted:'} ${key.issuer} (key ${key.keyId}) from ${key.file}`,
        running
          ? 'The running node trusts it now (no restart needed).'
          : 'The node trusts it from its next start (none is running now).',
      ])
    })
  examples(trust, 'license trust vendor.key.pub')
}
