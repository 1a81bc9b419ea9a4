import type {
  ArtifactFilter,
  ArtifactSchemaRegistry,
  ArtifactStore,
  PutArtifactOptions,
  PutJsonOptions,
} from '../contracts/artifact-store.js';
import { canonicalJson, hashJson, sha256Hex } from '../contracts/canonical-json.js';
import type { Clock } from '../contracts/clock.js';
import { LilyError } from '../contracts/errors.js';
import type { ArtifactRef } from '../contracts/events/shared-schemas.js';
import { walkLineage } from './artifact-lineage.js';
import type { ArtifactIndex, BlobStore } from './artifact-parts.js';
import { systemClock } from './system-ports.js';

const SHA256 = /^[0-9a-f]{64}$/;
const TYPE_NAME = /^[a-z0-9][a-z0-9._-]*@[0-9]+(\.[0-9]+){0,2}$/;

/** Refuses anything but 64 lowercase hex: the only thing that ever becomes part of a blob path. */
export const parseSha256 = (value: unknown): string => {
  if (typeof value === 'string' && SHA256.test(value)) return value;
  throw new LilyError('id_invalid', `invalid sha256 ${JSON.stringify(String(value))}`, {
    kind: 'sha256',
    value: String(value),
    rule: '64 lowercase hex characters',
  });
};

export interface ArtifactStoreParts {
  blobs: BlobStore;
  index: ArtifactIndex;
  clock?: Clock;
  registry?: ArtifactSchemaRegistry;
}

const validateTyped = (value: unknown, type: string, registry: ArtifactSchemaRegistry | undefined): void => {
  const schema = TYPE_NAME.test(type) ? registry?.get(type) : undefined;
  if (!schema) {
    throw new LilyError('artifact_type_unknown', `no artifact schema registered as ${JSON.stringify(type)}`, {
      type,
    });
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new LilyError('artifact_data_invalid', `artifact does not match ${type}`, {
      type,
      issues: result.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
    });
  }
};

/** The record key: the provenance without the time, so a repeated put finds its first record. */
const recordKeyOf = (ref: ArtifactRef): string => hashJson({ ...ref, createdAt: undefined }).slice(0, 32);

const byCreated = (a: ArtifactRef, b: ArtifactRef): number =>
  a.createdAt - b.createdAt ||
  (a.sha256 < b.sha256 ? -1 : a.sha256 > b.sha256 ? 1 : 0) ||
  (a.name < b.name ? -1 : 1);

/** Composes a blob store and an index into the ArtifactStore port; every adapter is built from this. */
export const createArtifactStore = (parts: ArtifactStoreParts): ArtifactStore => {
  const { blobs, index } = parts;
  const clock = parts.clock ?? systemClock;

  const checkOptions = (o: PutArtifactOptions): void => {
    if (typeof o?.name !== 'string' || o.name.length === 0 || typeof o.producer !== 'string') {
      throw new LilyError('usage_invalid', 'an artifact needs a non-empty name and a producer', {
        name: o?.name,
        producer: o?.producer,
      });
    }
    for (const input of o.inputs ?? []) parseSha256(input);
  };

  const record = async (
    sha256: string,
    size: number,
    mediaType: string,
    o: PutArtifactOptions & { type?: string },
  ): Promise<ArtifactRef> => {
    const ref: ArtifactRef = {
      sha256,
      size,
      mediaType: o.mediaType ?? mediaType,
      name: o.name,
      producer: o.producer,
      inputs: [...new Set(o.inputs ?? [])].sort(),
      createdAt: o.createdAt ?? clock.now(),
    };
    if (o.type !== undefined) ref.type = o.type;
    if (o.runId !== undefined) ref.runId = o.runId;
    if (o.stepId !== undefined) ref.stepId = o.stepId;
    const key = recordKeyOf(ref);
    const existing = await index.get(sha256, key);
    if (existing) return existing;
    await index.put(key, ref);
    return ref;
  };

  const putBytes = async (bytes: Uint8Array, mediaType: string, o: PutJsonOptions): Promise<ArtifactRef> => {
    checkOptions(o);
    const sha = sha256Hex(bytes);
    if (!(await blobs.has(sha))) await blobs.write(sha, bytes);
    return record(sha, bytes.byteLength, mediaType, o);
  };

  const refsOf = async (sha: string) => (await index.bySha(sha)).sort(byCreated);

  return {
    async putJson(value, o) {
      if (o?.type !== undefined) validateTyped(value, o.type, parts.registry);
      return putBytes(new TextEncoder().encode(canonicalJson(value)), 'application/json', o);
    },
    putText: (text, o) => putBytes(new TextEncoder().encode(text), 'text/plain; charset=utf-8', o),
    putBytes: (bytes, o) => putBytes(bytes, 'application/octet-stream', o),
    async putFile(sourcePath, o) {
      checkOptions(o);
      const { sha256, size } = await blobs.writeFile(sourcePath);
      return record(sha256, size, 'application/octet-stream', o);
    },
    async get(sha) {
      const [ref] = await refsOf(parseSha256(sha));
      const bytes = ref ? await blobs.read(sha) : undefined;
      return ref && bytes ? { ref, bytes } : undefined;
    },
    async ref(sha) {
      return (await refsOf(parseSha256(sha)))[0];
    },
    async openPath(sha) {
      parseSha256(sha);
      if (!(await blobs.has(sha))) {
        throw new LilyError('artifact_not_found', `no artifact ${sha}`, { sha256: sha });
      }
      return blobs.path(sha);
    },
    async list(filter: ArtifactFilter = {}) {
      const refs = filter.runId !== undefined ? await index.byRun(filter.runId) : await index.all();
      return refs
        .filter(
          (r) =>
            (filter.name === undefined || r.name === filter.name) &&
            (filter.type === undefined || r.type === filter.type),
        )
        .sort(byCreated);
    },
    lineage: (sha) => walkLineage(parseSha256(sha), refsOf),
    async remove(sha) {
      parseSha256(sha);
      const removed = await index.removeSha(sha);
      const blob = await blobs.remove(sha);
      return removed > 0 || blob;
    },
    async close() {
      await index.close();
      await blobs.close();
    },
  };
};
