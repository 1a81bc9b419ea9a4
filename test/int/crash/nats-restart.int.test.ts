import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bus } from '../../../src/actors/bus/bus.js';
import { connectNatsBus } from '../../../src/actors/bus/index.js';
import type { RunId } from '../../../src/contracts/index.js';
import { type LilyStorage, openLilyStorage } from '../../../src/eventstore/storage.js';
import {
  answering,
  CRASH_POLICY,
  effectStep,
  effects,
  requestRun,
  runEvents,
  streamProblems,
  waitUntil,
} from '../../helpers/crash-kit.js';
import { spawnDaemon, stopChild, tempProject } from '../../helpers/lily-project.js';
import { type NatsServerHandle, startNatsServer } from '../../helpers/nats-server.js';

let nats: NatsServerHandle;
let project: Awaited<ReturnType<typeof tempProject>>;
let client: Bus;
let storage: LilyStorage;
const children: ReturnType<typeof spawnDaemon>[] = [];

beforeAll(async () => {
  nats = await startNatsServer({});
  project = await tempProject('lily-crash-nats-');
  project.file('policy.yaml', CRASH_POLICY);
  project.job(
    'slow',
    `id: slow
title: three slow steps
target: { kind: blueprint, id: pipeline.v1 }
runtime: { timeout_ms: 300000, concurrency: 10 }
bindings:
  steps:
    - { id: a, run: [node, -e, "${effectStep(800)}"], timeout_ms: 60000 }
    - { id: b, run: [node, -e, "${effectStep(800)}"], timeout_ms: 60000 }
    - { id: c, run: [node, -e, "${effectStep(800)}"], timeout_ms: 60000 }
`,
  );
  children.push(spawnDaemon('engine', { dir: project.dir, nats: nats.url }));
  children.push(spawnDaemon('worker', { dir: project.dir, nats: nats.url, id: 'w1' }));
  client = await connectNatsBus({ servers: nats.url, name: 'crash-test' });
  storage = await openLilyStorage({ dir: `${project.dir}/.lily` });
  await answering(client, 'engine');
  await answering(client, 'worker-w1');
}, 60_000);

afterAll(async () => {
  for (const c of children) await stopChild(c, 'SIGKILL');
  await client?.close();
  await storage?.close();
  await nats?.stop();
  project?.remove();
});

describe('restart nats-server in the middle of runs', () => {
  it('every run completes once NATS is back, with nothing lost or duplicated', async () => {
    const runIds: RunId[] = [];
    for (let i = 0; i < 5; i++) runIds.push(await requestRun(client, 'slow'));
    await waitUntil('first steps running', () => (effects(project.dir).length >= 3 ? true : undefined));
    await nats.halt();
    await new Promise((r) => setTimeout(r, 1_500));
    await nats.start();
    const finals = await waitUntil(
      'all runs final',
      async () => {
        const all = await Promise.all(runIds.map((id) => runEvents(storage.events, id)));
        return all.every((events) => events.some((e) => e.type === 'run.completed')) ? all : undefined;
      },
      120_000,
    );
    for (const events of finals) {
      expect(streamProblems(events)).toEqual([]);
      expect(events.find((e) => e.type === 'run.completed')?.data).toMatchObject({ status: 'succeeded' });
    }
    const lines = effects(project.dir);
    expect(new Set(lines).size).toBe(lines.length);
    expect(lines).toHaveLength(15);
  }, 180_000);
});
