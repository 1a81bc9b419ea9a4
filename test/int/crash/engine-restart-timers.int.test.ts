import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bus } from '../../../src/actors/bus/bus.js';
import { connectNatsBus } from '../../../src/actors/bus/index.js';
import { type LilyStorage, openLilyStorage } from '../../../src/eventstore/storage.js';
import {
  answering,
  CRASH_POLICY,
  requestRun,
  runEvents,
  streamProblems,
  waitUntil,
} from '../../helpers/crash-kit.js';
import { spawnDaemon, stopChild, tempProject } from '../../helpers/lily-project.js';
import { type NatsServerHandle, startNatsServer } from '../../helpers/nats-server.js';

// Fails on attempt 1; the retry waits 4 s of backoff, long enough to kill the engine in between.
const FLAKY = `process.exit(Number(process.env.LILY_ATTEMPT) < 2 ? 1 : 0)`;

let nats: NatsServerHandle;
let project: Awaited<ReturnType<typeof tempProject>>;
let client: Bus;
let storage: LilyStorage;
const children: ReturnType<typeof spawnDaemon>[] = [];

beforeAll(async () => {
  nats = await startNatsServer({});
  project = await tempProject('lily-crash-timers-');
  project.file('policy.yaml', CRASH_POLICY);
  project.job(
    'flaky',
    `id: flaky
title: a retry with a long backoff
target: { kind: blueprint, id: pipeline.v1 }
bindings:
  steps:
    - { id: s, run: [node, -e, "${FLAKY}"], retries: 2, backoff_ms: 4000, timeout_ms: 60000 }
`,
  );
  children.push(spawnDaemon('worker', { dir: project.dir, nats: nats.url, id: 'w1' }));
  client = await connectNatsBus({ servers: nats.url, name: 'crash-test' });
  storage = await openLilyStorage({ dir: `${project.dir}/.lily` });
}, 60_000);

afterAll(async () => {
  for (const c of children) await stopChild(c, 'SIGKILL');
  await client?.close();
  await storage?.close();
  await nats?.stop();
  project?.remove();
});

describe('SIGKILL the engine while a run waits on a retry backoff', () => {
  it('the restarted engine re-arms the retry timer and the run completes', async () => {
    const engine = spawnDaemon('engine', { dir: project.dir, nats: nats.url });
    children.push(engine);
    await answering(client, 'engine');
    const runId = await requestRun(client, 'flaky');
    await waitUntil('retry scheduled', async () =>
      (await runEvents(storage.events, runId)).some((e) => e.type === 'step.retry_scheduled')
        ? true
        : undefined,
    );
    await stopChild(engine, 'SIGKILL');
    children.push(spawnDaemon('engine', { dir: project.dir, nats: nats.url }));
    const events = await waitUntil(
      'run final',
      async () => {
        const list = await runEvents(storage.events, runId);
        return list.some((e) => e.type === 'run.completed') ? list : undefined;
      },
      30_000,
    );
    expect(streamProblems(events)).toEqual([]);
    expect(events.filter((e) => e.type === 'timer.fired').length).toBeGreaterThanOrEqual(1);
    expect(events.find((e) => e.type === 'run.completed')?.data).toMatchObject({ status: 'succeeded' });
  }, 90_000);
});
