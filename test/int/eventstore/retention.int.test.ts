import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ArtifactStore } from '../../../src/contracts/artifact-store.js';
import type { NewEvent } from '../../../src/contracts/events/envelope.js';
import type { ArtifactRef } from '../../../src/contracts/events/shared-schemas.js';
import type { EventStore } from '../../../src/eventstore/event-store.js';
import { openFsArtifactStore } from '../../../src/eventstore/fs-artifact-store.js';
import { openLilyLmdb } from '../../../src/eventstore/lmdb-env.js';
import { openLmdbEventStore } from '../../../src/eventstore/lmdb-event-store.js';
import { applyRetention, planRetention } from '../../../src/eventstore/retention.js';
import { writeReceipts } from '../../../src/eventstore/write-receipts.js';
import { tempDir } from '../../helpers/eventstore.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2024, 5, 1);
const RUNS = {
  r1: '01HZX3K7Q9V5T2M8N4P6R0S1W1',
  r2: '01HZX3K7Q9V5T2M8N4P6R0S1W2',
  r3: '01HZX3K7Q9V5T2M8N4P6R0S1W3',
  b1: '01HZX3K7Q9V5T2M8N4P6R0S1W4',
};

const runEvents = (runId: string, jobId: string, at: number, artifacts: ArtifactRef[] | null): NewEvent[] => {
  const meta = { producer: 'test' };
  const events: NewEvent[] = [
    {
      id: `${runId}-1`,
      type: 'run.requested',
      at,
      meta,
      data: { runId, jobId, trigger: { kind: 'manual' }, input: {}, dryRun: false, principal: 'ops' },
    },
  ];
  if (artifacts) {
    events.push({
      id: `${runId}-2`,
      type: 'run.completed',
      at: at + 10,
      meta,
      data: {
        status: 'succeeded',
        envelope: { status: 'succeeded', artifacts, references: {}, payload: null },
      },
    });
  }
  return events;
};

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const setup = async () => {
  const { dir, cleanup } = tempDir('gc');
  cleanups.push(cleanup);
  const lily = join(dir, '.lily');
  const root = openLilyLmdb(join(lily, 'db'));
  const events: EventStore = openLmdbEventStore({ root });
  const artifacts: ArtifactStore = await openFsArtifactStore({ dir: lily, root });
  cleanups.push(async () => {
    await events.close();
    await artifacts.close();
    await root.close();
  });
  return { lily, events, artifacts, runsDir: join(lily, 'runs') };
};

describe('retention', () => {
  it('plans and applies keep-last per job: projections and unreferenced blobs go, events and shared blobs stay', async () => {
    const { events, artifacts, runsDir } = await setup();
    const only1 = await artifacts.putText('only r1', { name: 'x', producer: 'p', runId: RUNS.r1 });
    const input1 = await artifacts.putText('input from r1', { name: 'y', producer: 'p', runId: RUNS.r1 });
    const memo1 = await artifacts.putText('memoized by r2', { name: 'z', producer: 'p', runId: RUNS.r1 });
    const out2 = await artifacts.putText('r2 output', {
      name: 'o',
      producer: 'p',
      runId: RUNS.r2,
      inputs: [input1.sha256],
    });
    const loose = await artifacts.putText('no run', { name: 'cli', producer: 'cli' });

    await events.append(
      `run/${RUNS.r1}`,
      runEvents(RUNS.r1, 'job-a', NOW - 30 * DAY, [only1, input1, memo1]),
    );
    await events.append(`run/${RUNS.r2}`, runEvents(RUNS.r2, 'job-a', NOW - 20 * DAY, [out2, memo1]));
    await events.append(`run/${RUNS.r3}`, runEvents(RUNS.r3, 'job-a', NOW - 40 * DAY, null));
    await events.append(`run/${RUNS.b1}`, runEvents(RUNS.b1, 'job-b', NOW - 90 * DAY, []));
    const dirs: Record<string, string> = {};
    for (const id of [RUNS.r1, RUNS.r2, RUNS.b1]) {
      dirs[id] = (await writeReceipts(runsDir, await events.readStream(`run/${id}`))).dir;
    }

    const policyFor = (job: string) => (job === 'job-a' ? { keepLast: 1 } : undefined);
    const plan = await planRetention({ events, artifacts, runsDir, policyFor, now: NOW });
    expect(plan.expired.map((r) => r.runId)).toEqual([RUNS.r1]);
    expect(Object.fromEntries(plan.kept.map((r) => [r.runId, r.reason]))).toEqual({
      [RUNS.r2]: 'keep_last',
      [RUNS.r3]: 'in_flight',
      [RUNS.b1]: 'no_policy',
    });
    expect(plan.projectionDirs).toEqual([dirs[RUNS.r1]]);
    expect(plan.blobs).toEqual([{ sha256: only1.sha256, size: only1.size }]);

    const dry = await applyRetention(plan, { artifacts, dryRun: true });
    expect(dry.deletedBlobs).toEqual([]);
    expect(existsSync(dirs[RUNS.r1] ?? '')).toBe(true);

    const report = await applyRetention(plan, { artifacts });
    expect(report).toMatchObject({ deletedDirs: [dirs[RUNS.r1]], deletedBlobs: [only1.sha256], errors: [] });
    expect(report.bytesFreed).toBe(only1.size);
    expect(existsSync(dirs[RUNS.r1] ?? '')).toBe(false);
    expect(existsSync(dirs[RUNS.r2] ?? '')).toBe(true);
    expect(await artifacts.get(only1.sha256)).toBeUndefined();
    for (const kept of [input1, memo1, out2, loose]) expect(await artifacts.get(kept.sha256)).toBeDefined();
    expect(await events.readStream(`run/${RUNS.r1}`)).toHaveLength(2);
  });

  it('keepDays keeps recent runs; any rule that keeps a run wins', async () => {
    const { events, artifacts, runsDir } = await setup();
    await events.append(`run/${RUNS.r1}`, runEvents(RUNS.r1, 'job-a', NOW - 30 * DAY, []));
    await events.append(`run/${RUNS.r2}`, runEvents(RUNS.r2, 'job-a', NOW - 2 * DAY, []));
    await events.append(`run/${RUNS.r3}`, runEvents(RUNS.r3, 'job-a', NOW - 1 * DAY, []));
    const byDays = await planRetention({
      events,
      artifacts,
      runsDir,
      policyFor: () => ({ keepDays: 7 }),
      now: NOW,
    });
    expect(byDays.expired.map((r) => r.runId)).toEqual([RUNS.r1]);
    const both = await planRetention({
      events,
      artifacts,
      runsDir,
      policyFor: () => ({ keepDays: 1, keepLast: 2 }),
      now: NOW,
    });
    expect(both.expired.map((r) => r.runId)).toEqual([RUNS.r1]);
    expect(both.kept.map((r) => r.reason).sort()).toEqual(['keep_last', 'keep_last']);
  });
});
