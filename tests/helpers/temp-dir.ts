/** Temporary folders under the OS temp dir, removed after each test. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach } from 'vitest'

export interface TempDirs {
  /** A fresh empty folder, removed after the current test. */
  make(): Promise<string>
  /** Runs `fn` after the current test, before the folders are removed (last registered first). */
  defer(fn: () => Promise<unknown> | unknown): void
}

/** Call at module or describe level: registers the cleanup with `afterEach`. */
export function useTempDirs(prefix = 'vg-test-'): TempDirs {
  const dirs: string[] = []
  const deferred: (() => Promise<unknown> | unknown)[] = []
  afterEach(async () => {
    const errors: unknown[] = []
    for (const fn of deferred.splice(0).reverse()) {
      try {
        await fn()
      } catch (err) {
        errors.push(err)
      }
    }
    await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })))
    if (errors.length > 0) throw new AggregateError(errors, 'cleanup failed')
  })
  return {
    make: async () => {
      const dir = await mkdtemp(join(tmpdir(), prefix))
      dirs.push(dir)
      return dir
    },
    defer: (fn) => {
      deferred.push(fn)
    },
  }
}
