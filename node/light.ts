/**
 * node's light face: what the CLI needs to define its commands, loaded at every start
 * (`--version` and a usage error too), so it holds small files only and loads no
 * database, CRDT, network or HTTP package (tests/cli/start-cost.test.ts). What a command
 * needs to run comes through `index.ts` (or `license-files.ts`), with `await import(…)`.
 */
export { type Clock, systemClock } from '../crdt/clock.ts'
// the error model's base (a file that imports nothing)
export { type ErrorKind, isErrorKind, VerseGuyError } from '../crdt/errors.ts'
// the small constant tables the CLI's option choices are made of (named exceptions
// in tests/architecture/imports.test.ts: their folders' faces load Automerge)
export { IMPORT_FORMATS, INSURANCE, SHIP_STATUS, VISIBILITY } from '../services/fleet/hangar-schema.ts'
export {
  FEATURES,
  type Feature,
  isFeature,
  TIER_FEATURES,
  TIERS,
  type Tier,
} from '../services/licensing/features.ts'
export { OP_STATUSES, OP_TYPES } from '../services/operations/op-kinds.ts'
export { cliHint } from './cli-hint.ts'
export { isInitialized, layout, resolveDataDir } from './data-dir.ts'
export { VERSION } from './version.ts'
