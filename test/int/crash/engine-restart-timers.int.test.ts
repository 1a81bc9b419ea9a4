import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  answering,
  type CrashRig,
  openCrashRig,
  requestRun,
  runEvents,
  streamProblems,
  waitUntil,
} from '../../helpers/crash-kit.js';
import { spawnDaemon, stopChild } from '../../helpers/lily-project.js';

// Fails on attempt 1; the retry waits 4 s of backoff, long enough to kill the engine in between.
const FLAKY = `process.exit(Number(process.env.LILY_ATTEMPT) < 2 ? 1 : 0)`;

let rig: CrashRig;

beforeAll(async () => {
  rig = await openCrashRig('lily-crash-timers-');
  rig.project.job(
    'flaky',
    `id: flaky
title: a retry with a long backoff
target: { kind: blueprint, id: pipeline.v1 }
bindings:
  steps:
    - { id: s, run: [node, -e, "${FLAKY}"], retries: 2, backoff_ms: 4000, timeout_ms: 60000 }
`,
  );
  rig.children.push(spawnDaemon('worker', { dir: rig.project.dir, nats: rig.nats.url, id: 'w1' }));
}, 60_000);

afterAll(() => rig?.close());

describe('SIGKILL the engine while a run waits on a retry backoff', () => {
  it('the restarted engine re-arms the retry timer and the run completes', async () => {
    const engine = spawnDaemon('engine', { dir: rig.project.dir, nats: rig.nats.url });
    rig.children.push(engine);
    await answering(rig.client, 'engine');
    const runId = await requestRun(rig.client, 'flaky');
    await waitUntil('retry scheduled', async () =>
      (await runEvents(rig.storage.events, runId)).some((e) => e.type === 'step.retry_scheduled')
        ? true
        : undefined,
    );
    await stopChild(engine, 'SIGKILL');
    rig.children.push(spawnDaemon('engine', { dir: rig.project.dir, nats: rig.nats.url }));
    const events = await waitUntil(
      'run final',
      async () => {
        const list = await runEvents(rig.storage.events, runId);
        return list.some((e) => e.type === 'run.completed') ? list : undefined;
      },
      30_000,
    );
    expect(streamProblems(events)).toEqual([]);
    expect(events.filter((e) => e.type === 'timer.fired').length).toBeGreaterThanOrEqual(1);
    expect(events.find((e) => e.type === 'run.completed')?.data).toMatchObject({ status: 'succeeded' });
  }, 90_000);
});
