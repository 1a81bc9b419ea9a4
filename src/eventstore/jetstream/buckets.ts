import { JetStreamApiError, type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { type KV, Kvm } from '@nats-io/kv';
import { type ObjectStore, Objm } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import { LilyError } from '../../contracts/errors.js';
import { kvStreamName, type LilyBucketNames, lilyBucketNames, objectStreamName } from './bucket-names.js';
import { jetstreamError, retryTransient } from './transient.js';

/** The namespace's buckets, opened. */
export interface LilyBuckets {
  names: LilyBucketNames;
  ledger: KV;
  artifacts: ObjectStore;
  artifactRefs: KV;
}

/** How long JetStream API requests wait (a cluster electing a stream leader answers late). */
const API_TIMEOUT_MS = 10_000;
const DAY_MS = 24 * 60 * 60 * 1000;
/** JetStream API error code: no such stream. */
const STREAM_NOT_FOUND = 10059;

/**
 * The replication a namespace's buckets get when the config does not say: 3 on a cluster of
 * three or more servers (what the server's INFO lists in `connect_urls`), else 1. A cluster
 * that does not advertise its members (`no_advertise`) gets 1: set `nats.replicas` then.
 */
export const detectReplicas = (nc: Pick<NatsConnection, 'info'>): number =>
  nc.info?.cluster && (nc.info.connect_urls?.length ?? 0) >= 3 ? 3 : 1;

export interface EnsureBucketsOptions {
  /** 1, 3 or 5; default `detectReplicas`. */
  replicas?: number;
  /**
   * How long a ledger entry or an artifact hand-off is kept after its last write; default 7 days.
   * Replies are only re-sent while their run waits on them (seconds to minutes), and the engine
   * imports an artifact as soon as the reply naming it arrives, so a week is generous.
   */
  ttlMs?: number;
}

const streamReplicas = async (jsm: JetStreamManager, stream: string): Promise<number | undefined> => {
  try {
    return (await jsm.streams.info(stream)).config.num_replicas;
  } catch (e) {
    if (e instanceof JetStreamApiError && e.code === STREAM_NOT_FOUND) return undefined;
    throw e;
  }
};

/** Creates the stream with `create` when it is missing; scales an existing one to `replicas`. */
const ensure = async (
  jsm: JetStreamManager,
  stream: string,
  replicas: number,
  create: () => Promise<unknown>,
): Promise<void> => {
  const current = await retryTransient(() => streamReplicas(jsm, stream));
  if (current === undefined) await retryTransient(create);
  else if (current !== replicas)
    await retryTransient(() => jsm.streams.update(stream, { num_replicas: replicas }));
};

/**
 * Creates (or, when they exist, scales to `replicas`) and opens the namespace's buckets: what
 * the engine does at start when the deployment's workers may run elsewhere (`ledger: nats`).
 * The KV buckets keep one value per key and have no direct gets (reads go to the stream
 * leader); everything is file-backed with `replicas` copies.
 *
 * Throws `bus_unavailable` (no JetStream on this NATS, permissions, a cluster without a leader
 * for 30 s).
 *
 * @example
 * const buckets = await ensureLilyBuckets(nc, 'default', { replicas: 3 });
 */
export const ensureLilyBuckets = async (
  nc: NatsConnection,
  ns: string,
  o: EnsureBucketsOptions = {},
): Promise<LilyBuckets & { replicas: number }> => {
  const names = lilyBucketNames(ns);
  const replicas = o.replicas ?? detectReplicas(nc);
  const ttl = o.ttlMs ?? 7 * DAY_MS;
  try {
    const jsm = await retryTransient(() => jetstreamManager(nc, { timeout: API_TIMEOUT_MS }));
    const js = jsm.jetstream();
    const kvm = new Kvm(js);
    const kvOptions = { replicas, history: 1, allow_direct: false, ttl };
    await ensure(jsm, kvStreamName(names.ledger), replicas, () => kvm.create(names.ledger, kvOptions));
    await ensure(jsm, kvStreamName(names.artifactRefs), replicas, () =>
      kvm.create(names.artifactRefs, kvOptions),
    );
    const objm = new Objm(js);
    await ensure(jsm, objectStreamName(names.artifacts), replicas, () =>
      objm.create(names.artifacts, { replicas, ttl: ttl * 1_000_000 }),
    );
    return { ...(await openBuckets(nc, names)), replicas };
  } catch (e) {
    throw jetstreamError(e, `cannot set up the JetStream buckets of namespace ${ns}`, { namespace: ns });
  }
};

const openBuckets = async (nc: NatsConnection, names: LilyBucketNames): Promise<LilyBuckets> => {
  // No API check (`$JS.API.INFO`): a worker's credential does not allow it, and needs nothing of it.
  const js = jetstream(nc, { checkAPI: false, timeout: API_TIMEOUT_MS });
  const kvm = new Kvm(js);
  return {
    names,
    ledger: await kvm.open(names.ledger, { allow_direct: false }),
    artifacts: await new Objm(js).open(names.artifacts, false),
    artifactRefs: await kvm.open(names.artifactRefs, { allow_direct: false }),
  };
};

/**
 * Opens the namespace's buckets without creating anything (a worker: its credential may read
 * and write their keys, never create or delete streams). Checks the ledger bucket exists,
 * waiting up to `waitMs` (default 0) for an engine that is starting to create it (`onWait` is
 * called once when it is not there yet).
 *
 * Throws `jetstream_bucket_missing` (the engine keeps its ledger in LMDB: `ledger: nats` is not
 * set, or the engine has not started yet), `bus_unavailable`.
 */
export const bindLilyBuckets = async (
  nc: NatsConnection,
  ns: string,
  o: { waitMs?: number; onWait?: () => void } = {},
): Promise<LilyBuckets> => {
  const names = lilyBucketNames(ns);
  try {
    const jsm = await jetstreamManager(nc, { checkAPI: false, timeout: API_TIMEOUT_MS });
    const until = Date.now() + (o.waitMs ?? 0);
    let found = await retryTransient(() => streamReplicas(jsm, kvStreamName(names.ledger)));
    if (found === undefined && Date.now() < until) o.onWait?.();
    // An engine starting at the same moment (`lily up`) creates it within seconds.
    while (found === undefined && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 250));
      found = await retryTransient(() => streamReplicas(jsm, kvStreamName(names.ledger)));
    }
    if (found === undefined) {
      throw new LilyError(
        'jetstream_bucket_missing',
        `no dispatch ledger on this NATS for namespace ${ns} (KV bucket ${names.ledger}): the engine keeps it on NATS only with \`ledger: nats\` in its .lily/config.yaml (or \`lily up --listen\`); start it so`,
        { namespace: ns, bucket: names.ledger },
      );
    }
    return await openBuckets(nc, names);
  } catch (e) {
    throw jetstreamError(e, `cannot open the JetStream buckets of namespace ${ns}`, { namespace: ns });
  }
};
