/**
 * What every domain command shares: the data directory option, the common flags
 * (`--passphrase-file`, `--json`, `--org`), running against the node (the running one, or
 * the store opened for the command), finding the org and a rank, and help examples.
 */
import type { Command } from 'commander'
import { cliHint, shellWord } from '../../node/cli-hint.ts'
import type { NodeStatus, OrgSummary } from '../../node/index.ts'
import { CliError } from '../errors.ts'
import { type ApiClient, withNode } from '../node-client.ts'
import { resolveRankRef } from './roster-refs.ts'

export interface Common {
  passphraseFile?: string
  org?: string
  json?: boolean
}

export interface CommandContext {
  /** The `-d` given, if any (for hints: `npx verseguy -d DIR …`). */
  readonly dataDir: () => string | undefined
  /** Runs `fn` against the node's API. */
  readonly run: <T>(opts: Common, fn: (api: ApiClient) => Promise<T>) => Promise<T>
  /** The org the command is about: `--org`, or the node's only live org. */
  readonly org: (api: ApiClient, opts: Common) => Promise<string>
  /** A command hint that works as printed (`npx verseguy -d DIR …`). */
  readonly hint: (command: string) => string
  /** The command as it was run (its filters, `--org`, `--limit`…) for the page after `cursor`. */
  readonly nextPage: (cursor: string) => string
}

export function commandContext(program: Command): CommandContext {
  const dataDir = () => program.opts<{ dataDir?: string }>().dataDir
  return {
    dataDir,
    run: (opts, fn) => withNode(dataDir(), opts, fn),
    org: (api, opts) => resolveOrg(api, opts.org, dataDir()),
    hint: (command) => cliHint(command, dataDir()),
    nextPage: (cursor) =>
      cliHint([...argsAsGiven(program), '--cursor', cursor].map(shellWord).join(' '), dataDir()),
  }
}

/** What each program was run with (its argv, `node` and the script first). */
const RUN_WITH = new WeakMap<Command, readonly string[]>()

/** Remembers the argv `program` parses (cli/main.ts), for hints that repeat the command. */
export function rememberArgv(program: Command, argv: readonly string[]): void {
  RUN_WITH.set(program, argv)
}

/** The words after `verseguy` this run was given, but `-d DIR` (cliHint adds it) and `--cursor`. */
function argsAsGiven(program: Command): string[] {
  const out: string[] = []
  const words = (RUN_WITH.get(program) ?? []).slice(2)
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string
    if (w === '-d' || w === '--data-dir' || w === '--cursor') i++
    else if (!w.startsWith('--data-dir=') && !w.startsWith('--cursor=')) out.push(w)
  }
  return out
}

/** Adds `--passphrase-file`, `--json` and (unless `withOrg` is false) `--org`. */
export function common(cmd: Command, withOrg = true): Command {
  cmd
    .option(
      '--passphrase-file <file>',
      'when no node runs and the command changes something: read the passphrase from a file',
    )
    .option('--json', 'print JSON')
  if (withOrg) cmd.option('--org <id>', 'the org (default: the only org on this node)')
  return cmd
}

/** The examples given to each command, for docs/cli.md. */
const EXAMPLES = new WeakMap<Command, readonly string[]>()

/** Adds examples to a command's `--help` (each a command line, without `npx verseguy`). */
export function examples(cmd: Command, ...lines: string[]): Command {
  EXAMPLES.set(cmd, [...(EXAMPLES.get(cmd) ?? []), ...lines])
  return cmd.addHelpText('after', `\nExamples:\n${lines.map((l) => `  $ npx verseguy ${l}`).join('\n')}\n`)
}

/** The examples `examples()` gave `cmd` (each without `npx verseguy`). */
export function examplesOf(cmd: Command): readonly string[] {
  return EXAMPLES.get(cmd) ?? []
}

export async function defaultHandle(api: ApiClient): Promise<string> {
  const status = await api.request<NodeStatus>('GET', '/api/v1/status')
  return `Member_${(status.memberKey ?? '').slice(0, 8)}`
}

/** The org named, or the node's only live org. */
export async function resolveOrg(
  api: ApiClient,
  given: string | undefined,
  dataDir: string | undefined,
): Promise<string> {
  if (given !== undefined) return given
  const live = (await api.request<OrgSummary[]>('GET', '/api/v1/orgs')).filter((o) => !o.deleted)
  if (live.length === 1) return (live[0] as OrgSummary).id
  throw new CliError(
    live.length === 0
      ? `This node holds no org yet: create one (${cliHint('org create --name N --tag T', dataDir)}) or accept an invite (${cliHint('invite accept TOKEN', dataDir)}).`
      : `This node holds ${live.length} orgs: choose one with --org (${cliHint('org list', dataDir)} lists them).`,
  )
}

/** A rank by id or by name (or the start of either), any case. */
export async function resolveRank(api: ApiClient, orgId: string, given: string): Promise<string> {
  return (await resolveRankRef(api, orgId, given)).id
}
