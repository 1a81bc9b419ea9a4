/**
 * The multi-machine rig: a 3-node NATS cluster whose nodes run in three network namespaces
 * (three "machines" on one host, joined by a bridge), reached from the host side. Skipped with
 * the reason where namespaces cannot be made (not root, not Linux).
 */
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NatsClusterHandle, startNatsCluster } from '../../helpers/nats-cluster.js';
import { createNetns, type Netns, netnsUnavailable } from '../../helpers/netns.js';

const unavailable = netnsUnavailable();
let net: Netns | undefined;
let cluster: NatsClusterHandle | undefined;
let nc: NatsConnection | undefined;

beforeAll(async () => {
  if (unavailable) return;
  net = await createNetns(3);
  const hosts = net.hosts;
  cluster = await startNatsCluster({ nodes: hosts.map((h) => ({ host: h.ip, wrap: h.wrap })) });
  nc = await connect({ servers: cluster.urls, reconnectTimeWait: 100, maxReconnectAttempts: -1 });
}, 90_000);

afterAll(async () => {
  await nc?.close();
  await cluster?.stop();
  await net?.cleanup();
});

describe.skipIf(unavailable !== undefined)(
  `a cluster across network namespaces${unavailable ? ` (skipped: ${unavailable})` : ''}`,
  () => {
    it('forms over the bridge and serves a replicas-3 bucket to a client on the host side', async () => {
      const kv = await new Kvm(nc as NatsConnection).create('lily-netns', { replicas: 3 });
      await kv.put('k', 'v');
      expect((await kv.get('k'))?.string()).toBe('v');
      expect((await kv.status()).replicas).toBe(3);
      expect(cluster?.nodes.map((n) => n.host)).toEqual(net?.hosts.map((h) => h.ip));
    }, 60_000);
  },
);
