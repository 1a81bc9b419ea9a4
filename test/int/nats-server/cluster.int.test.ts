/**
 * The 3-node cluster helper: JetStream with replicas 3 keeps a KV bucket readable and writable
 * when one node dies, and a client connected to the dead node reconnects to another.
 */
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NatsClusterHandle, startNatsCluster } from '../../helpers/nats-cluster.js';

let cluster: NatsClusterHandle;
let nc: NatsConnection;

beforeAll(async () => {
  cluster = await startNatsCluster();
  // Connected to node 1 first, so killing node 1 forces a reconnect.
  nc = await connect({
    servers: cluster.urls,
    noRandomize: true,
    reconnectTimeWait: 100,
    maxReconnectAttempts: -1,
  });
}, 60_000);

afterAll(async () => {
  await nc?.close();
  await cluster?.stop();
});

/** `op` until it succeeds, for at most 30 s (the last error is thrown). */
const retrying = async <T>(op: () => Promise<T>): Promise<T> => {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await op();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
};

describe('a 3-node JetStream cluster', () => {
  it('keeps a replicas-3 KV bucket working across the loss of the node a client is connected to', async () => {
    // A new stream's first request can time out while a loaded cluster places it: retried.
    const kv = await retrying(() => new Kvm(nc).create('lily-test', { replicas: 3 }));
    expect((await kv.status()).replicas).toBe(3);
    await kv.put('before', 'one');
    const connectedTo = nc.info?.server_name;
    expect(connectedTo).toBe('n1');
    await cluster.killNode(0);
    // Writes go through once the client reconnected and the stream elected a new leader.
    await retrying(() => kv.put('after', 'two'));
    expect(nc.info?.server_name).not.toBe('n1');
    expect((await kv.get('before'))?.string()).toBe('one');
    expect((await kv.get('after'))?.string()).toBe('two');
    await cluster.startNode(0);
  }, 60_000);
});
