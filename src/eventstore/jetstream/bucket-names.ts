/**
 * The JetStream buckets a namespace keeps on NATS when its workers may run anywhere
 * (design.md §9): the workers' dispatch ledger (KV), the artifact hand-off (object store) and
 * the provenance records of those artifacts (KV). Names only: pure, so the permission table
 * (src/deployment/nats-auth/roles.ts) and the adapters agree on them.
 */
export interface LilyBucketNames {
  /** KV: dispatch id -> claim (running, owner, heartbeat) or the replies of a finished dispatch. */
  ledger: string;
  /** Object store: blobs named by their sha256. */
  artifacts: string;
  /** KV: `<sha256>.<record key>` -> the artifact's provenance record (ArtifactRef). */
  artifactRefs: string;
}

/** `lily-<ns>-ledger`, `lily-<ns>-artifacts`, `lily-<ns>-artifact-refs` (a namespace is `[A-Za-z0-9_-]+`). */
export const lilyBucketNames = (ns: string): LilyBucketNames => ({
  ledger: `lily-${ns}-ledger`,
  artifacts: `lily-${ns}-artifacts`,
  artifactRefs: `lily-${ns}-artifact-refs`,
});

/** The JetStream stream behind a KV bucket. */
export const kvStreamName = (bucket: string): string => `KV_${bucket}`;
/** The JetStream stream behind an object store. */
export const objectStreamName = (bucket: string): string => `OBJ_${bucket}`;
