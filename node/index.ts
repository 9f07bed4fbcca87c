/** node: the runtime that wires everything (lifecycle, config, data directory, HTTP API). */

// the views the CLI prints (types only)
export type {
  AuditEntry,
  AuditPage,
  AuditVerification,
  IssueView as AuditIssue,
} from '../services/audit/index.ts'
export type {
  FleetStats,
  ImportResult,
  LoadoutView,
  ShipSummary,
  ShipView,
} from '../services/fleet/index.ts'
// a hangar export read within the import's bound (`ship import`)
export { readImportFile } from '../services/fleet/index.ts'
export type { OperationView } from '../services/operations/index.ts'
export type {
  FlaggedChange,
  InviteView,
  MemberListItem,
  MemberView,
  OrgSummary,
  RankView,
} from '../services/org/index.ts'
export { cliHint } from './cli-hint.ts'
export { DEFAULT_API_PORT, loadConfig, type NodeConfig } from './config.ts'
export {
  assertDataDirPath,
  DIR_MODE,
  FILE_MODE,
  isInitialized,
  layout,
  resolveDataDir,
  secureDataDir,
} from './data-dir.ts'
export * from './errors.ts'
export { type InitResult, initDataDir } from './init.ts'
export { addTrustedKeyFile, type TrustedKey } from './license-trust.ts'
export { type LocalApi, openLocalApi } from './local-api.ts'
export { LocalNode, type LocalNodeOptions } from './local-node.ts'
export { createLogger, type LogLevel } from './logger.ts'
export { type RuntimeInfo, readRuntimeFile } from './runtime-file.ts'
export { type NodeStatus, offlineStatus } from './status.ts'
export { VerseGuyNode } from './verseguy-node.ts'
export { VERSION } from './version.ts'
