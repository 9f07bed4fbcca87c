/**
 * The `verseguy` command tree as plain data, read from the commander definitions
 * (`buildProgram()`): every command's path, description, usage, options (with the values
 * an option takes when they are fixed), arguments and `--help` examples. Shell completion
 * (`verseguy completion`) and docs/cli.md are both generated from it, so they follow
 * whatever commands exist.
 */
import type { Command, Option } from 'commander'
import { examplesOf } from './commands/context.ts'
import { choicesOf } from './options.ts'

export interface OptionSpec {
  /** As `--help` shows it: `-d, --data-dir <dir>`. */
  readonly term: string
  readonly long: string | undefined
  readonly short: string | undefined
  /** Whether the flag reads a value (`--org <id>`, `--hours [n]`). */
  readonly takesValue: boolean
  /** As `--help` shows it, with the default. */
  readonly description: string
  /** The values the flag takes, when fixed (commander `.choices()` or a `oneOf` parser); else empty. */
  readonly choices: readonly string[]
}

export interface ArgumentSpec {
  /** As `--help` shows it: `<file>`, `[ids...]`. */
  readonly term: string
  /** As `--help` shows it, with the choices and default. */
  readonly description: string
  readonly choices: readonly string[]
}

export interface CommandSpec {
  readonly name: string
  /** The words after `verseguy`: `['org', 'create']`; empty for the program itself. */
  readonly path: readonly string[]
  readonly description: string
  /** `verseguy org create [options]`. */
  readonly usage: string
  readonly options: readonly OptionSpec[]
  readonly arguments: readonly ArgumentSpec[]
  readonly examples: readonly string[]
  readonly subcommands: readonly CommandSpec[]
}

/** The tree under `program` (visible commands and options only, `-h, --help` included). */
export function commandTree(program: Command): CommandSpec {
  return spec(program, [])
}

/** Every command of the tree, depth first, the program itself first. */
export function* allCommands(root: CommandSpec): Iterable<CommandSpec> {
  yield root
  for (const sub of root.subcommands) yield* allCommands(sub)
}

/** `verseguy org create` for `['org', 'create']`. */
export function commandLine(spec: CommandSpec): string {
  return ['verseguy', ...spec.path].join(' ')
}

function spec(cmd: Command, path: readonly string[]): CommandSpec {
  const help = cmd.createHelp()
  return {
    name: cmd.name(),
    path,
    description: cmd.description(),
    usage: help.commandUsage(cmd),
    options: help.visibleOptions(cmd).map((o) => option(o, help.optionTerm(o), help.optionDescription(o))),
    arguments: help.visibleArguments(cmd).map((a) => ({
      term: help.argumentTerm(a),
      description: help.argumentDescription(a),
      choices: a.argChoices ?? [],
    })),
    examples: examplesOf(cmd),
    // Only the commands registered: not commander's implicit `help [command]`.
    subcommands: help
      .visibleCommands(cmd)
      .filter((c) => cmd.commands.includes(c))
      .map((c) => spec(c, [...path, c.name()])),
  }
}

function option(o: Option, term: string, description: string): OptionSpec {
  return {
    term,
    long: o.long,
    short: o.short,
    takesValue: o.required || o.optional,
    description,
    choices: o.argChoices ?? choicesOf(o.parseArg) ?? [],
  }
}
