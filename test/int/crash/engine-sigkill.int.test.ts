import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunId } from '../../../src/contracts/index.js';
import {
  answering,
  type CrashRig,
  effectStep,
  effects,
  openCrashRig,
  requestRun,
  runEvents,
  streamProblems,
  waitUntil,
} from '../../helpers/crash-kit.js';
import { spawnDaemon, stopChild } from '../../helpers/lily-project.js';

const RUNS = 50;
let rig: CrashRig;

beforeAll(async () => {
  rig = await openCrashRig('lily-crash-engine-');
  rig.project.job(
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
  rig.children.push(
    spawnDaemon('worker', {
      dir: rig.project.dir,
      nats: rig.nats.url,
      id: 'w1',
      extra: ['--concurrency', '24'],
    }),
  );
}, 60_000);

afterAll(() => rig?.close());

describe('SIGKILL the engine in the middle of 50 concurrent runs', () => {
  it('every run completes after a restart; nothing lost or duplicated; no dispatch runs twice', async () => {
    let engine = spawnDaemon('engine', { dir: rig.project.dir, nats: rig.nats.url });
    rig.children.push(engine);
    await answering(rig.client, 'engine');
    const runIds: RunId[] = [];
    for (let i = 0; i < RUNS; i++) runIds.push(await requestRun(rig.client, 'effects'));
    // Kill it once some steps are done and others are in flight.
    await waitUntil('work in progress', () =>
      effects(rig.project.dir).length >= RUNS / 2 ? true : undefined,
    );
    engine.kill('SIGKILL');
    await stopChild(engine, 'SIGKILL');
    engine = spawnDaemon('engine', { dir: rig.project.dir, nats: rig.nats.url });
    rig.children.push(engine);
    const finals = await waitUntil(
      'all runs final',
      async () => {
        const all = await Promise.all(runIds.map((id) => runEvents(rig.storage.events, id)));
        return all.every((events) => events.some((e) => e.type === 'run.completed')) ? all : undefined;
      },
      120_000,
    );
    for (const events of finals) {
      expect(streamProblems(events)).toEqual([]);
      expect(events.find((e) => e.type === 'run.completed')?.data).toMatchObject({ status: 'succeeded' });
    }
    const lines = effects(rig.project.dir);
    expect(lines).toHaveLength(RUNS * 3);
    expect(new Set(lines).size).toBe(lines.length);
  }, 180_000);
});
