import { appendFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunId, StoredEvent } from '../../../src/contracts/index.js';
import {
  type HxoStack,
  ofType,
  plannedKeys,
  shardsOf,
  startHxoStack,
  WORKERS,
  workersOf,
} from './engine-kit.js';

const job = (id: string, blueprint: string, bindings: string) => `id: ${id}
title: ${id}
target: { kind: blueprint, id: ${blueprint} }
bindings: ${bindings}
`;

const JOBS = {
  // One file per shard (chunk of 1 byte): ~28 shards, so both workers get some.
  'hxo-pack': job(
    'hxo-pack',
    'hxo.deploy-pack.v1',
    '{ partitioner: by_filesize, roots: [src, packages, assets, docs, migrations], chunk_size_bytes: 1, concurrency: 2, mode: collect }',
  ),
  'hxo-prime': job(
    'hxo-prime',
    'hxo.deploy-prime.v1',
    '{ partitioner: by_dag_depth, roots: [src, packages], concurrency: 1 }',
  ),
  'hxo-warm': job(
    'hxo-warm',
    'hxo.deploy-prime.v1',
    '{ partitioner: by_module, executor: warm_registry, roots: [src, packages], concurrency: 1 }',
  ),
  'hxo-assets-index': job('hxo-assets-index', 'hxo.assets-index.v1', '{ roots: [assets], concurrency: 1 }'),
  'hxo-assets-stage': job(
    'hxo-assets-stage',
    'hxo.assets-stage.v1',
    '{ partitioner: by_filesize, roots: [assets], chunk_size_bytes: 1, concurrency: 1 }',
  ),
  'hxo-docs': job('hxo-docs', 'hxo.docs-index.v2', '{ roots: [docs], concurrency: 1 }'),
  'hxo-docs-v1': job('hxo-docs-v1', 'hxo.docs-index.v1', '{ roots: [docs], concurrency: 1 }'),
};

let stack: HxoStack;
const allWorkers = new Set<string>();

beforeAll(async () => {
  stack = await startHxoStack(JOBS);
}, 90_000);
afterAll(() => stack?.stop());

/** Optional figures for docs/hxo.md: `LILY_HXO_REPORT=file` appends one JSON line per run. */
const report = (what: string, runId: RunId, data: Record<string, unknown>) => {
  const file = process.env.LILY_HXO_REPORT;
  if (file) appendFileSync(file, `${JSON.stringify({ what, runId, ...data })}\n`);
};

/**
 * Runs a job to success and checks the fan out and fan in: every planned shard was dispatched
 * and answered once, the payload lists every shard, and the projector's receipt lists them too.
 */
const runKind = async (jobId: string) => {
  const { runId, events } = await stack.run(jobId);
  const done = ofType(events, 'run.completed')[0];
  expect(done, JSON.stringify(done?.error ?? null)).toMatchObject({ status: 'succeeded' });
  const keys = plannedKeys(events);
  expect(keys.length).toBeGreaterThan(0);
  const shards = shardsOf(events);
  expect(shards.map((s) => s.key)).toEqual(keys);
  const succeeded = ofType(events, 'step.succeeded').map((d) => d.shard);
  expect([...succeeded].sort()).toEqual([...keys].sort());
  const receipt = await stack.receipt(jobId, runId);
  expect(receipt.status).toBe('succeeded');
  const [step] = receipt.steps;
  expect(step?.partition?.shards).toEqual(keys);
  expect(step?.attempts.map((a) => a.shard).sort()).toEqual([...keys].sort());
  expect(step?.attempts.every((a) => a.outcome === 'succeeded' && WORKERS.includes(a.worker as never))).toBe(
    true,
  );
  expect(step?.sloBreached).toBe(false);
  for (const w of workersOf(events)) allWorkers.add(w);
  return { runId, events, shards, receipt };
};

const byKey = (shards: { key: string; output: Record<string, unknown> }[], field: string) =>
  Object.fromEntries(shards.map((s) => [s.key, s.output[field]]));

const perWorker = (events: StoredEvent[]) => {
  const counts: Record<string, number> = {};
  for (const d of ofType(events, 'step.started'))
    counts[d.worker as string] = (counts[d.worker as string] ?? 0) + 1;
  return counts;
};

describe('the HXO kinds through the engine and two worker processes', () => {
  it('deploy.pack: shards over both workers; a second run gives the same archive hashes', async () => {
    const first = await runKind('hxo-pack');
    // With ~28 one-shard dispatches the queue group hands some to each worker.
    expect([...workersOf(first.events)].sort()).toEqual(['w1', 'w2']);
    expect(first.shards.every((s) => s.output.status === 'packed' && s.output.dry_run === false)).toBe(true);
    expect(first.receipt.artifacts.length).toBe(first.shards.length);
    const second = await runKind('hxo-pack');
    expect(second.runId).not.toBe(first.runId);
    expect(byKey(second.shards, 'sha256')).toEqual(byKey(first.shards, 'sha256'));
    expect(byKey(second.shards, 'tar_sha256')).toEqual(byKey(first.shards, 'tar_sha256'));
    for (const r of [first, second])
      report('deploy.pack', r.runId, {
        shards: r.shards.length,
        workers: perWorker(r.events),
        sha256: Object.values(byKey(r.shards, 'sha256')).slice(0, 3),
      });
  });

  it('deploy.prime: prime_caches per import-depth layer, warm_registry per module', async () => {
    const prime = await runKind('hxo-prime');
    expect(prime.shards.map((s) => s.output.module)).toEqual(prime.shards.map((_, i) => `depth-${i}`));
    expect(prime.shards.every((s) => s.output.status === 'primed')).toBe(true);
    const cached = prime.shards.reduce((n, s) => n + (s.output.cache_entries as number), 0);
    expect(cached).toBe(8);
    const warm = await runKind('hxo-warm');
    expect(warm.shards.every((s) => s.output.status === 'warmed')).toBe(true);
    const again = await runKind('hxo-warm');
    // Unchanged modules are skipped on the next run.
    expect(again.shards.map((s) => s.output.written)).toEqual(again.shards.map(() => 0));
    for (const r of [prime, warm, again])
      report('deploy.prime', r.runId, { shards: r.shards.length, workers: perWorker(r.events) });
  });

  it('assets.index and assets.stage: every asset indexed; staged copies under content-hashed names', async () => {
    const index = await runKind('hxo-assets-index');
    expect(index.shards.map((s) => s.output.bucket).sort()).toEqual(
      ['fonts', 'images', 'other', 'scripts', 'styles'].sort(),
    );
    const indexed = index.shards.reduce((n, s) => n + (s.output.assets_indexed as number), 0);
    expect(indexed).toBe(8);
    const stage = await runKind('hxo-assets-stage');
    expect(stage.shards).toHaveLength(8);
    expect(stage.shards.every((s) => s.output.status === 'staged')).toBe(true);
    const staged = join(stack.project.dir, '.lily', 'hxo', 'staged');
    expect(existsSync(staged)).toBe(true);
    expect(
      readdirSync(staged, { recursive: true }).some((f) => /logo\.[0-9a-f]{12}\.png$/.test(String(f))),
    ).toBe(true);
    for (const r of [index, stage])
      report('assets', r.runId, { shards: r.shards.length, workers: perWorker(r.events) });
  });

  it('docs.index@2 per top-level route; the deprecated @1 keeps running', async () => {
    const v2 = await runKind('hxo-docs');
    expect(v2.shards.map((s) => s.output.route).sort()).toEqual(['/', '/api', '/guide', '/intro']);
    expect(v2.shards.reduce((n, s) => n + (s.output.docs_indexed as number), 0)).toBe(6);
    expect(
      v2.shards.every((s) => typeof s.output.index_sha256 === 'string' && (s.output.terms as number) > 0),
    ).toBe(true);
    const v1 = await runKind('hxo-docs-v1');
    expect(v1.receipt.blueprint).toEqual({ id: 'hxo.docs-index.v1', version: '1.0.0' });
    expect(v1.shards.reduce((n, s) => n + (s.output.docs_indexed as number), 0)).toBe(6);
    for (const r of [v2, v1])
      report('docs.index', r.runId, { shards: r.shards.length, workers: perWorker(r.events) });
  });

  it('spread the shards of all the runs over both workers', () => {
    expect([...allWorkers].sort()).toEqual(['w1', 'w2']);
  });
});
