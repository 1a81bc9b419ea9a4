/**
 * The NATS bus across nats-server restarts. What this pins down: clients reconnect by
 * themselves (forever), subscriptions come back, publishes made after the reconnect arrive,
 * and each status change is logged. Publishes made WHILE the server is down may be dropped
 * (the client buffers some, but a message in flight when the server died is gone): Lily does
 * not rely on them, since the log is the truth and the outbox re-sends from it.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Bus, BusStatus } from '../../../src/actors/bus/bus.js';
import { connectNatsBus } from '../../../src/actors/bus/nats-bus.js';
import { memoryLogger } from '../../../src/actors/logger.js';
import { hasErrorCode, isLilyError } from '../../../src/contracts/index.js';
import { freeLoopbackPort, type NatsServerHandle, startNatsServer } from '../../helpers/nats-server.js';

const WAIT = { timeout: 15_000, interval: 10 };
const TOKEN = 'reconnect-test-token';

const nextStatus = (bus: Bus, type: BusStatus['type']): Promise<void> =>
  new Promise((resolve) => {
    const stop = bus.onStatus((s) => {
      if (s.type === type) {
        stop();
        resolve();
      }
    });
  });

describe('NATS bus across nats-server restarts', () => {
  let server: NatsServerHandle;
  const logger = memoryLogger();
  let sub: Bus;
  let pub: Bus;

  beforeAll(async () => {
    server = await startNatsServer({ token: TOKEN });
    sub = await connectNatsBus({ servers: server.url, token: TOKEN, logger, reconnectTimeWaitMs: 50 });
    pub = await connectNatsBus({ servers: server.url, token: TOKEN, reconnectTimeWaitMs: 50 });
  });
  afterAll(async () => {
    await Promise.all([sub?.close(), pub?.close()]);
    await server?.stop();
  });

  it('reconnects after a restart; subscriptions and request/reply work again', async () => {
    const got: unknown[] = [];
    sub.subscribe('lily.t.evt.>', (m) => void got.push(m.json()));
    sub.subscribe('lily.t.ping', (m) => void m.respond({ pong: m.json() }));
    await sub.flush();
    pub.publish('lily.t.evt.a', 'before');
    await vi.waitFor(() => expect(got).toEqual(['before']), WAIT);

    const back = Promise.all([nextStatus(sub, 'reconnected'), nextStatus(pub, 'reconnected')]);
    const down = nextStatus(sub, 'disconnected');
    const oldPid = server.pid;
    await server.restart();
    expect(server.pid).not.toBe(oldPid);
    await down;
    await back;

    await sub.flush(); // the subscription is registered again on the new server
    pub.publish('lily.t.evt.b', 'after');
    await vi.waitFor(() => expect(got).toContain('after'), WAIT);
    const reply = await pub.request('lily.t.ping', 7, { timeoutMs: 5_000 });
    expect(reply.json()).toEqual({ pong: 7 });

    const events = logger.entries.map((e) => `${e.level}:${String(e.event)}`);
    expect(events).toContain('warn:bus.disconnected');
    expect(events).toContain('info:bus.reconnected');
  });

  it('fails a request made while the server is down (bus_timeout), then works once it is back', async () => {
    await server.halt();
    const e = await pub.request('lily.t.ping', 1, { timeoutMs: 200 }).catch((err: unknown) => err);
    expect(hasErrorCode(e, 'bus_timeout')).toBe(true);
    const back = Promise.all([nextStatus(sub, 'reconnected'), nextStatus(pub, 'reconnected')]);
    await server.start();
    await back;
    await sub.flush();
    const reply = await pub.request('lily.t.ping', 2, { timeoutMs: 5_000 });
    expect(reply.json()).toEqual({ pong: 2 });
  });

  it('fails the first connect with bus_unavailable naming the url but never the token', async () => {
    const port = await freeLoopbackPort();
    const url = `nats://127.0.0.1:${port}`;
    const e = await connectNatsBus({ servers: url, token: 'never-print-me', connectTimeoutMs: 500 }).catch(
      (err: unknown) => err,
    );
    expect(hasErrorCode(e, 'bus_unavailable')).toBe(true);
    if (!isLilyError(e)) throw e;
    expect(e.message).toContain(url);
    expect(JSON.stringify({ m: e.message, d: e.data })).not.toContain('never-print-me');
  });

  it('refuses a wrong token with bus_unavailable', async () => {
    const e = await connectNatsBus({ servers: server.url, token: 'wrong', connectTimeoutMs: 1_000 }).catch(
      (err: unknown) => err,
    );
    expect(hasErrorCode(e, 'bus_unavailable')).toBe(true);
  });
});
