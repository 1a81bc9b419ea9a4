import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ArtifactSchemaRegistry, ArtifactStore } from '../contracts/artifact-store.js';
import { sha256Hex } from '../contracts/canonical-json.js';
import type { Clock } from '../contracts/clock.js';
import { LilyError } from '../contracts/errors.js';
import type { ArtifactRef } from '../contracts/events/shared-schemas.js';
import { createArtifactStore } from './artifact-core.js';
import type { ArtifactIndex, BlobStore } from './artifact-parts.js';

const createMemoryBlobStore = (): BlobStore => {
  const blobs = new Map<string, Uint8Array>();
  let materialized: string | undefined;
  return {
    has: async (sha) => blobs.has(sha),
    async write(sha, bytes) {
      blobs.set(sha, new Uint8Array(bytes));
    },
    async writeFile(sourcePath) {
      const bytes = await readFile(sourcePath).catch((e: unknown) => {
        throw new LilyError('eventstore_unavailable', `cannot read ${sourcePath}`, {}, { cause: e });
      });
      const sha256 = sha256Hex(bytes);
      blobs.set(sha256, new Uint8Array(bytes));
      return { sha256, size: bytes.byteLength };
    },
    read: async (sha) => {
      const b = blobs.get(sha);
      return b ? new Uint8Array(b) : undefined;
    },
    /** Writes the blob to a private temp directory on first use: tests get a real path to open. */
    async path(sha) {
      materialized ??= await mkdtemp(join(tmpdir(), 'lily-mem-artifacts-'));
      const path = join(materialized, sha);
      await writeFile(path, blobs.get(sha) ?? new Uint8Array());
      return path;
    },
    remove: async (sha) => blobs.delete(sha),
    list: async () => [...blobs.keys()].sort(),
    async close() {
      if (materialized) await rm(materialized, { recursive: true, force: true });
    },
  };
};

const createMemoryIndex = (): ArtifactIndex => {
  const records = new Map<string, Map<string, ArtifactRef>>();
  const sorted = (m: Map<string, ArtifactRef> | undefined) =>
    [...(m ?? new Map<string, ArtifactRef>())]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([, r]) => structuredClone(r));
  return {
    get: async (sha, key) => {
      const r = records.get(sha)?.get(key);
      return r ? structuredClone(r) : undefined;
    },
    bySha: async (sha) => sorted(records.get(sha)),
    byRun: async (runId) => [...records.values()].flatMap((m) => sorted(m)).filter((r) => r.runId === runId),
    all: async () => [...records.values()].flatMap((m) => sorted(m)),
    async put(key, ref) {
      const m = records.get(ref.sha256) ?? new Map<string, ArtifactRef>();
      if (!m.has(key)) m.set(key, structuredClone(ref));
      records.set(ref.sha256, m);
    },
    async removeSha(sha) {
      const n = records.get(sha)?.size ?? 0;
      records.delete(sha);
      return n;
    },
    async close() {},
  };
};

/** The in-memory adapter, for tests: same contract as the fs/LMDB store, nothing persisted. */
export const createInMemoryArtifactStore = (
  options: { clock?: Clock; registry?: ArtifactSchemaRegistry } = {},
): ArtifactStore =>
  createArtifactStore({ blobs: createMemoryBlobStore(), index: createMemoryIndex(), ...options });
