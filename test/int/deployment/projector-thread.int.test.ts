import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryLogger } from '../../../src/actors/logger.js';
import type { NewEvent } from '../../../src/contracts/events/envelope.js';
import { ProjectorThread } from '../../../src/deployment/projector-thread.js';
import { type LilyStorage, openLilyStorage } from '../../../src/eventstore/storage.js';
import { createUlidGenerator } from '../../../src/eventstore/system-ports.js';
import { receiptRelativeDir, renderReceiptFiles } from '../../../src/eventstore/write-receipts.js';
import { tempDir } from '../../helpers/eventstore.js';
import { SAMPLE_RUN_ID, sampleRunEvents } from '../../helpers/eventstore-runs.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const ids = createUlidGenerator();

/** The sample run (tests/helpers) under a fresh run id, `runs` times; returns the run ids. */
const appendRuns = async (storage: LilyStorage, runs: number): Promise<string[]> => {
  const out: string[] = [];
  for (let i = 0; i < runs; i++) {
    const runId = ids.runId();
    const events = JSON.parse(
      JSON.stringify(sampleRunEvents(i % 2 === 0 ? 'succeeded' : 'failed')).replaceAll(SAMPLE_RUN_ID, runId),
    ) as NewEvent[];
    await storage.events.append(`run/${runId}`, events);
    out.push(runId);
  }
  return out;
};

const waitUntil = async (
  what: string,
  ok: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> => {
  const until = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

const setup = async () => {
  const { dir, cleanup } = tempDir('projector-thread');
  cleanups.push(cleanup);
  const storage = await openLilyStorage({ dir });
  cleanups.push(() => storage.close());
  const log = memoryLogger();
  const projected = new Set<string>();
  const checkpointFile = join(storage.runsDir, '.projector-checkpoint');
  const projector = new ProjectorThread({
    dbPath: join(dir, 'db'),
    runsDir: storage.runsDir,
    checkpointFile,
    log,
    onProjected: (runId) => projected.add(runId),
  });
  cleanups.push(() => projector.stop());
  return { dir, storage, log, projected, projector, checkpointFile };
};

/** The receipt files of a run as written, and as a rebuild from the log renders them. */
const receiptOf = async (storage: LilyStorage, runId: string) => {
  const events = await storage.events.readStream(`run/${runId}`);
  const { receipt, files } = renderReceiptFiles(events);
  const dir = join(storage.runsDir, receiptRelativeDir(receipt));
  const written = existsSync(dir)
    ? Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), 'utf8')]))
    : undefined;
  return { written, rebuilt: files };
};

describe('the projector in a thread (real LMDB, the environment opened again in the thread)', () => {
  it('writes byte-identical receipts for runs appended by the engine thread', async () => {
    const { storage, projected, projector, log } = await setup();
    await projector.start();
    expect(projector.thread?.threadId).toBeGreaterThan(threadId);
    const runs = await appendRuns(storage, 3);
    await waitUntil('3 runs projected', () => runs.every((r) => projected.has(r)));
    for (const runId of runs) {
      const { written, rebuilt } = await receiptOf(storage, runId);
      expect(written).toEqual(rebuilt);
    }
    await waitUntil(
      'the position',
      async () => projector.position() === (await storage.events.lastPosition()),
    );
    expect(log.entries.filter((e) => e.level === 'error')).toEqual([]);
  });

  it('stop projects what the log holds, saves the checkpoint and ends the thread', async () => {
    const { storage, projected, projector, checkpointFile } = await setup();
    await projector.start();
    const thread = projector.thread;
    const exited = new Promise<number>((resolve) => thread?.once('exit', resolve));
    const runs = await appendRuns(storage, 5);
    const last = await storage.events.lastPosition();
    await projector.stop();
    expect(await exited).toBe(0);
    expect(projector.thread).toBeUndefined();
    for (const runId of runs) {
      expect(projected.has(runId)).toBe(true);
      const { written, rebuilt } = await receiptOf(storage, runId);
      expect(written).toEqual(rebuilt);
    }
    expect(projector.position()).toBe(last);
    expect(Number(readFileSync(checkpointFile, 'utf8'))).toBe(last);
    // The engine's handle on the environment still works after the thread closed its own.
    const more = await appendRuns(storage, 1);
    expect(await storage.events.readStream(`run/${more[0]}`)).toHaveLength(sampleRunEvents().length);
  });

  it('a thread that is killed is logged and started again, and no receipt is lost', async () => {
    const { storage, projected, projector, log } = await setup();
    await projector.start();
    const first = projector.thread;
    const before = await appendRuns(storage, 4);
    // Killed at once: possibly mid-projection, certainly before its checkpoint covers these runs.
    await first?.terminate();
    const after = await appendRuns(storage, 4);
    await waitUntil('a new thread', () => projector.thread !== undefined && projector.thread !== first);
    for (const runId of [...before, ...after]) {
      await waitUntil(`receipts of ${runId}`, () => projected.has(runId));
      const { written, rebuilt } = await receiptOf(storage, runId);
      expect(written).toEqual(rebuilt);
    }
    expect(projector.restarts()).toBe(1);
    expect(log.entries).toContainEqual(expect.objectContaining({ event: 'projector.thread_exited' }));
  });
});
