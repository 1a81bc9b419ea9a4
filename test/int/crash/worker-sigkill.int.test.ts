import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schedSubject } from '../../../src/actors/subjects.js';
import type { StoredEvent } from '../../../src/contracts/index.js';
import {
  answering,
  type CrashRig,
  effects,
  openCrashRig,
  requestRun,
  runEvents,
  sleep,
  streamProblems,
  waitUntil,
} from '../../helpers/crash-kit.js';
import { spawnDaemon, stopChild } from '../../helpers/lily-project.js';

// The first attempt records itself and hangs (its worker is killed under it); later attempts finish at once.
const HANG_FIRST = `require('fs').appendFileSync('effects.log', process.env.LILY_RUN_ID + '/' + process.env.LILY_ATTEMPT + String.fromCharCode(10)); if (process.env.LILY_ATTEMPT === '1') setTimeout(() => {}, 600000)`;

let rig: CrashRig;

beforeAll(async () => {
  rig = await openCrashRig('lily-crash-worker-');
  const job = (id: string, idempotent: boolean) =>
    rig.project.job(
      id,
      `id: ${id}
title: a step whose worker dies
target: { kind: blueprint, id: pipeline.v1 }
runtime: { timeout_ms: 300000 }
bindings:
  steps:
    - { id: s, run: [node, -e, "${HANG_FIRST}"], timeout_ms: 8000, retries: 2, backoff_ms: 100, idempotent: ${idempotent} }
`,
    );
  job('idem', true);
  job('nonidem', false);
  rig.children.push(spawnDaemon('engine', { dir: rig.project.dir, nats: rig.nats.url }));
  await answering(rig.client, 'engine');
}, 60_000);

afterAll(() => rig?.close());

const workers: ReturnType<typeof spawnDaemon>[] = [];

const killWorkerMidStep = async (jobId: string, workerId: string) => {
  // Only this test's worker may take the dispatch: stop the ones earlier tests left running.
  for (const w of workers.splice(0)) await stopChild(w, 'SIGKILL');
  const worker = spawnDaemon('worker', { dir: rig.project.dir, nats: rig.nats.url, id: workerId });
  rig.children.push(worker);
  workers.push(worker);
  await answering(rig.client, `worker-${workerId}`);
  const runId = await requestRun(rig.client, jobId);
  await waitUntil('step started', async () =>
    (await runEvents(rig.storage.events, runId)).some((e) => e.type === 'step.started') ? true : undefined,
  ).catch(async (e) => {
    console.log(
      (await runEvents(rig.storage.events, runId))
        .map((x) => `${x.type} ${JSON.stringify(x.data).slice(0, 400)}`)
        .join('\n'),
    );
    throw e;
  });
  await sleep(200);
  worker.kill('SIGKILL');
  await stopChild(worker, 'SIGKILL');
  const next = spawnDaemon('worker', { dir: rig.project.dir, nats: rig.nats.url, id: `${workerId}b` });
  rig.children.push(next);
  workers.push(next);
  await answering(rig.client, `worker-${workerId}b`);
  return runId;
};

const types = (events: StoredEvent[]) => events.map((e) => e.type);

describe('SIGKILL a worker in the middle of a step', () => {
  it('an idempotent step times out and is retried on another worker', async () => {
    const runId = await killWorkerMidStep('idem', 'k1');
    const events = await waitUntil(
      'run completed',
      async () => {
        const ev = await runEvents(rig.storage.events, runId);
        return ev.some((e) => e.type === 'run.completed') ? ev : undefined;
      },
      60_000,
    );
    expect(events.find((e) => e.type === 'run.completed')?.data).toMatchObject({ status: 'succeeded' });
    expect(types(events)).toContain('step.timed_out');
    expect(
      events.filter((e) => e.type === 'step.dispatched').map((e) => (e.data as { attempt: number }).attempt),
    ).toEqual([1, 2]);
    expect(streamProblems(events)).toEqual([]);
  }, 90_000);

  it('a non-idempotent step becomes indeterminate instead of running again', async () => {
    const runId = await killWorkerMidStep('nonidem', 'k2');
    const events = await waitUntil('timed out', async () => {
      const ev = await runEvents(rig.storage.events, runId);
      return ev.some((e) => e.type === 'step.timed_out') ? ev : undefined;
    });
    await sleep(1_500);
    const after = await runEvents(rig.storage.events, runId);
    expect(after.filter((e) => e.type === 'step.dispatched')).toHaveLength(1);
    expect(types(after)).not.toContain('run.completed');
    expect(effects(rig.project.dir).filter((l) => l.startsWith(runId))).toEqual([`${runId}/1`]);
    expect(events.length).toBeGreaterThan(0);
    // The operator gives up on it: cancelling ends the run.
    rig.client.publish(schedSubject('default'), {
      type: 'run.cancel',
      runId,
      by: 'operator',
      reason: 'effect unknown',
    });
    const done = await waitUntil('cancelled', async () =>
      (await runEvents(rig.storage.events, runId)).find((e) => e.type === 'run.completed'),
    );
    expect(done.data).toMatchObject({ status: 'cancelled' });
  }, 90_000);
});
