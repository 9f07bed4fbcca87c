/** `verseguy completion bash|zsh|fish`: prints a completion script for that shell. */
import { Argument, type Command } from 'commander'
import { commandTree } from '../command-tree.ts'
import { completionScript, SHELLS, type Shell } from '../completion-scripts.ts'
import { examples } from './context.ts'

export function registerCompletion(program: Command): void {
  examples(
    program
      .command('completion')
      .description('print a shell completion script for verseguy (install lines: docs/cli.md)')
      .addArgument(new Argument('<shell>', 'the shell').choices(SHELLS)),
    'completion bash > ~/.local/share/bash-completion/completions/verseguy',
    'completion fish > ~/.config/fish/completions/verseguy.fish',
  ).action((shell: Shell) => {
    process.stdout.write(completionScript(shell, commandTree(program)))
  })
}
