/**
 * Where a deployment's workers share their state (docs/decisions/026): the dispatch ledger and
 * the artifact hand-off, in the project's LMDB (`lmdb`: workers on the engine's machine) or on
 * NATS JetStream (`nats`: workers anywhere). The engine creates the buckets; workers only bind.
 */
import { hostname } from 'node:os';
import type { Bus } from '../actors/bus/bus.js';
import { natsConnectionOf } from '../actors/bus/nats-bus.js';
import { createArtifactImporter } from '../actors/engine/artifact-import.js';
import type { DispatchLedger, DispatchOwner } from '../actors/ledger/dispatch-ledger.js';
import { openKvDispatchLedger } from '../actors/ledger/kv-dispatch-ledger.js';
import type { Logger } from '../actors/logger.js';
import type { ArtifactStore } from '../contracts/artifact-store.js';
import type { Clock } from '../contracts/clock.js';
import { LilyError } from '../contracts/errors.js';
import { bindLilyBuckets, ensureLilyBuckets, type LilyBuckets } from '../eventstore/jetstream/buckets.js';
import { createObjectBlobStore } from '../eventstore/jetstream/object-blob-store.js';
import type { LilyConfig } from '../project/config.js';

export type LedgerKind = 'lmdb' | 'nats';

/**
 * The ledger a process of the deployment uses: what it was told (`--ledger`, recorded by
 * `lily up`), else the config's `ledger`, else `lmdb`.
 */
export const ledgerKindOf = (config: Pick<LilyConfig, 'ledger'>, told?: LedgerKind): LedgerKind =>
  told ?? config.ledger ?? 'lmdb';

/** Throws `usage_invalid` unless `v` is `lmdb` or `nats`. */
export const parseLedgerKind = (v: string): LedgerKind => {
  if (v === 'lmdb' || v === 'nats') return v;
  throw new LilyError('usage_invalid', `--ledger must be lmdb or nats, not ${JSON.stringify(v)}`, {
    reason: '--ledger',
    value: v,
  });
};

/** This process as the owner of the dispatches it claims. */
export const processOwnerOf = (workerId: string): DispatchOwner => ({
  worker: workerId,
  pid: process.pid,
  host: hostname(),
});

const connectionOf = (bus: Bus) => {
  const nc = natsConnectionOf(bus);
  if (!nc) {
    throw new LilyError(
      'config_invalid',
      '`ledger: nats` needs a NATS bus (this process has an in-memory one)',
      {
        ledger: 'nats',
      },
    );
  }
  return nc;
};

/** The engine's side of `ledger: nats`. */
export interface EngineSharedState {
  buckets: LilyBuckets;
  replicas: number;
  /** A KV ledger for a worker in the engine's process. */
  ledgerFor(workerId: string, clock: Clock): DispatchLedger;
  /** RunHost `beforeAppend`: copies artifacts made elsewhere into the project's store. */
  importArtifacts: ReturnType<typeof createArtifactImporter>;
}

/**
 * Creates (or scales) the namespace's buckets with `replicas` (the config's `nats.replicas`,
 * else detected) and returns what the engine wires from them. Throws `bus_unavailable` (no
 * JetStream on this NATS), `config_invalid` (not a NATS bus).
 */
export const openEngineSharedState = async (o: {
  bus: Bus;
  ns: string;
  replicas?: number;
  artifacts: ArtifactStore;
  log: Logger;
}): Promise<EngineSharedState> => {
  const { replicas, ...buckets } = await ensureLilyBuckets(connectionOf(o.bus), o.ns, {
    ...(o.replicas === undefined ? {} : { replicas: o.replicas }),
  });
  o.log.info(
    { event: 'engine.shared_state', ledger: 'nats', replicas, buckets: buckets.names },
    'dispatch ledger and artifact hand-off on NATS JetStream',
  );
  return {
    buckets,
    replicas,
    ledgerFor: (workerId, clock) =>
      openKvDispatchLedger({ kv: buckets.ledger, owner: processOwnerOf(workerId), clock }),
    importArtifacts: createArtifactImporter({
      local: o.artifacts,
      remote: createObjectBlobStore(buckets.artifacts),
      log: o.log.child({ actor: 'artifact-import' }),
    }),
  };
};

/**
 * What the engine wires for its ledger kind: with `nats`, the shared state (buckets made with the
 * config's `nats.replicas`); with `lmdb`, nothing (workers share the project's LMDB).
 */
export const engineSharing = async (o: {
  ledger: LedgerKind;
  bus: Bus;
  ns: string;
  config: Pick<LilyConfig, 'nats'>;
  artifacts: ArtifactStore;
  log: Logger;
}): Promise<EngineSharedState | undefined> => {
  if (o.ledger === 'lmdb') return undefined;
  const { replicas } = o.config.nats;
  return openEngineSharedState({
    bus: o.bus,
    ns: o.ns,
    ...(replicas === undefined ? {} : { replicas }),
    artifacts: o.artifacts,
    log: o.log,
  });
};

/**
 * A worker's side of `ledger: nats`: binds the buckets the engine made (never creates them),
 * waiting `waitMs` for an engine that is starting, and opens its KV ledger. Throws
 * `jetstream_bucket_missing` (the engine keeps its ledger in LMDB, or did not start in time),
 * `bus_unavailable`, `config_invalid`.
 */
export const bindWorkerSharedState = async (o: {
  bus: Bus;
  ns: string;
  workerId: string;
  clock: Clock;
  log: Logger;
  /** How long to wait for the engine to create the buckets (it may be starting too); default 30 s. */
  waitMs?: number;
}): Promise<{ buckets: LilyBuckets; ledger: DispatchLedger }> => {
  const buckets = await bindLilyBuckets(connectionOf(o.bus), o.ns, {
    waitMs: o.waitMs ?? 30_000,
    onWait: () =>
      o.log.info(
        { event: 'worker.waiting_for_ledger', namespace: o.ns },
        'no dispatch ledger on NATS yet: waiting for the engine to create it (ledger: nats)',
      ),
  });
  return {
    buckets,
    ledger: openKvDispatchLedger({ kv: buckets.ledger, owner: processOwnerOf(o.workerId), clock: o.clock }),
  };
};
