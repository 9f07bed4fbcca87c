import type { ChangeValidator } from '../../crdt/index.ts'

/** For storage tests that are not about rules: accepts every change. */
export const acceptAll: ChangeValidator = { validate: () => ({ ok: true }) }
