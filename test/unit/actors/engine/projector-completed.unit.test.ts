/**
 * The projector remembers a bounded number of completed runs for their late answers: after more
 * runs complete than it keeps, it remembers at most its cap; a late answer for a remembered run
 * projects its receipts again, one for a run it no longer remembers does not (the log has it,
 * and `lily runs receipt --rebuild` writes it). In-memory store; receipts are not written.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Projector } from '../../../../src/actors/engine/projector.js';
import { silentLogger } from '../../../../src/actors/logger.js';
import type { NewEvent } from '../../../../src/contracts/events/envelope.js';
import { createInMemoryEventStore, createUlidGenerator } from '../../../../src/eventstore/index.js';

const KEPT = 3;
const ids = createUlidGenerator();
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const event = (id: string, type: string, data: unknown): NewEvent =>
  ({ id, type, at: Date.now(), data, meta: { producer: 'test' } }) as NewEvent;
const completed = (runId: string) =>
  event(`${runId}/completed`, 'run.completed', {
    status: 'cancelled',
    envelope: { status: 'cancelled', artifacts: [], references: { runId }, payload: {} },
  });
/** A worker's answer to a dispatch the run cancelled as it ended: the work had finished. */
const lateAnswer = (runId: string) =>
  event(`${runId}/a/1/succeeded`, 'step.succeeded', {
    stepId: 'a',
    attempt: 1,
    dispatchId: `${runId}/a/1`,
    output: null,
    durationMs: 1,
  });

const setup = async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lily-projector-'));
  dirs.push(dir);
  const store = createInMemoryEventStore();
  const projected: string[] = [];
  const projector = new Projector({
    store,
    runsDir: join(dir, 'runs'),
    checkpointFile: join(dir, 'checkpoint'),
    log: silentLogger(),
    completedKept: KEPT,
    write: (_, events) => {
      projected.push(events[0]?.stream ?? '');
      return { dir };
    },
  });
  await projector.start();
  const settle = async () => {
    await projector.drain(5_000);
  };
  return { store, projector, projected, settle };
};

describe('completed runs the projector remembers', () => {
  it('given more runs complete than it keeps, it remembers at most its cap and re-projects only those', async () => {
    const { store, projector, projected, settle } = await setup();
    const runs = Array.from({ length: KEPT + 2 }, () => ids.runId());
    for (const runId of runs) await store.append(`run/${runId}`, [completed(runId)]);
    await settle();
    expect(projector.remembered).toBe(KEPT);
    expect(projected).toHaveLength(runs.length);

    const [oldest] = runs;
    const newest = runs.at(-1) as string;
    await store.append(`run/${newest}`, [lateAnswer(newest)]);
    await store.append(`run/${oldest}`, [lateAnswer(oldest as string)]);
    await settle();
    expect(projected.slice(runs.length)).toEqual([`run/${newest}`]);
    expect(projector.remembered).toBe(KEPT);
    await projector.stop();
  });
});
