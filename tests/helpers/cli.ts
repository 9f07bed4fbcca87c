/** Runs the real `verseguy` entry point (cli/bin.mjs) as a child process. */
import { type ChildProcess, spawn } from 'node:child_process'
import type { ProgramInit } from '../../cli/main.ts'

export const BIN = new URL('../../cli/bin.mjs', import.meta.url).pathname

export interface CliResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

export function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, VERSEGUY_PASSPHRASE: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => {
      stdout += d
    })
    child.stderr.on('data', (d) => {
      stderr += d
    })
    child.on('exit', (code) => resolve({ code, stdout, stderr }))
  })
}

export interface RunningNode {
  readonly child: ChildProcess
  readonly output: () => string
  /** Sends a signal and resolves with the exit code. */
  readonly stop: (signal?: NodeJS.Signals) => Promise<number | null>
}

/** Starts `verseguy start` and resolves once it prints that it is ready. */
export function startNode(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 20_000,
): Promise<RunningNode> {
  const child = spawn(process.execPath, [BIN, 'start', ...args], {
    env: { ...process.env, VERSEGUY_PASSPHRASE: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node not ready in ${timeoutMs} ms:\n${out}`)), timeoutMs)
    const onData = (d: Buffer) => {
      out += d
      if (out.includes('Verse Guy node ready')) {
        clearTimeout(timer)
        resolve({
          child,
          output: () => out,
          stop: (signal = 'SIGTERM') => {
            child.kill(signal)
            return exit
          },
        })
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`node exited (${code}) before ready:\n${out}`))
    })
  })
}

/**
 * Runs the CLI's `main` in this process (no child process: fast), with `env` laid over
 * process.env for the call, and returns its exit code and what it printed. For commands
 * that end without running a node; `runCli` runs the real entry point. `init`: e.g. a
 * `ManualClock` for the commands to read.
 */
export async function runMain(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  init: ProgramInit = {},
): Promise<CliResult> {
  const { main } = await import('../../cli/main.ts')
  const saved = new Map<string, string | undefined>()
  for (const [k, v] of Object.entries({ VERSEGUY_PASSPHRASE: '', ...env })) {
    saved.set(k, process.env[k])
    if (v === undefined) delete process.env[k]
    else process.env[k] = v
  }
  let stdout = ''
  let stderr = ''
  const out = process.stdout.write
  const err = process.stderr.write
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout += String(chunk)
    return true
  }) as typeof process.stdout.write
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += String(chunk)
    return true
  }) as typeof process.stderr.write
  try {
    const code = await main(['node', 'verseguy', ...args], init)
    return { code, stdout, stderr }
  } finally {
    process.stdout.write = out
    process.stderr.write = err
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  }
}

/**
 * The command a message tells people to run (`npx verseguy …` after `marker`), as the
 * words to give `runMain` (no shell quoting expected in tests' paths).
 */
export function hintedCommand(text: string, marker: string): string[] {
  const line = text.split('\n').find((l) => l.includes(marker))
  if (line === undefined) throw new Error(`no "${marker}" in:\n${text}`)
  const words = line
    .slice(line.indexOf(marker) + marker.length)
    .trim()
    .split(/\s+/)
  if (words[0] !== 'npx' || words[1] !== 'verseguy') throw new Error(`not a verseguy command: ${line}`)
  return words.slice(2)
}
