/**
 * docs/cli.md's "Commands" reference, generated from the command definitions
 * (`buildProgram()`): every command's usage line, description, arguments, options and
 * `--help` examples. The rest of docs/cli.md is written by hand; the reference sits
 * between two markers and `npm run docs:cli` rewrites it (tests/docs/cli-docs.test.ts
 * fails when the file differs from what this writes).
 *
 * @example
 * npm run docs:cli   # node cli/docs-gen.ts: rewrites docs/cli.md in place
 */
import { readFile, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import {
  allCommands,
  commandLine as bareLine,
  type CommandSpec,
  commandTree,
  type OptionSpec,
} from './command-tree.ts'
import { buildProgram } from './main.ts'

export const BEGIN_MARKER =
  '<!-- commands: written by `npm run docs:cli` from the command definitions; edit those -->'
export const END_MARKER = '<!-- end of commands -->'

export const CLI_DOC = fileURLToPath(new URL('../docs/cli.md', import.meta.url))

/** The reference for the tree: an index, then each command. */
export function commandsReference(tree: CommandSpec): string {
  const commands = [...allCommands(tree)].slice(1)
  const index = table(
    ['command', 'what it does'],
    commands.map((c) => [`[${c.path.join(' ')}](#${anchor(commandLine(c))})`, cell(c.description)]),
  )
  return [
    '### Global options',
    '',
    `\`npx ${tree.usage}\``,
    '',
    optionsTable(tree.options),
    '',
    index,
    '',
    ...commands.map(section),
  ].join('\n')
}

/** `doc` with the part between the markers replaced by `reference`. */
export function withReference(doc: string, reference: string): string {
  const begin = doc.indexOf(BEGIN_MARKER)
  const end = doc.indexOf(END_MARKER)
  if (begin < 0 || end < begin)
    throw new Error(`docs/cli.md lacks the markers ${BEGIN_MARKER} … ${END_MARKER} around the reference`)
  return `${doc.slice(0, begin + BEGIN_MARKER.length)}\n\n${reference.trimEnd()}\n\n${doc.slice(end)}`
}

/** docs/cli.md as the command definitions describe it now. */
export async function currentCliDoc(): Promise<string> {
  return withReference(await readFile(CLI_DOC, 'utf8'), commandsReference(commandTree(buildProgram())))
}

/** As it works for someone who ran `npm ci`: `npx verseguy org create`. */
function commandLine(c: CommandSpec): string {
  return `npx ${bareLine(c)}`
}

function section(c: CommandSpec): string {
  const heading = `${'#'.repeat(Math.min(2 + c.path.length, 6))} \`${commandLine(c)}\``
  const parts = [heading, '', cell(c.description), '', '```text', `npx ${c.usage}`, '```', '']
  if (c.subcommands.length > 0)
    parts.push(
      table(
        ['subcommand', 'what it does'],
        c.subcommands.map((s) => [`[${s.name}](#${anchor(commandLine(s))})`, cell(s.description)]),
      ),
      '',
    )
  if (c.arguments.length > 0)
    parts.push(
      table(
        ['argument', 'what it is'],
        c.arguments.map((a) => [`\`${a.term}\``, cell(a.description)]),
      ),
      '',
    )
  parts.push(optionsTable(c.options), '')
  if (c.examples.length > 0)
    parts.push('Examples:', '', '```sh', ...c.examples.map((e) => `npx verseguy ${e}`), '```', '')
  return parts.join('\n')
}

function optionsTable(options: readonly OptionSpec[]): string {
  return table(
    ['option', 'what it does'],
    options.map((o) => [`\`${o.term}\``, cell(withChoices(o))]),
  )
}

/** The description, plus the fixed values unless it names them all already. */
function withChoices(o: OptionSpec): string {
  if (o.choices.length === 0 || o.choices.every((v) => o.description.includes(v))) return o.description
  return `${o.description} (one of: ${o.choices.join(', ')})`
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n')
}

/** Markdown-safe table text: a `|` would end the cell. */
function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ')
}

/** GitHub's heading anchor for a `` `verseguy org create` `` heading. */
function anchor(line: string): string {
  return line.toLowerCase().replace(/\s/g, '-')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await writeFile(CLI_DOC, await currentCliDoc())
  process.stdout.write(`Wrote ${CLI_DOC}\n`)
}
