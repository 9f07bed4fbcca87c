/**
 * Where the passphrase comes from, in order: `--passphrase-file`, the
 * `VERSEGUY_PASSPHRASE` environment variable, an interactive prompt (a terminal only).
 */
import { readFile } from 'node:fs/promises'
import { CliError } from './errors.ts'

export interface PassphraseSource {
  readonly passphraseFile?: string
  readonly env?: NodeJS.ProcessEnv
  readonly interactive?: boolean
}

export async function readPassphrase(source: PassphraseSource, purpose: 'unlock' | 'new'): Promise<string> {
  if (source.passphraseFile !== undefined) {
    let text: string
    try {
      text = await readFile(source.passphraseFile, 'utf8')
    } catch (err) {
      throw new CliError(
        `Cannot read the passphrase file ${source.passphraseFile}: ${(err as Error).message}`,
      )
    }
    // One trailing newline is the file's, not the passphrase's.
    return text.replace(/\r?\n$/, '')
  }
  const fromEnv = (source.env ?? process.env).VERSEGUY_PASSPHRASE
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv
  if (!(source.interactive ?? process.stdin.isTTY)) {
    throw new CliError(
      'No passphrase given: use --passphrase-file FILE or set VERSEGUY_PASSPHRASE (no terminal to ask on).',
    )
  }
  // The prompt's modules load only when there is a prompt to show.
  const { default: password } = await import('@inquirer/password')
  if (purpose === 'unlock') return password({ message: 'Passphrase:', mask: '*' })
  const first = await password({
    message: 'Choose a passphrase for this node (8+ characters):',
    mask: '*',
    validate: (v) => v.length >= 8 || 'At least 8 characters',
  })
  const again = await password({ message: 'Repeat the passphrase:', mask: '*' })
  if (first !== again) throw new CliError('The passphrases differ; nothing was created.')
  return first
}
