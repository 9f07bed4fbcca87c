/** The storage port and its implementations (see storage.ts). */
export { compareKeys } from './key-order.ts'
export { LevelStorage, type LevelStorageOptions } from './level-storage.ts'
export { MemoryStorage } from './memory-storage.ts'
export type {
  IteratorOptions,
  Range,
  RangeRead,
  RowIterator,
  Section,
  Storage,
  StorageOp,
} from './storage.ts'
