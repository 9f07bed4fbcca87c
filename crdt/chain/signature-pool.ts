/**
 * Verifies many signatures of one author on worker threads (one per spare core), for
 * audits of long chains. Two workers on two cores measured 1.2–1.7× a single thread.
 */
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { fromHex } from '../crypto.ts'
import type { MemberKey } from '../ids.ts'
import type { SignedEntry } from './entry.ts'
import type { SignatureJob } from './signature-worker.ts'

const WORKER_URL = new URL('./signature-worker.ts', import.meta.url)

export class SignaturePool {
  private readonly size: number
  private workers: Worker[] = []
  private nextId = 1
  private readonly pending = new Map<
    number,
    { resolve: (r: Uint8Array) => void; reject: (e: Error) => void }
  >()

  constructor(init: { size?: number } = {}) {
    this.size = Math.max(1, init.size ?? availableParallelism())
  }

  start(): void {
    if (this.workers.length > 0) return
    for (let i = 0; i < this.size; i++) {
      const worker = new Worker(WORKER_URL)
      worker.on('message', (msg: { id: number; results: Uint8Array }) => {
        this.pending.get(msg.id)?.resolve(msg.results)
        this.pending.delete(msg.id)
        // Idle workers must not keep the process alive.
        if (this.pending.size === 0) for (const w of this.workers) w.unref()
      })
      worker.on('error', (err) => this.fail(err))
      worker.on('exit', (code) => {
        if (this.workers.includes(worker)) this.fail(new Error(`signature worker exited (${code})`))
      })
      worker.unref()
      this.workers.push(worker)
    }
  }

  async stop(): Promise<void> {
    const workers = this.workers
    this.workers = []
    await Promise.all(workers.map((w) => w.terminate()))
  }

  /** One boolean per entry: does its signature verify under `author`? */
  async verify(author: MemberKey, entries: readonly SignedEntry[]): Promise<boolean[]> {
    this.start()
    const publicKey = fromHex(author)
    const per = Math.ceil(entries.length / this.workers.length)
    const parts = await Promise.all(
      this.workers.map((worker, w) => this.run(worker, publicKey, entries.slice(w * per, (w + 1) * per))),
    )
    return parts.flatMap((p) => Array.from(p, (v) => v === 1))
  }

  /** A worker died: fail every pending job and start afresh on next use. */
  private fail(err: Error): void {
    for (const p of this.pending.values()) p.reject(err)
    this.pending.clear()
    const workers = this.workers
    this.workers = []
    for (const w of workers) void w.terminate()
  }

  private run(worker: Worker, publicKey: Uint8Array, entries: readonly SignedEntry[]): Promise<Uint8Array> {
    if (entries.length === 0) return Promise.resolve(new Uint8Array(0))
    let size = 0
    for (const e of entries) size += 68 + e.bytes.length
    const packed = new Uint8Array(size)
    const view = new DataView(packed.buffer)
    let at = 0
    for (const e of entries) {
      packed.set(e.signature.subarray(0, 64), at)
      view.setUint32(at + 64, e.bytes.length)
      packed.set(e.bytes, at + 68)
      at += 68 + e.bytes.length
    }
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      worker.ref()
      const job: SignatureJob = { id, publicKey, packed, count: entries.length }
      worker.postMessage(job, [packed.buffer])
    })
  }
}
