/**
 * Worker thread body for `SignaturePool`: verifies Ed25519 signatures of one author's
 * entries, packed as [sig 64 | len u32 | bytes]… in one buffer.
 */
import { parentPort } from 'node:worker_threads'
import { ed25519Verify } from '../crypto.ts'

export interface SignatureJob {
  readonly id: number
  readonly publicKey: Uint8Array
  readonly packed: Uint8Array
  readonly count: number
}

parentPort?.on('message', (job: SignatureJob) => {
  const results = new Uint8Array(job.count)
  const view = new DataView(job.packed.buffer, job.packed.byteOffset, job.packed.byteLength)
  let at = 0
  for (let i = 0; i < job.count; i++) {
    const signature = job.packed.subarray(at, at + 64)
    const length = view.getUint32(at + 64)
    const bytes = job.packed.subarray(at + 68, at + 68 + length)
    at += 68 + length
    results[i] = ed25519Verify(job.publicKey, bytes, signature) ? 1 : 0
  }
  parentPort?.postMessage({ id: job.id, results }, [results.buffer])
})
