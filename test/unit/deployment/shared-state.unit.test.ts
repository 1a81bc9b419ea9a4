/**
 * Where a deployment's workers share state, decided once and passed to every process: the
 * config's `ledger`, `nats.replicas`, the default with and without `--listen`, the daemons'
 * arguments, and the replication detected from a server's INFO.
 */
import { describe, expect, it } from 'vitest';
import { planDaemons } from '../../../src/client/deployment/daemons.js';
import { deploymentLedger } from '../../../src/client/deployment/up.js';
import { ledgerKindOf, parseLedgerKind } from '../../../src/deployment/shared-state.js';
import { detectReplicas } from '../../../src/eventstore/jetstream/buckets.js';
import { parseConfig } from '../../../src/project/config.js';

const config = (text: string) => parseConfig(text, 'config.yaml');

describe('ledger: lmdb | nats', () => {
  it('is read from the config, with nats.replicas 1, 3 or 5', () => {
    expect(config('ledger: nats\nnats: { replicas: 3 }\n')).toMatchObject({
      ledger: 'nats',
      nats: { managed: true, replicas: 3 },
    });
    expect(config('nats: { url: "nats://a:4222,nats://b:4222", replicas: 5 }\n').nats).toEqual({
      managed: false,
      url: 'nats://a:4222,nats://b:4222',
      replicas: 5,
    });
    expect(config('namespace: x\n').ledger).toBeUndefined();
    for (const bad of ['ledger: redis\n', 'nats: { replicas: 2 }\n', 'nats: { replicas: 0 }\n']) {
      expect(() => config(bad), bad).toThrow(expect.objectContaining({ code: 'config_invalid' }));
    }
  });

  it('defaults to lmdb, and to nats when lily up listens beyond loopback; the config wins', () => {
    const listen = { host: '10.0.0.5', port: 4222 };
    expect(deploymentLedger({ config: config('') }, undefined)).toBe('lmdb');
    expect(deploymentLedger({ config: config('') }, listen)).toBe('nats');
    expect(deploymentLedger({ config: config('ledger: lmdb\n') }, listen)).toBe('lmdb');
    expect(deploymentLedger({ config: config('ledger: nats\n') }, undefined)).toBe('nats');
    expect(ledgerKindOf(config('ledger: nats\n'))).toBe('nats');
    expect(ledgerKindOf(config('ledger: nats\n'), 'lmdb')).toBe('lmdb');
    expect(ledgerKindOf(config(''))).toBe('lmdb');
    expect(parseLedgerKind('nats')).toBe('nats');
    expect(() => parseLedgerKind('kv')).toThrow(expect.objectContaining({ code: 'usage_invalid' }));
  });

  it('lily up tells every daemon the same ledger; --no-engine-executors keeps the engine without a worker', () => {
    const plans = planDaemons('/p', 1, undefined, { ledger: 'nats' });
    for (const p of plans) expect(p.args.join(' ')).toContain('--ledger nats');
    const alone = planDaemons('/p', 0, undefined, { ledger: 'nats', engineExecutors: false });
    expect(alone).toHaveLength(1);
    expect(alone[0]?.args).not.toContain('--with-worker');
    expect(planDaemons('/p', 0, undefined)[0]?.args).toContain('--with-worker');
  });
});

describe('replicas of the buckets', () => {
  it('3 on a cluster of three or more servers, else 1', () => {
    const urls = (n: number) => Array.from({ length: n }, (_, i) => `10.0.0.${i}:4222`);
    expect(detectReplicas({ info: { cluster: 'c', connect_urls: urls(3) } as never })).toBe(3);
    expect(detectReplicas({ info: { cluster: 'c', connect_urls: urls(5) } as never })).toBe(3);
    expect(detectReplicas({ info: { cluster: 'c', connect_urls: urls(2) } as never })).toBe(1);
    expect(detectReplicas({ info: { cluster: 'c' } as never })).toBe(1);
    expect(detectReplicas({ info: {} as never })).toBe(1);
    expect(detectReplicas({ info: undefined })).toBe(1);
  });
});
