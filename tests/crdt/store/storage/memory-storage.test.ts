/**
 * The memory storage: the storage contract, and its own means of testing a failed write.
 */
import { describe, expect, it } from 'vitest'
import { MemoryStorage, type Storage } from '../../../../crdt/index.ts'
import { runStorageAcceptance } from './storage-acceptance.ts'

runStorageAcceptance('memory', () => ({
  create: async () => new MemoryStorage(),
  reopen: async (storage: Storage) => {
    await storage.close()
    await storage.open()
    return storage
  },
}))

describe('memory storage', () => {
  it('failNextWrite: the next write rejects with the error given and writes nothing; the one after goes through', async () => {
    const s = new MemoryStorage()
    const a = s.section('a')
    const disk = new Error('disk full')
    s.failNextWrite(disk)
    const op = { type: 'put', section: a, key: 'k', value: Uint8Array.of(1) } as const
    await expect(s.write([op], { sync: true })).rejects.toBe(disk)
    expect(await a.has('k')).toBe(false)
    await s.write([op], { sync: true })
    expect(await a.has('k')).toBe(true)
  })

  it('a closed memory storage says so by name', async () => {
    const s = new MemoryStorage()
    await s.close()
    await expect(s.section('a').get('k')).rejects.toMatchObject({ name: 'StorageClosedError' })
  })
})
