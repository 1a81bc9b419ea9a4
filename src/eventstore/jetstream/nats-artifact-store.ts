import type { ArtifactSchemaRegistry, ArtifactStore } from '../../contracts/artifact-store.js';
import type { Clock } from '../../contracts/clock.js';
import { createArtifactStore } from '../artifact-core.js';
import type { LilyBuckets } from './buckets.js';
import { createKvArtifactIndex } from './kv-artifact-index.js';
import { createObjectBlobStore } from './object-blob-store.js';

/**
 * The artifact store on NATS: blobs in the namespace's object store (named by sha256), their
 * provenance records in its `artifact-refs` KV bucket. A worker on another machine puts what
 * its executors make here; the refs it returns carry the same hashes, provenance and lineage as
 * a local put, and the engine imports each blob into the project's store when the reply naming
 * it is appended (actors/engine/artifact-import.ts). Same port, same contract suite as the
 * file-system and in-memory stores.
 *
 * @example
 * const artifacts = openNatsArtifactStore({ buckets: await bindLilyBuckets(nc, ns) });
 * const ref = await artifacts.putText('hello', { name: 'greeting', producer: 'executor/x', runId });
 */
export const openNatsArtifactStore = (o: {
  buckets: Pick<LilyBuckets, 'artifacts' | 'artifactRefs'>;
  clock?: Clock;
  registry?: ArtifactSchemaRegistry;
  /** How long an operation retries transient failures; default 30 s. */
  retryWithinMs?: number;
}): ArtifactStore => {
  const retry = o.retryWithinMs === undefined ? {} : { retryWithinMs: o.retryWithinMs };
  return createArtifactStore({
    blobs: createObjectBlobStore(o.buckets.artifacts, retry),
    index: createKvArtifactIndex(o.buckets.artifactRefs, retry),
    ...(o.clock ? { clock: o.clock } : {}),
    ...(o.registry ? { registry: o.registry } : {}),
  });
};
