/**
 * A real Verse Guy node in its own process (`node-child.ts`), driven over IPC: for mesh
 * tests where one node must not share an event loop with the others, as no member's
 * node does (ten nodes in one process throttle a writer to the pace of its readers).
 *
 * @example
 * const leader = await NodeProcess.start(dir, PASS)
 * const org = await leader.ops.createOrg({ name: 'Org', tag: 'ORG', handle: 'Lead_0' })
 * await leader.stop()
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { NODE_OPS, type NodeOps } from './node-ops.ts'

const CHILD = new URL('./node-child.ts', import.meta.url).pathname

type Reply = { id: number; ok: boolean; value?: unknown; error?: string } | { ready: true }

export class NodeProcess {
  readonly #child: ChildProcess
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  readonly #exited: Promise<void>
  #next = 0
  /** The node's operations (node-ops.ts), each a request to the child process. */
  readonly ops = Object.fromEntries(
    NODE_OPS.map((op) => [op, (...args: unknown[]) => this.#call(op, args)]),
  ) as unknown as NodeOps

  private constructor(child: ChildProcess) {
    this.#child = child
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()))
    child.on('message', (m: Reply) => {
      if ('ready' in m) return
      const call = this.#pending.get(m.id)
      this.#pending.delete(m.id)
      if (m.ok) call?.resolve(m.value)
      else call?.reject(new Error(m.error))
    })
    void this.#exited.then(() => {
      for (const c of this.#pending.values()) c.reject(new Error('the node process exited'))
      this.#pending.clear()
    })
  }

  /** Starts the node of an initialised data directory in a new process; resolves once it runs. */
  static async start(dataDir: string, passphrase: string): Promise<NodeProcess> {
    const child = spawn(process.execPath, [CHILD, dataDir, passphrase], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    })
    await new Promise<void>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`the node process exited (${code})`))
      child.once('exit', onExit)
      child.once('message', () => {
        child.off('exit', onExit)
        resolve()
      })
    })
    return new NodeProcess(child)
  }

  #call(op: keyof NodeOps, args: unknown[]): Promise<unknown> {
    const id = this.#next++
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject })
      this.#child.send({ id, op, args })
    })
  }

  /** Stops the node and waits for its process to end (killed if it takes over `ms`). */
  async stop(ms = 30_000): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return
    if (this.#child.connected) this.#child.send('stop')
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), ms)
    await this.#exited
    clearTimeout(timer)
  }
}
