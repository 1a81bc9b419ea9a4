import { LilyError } from '../../contracts/index.js';
import { type Logger, silentLogger } from '../logger.js';
import { BaseBus } from './base-bus.js';
import type {
  Bus,
  BusMessage,
  BusSubscription,
  MessageHandler,
  PublishOptions,
  RequestOptions,
  SubscribeOptions,
} from './bus.js';
import { createBusMessage, encodeJson } from './codec.js';
import { HandlerRunner } from './handlers.js';
import { type BrokerSub, InMemoryBroker } from './in-memory-broker.js';
import { assertPattern, assertQueueName, assertSubject } from './subject-match.js';

export interface InMemoryBusOptions {
  logger?: Logger;
  /** Share a broker to give several "connections" one server; default: a new broker. */
  broker?: InMemoryBroker;
}

let connections = 0;

/**
 * The in-memory Bus: same subjects, wildcards, queue groups, request/reply (with NATS's
 * no-responders and timeout behaviour) and asynchronous ordered delivery as NATS, for fast
 * and deterministic tests. Several buses built on one broker behave like several clients
 * of one nats-server.
 *
 * @example
 * const broker = new InMemoryBroker();
 * const engine = createInMemoryBus({ broker });
 * const worker = createInMemoryBus({ broker });
 */
export const createInMemoryBus = (opts: InMemoryBusOptions = {}): Bus =>
  new InMemoryBus(opts.broker ?? new InMemoryBroker(), opts.logger ?? silentLogger());

class InMemoryBus extends BaseBus {
  readonly kind = 'memory' as const;
  private readonly subs = new Set<BrokerSub>();
  private readonly pendingRequests = new Set<(e: LilyError) => void>();
  private readonly inboxPrefix = `_INBOX.mem${++connections}`;
  private nextInbox = 0;
  private draining: Promise<void> | undefined;

  constructor(
    private readonly broker: InMemoryBroker,
    logger: Logger,
  ) {
    super(logger);
  }

  publishBytes(subject: string, data: Uint8Array, opts: PublishOptions = {}): void {
    this.assertNotClosed('publish');
    this.send(subject, data, opts.reply);
  }

  subscribe(pattern: string, handler: MessageHandler, opts: SubscribeOptions = {}): BusSubscription {
    this.assertOpen('subscribe');
    assertPattern(pattern);
    if (opts.queue !== undefined) assertQueueName(opts.queue);
    const sub: BrokerSub = {
      pattern,
      queue: opts.queue,
      runner: new HandlerRunner(handler, this.logger),
      toMessage: (subject, reply, data) => createBusMessage(subject, reply, data, this.replySender),
      active: true,
    };
    this.broker.add(sub);
    this.subs.add(sub);
    const stop = () => {
      sub.active = false;
      this.broker.remove(sub);
      this.subs.delete(sub);
    };
    return {
      subject: pattern,
      queue: opts.queue,
      unsubscribe: stop,
      drain: async () => {
        this.broker.remove(sub);
        await this.broker.flush();
        await sub.runner.idle();
        stop();
      },
    };
  }

  async request(subject: string, payload: unknown, opts: RequestOptions): Promise<BusMessage> {
    this.assertOpen('request');
    assertSubject(subject);
    const data = encodeJson(payload);
    return this.requestBytes(subject, data, opts);
  }

  private requestBytes(subject: string, data: Uint8Array, opts: RequestOptions): Promise<BusMessage> {
    const inbox = `${this.inboxPrefix}.${++this.nextInbox}`;
    return new Promise<BusMessage>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (sub: BusSubscription) => {
        clearTimeout(timer);
        sub.unsubscribe();
        this.pendingRequests.delete(fail);
      };
      const sub = this.subscribe(inbox, (msg) => {
        finish(sub);
        resolve(msg);
      });
      const fail = (e: LilyError) => {
        finish(sub);
        reject(e);
      };
      this.pendingRequests.add(fail);
      if (this.send(subject, data, inbox) === 0) {
        fail(new LilyError('bus_no_responders', `no responders on ${subject}`, { subject }));
        return;
      }
      timer = setTimeout(() => {
        fail(
          new LilyError('bus_timeout', `no reply on ${subject} within ${opts.timeoutMs} ms`, {
            subject,
            ...opts,
          }),
        );
      }, opts.timeoutMs);
    });
  }

  flush(): Promise<void> {
    if (this.state === 'closed') return Promise.reject(this.closedError('flush'));
    return this.broker.flush();
  }

  sendNow(): void {
    // Deliveries are asynchronous in memory: nothing is waiting for a socket.
  }

  drain(): Promise<void> {
    if (this.state === 'closed') return Promise.resolve();
    this.draining ??= this.drainNow();
    return this.draining;
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    for (const sub of this.subs) {
      sub.active = false;
      this.broker.remove(sub);
    }
    this.subs.clear();
    for (const fail of [...this.pendingRequests]) fail(this.closedError('wait for a reply'));
    this.emitStatus({ type: 'closed' });
  }

  private async drainNow(): Promise<void> {
    this.state = 'draining';
    const subs = [...this.subs];
    for (const sub of subs) this.broker.remove(sub);
    await this.broker.flush();
    await Promise.all(subs.map((s) => s.runner.idle()));
    await this.broker.flush();
    await this.close();
  }

  private send(subject: string, data: Uint8Array, reply: string | undefined): number {
    assertSubject(subject);
    if (data.length > this.broker.maxPayload) {
      throw new LilyError('bus_payload_too_large', `message of ${data.length} bytes exceeds max payload`, {
        subject,
        bytes: data.length,
        maxPayload: this.broker.maxPayload,
      });
    }
    return this.broker.route(subject, reply, data);
  }

  private readonly replySender = (reply: string, data: Uint8Array): boolean => {
    if (this.state === 'closed') return false;
    this.send(reply, data, undefined);
    return true;
  };

  private closedError(what: string): LilyError {
    return new LilyError('bus_closed', `cannot ${what}: the bus is closed`, { state: this.state, what });
  }
}
