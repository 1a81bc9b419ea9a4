export * from '../contracts/artifact-store.js';
export { parseSha256 } from './artifact-core.js';
export * from './event-store.js';
export { type FsArtifactStoreOptions, openFsArtifactStore } from './fs-artifact-store.js';
export { createInMemoryArtifactStore } from './in-memory-artifact-store.js';
export { createInMemoryEventStore } from './in-memory-event-store.js';
export { DB_NAMES, LMDB_OPEN_OPTIONS, openLilyLmdb } from './lmdb-env.js';
export {
  DEFAULT_POLL_INTERVAL_MS,
  type LmdbEventStoreOptions,
  openLmdbEventStore,
} from './lmdb-event-store.js';
export * from './projections/events-jsonl.js';
export * from './projections/receipt.js';
export { applyReceiptEvent, initialReceiptState, type ReceiptState } from './projections/receipt-fold.js';
export * from './projections/receipt-types.js';
export { artifactLink, renderSummary } from './projections/summary.js';
export * from './retention.js';
export * from './snapshots.js';
export * from './storage.js';
export { createUlidGenerator, systemClock } from './system-ports.js';
export {
  RECORD_TABLES,
  type RecordTableName,
  type VersionedRecord,
  type VersionedRecords,
} from './versioned-records.js';
export * from './write-receipts.js';
