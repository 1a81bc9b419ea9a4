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

const RUNS = 50;
let nats: NatsServerHandle;
let project: Awaited<ReturnType<typeof tempProject>>;
let client: Bus;
let storage: LilyStorage;
const children: ReturnType<typeof spawnDaemon>[] = [];

beforeAll(async () => {
  nats = await startNatsServer({});
  project = await tempProject('lily-crash-engine-');
  project.file('policy.yaml', CRASH_POLICY);
  project.job(
    'effects',
    `id: effects
title: three effectful steps
target: { kind: blueprint, id: pipeline.v1 }
runtime: { timeout_ms: 300000, concurrency: ${RUNS} }
bindings:
  steps:
    - { id: a, run: [node, -e, "${effectStep(150)}"], timeout_ms: 60000 }
    - { id: b, run: [node, -e, "${effectStep(150)}"], timeout_ms: 60000 }
    - { id: c, run: [node, -e, "${effectStep(150)}"], timeout_ms: 60000 }
`,
  );
  children.push(
    spawnDaemon('worker', { dir: project.dir, nats: nats.url, id: 'w1', extra: ['--concurrency', '24'] }),
  );
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

describe('SIGKILL the engine in the middle of 50 concurrent runs', () => {
  it('every run completes after a restart; nothing lost or duplicated; no dispatch runs twice', async () => {
    let engine = spawnDaemon('engine', { dir: project.dir, nats: nats.url });
    children.push(engine);
    await answering(client, 'engine');
    const runIds: RunId[] = [];
    for (let i = 0; i < RUNS; i++) runIds.push(await requestRun(client, 'effects'));
    // Kill it once some steps are done and others are in flight.
    await waitUntil('work in progress', () => (effects(project.dir).length >= RUNS / 2 ? true : undefined));
    engine.kill('SIGKILL');
    await stopChild(engine, 'SIGKILL');
    engine = spawnDaemon('engine', { dir: project.dir, nats: nats.url });
    children.push(engine);
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
    expect(lines).toHaveLength(RUNS * 3);
    expect(new Set(lines).size).toBe(lines.length);
  }, 180_000);
});
