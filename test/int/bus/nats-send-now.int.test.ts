/**
 * `Bus.sendNow` on NATS: the client writes its buffer to the socket in a microtask, so what is
 * published just before the thread blocks (the engine's synchronous LMDB commit and its fsync)
 * waits for the block to end, unless `sendNow` hands it over first (decision 038). A subscriber
 * in a worker thread, whose event loop keeps running while the main thread is blocked, records
 * when each message arrives.
 */
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bus } from '../../../src/actors/bus/bus.js';
import { connectNatsBus } from '../../../src/actors/bus/nats-bus.js';
import { type NatsServerHandle, startNatsServer } from '../../helpers/nats-server.js';

const TOKEN = 'send-now-token';
// Long enough for the message to cross to the other thread on a loaded 2-core machine.
const BLOCK_MS = 1_000;

const SUBSCRIBER = `
const { parentPort, workerData } = require('node:worker_threads');
const { connect } = require('@nats-io/transport-node');
(async () => {
  const nc = await connect({ servers: workerData.url, token: workerData.token });
  const sub = nc.subscribe('sendnow.>');
  await nc.flush();
  parentPort.postMessage({ ready: true });
  for await (const m of sub) parentPort.postMessage({ subject: m.subject, at: Date.now() });
})();
`;

/** Blocks the thread like a synchronous commit does; returns when it ended. */
const blockFor = (ms: number): number => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // Busy: no event loop, no microtasks.
  }
  return Date.now();
};

describe('NATS bus: sendNow before the thread blocks', () => {
  let server: NatsServerHandle;
  let bus: Bus;
  let worker: Worker;
  const arrived = new Map<string, number>();

  beforeAll(async () => {
    server = await startNatsServer({ token: TOKEN });
    bus = await connectNatsBus({ servers: server.url, token: TOKEN });
    worker = new Worker(SUBSCRIBER, { eval: true, workerData: { url: server.url, token: TOKEN } });
    await new Promise<void>((resolve, reject) => {
      worker.once('error', reject);
      worker.on('message', (m: { ready?: true; subject?: string; at?: number }) => {
        if (m.ready) resolve();
        if (m.subject !== undefined && m.at !== undefined) arrived.set(m.subject, m.at);
      });
    });
  });
  afterAll(async () => {
    await worker?.terminate();
    await bus?.close();
    await server?.stop();
  });

  it('a message published before a block arrives after it; one handed over with sendNow arrives during it', async () => {
    bus.publish('sendnow.held', 1);
    const heldBlockEnded = blockFor(BLOCK_MS);
    bus.publish('sendnow.sent', 2);
    bus.sendNow();
    const sentBlockEnded = blockFor(BLOCK_MS);
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (arrived.size < 2) return;
        clearInterval(check);
        resolve();
      }, 5);
    });
    // Without sendNow, the first message waited for the thread (it left with the second one).
    expect(arrived.get('sendnow.held')).toBeGreaterThanOrEqual(heldBlockEnded);
    // With it, the second reached the other thread while this one was still blocked.
    expect(arrived.get('sendnow.sent')).toBeLessThan(sentBlockEnded);
  });
});
