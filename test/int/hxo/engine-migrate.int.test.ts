import { appendFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPglite } from '../../../packs/hxo/src/io/sql-db.js';
import type { RunId } from '../../../src/contracts/index.js';
import { type HxoStack, ofType, plannedKeys, shardsOf, startHxoStack, workersOf } from './engine-kit.js';

const JOB = `id: hxo-migrate
title: migrate the fixture schema
target: { kind: blueprint, id: hxo.deploy-migrate.v1 }
bindings: { roots: [migrations], batch_size: 2 }
`;

let stack: HxoStack;
let dryRunId: RunId;
const DB = () => join(stack.project.dir, '.lily', 'hxo', 'pglite');

beforeAll(async () => {
  stack = await startHxoStack({ 'hxo-migrate': JOB });
}, 90_000);
afterAll(() => stack?.stop());

const report = (what: string, runId: RunId, data: Record<string, unknown>) => {
  const file = process.env.LILY_HXO_REPORT;
  if (file) appendFileSync(file, `${JSON.stringify({ what, runId, ...data })}\n`);
};

const batches = (shards: { output: Record<string, unknown> }[]) =>
  shards.map((s) => [s.output.batch_id, s.output.rows_affected, s.output.already_applied, s.output.dry_run]);

describe('deploy.migrate through the engine and two workers: dry run first, never twice', () => {
  it('refuses an apply without a prior dry run: job_policy_denied, rule kind.require_dry_run', async () => {
    const { runId, events } = await stack.run('hxo-migrate');
    const decided = ofType(events, 'policy.decided')[0];
    expect(decided).toMatchObject({ decision: 'deny', rule: 'kind.require_dry_run' });
    expect(String(decided?.reasons)).toContain('job kind deploy.migrate@1 requires a succeeded dry run');
    const done = ofType(events, 'run.completed')[0];
    expect(done).toMatchObject({ status: 'failed', error: { code: 'job_policy_denied' } });
    expect(ofType(events, 'step.dispatched')).toHaveLength(0);
    expect(existsSync(DB())).toBe(false);
    const receipt = await stack.receipt('hxo-migrate', runId);
    expect(receipt.policy[0]).toMatchObject({ decision: 'deny', rule: 'kind.require_dry_run' });
    report('migrate.denied', runId, { rule: decided?.rule, reasons: decided?.reasons });
  });

  it('a dry run runs every batch, rolls back and leaves no database behind', async () => {
    const { runId, events } = await stack.run('hxo-migrate', { dryRun: true });
    expect(ofType(events, 'run.completed')[0]).toMatchObject({ status: 'succeeded' });
    const shards = shardsOf(events);
    expect(shards.map((s) => s.key)).toEqual(plannedKeys(events));
    expect(batches(shards)).toEqual([
      [0, 3, false, true],
      [1, 6, false, true],
    ]);
    expect(existsSync(DB())).toBe(false);
    dryRunId = runId;
    report('migrate.dry_run', runId, { batches: batches(shards), workers: [...workersOf(events)] });
  });

  it('a principal without hxo:force-merge is refused even after the dry run', async () => {
    const { events } = await stack.run('hxo-migrate', { principal: 'guest' });
    expect(ofType(events, 'policy.decided')[0]).toMatchObject({ decision: 'deny', rule: 'capabilities' });
    expect(ofType(events, 'run.completed')[0]).toMatchObject({ error: { code: 'job_policy_denied' } });
    expect(existsSync(DB())).toBe(false);
  });

  it('the apply after it changes the database, and its receipt names the dry run it relied on', async () => {
    const { runId, events } = await stack.run('hxo-migrate');
    expect(ofType(events, 'run.completed')[0]).toMatchObject({ status: 'succeeded' });
    expect(ofType(events, 'policy.decided')[0]).toMatchObject({ decision: 'allow', dryRunProof: dryRunId });
    expect(batches(shardsOf(events))).toEqual([
      [0, 3, false, false],
      [1, 6, false, false],
    ]);
    expect(existsSync(DB())).toBe(true);
    const receipt = await stack.receipt('hxo-migrate', runId);
    expect(receipt.policy[0]?.dryRunProof).toBe(dryRunId);
    expect(stack.summary('hxo-migrate', runId)).toContain(`dry run ${dryRunId} proved migrate`);
    report('migrate.apply', runId, { batches: batches(shardsOf(events)), dryRunProof: dryRunId });
  });

  it('a second apply of the same batches is a no-op: already_applied, nothing migrated twice', async () => {
    const { runId, events } = await stack.run('hxo-migrate');
    expect(ofType(events, 'run.completed')[0]).toMatchObject({ status: 'succeeded' });
    expect(batches(shardsOf(events))).toEqual([
      [0, 0, true, false],
      [1, 0, true, false],
    ]);
    const db = await openPglite(DB());
    try {
      const recorded = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM lily_migrations');
      expect(recorded).toEqual([{ n: 4 }]);
      expect(await db.query('SELECT sum(total_cents)::int AS total FROM orders')).toEqual([{ total: 3750 }]);
    } finally {
      await db.close();
    }
    report('migrate.reapply', runId, { batches: batches(shardsOf(events)) });
  });
});
