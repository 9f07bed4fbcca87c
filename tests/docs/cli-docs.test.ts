/**
 * docs/cli.md's command reference is what the command definitions say now, and every
 * command meets the CLI's help rules: each leaf command shows an example in its --help,
 * and each command that reads (list, show, stats, status, …) takes --json.
 */
import { readFile } from 'node:fs/promises'
import { Command } from 'commander'
import { describe, expect, it } from 'vitest'
import { allCommands, commandLine, commandTree } from '../../cli/command-tree.ts'
import { examples } from '../../cli/commands/context.ts'
import {
  BEGIN_MARKER,
  CLI_DOC,
  commandsReference,
  currentCliDoc,
  END_MARKER,
  withReference,
} from '../../cli/docs-gen.ts'
import { buildProgram } from '../../cli/main.ts'

/** Leaf commands named so read: they print what is there and change nothing. */
const READ_VERBS = new Set(['list', 'show', 'stats', 'status', 'verify', 'flagged'])

/** `cmd --help` as printed, with the text added after it (examples). */
function helpOf(cmd: Command): string {
  let out = ''
  cmd.configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (out += s) })
  cmd.outputHelp()
  return out
}

function leaves(program: Command): { cmd: Command; line: string }[] {
  const out: { cmd: Command; line: string }[] = []
  const walk = (cmd: Command, path: string[]) => {
    for (const sub of cmd.commands) {
      const words = [...path, sub.name()]
      if (sub.commands.length === 0) out.push({ cmd: sub, line: words.join(' ') })
      else walk(sub, words)
    }
  }
  walk(program, [])
  return out
}

/** Leaf commands whose --help shows no `$ npx verseguy <the command> …` example. */
function withoutExample(program: Command): string[] {
  return leaves(program)
    .filter(({ cmd, line }) => !helpOf(cmd).includes(`$ npx verseguy ${line}`))
    .map(({ line }) => line)
}

/** Read commands without `--json`. */
function readsWithoutJson(program: Command): string[] {
  return leaves(program)
    .filter(({ cmd }) => READ_VERBS.has(cmd.name()) && !cmd.options.some((o) => o.long === '--json'))
    .map(({ line }) => line)
}

describe('docs/cli.md', () => {
  it('holds the reference the command definitions give now', async () => {
    const written = await readFile(CLI_DOC, 'utf8')
    expect(written, 'docs/cli.md is out of date: run `npm run docs:cli`').toBe(await currentCliDoc())
  })

  it('names every command, with its usage line and its examples', async () => {
    const doc = await readFile(CLI_DOC, 'utf8')
    for (const c of [...allCommands(commandTree(buildProgram()))].slice(1)) {
      expect(doc).toContain(`\`npx ${commandLine(c)}\``)
      expect(doc).toContain(`npx ${c.usage}`)
      for (const e of c.examples) expect(doc).toContain(`npx verseguy ${e}`)
    }
  })

  it('keeps the hand-written parts around the markers', () => {
    const doc = `# intro\n${BEGIN_MARKER}\nold\n${END_MARKER}\n## Exit codes\n`
    expect(withReference(doc, 'new\n')).toBe(
      `# intro\n${BEGIN_MARKER}\n\nnew\n\n${END_MARKER}\n## Exit codes\n`,
    )
    expect(() => withReference('# no markers\n', 'new')).toThrow(/markers/)
  })

  it('documents an example given with examples()', () => {
    const program = new Command('verseguy')
    examples(program.command('go').description('goes').option('--fast', 'quickly'), 'go --fast')
    const ref = commandsReference(commandTree(program))
    expect(ref).toContain('### `npx verseguy go`')
    expect(ref).toContain('npx verseguy go --fast')
    expect(ref).toContain('| `--fast` | quickly |')
  })
})

describe('every command', () => {
  it('shows an example in its --help when it is a leaf', () => {
    expect(withoutExample(buildProgram())).toEqual([])
  })

  it('takes --json when it reads', () => {
    expect(readsWithoutJson(buildProgram())).toEqual([])
  })

  it('the checks name the commands that break the rules', () => {
    const program = new Command('verseguy')
    const group = program.command('thing')
    examples(group.command('list').option('--json'), 'thing list')
    group.command('show')
    examples(group.command('stats'), 'thing stats')
    examples(program.command('status').option('--json'), 'other status')
    expect(withoutExample(program)).toEqual(['thing show', 'status'])
    expect(readsWithoutJson(program)).toEqual(['thing show', 'thing stats'])
  })
})
