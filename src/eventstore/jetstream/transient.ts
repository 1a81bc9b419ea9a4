import { JetStreamApiError } from '@nats-io/jetstream';
import { errors } from '@nats-io/transport-node';
import { LilyError } from '../../contracts/errors.js';

const chain = (e: unknown): unknown[] => {
  const out: unknown[] = [];
  for (let cur = e; cur !== undefined && cur !== null && out.length < 5; ) {
    out.push(cur);
    cur = (cur as { cause?: unknown }).cause;
  }
  return out;
};

/** JetStream's "wrong last sequence": a compare-and-set lost to another writer. */
export const isWrongLastSequence = (e: unknown): boolean =>
  chain(e).some((c) => c instanceof JetStreamApiError && (c.code === 10071 || c.code === 10164));

/**
 * The object store client's cleanup of a put that failed part-way (a node died under it): it
 * purges the put's chunks, which a worker's credential may not do (purging is the engine's).
 * The put itself failed for a transient reason; the chunks it left are unreachable (no metadata
 * names them) and a retried put writes new ones.
 */
const isFailedPutCleanup = (e: unknown): boolean =>
  chain(e).some(
    (c) => c instanceof errors.PermissionViolationError && /\$JS\.API\.STREAM\.PURGE\.OBJ_/.test(c.message),
  );

/**
 * Errors that say "not now" rather than "no": a request that timed out or found no responder
 * (a stream electing a leader after a node died, a client reconnecting to another node), or a
 * JetStream API answer with status 503. The write they carried may or may not have happened.
 */
export const isTransient = (e: unknown): boolean =>
  isFailedPutCleanup(e) ||
  chain(e).some(
    (c) =>
      c instanceof errors.TimeoutError ||
      c instanceof errors.NoRespondersError ||
      (c instanceof errors.RequestError && c.isNoResponders()) ||
      c instanceof errors.ConnectionError ||
      (c instanceof JetStreamApiError && c.status === 503),
  );

/**
 * `bus_unavailable` (or `bus_permission_denied` when the server refused it) for a JetStream
 * operation, keeping the client's error as cause.
 */
export const jetstreamError = (e: unknown, what: string, data: Record<string, unknown> = {}): LilyError => {
  if (e instanceof LilyError) return e;
  const message = e instanceof Error ? e.message : String(e);
  const denied = chain(e).some((c) => c instanceof errors.PermissionViolationError);
  const why = chain(e).some(
    (c) =>
      c instanceof Error && (c.name === 'JetStreamNotEnabled' || /jetstream is not enabled/i.test(c.message)),
  )
    ? `${what}: JetStream is not enabled on this NATS`
    : `${what}: ${message}`;
  return new LilyError(
    denied ? 'bus_permission_denied' : 'bus_unavailable',
    why,
    { ...data, natsError: message },
    { cause: e },
  );
};

export interface RetryOptions {
  /** Give up (rethrow the last error) once this much time has passed; default 30 s. */
  withinMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `op`, retrying transient failures (see `isTransient`) with a backoff of 100 ms doubling
 * to 2 s, for at most `withinMs`. Other errors, and the last transient one, are rethrown
 * as they came (callers map them).
 */
export const retryTransient = async <T>(op: () => Promise<T>, o: RetryOptions = {}): Promise<T> => {
  const until = Date.now() + (o.withinMs ?? 30_000);
  for (let attempt = 0; ; attempt++) {
    try {
      return await op();
    } catch (e) {
      if (!isTransient(e) || Date.now() >= until) throw e;
      await sleep(Math.min(2_000, 100 * 2 ** attempt));
    }
  }
};
