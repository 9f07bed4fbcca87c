/** Errors of the node runtime; match on `.name`. */

export class NotInitializedError extends Error {
  override name = 'NotInitializedError'
  constructor(dataDir: string) {
    super(`No Verse Guy node at ${dataDir}. Run \`verseguy init --data-dir ${dataDir}\` first.`)
  }
}

export class AlreadyInitializedError extends Error {
  override name = 'AlreadyInitializedError'
  constructor(dataDir: string) {
    super(`${dataDir} already holds a Verse Guy node; nothing was changed.`)
  }
}

export class ConfigError extends Error {
  override name = 'ConfigError'
  constructor(path: string, detail: string, options?: ErrorOptions) {
    super(`Invalid configuration in ${path}: ${detail}`, options)
  }
}

export class NodeRunningError extends Error {
  override name = 'NodeRunningError'
  constructor(dataDir: string, pid: number) {
    super(`A node is already running on ${dataDir} (pid ${pid}).`)
  }
}
