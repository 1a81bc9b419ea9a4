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
import { spawnDaemon } from '../../helpers/lily-project.js';

let rig: CrashRig;

beforeAll(async () => {
  rig = await openCrashRig('lily-crash-nats-');
  rig.project.job(
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
  rig.children.push(spawnDaemon('engine', { dir: rig.project.dir, nats: rig.nats.url }));
  rig.children.push(spawnDaemon('worker', { dir: rig.project.dir, nats: rig.nats.url, id: 'w1' }));
  await answering(rig.client, 'engine');
  await answering(rig.client, 'worker-w1');
}, 60_000);

afterAll(() => rig?.close());

describe('restart nats-server in the middle of runs', () => {
  it('every run completes once NATS is back, with nothing lost or duplicated', async () => {
    const runIds: RunId[] = [];
    for (let i = 0; i < 5; i++) runIds.push(await requestRun(rig.client, 'slow'));
    await waitUntil('first steps running', () => (effects(rig.project.dir).length >= 3 ? true : undefined));
    await rig.nats.halt();
    await new Promise((r) => setTimeout(r, 1_500));
    await rig.nats.start();
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
    expect(new Set(lines).size).toBe(lines.length);
    expect(lines).toHaveLength(15);
  }, 180_000);
});
