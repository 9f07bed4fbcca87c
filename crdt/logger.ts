/**
 * The logging port: pino's call shape (`log.warn({ err }, 'message')`), so the node can
 * pass a namespaced pino child and tests a silent logger.
 */
export interface LogFn {
  (message: string): void
  (data: object, message?: string): void
}

export interface Logger {
  readonly debug: LogFn
  readonly info: LogFn
  readonly warn: LogFn
  readonly error: LogFn
}

const noop: LogFn = () => {}
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop }
