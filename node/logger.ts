/**
 * Namespaced loggers (`verseguy:node`, `verseguy:crdt:store`, …) on pino, written to
 * stderr so stdout stays free for command output: readable lines on a terminal
 * (pino-pretty), JSON lines otherwise (services, CI, log collectors).
 */
import { createRequire } from 'node:module'
import { pino } from 'pino'
import type PinoPretty from 'pino-pretty'
import type { Logger } from '../crdt/index.ts'

/** pino-pretty (30 modules, ~50 ms of a start) is loaded only for a terminal. */
const loadPretty = () => createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent'

export interface RootLogger {
  /** A logger for one component, e.g. `forComponent('crdt:store')`. */
  forComponent(name: string): Logger
}

export function createLogger(level: LogLevel = 'info', options: { pretty?: boolean } = {}): RootLogger {
  const human = options.pretty ?? process.stderr.isTTY === true
  const destination = human
    ? loadPretty()({
        destination: 2,
        sync: true,
        colorize: true,
        ignore: 'pid,hostname',
        translateTime: 'HH:MM:ss',
      })
    : pino.destination({ fd: 2, sync: true })
  const root = pino({ level, base: { pid: process.pid } }, destination)
  return { forComponent: (name) => root.child({ name: `verseguy:${name}` }) }
}
