import type { ArtifactRef } from '../contracts/events/shared-schemas.js';

/** Where blob bytes live, addressed only by sha256 (already validated by the caller). */
export interface BlobStore {
  has(sha256: string): Promise<boolean>;
  /** Stores bytes whose sha256 the caller computed; atomic and durable on resolve. */
  write(sha256: string, bytes: Uint8Array): Promise<void>;
  /** Streams a file in, hashing it; returns its sha256 and size once the blob is in place. */
  writeFile(sourcePath: string): Promise<{ sha256: string; size: number }>;
  read(sha256: string): Promise<Uint8Array | undefined>;
  path(sha256: string): Promise<string>;
  remove(sha256: string): Promise<boolean>;
  /** Every sha256 held. */
  list(): Promise<string[]>;
  close(): Promise<void>;
}

/** Provenance records, keyed by (sha256, record key). */
export interface ArtifactIndex {
  get(sha256: string, recordKey: string): Promise<ArtifactRef | undefined>;
  /** Records of one blob, in record-key order. */
  bySha(sha256: string): Promise<ArtifactRef[]>;
  byRun(runId: string): Promise<ArtifactRef[]>;
  all(): Promise<ArtifactRef[]>;
  /** Durable on resolve. Does nothing if the record exists. */
  put(recordKey: string, ref: ArtifactRef): Promise<void>;
  /** Removes every record of the blob. */
  removeSha(sha256: string): Promise<number>;
  close(): Promise<void>;
}
