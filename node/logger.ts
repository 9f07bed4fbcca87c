/**
 * Namespaced loggers (`verseguy:node`, `verseguy:crdt:store`, …) on pino, written as
 * JSON lines to stderr so stdout stays free for command output.
 */
import { pino } from 'pino'
import type { Logger } from '../crdt/index.ts'

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent'

export interface RootLogger {
  /** A logger for one component, e.g. `forComponent('crdt:store')`. */
  forComponent(name: string): Logger
}

export function createLogger(level: LogLevel = 'info'): RootLogger {
  const root = pino({ level, base: { pid: process.pid } }, pino.destination({ fd: 2, sync: true }))
  return { forComponent: (name) => root.child({ name: `verseguy:${name}` }) }
}
