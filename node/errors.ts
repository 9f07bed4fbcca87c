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

/** A file or folder of the data directory whose mode this user cannot make owner-only. */
export class DataDirPermissionError extends Error {
  override name = 'DataDirPermissionError'
  constructor(dataDir: string, path: string, options?: ErrorOptions) {
    super(
      `Cannot make ${path} readable by its owner only (${(options?.cause as Error | undefined)?.message ?? 'chmod failed'}). ` +
        `The data directory ${dataDir} must belong to the user running the node: fix it with ` +
        `\`chown -R "$USER" ${dataDir} && chmod -R go-rwx ${dataDir}\`. Nothing was changed.`,
      options,
    )
  }
}
