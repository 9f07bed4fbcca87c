/**
 * The LevelDB storage meets the storage contract; reopening is a new storage on the same
 * folder. Its damage, lock and missing-folder errors are tested in ../corruption.test.ts.
 */
import { join } from 'node:path'
import { LevelStorage, type Storage } from '../../../../crdt/index.ts'
import { useTempDirs } from '../../../helpers/temp-dir.ts'
import { runStorageAcceptance } from './storage-acceptance.ts'

const dirs = useTempDirs('vg-level-storage-')

runStorageAcceptance('LevelDB', () => {
  const track = (s: LevelStorage): LevelStorage => {
    dirs.defer(() => s.close())
    return s
  }
  return {
    create: async () => track(await LevelStorage.open(join(await dirs.make(), 'db'), { create: true })),
    reopen: async (storage: Storage) => {
      await storage.close()
      return track(await LevelStorage.open(storage.location))
    },
  }
})
