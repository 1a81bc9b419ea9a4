/**
 * The Bus port: how actors talk. Two adapters implement it with the same subject semantics
 * (NATS: nats-bus.ts; in memory: in-memory-bus.ts) and pass one contract suite.
 *
 * Semantics (both adapters):
 * - Subjects are `.`-separated tokens; patterns may use `*` (one token) and `>` (the rest).
 * - Delivery is asynchronous and at-most-once; messages from one publisher arrive at a
 *   subscriber in publish order. Publishes made while NATS is disconnected may be dropped:
 *   the event log is the truth and the outbox re-sends from it.
 * - A queue group delivers each message to exactly one of its members.
 * - Payloads are JSON. A handler never crashes the bus: a throw or a rejected promise is
 *   logged (`event: 'bus.handler_failed'`) and the next message is delivered.
 * - Async handlers are not awaited between messages (as with NATS callbacks): a subscriber
 *   that needs a concurrency limit keeps it itself. `drain` does await them.
 * - Batching is a matter of schemas: a message may carry an array of items where its
 *   schema says so; the bus treats it as one payload.
 * - Typed subscriptions validate every message with zod; a malformed or schema-invalid
 *   message is logged at warn (`event: 'message.rejected'`), handed to `onRejected`, and
 *   dropped.
 */
import type { z } from 'zod';

/** A received message. `data` is the raw payload; `json()` decodes it. */
export interface BusMessage {
  readonly subject: string;
  /** Where a reply goes (set by `request`), if anywhere. */
  readonly reply: string | undefined;
  readonly data: Uint8Array;
  /** The payload decoded as JSON (cached). Throws `message_invalid` if it is not JSON. */
  json(): unknown;
  /**
   * Publishes `payload` (JSON) to `reply`. Returns false, and sends nothing, when the
   * message has no reply subject or the bus is closed. Throws `message_invalid` if the
   * payload cannot be encoded.
   */
  respond(payload: unknown): boolean;
}

export type MessageHandler = (msg: BusMessage) => void | Promise<void>;
export type TypedHandler<T> = (data: T, msg: BusMessage) => void | Promise<void>;

export interface PublishOptions {
  /** A reply subject the receiver can answer on. */
  reply?: string;
}

export interface SubscribeOptions {
  /** Queue group: each message goes to one member of the group. */
  queue?: string;
}

/** Why a typed subscription dropped a message: mirrors the `message.rejected` event data. */
export interface RejectedMessage {
  subject: string;
  reason: 'malformed_json' | 'schema_invalid';
  /** `path: message` lines from zod, or the JSON parse error. */
  issues: string[];
  /** Size of the payload in bytes. */
  bytes: number;
}

export interface TypedSubscribeOptions extends SubscribeOptions {
  /**
   * Called with every rejected message after it was logged, so the engine can record
   * `message.rejected`. A throw from here is logged, never propagated.
   */
  onRejected?: (rejected: RejectedMessage, msg: BusMessage) => void;
}

export interface RequestOptions {
  /** Time to wait for the reply. */
  timeoutMs: number;
}

export interface BusSubscription {
  readonly subject: string;
  readonly queue: string | undefined;
  /** Stops delivery at once; messages not yet handed to the handler are dropped. */
  unsubscribe(): void;
  /** Stops new deliveries, hands over what already arrived, awaits the running handlers. */
  drain(): Promise<void>;
}

export type BusStatus =
  | { type: 'disconnected'; server?: string }
  | { type: 'reconnecting' }
  | { type: 'reconnected'; server?: string }
  | { type: 'error'; message: string }
  | { type: 'slow_consumer'; subject: string; pending: number }
  | { type: 'stale_connection' }
  | { type: 'closed' };

export interface Bus {
  /** `nats` or `memory`. */
  readonly kind: 'nats' | 'memory';
  /**
   * Sends `payload` as JSON. Never waits. Throws `bus_subject_invalid` (bad subject or a
   * wildcard), `message_invalid` (not JSON-encodable), `bus_payload_too_large`,
   * `bus_closed` (after drain/close).
   */
  publish(subject: string, payload: unknown, opts?: PublishOptions): void;
  /** `publish` for bytes that are already encoded (or deliberately not JSON). */
  publishBytes(subject: string, data: Uint8Array, opts?: PublishOptions): void;
  /**
   * Calls `handler` for every message matching `pattern` (`*`, `>` allowed). Throws
   * `bus_subject_invalid` for a bad pattern or queue name, `bus_closed` when draining/closed.
   */
  subscribe(pattern: string, handler: MessageHandler, opts?: SubscribeOptions): BusSubscription;
  /** `subscribe` that validates every message with `schema` first (see module doc). */
  subscribeTyped<S extends z.ZodType>(
    pattern: string,
    schema: S,
    handler: TypedHandler<z.output<S>>,
    opts?: TypedSubscribeOptions,
  ): BusSubscription;
  /**
   * Publishes with a fresh reply subject and resolves with the first reply. Rejects with
   * `bus_no_responders` (nobody subscribes to `subject`), `bus_timeout`, `bus_closed`,
   * or the errors of `publish`.
   */
  request(subject: string, payload: unknown, opts: RequestOptions): Promise<BusMessage>;
  /** `request` whose reply is validated; rejects with `message_invalid` if it does not match. */
  requestTyped<S extends z.ZodType>(
    subject: string,
    payload: unknown,
    schema: S,
    opts: RequestOptions,
  ): Promise<z.output<S>>;
  /**
   * Resolves when everything published so far has reached the server (NATS) or been handed
   * to its handlers (memory). Rejects with `bus_unavailable` while NATS is disconnected,
   * `bus_closed` once closed.
   */
  flush(): Promise<void>;
  /**
   * Hands what was published so far to the connection now, without waiting for anything. The
   * NATS client writes its buffer to the socket in a microtask; a caller about to block the
   * thread (a synchronous LMDB commit and its fsync) calls this so its messages leave first
   * (decision 038). Best effort: never throws; nothing to do once closed, nor in memory.
   */
  sendNow(): void;
  /**
   * Graceful stop: no new subscriptions or requests; every subscription drains (messages
   * already received are handled, running handlers awaited, their replies sent); pending
   * publishes are flushed; then the connection closes. Idempotent.
   */
  drain(): Promise<void>;
  /** Immediate stop: undelivered messages are dropped. Idempotent. */
  close(): Promise<void>;
  isClosed(): boolean;
  /** Listens to connection status changes; returns a function that stops listening. */
  onStatus(listener: (status: BusStatus) => void): () => void;
}
