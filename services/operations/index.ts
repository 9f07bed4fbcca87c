/** Operations: per-operation documents, their rules, the service and the iCalendar export. */
export { OperationConflictError, OperationNotFoundError } from './errors.ts'
export { type IcsEvent, icsStatus, toIcs } from './ics-export.ts'
export {
  MAX_SLOTS,
  type NewOperationInput,
  type OperationPatch,
  type OperationsFilter,
  type SignUpInput,
} from './op-input.ts'
export { judgeOpChange, type OpChangeInput, validateOperation } from './op-rules.ts'
export * from './op-schema.ts'
export { opType } from './op-type.ts'
export type { OperationView, ParticipantView, SlotView } from './op-view.ts'
export {
  type ListOptions,
  OperationsService,
  type OperationsServiceComponents,
} from './operations-service.ts'
