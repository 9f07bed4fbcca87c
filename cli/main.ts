/**
 * The `verseguy` command line. Each command lives in `commands/`; this file wires them
 * and turns errors into one clear line and an exit code.
 *
 * Defining the commands loads only small files (commander, the flag parsers, the
 * version, the data directory's layout): each command loads the node and the services it
 * uses when it runs, so `--version`, `--help` and a usage error start as fast as Node
 * itself does, and a command for a running node loads no database, CRDT or network code.
 */
import { Command, CommanderError } from 'commander'
import { type Clock, type ErrorKind, systemClock, VerseGuyError } from '../node/light.ts'
import { VERSION } from '../node/version.ts'
import { registerAudit } from './commands/audit.ts'
import { registerBackupFolder } from './commands/backup-folder.ts'
import { registerCompletion } from './commands/completion.ts'
import { rememberArgv } from './commands/context.ts'
import { registerFleet } from './commands/fleet.ts'
import { registerInit } from './commands/init.ts'
import { registerInvite } from './commands/invite.ts'
import { registerLicense } from './commands/license.ts'
import { registerLoadout } from './commands/loadout.ts'
import { registerMember } from './commands/member.ts'
import { registerOp } from './commands/op.ts'
import { registerOrg } from './commands/org.ts'
import { registerPeers } from './commands/peers.ts'
import { registerRank } from './commands/rank.ts'
import { registerShip } from './commands/ship.ts'
import { registerStart } from './commands/start.ts'
import { registerStatus } from './commands/status.ts'

/**
 * The exit code of every outcome, in one table (docs/cli.md, "Exit codes"): by the
 * error's `kind`, plus `usage` (a command line that cannot run as typed) and `internal`
 * (an error Verse Guy did not expect: printed with its stack).
 */
export const EXIT_CODES = {
  ok: 0,
  failed: 1,
  invalid: 1,
  'not-found': 1,
  conflict: 1,
  'too-many': 1,
  internal: 1,
  usage: 2,
  forbidden: 3,
  unauthenticated: 3,
  unavailable: 4,
  cancelled: 130,
} as const satisfies Record<ErrorKind | 'ok' | 'usage' | 'internal' | 'cancelled', number>

export interface ProgramInit {
  /** The time commands read (a license's issue date, whether it is in force); default `systemClock`. */
  readonly clock?: Clock
}

export function buildProgram(init: ProgramInit = {}): Command {
  const program = new Command('verseguy')
    .description('Verse Guy: a peer-to-peer, offline-first organisation manager for Star Citizen orgs')
    .version(VERSION)
    .option(
      '-d, --data-dir <dir>',
      "the node's data directory (default: your user data folder, or $VERSEGUY_HOME)",
    )
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
  registerInit(program)
  registerStart(program)
  registerStatus(program)
  registerOrg(program)
  registerMember(program)
  registerRank(program)
  registerInvite(program)
  registerShip(program)
  registerOp(program)
  registerLoadout(program)
  registerFleet(program)
  registerPeers(program)
  registerAudit(program)
  registerBackupFolder(
    program.command('backup').description('backups of this node: list and prune a backup folder'),
  )
  registerLicense(program, { clock: init.clock ?? systemClock })
  registerCompletion(program)
  return program
}

export async function main(argv: readonly string[], init: ProgramInit = {}): Promise<number> {
  const program = buildProgram(init)
  rememberArgv(program, argv)
  try {
    await program.parseAsync([...argv])
    return 0
  } catch (err) {
    return report(err)
  }
}

function report(err: unknown): number {
  if (err instanceof CommanderError) {
    // Help and version print themselves and exit 0; usage errors were printed by commander.
    return err.exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES.usage
  }
  const e = err instanceof Error ? err : new Error(String(err))
  if (e.name === 'ExitPromptError') {
    process.stderr.write('Cancelled; nothing was changed.\n')
    return EXIT_CODES.cancelled
  }
  process.stderr.write(`error: ${e.message}\n`)
  const expected = e instanceof VerseGuyError
  if (!expected || process.env.VERSEGUY_DEBUG) process.stderr.write(`${e.stack ?? ''}\n`)
  if (!expected) return EXIT_CODES.internal
  return e.code === 'usage' ? EXIT_CODES.usage : EXIT_CODES[e.kind]
}
