import type { ZodType } from 'zod';
import type { ArtifactRef } from './events/shared-schemas.js';

/** Where typed-artifact schemas come from (`name@version` -> zod schema); the blueprints' SchemaRegistry fits. */
export interface ArtifactSchemaRegistry {
  get(type: string): ZodType | undefined;
}

/** Provenance recorded with every put. */
export interface PutArtifactOptions {
  /** A label for people (`report.md`); never used as a path. Any non-empty string. */
  name: string;
  /** Who wrote it: `executor/<name>`, `cli`, ... */
  producer: string;
  runId?: string;
  stepId?: string;
  /** sha256 of the artifacts this one was made from (its lineage). */
  inputs?: readonly string[];
  /** Overrides the default media type of the put method. */
  mediaType?: string;
  /** Epoch ms; default: the store's clock. */
  createdAt?: number;
}

/** Provenance of a JSON put, and optionally its registered type. */
export interface PutJsonOptions extends PutArtifactOptions {
  /** A typed artifact (`name@version`): validated against the registry before anything is written. */
  type?: string;
}

export interface StoredArtifact {
  ref: ArtifactRef;
  bytes: Uint8Array;
}

export interface ArtifactFilter {
  runId?: string;
  name?: string;
  type?: string;
}

export interface LineageNode {
  sha256: string;
  /** Every provenance record of this blob (one per distinct put), oldest first. */
  refs: ArtifactRef[];
  /** Union of the records' inputs, sorted. */
  inputs: string[];
  /** True when the store holds no record of this sha (an input that was never put or was collected). */
  missing: boolean;
}

/** The DAG of everything an artifact was made from: `nodes` in breadth-first order from the root. */
export interface Lineage {
  root: string;
  nodes: LineageNode[];
  /** [artifact, input] pairs, sorted. */
  edges: [string, string][];
}

/**
 * Port: the content-addressed artifact store (seed kernel layer 0). Blobs live under
 * `<dir>/artifacts/sha256/<first two hex>/<sha256>`; the path comes only from the content hash,
 * never from a name, so no name can reach outside the store. A blob is written (temp file +
 * fsync + rename) before its index record, so a crash never leaves a record without its blob.
 *
 * Failure semantics: `putJson` with a `type` throws `artifact_type_unknown` (no registry or no
 * such type) or `artifact_data_invalid` and writes nothing; a sha that is not 64 lowercase hex
 * throws `id_invalid`; `openPath` of an unknown sha throws `artifact_not_found`; storage errors
 * throw `eventstore_unavailable`. Puts are idempotent: the same content with the same provenance
 * returns the first record.
 *
 * @example
 * const ref = await artifacts.putJson({ ok: true }, { name: 'result', producer: 'executor/x', runId });
 * const { bytes } = (await artifacts.get(ref.sha256))!;
 */
export interface ArtifactStore {
  /** Canonical JSON of `value`, media type `application/json`. */
  putJson(value: unknown, options: PutJsonOptions): Promise<ArtifactRef>;
  /** UTF-8 text, media type `text/plain; charset=utf-8` unless given. */
  putText(text: string, options: PutArtifactOptions): Promise<ArtifactRef>;
  /** Raw bytes, media type `application/octet-stream` unless given. */
  putBytes(bytes: Uint8Array, options: PutArtifactOptions): Promise<ArtifactRef>;
  /** Copies a file (streamed and hashed), media type `application/octet-stream` unless given. */
  putFile(sourcePath: string, options: PutArtifactOptions): Promise<ArtifactRef>;
  /** Content and first record; undefined when unknown. */
  get(sha256: string): Promise<StoredArtifact | undefined>;
  /** The first (oldest) record of a blob; undefined when unknown. */
  ref(sha256: string): Promise<ArtifactRef | undefined>;
  /** A filesystem path to read the blob from (read-only by convention). */
  openPath(sha256: string): Promise<string>;
  /** Records matching the filter, sorted by createdAt, then sha256, then name. */
  list(filter?: ArtifactFilter): Promise<ArtifactRef[]>;
  /** The DAG of inputs reachable from `sha256`. */
  lineage(sha256: string): Promise<Lineage>;
  /** Deletes a blob and all its records (retention); false when it was not there. */
  remove(sha256: string): Promise<boolean>;
  close(): Promise<void>;
}
