import {
  type Authenticator,
  connect,
  credsAuthenticator,
  errors,
  type Msg,
  type NatsConnection,
  nkeyAuthenticator,
  type Status,
} from '@nats-io/transport-node';
import { LilyError } from '../../contracts/index.js';
import { probe } from '../../contracts/probe.js';
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
import { fromNatsError, redactUrl } from './nats-errors.js';
import { describeNatsStatus } from './nats-status.js';
import { assertPattern, assertQueueName, assertSubject } from './subject-match.js';

export interface NatsBusOptions {
  /** One url or several (`nats://127.0.0.1:4222`). */
  servers: string | string[];
  /** Auth token (never logged nor put in an error). */
  token?: string;
  /**
   * A NATS user credential: the text of a `.creds` file (user JWT + nkey seed) or a bare user
   * nkey seed (`SU…`). A function is called at every (re)connect, so a credential file read
   * there can be rotated without a restart. Never logged nor put in an error.
   */
  credentials?: string | (() => string);
  /**
   * Prefix of this connection's reply subjects (default `_INBOX`). A credential that reserves a
   * private inbox (`_INBOX_<user>.>`) needs its prefix here, or every request is refused.
   */
  inboxPrefix?: string;
  /** Connection name shown by the server (e.g. `lily-engine`). */
  name?: string;
  logger?: Logger;
  /** Pause between reconnect attempts; default 250 ms. Attempts never stop. */
  reconnectTimeWaitMs?: number;
  /** Time allowed for the first connection (the handshake, JWT auth included); default 5,000 ms: a loaded machine can take seconds. A refused connection still fails at once. */
  connectTimeoutMs?: number;
  /** Client ping interval (how soon a dead server is noticed); default 10,000 ms. */
  pingIntervalMs?: number;
}

/**
 * Connects a Bus to nats-server. The first connection must succeed (else `bus_unavailable`
 * naming the url, never the token); after that the client reconnects forever, logging each
 * status change (`bus.disconnected`, `bus.reconnected`, ...) and reporting it to
 * `onStatus` listeners. Publishes made while disconnected may be dropped.
 *
 * @example
 * const bus = await connectNatsBus({ servers: 'nats://127.0.0.1:4222', name: 'lily-engine', logger });
 */
const CREDS_MARKER = 'BEGIN NATS USER JWT';

/** One authenticator for either kind of credential, decided at each (re)connect. */
const credentialAuthenticator = (credentials: string | (() => string)): Authenticator => {
  const read = typeof credentials === 'function' ? credentials : () => credentials;
  const encode = (text: string) => new TextEncoder().encode(text);
  return (nonce?: string) => {
    const text = read();
    return text.includes(CREDS_MARKER)
      ? credsAuthenticator(encode(text))(nonce)
      : nkeyAuthenticator(encode(text.trim()))(nonce);
  };
};

export const connectNatsBus = async (opts: NatsBusOptions): Promise<Bus> => {
  const servers = Array.isArray(opts.servers) ? opts.servers : [opts.servers];
  const safe = servers.map(redactUrl);
  const logger = (opts.logger ?? silentLogger()).child({ component: 'bus', servers: safe });
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers,
      ...(opts.token === undefined ? {} : { token: opts.token }),
      ...(opts.credentials === undefined ? {} : { authenticator: credentialAuthenticator(opts.credentials) }),
      ...(opts.inboxPrefix === undefined ? {} : { inboxPrefix: opts.inboxPrefix }),
      ...(opts.name === undefined ? {} : { name: opts.name }),
      reconnect: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: opts.reconnectTimeWaitMs ?? 250,
      timeout: opts.connectTimeoutMs ?? 5000,
      pingInterval: opts.pingIntervalMs ?? 10_000,
      // Without it the client builds two errors (stack traces and all) per request, in case it
      // fails: every failure becomes a LilyError with the caller's stack here anyway.
      noAsyncTraces: true,
    });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    throw new LilyError('bus_unavailable', `cannot connect to NATS at ${safe.join(', ')}: ${message}`, {
      servers: safe,
      natsError: message,
    });
  }
  logger.info({ event: 'bus.connected', server: redactUrl(nc.getServer()) }, 'connected to NATS');
  return new NatsBus(nc, logger);
};

/**
 * The NATS connection under a bus made by `connectNatsBus`, for JetStream clients (KV, object
 * store) that share the bus's connection, credential and reconnects; undefined for other buses.
 */
export const natsConnectionOf = (bus: Bus): NatsConnection | undefined =>
  bus instanceof NatsBus ? bus.connection : undefined;

interface NatsSub {
  drain(): Promise<void>;
}

class NatsBus extends BaseBus {
  readonly kind = 'nats' as const;
  private readonly subs = new Set<NatsSub>();
  private draining: Promise<void> | undefined;
  private closedReported = false;

  constructor(
    private readonly nc: NatsConnection,
    logger: Logger,
  ) {
    super(logger);
    void this.watchStatus();
    void nc.closed().then((err) => this.reportClosed(err instanceof Error ? err : undefined));
  }

  get connection(): NatsConnection {
    return this.nc;
  }

  publishBytes(subject: string, data: Uint8Array, opts: PublishOptions = {}): void {
    this.assertNotClosed('publish');
    assertSubject(subject);
    probe('bus.pub', subject);
    try {
      this.nc.publish(subject, data, opts.reply === undefined ? undefined : { reply: opts.reply });
    } catch (e) {
      throw fromNatsError(e, `publish on ${subject}`, { subject, bytes: data.length });
    }
  }

  subscribe(pattern: string, handler: MessageHandler, opts: SubscribeOptions = {}): BusSubscription {
    this.assertOpen('subscribe');
    assertPattern(pattern);
    if (opts.queue !== undefined) assertQueueName(opts.queue);
    const runner = new HandlerRunner(handler, this.logger);
    let active = true;
    const callback = (err: Error | null, m: Msg) => {
      if (err !== null) {
        // A refused subscription is also reported (once, at warn) by the status stream.
        if (!(err instanceof errors.PermissionViolationError)) {
          this.logger.error(
            { event: 'bus.subscription_failed', subject: pattern, error: err.message },
            err.message,
          );
        }
        return;
      }
      probe('bus.recv', m.subject);
      if (active) runner.run(createBusMessage(m.subject, m.reply || undefined, m.data, this.replySender));
    };
    const sub = this.nc.subscribe(pattern, {
      callback,
      ...(opts.queue === undefined ? {} : { queue: opts.queue }),
    });
    const entry: NatsSub = {
      drain: async () => {
        if (!sub.isClosed() && !this.nc.isClosed()) await sub.drain().catch(() => undefined);
        await runner.idle();
        active = false;
        this.subs.delete(entry);
      },
    };
    this.subs.add(entry);
    return {
      subject: pattern,
      queue: opts.queue,
      unsubscribe: () => {
        active = false;
        this.subs.delete(entry);
        if (!sub.isClosed() && !this.nc.isClosed()) sub.unsubscribe();
      },
      drain: () => entry.drain(),
    };
  }

  async request(subject: string, payload: unknown, opts: RequestOptions): Promise<BusMessage> {
    this.assertOpen('request');
    assertSubject(subject);
    const data = encodeJson(payload);
    try {
      const m = await this.nc.request(subject, data, { timeout: Math.max(1, opts.timeoutMs) });
      return createBusMessage(m.subject, m.reply || undefined, m.data, this.replySender);
    } catch (e) {
      throw fromNatsError(e, `request on ${subject}`, { subject, timeoutMs: opts.timeoutMs });
    }
  }

  async flush(): Promise<void> {
    this.assertNotClosed('flush');
    try {
      await this.nc.flush();
    } catch (e) {
      throw fromNatsError(e, 'flush', {});
    }
  }

  sendNow(): void {
    if (this.state === 'closed') return;
    // The client's public way to write its buffer at once; the PING it adds is answered by the
    // server and the promise that waits for it is not needed.
    this.nc.flush().catch(() => undefined);
  }

  drain(): Promise<void> {
    if (this.state === 'closed') return Promise.resolve();
    this.draining ??= this.drainNow();
    return this.draining;
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    await this.nc.close();
    this.reportClosed(undefined);
  }

  private async drainNow(): Promise<void> {
    this.state = 'draining';
    await Promise.all([...this.subs].map((s) => s.drain()));
    try {
      await this.nc.drain();
    } catch (e) {
      this.logger.warn(
        { event: 'bus.drain_failed', error: e instanceof Error ? e.message : String(e) },
        'drain',
      );
      await this.nc.close();
    }
    this.state = 'closed';
    this.reportClosed(undefined);
  }

  private readonly replySender = (reply: string, data: Uint8Array): boolean => {
    if (this.state === 'closed' || this.nc.isClosed()) return false;
    this.publishBytes(reply, data);
    return true;
  };

  private reportClosed(err: Error | undefined): void {
    this.state = 'closed';
    if (this.closedReported) return;
    this.closedReported = true;
    if (err)
      this.logger.error(
        { event: 'bus.closed', error: err.message },
        `NATS connection closed: ${err.message}`,
      );
    else this.logger.info({ event: 'bus.closed' }, 'NATS connection closed');
    this.emitStatus({ type: 'closed' });
  }

  private async watchStatus(): Promise<void> {
    for await (const s of this.nc.status()) this.onNatsStatus(s);
  }

  private onNatsStatus(s: Status): void {
    const report = describeNatsStatus(s);
    this.logger[report.level](report.fields, report.msg);
    if (report.status !== undefined) this.emitStatus(report.status);
  }
}
