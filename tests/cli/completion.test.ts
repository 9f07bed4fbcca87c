/**
 * `verseguy completion bash|zsh|fish`: each script, loaded in the real shell, completes
 * commands, subcommands, flags and the fixed values of a flag, and offers every command
 * the program defines (the scripts are generated from the command tree, so a command
 * added later is completed without touching them).
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Command, Option } from 'commander'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { allCommands, commandTree } from '../../cli/command-tree.ts'
import { buildProgram } from '../../cli/main.ts'
import { oneOf } from '../../cli/options.ts'
import { INSURANCE } from '../../node/light.ts'
import { runMain } from '../helpers/cli.ts'

const has = (shell: string) => spawnSync('sh', ['-c', `command -v ${shell}`]).status === 0

/** Every command line that should offer a subcommand, with the subcommands it should offer. */
const PARENTS = [...allCommands(commandTree(buildProgram()))]
  .filter((c) => c.subcommands.length > 0)
  .map((c) => ({ words: c.path, subcommands: c.subcommands.map((s) => s.name) }))

let dir: string
const scripts: Record<'bash' | 'zsh' | 'fish', string> = { bash: '', zsh: '', fish: '' }

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vg-completion-'))
  for (const shell of ['bash', 'zsh', 'fish'] as const) {
    const r = await runMain(['completion', shell])
    expect(r.code, r.stderr).toBe(0)
    scripts[shell] = join(dir, `verseguy.${shell}`)
    await writeFile(scripts[shell], r.stdout)
  }
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** Each line's completions, as the shell computed them for `line` (words; '' = a new word). */
function bashComplete(lines: readonly (readonly string[])[]): string[][] {
  const driver = [
    `source ${JSON.stringify(scripts.bash)}`,
    'complete -p verseguy || exit 9',
    ...lines.map(
      (words) =>
        `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; ` +
        // biome-ignore lint/suspicious/noTemplateCurlyInString: bash, not a template
        'COMPREPLY=(); _verseguy; echo "${COMPREPLY[*]}"',
    ),
  ].join('\n')
  const out = execFileSync('bash', ['--norc', '--noprofile', '-c', driver], { encoding: 'utf8' })
  const [registration, ...replies] = out.trimEnd().split('\n')
  expect(registration).toBe('complete -o default -F _verseguy verseguy')
  return replies.map((r) => (r === '' ? [] : r.split(' ')))
}

describe('verseguy completion bash', () => {
  it('completes a command, a subcommand, a flag and a flag’s values in a real bash', () => {
    const [org, create, tag, insurance, afterDataDir, shells, flagValue, leaf] = bashComplete([
      ['verseguy', 'or'],
      ['verseguy', 'org', 'c'],
      ['verseguy', 'org', 'create', '--ta'],
      ['verseguy', 'ship', 'add', '--insurance', ''],
      ['verseguy', '-d', '/tmp/node', 'ship', 'l'],
      ['verseguy', 'completion', ''],
      ['verseguy', 'org', 'create', '--name', ''],
      ['verseguy', 'org', 'show', '--j'],
    ])
    expect(org).toEqual(['org'])
    expect(create).toEqual(['create'])
    expect(tag).toEqual(['--tag'])
    expect(insurance).toEqual([...INSURANCE])
    // `-d DIR` reads a value: DIR is not taken for a command.
    expect(afterDataDir).toEqual(['list'])
    expect(shells).toEqual(['bash', 'zsh', 'fish'])
    // A free-form value gets no words (bash then completes file names).
    expect(flagValue).toEqual([])
    expect(leaf).toEqual(['--json'])
  })

  it('offers every subcommand of every command', () => {
    const replies = bashComplete(PARENTS.map((p) => ['verseguy', ...p.words, '']))
    PARENTS.forEach((p, i) => {
      expect(replies[i], p.words.join(' ')).toEqual(p.subcommands)
    })
  })
})

describe.skipIf(!has('zsh'))('verseguy completion zsh', () => {
  it('is valid zsh and offers every subcommand of every command', () => {
    execFileSync('zsh', ['-n', scripts.zsh])
    // The completion system's builtins stubbed to print what they were given.
    const driver = [
      'compdef() { print -r -- "compdef $*" }',
      `source ${JSON.stringify(scripts.zsh)}`,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: zsh, not a template
      '_describe() { local n=${@[-1]}; print -r -- ${(j: :)${${(P)n}%%:*}} }',
      'compadd() { [[ $1 == -- ]] && shift; print -r -- "$*" }',
      '_files() { print -r -- FILES }',
      ...PARENTS.map((p) => `words=(verseguy ${p.words.join(' ')} ''); CURRENT=$#words; _verseguy`),
      "words=(verseguy ship add --insurance ''); CURRENT=$#words; _verseguy",
      "words=(verseguy -d /tmp/x org ''); CURRENT=$#words; _verseguy",
    ].join('\n')
    const out = execFileSync('zsh', ['-f', '-c', driver], { encoding: 'utf8' }).trimEnd().split('\n')
    expect(out[0]).toBe('compdef _verseguy verseguy')
    PARENTS.forEach((p, i) => {
      expect(out[i + 1], p.words.join(' ')).toBe(p.subcommands.join(' '))
    })
    expect(out[PARENTS.length + 1]).toBe(INSURANCE.join(' '))
    expect(out[PARENTS.length + 2]).toBe(PARENTS.find((p) => p.words.join() === 'org')?.subcommands.join(' '))
  })
})

describe.skipIf(!has('fish'))('verseguy completion fish', () => {
  it('is valid fish and completes every subcommand of every command, flags and values', () => {
    execFileSync('fish', ['--no-config', '-n', scripts.fish])
    const lines = [
      ...PARENTS.map((p) => ['verseguy', ...p.words, ''].join(' ')),
      'verseguy org c',
      'verseguy ship add --insurance ',
      'verseguy org create --ta',
    ]
    const driver = [
      `source ${JSON.stringify(scripts.fish)}`,
      ...lines.map((l) => `complete -C ${JSON.stringify(l)} | string split -f1 \\t | string join ' '`),
      'true', // `string join` of one word returns 1
    ].join('\n')
    const out = execFileSync('fish', ['--no-config', '-c', driver], { encoding: 'utf8' })
      .trimEnd()
      .split('\n')
    PARENTS.forEach((p, i) => {
      // fish sorts what it offers.
      expect(out[i]?.split(' '), p.words.join(' ')).toEqual([...p.subcommands].sort())
    })
    expect(out.slice(PARENTS.length)).toEqual(['create', [...INSURANCE].sort().join(' '), '--tag'])
  })
})

describe('the command tree the scripts are made from', () => {
  it('reads fixed values from commander .choices() and from oneOf parsers', () => {
    const program = new Command('x')
    program
      .command('go')
      .addOption(new Option('--mode <m>').choices(['fast', 'slow']))
      .option('--tier <t>', 'a tier', oneOf('--tier', ['free', 'pro']))
      .option('--name <n>', 'free-form')
    const go = commandTree(program).subcommands[0]
    expect(go?.options.map((o) => [o.long, o.takesValue, o.choices])).toEqual([
      ['--mode', true, ['fast', 'slow']],
      ['--tier', true, ['free', 'pro']],
      ['--name', true, []],
      ['--help', false, []],
    ])
  })

  it('refuses a shell it does not know as a usage error', async () => {
    const r = await runMain(['completion', 'tcsh'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('tcsh')
  })
})
