import type { z } from 'zod';
import { LilyError, toLilyError } from '../../contracts/index.js';
import type { Logger } from '../logger.js';
import type {
  Bus,
  BusMessage,
  BusStatus,
  BusSubscription,
  MessageHandler,
  PublishOptions,
  RequestOptions,
  SubscribeOptions,
  TypedHandler,
  TypedSubscribeOptions,
} from './bus.js';
import { encodeJson } from './codec.js';
import { parseReply, typedHandler } from './handlers.js';

/**
 * What both adapters share: JSON publishing, typed subscriptions and requests, status
 * listeners, and the draining/closed bookkeeping. Adapters supply the transport.
 */
export abstract class BaseBus implements Bus {
  abstract readonly kind: 'nats' | 'memory';
  private readonly statusListeners = new Set<(status: BusStatus) => void>();
  /** `open` -> `draining` -> `closed`. */
  protected state: 'open' | 'draining' | 'closed' = 'open';

  constructor(protected readonly logger: Logger) {}

  abstract publishBytes(subject: string, data: Uint8Array, opts?: PublishOptions): void;
  abstract subscribe(pattern: string, handler: MessageHandler, opts?: SubscribeOptions): BusSubscription;
  abstract request(subject: string, payload: unknown, opts: RequestOptions): Promise<BusMessage>;
  abstract flush(): Promise<void>;
  abstract sendNow(): void;
  abstract drain(): Promise<void>;
  abstract close(): Promise<void>;

  publish(subject: string, payload: unknown, opts?: PublishOptions): void {
    this.publishBytes(subject, encodeJson(payload), opts);
  }

  subscribeTyped<S extends z.ZodType>(
    pattern: string,
    schema: S,
    handler: TypedHandler<z.output<S>>,
    opts: TypedSubscribeOptions = {},
  ): BusSubscription {
    const wrapped = typedHandler(schema, handler, opts, this.logger);
    return this.subscribe(pattern, wrapped, opts.queue === undefined ? {} : { queue: opts.queue });
  }

  async requestTyped<S extends z.ZodType>(
    subject: string,
    payload: unknown,
    schema: S,
    opts: RequestOptions,
  ): Promise<z.output<S>> {
    const reply = await this.request(subject, payload, opts);
    return parseReply(subject, reply, schema);
  }

  isClosed(): boolean {
    return this.state === 'closed';
  }

  onStatus(listener: (status: BusStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => {
      this.statusListeners.delete(listener);
    };
  }

  protected emitStatus(status: BusStatus): void {
    for (const listener of this.statusListeners) {
      try {
        listener(status);
      } catch (e) {
        this.logger.error(
          { event: 'bus.status_listener_failed', error: toLilyError(e).message },
          'status listener failed',
        );
      }
    }
  }

  /** Throws `bus_closed` unless the bus still takes new subscriptions and requests. */
  protected assertOpen(what: string): void {
    if (this.state !== 'open') {
      throw new LilyError('bus_closed', `cannot ${what}: the bus is ${this.state}`, {
        state: this.state,
        what,
      });
    }
  }

  /** Throws `bus_closed` once the bus is closed (publishing is allowed while draining). */
  protected assertNotClosed(what: string): void {
    if (this.state === 'closed') {
      throw new LilyError('bus_closed', `cannot ${what}: the bus is closed`, { state: this.state, what });
    }
  }
}
