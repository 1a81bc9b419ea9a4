import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schedSubject } from '../../../src/actors/subjects.js';
import { buildRunRequest, sendRunRequest } from '../../../src/client/runs/request.js';
import { type RunId, runStream } from '../../../src/contracts/index.js';
import { answering, type CrashRig, openCrashRig, sleep, waitUntil } from '../../helpers/crash-kit.js';
import { spawnDaemon, stopChild } from '../../helpers/lily-project.js';

/**
 * A run request whose reply is lost is retried with the same idempotency key: after an engine
 * SIGKILL between the append of the request and its reply, the retry (to the next engine)
 * answers with the run the first attempt recorded; one run exists. The client's own retries
 * while no engine answers (it is restarting) start one run too.
 */

let rig: CrashRig;
let engine: ChildProcess;

const startEngine = async () => {
  engine = spawnDaemon('engine', { dir: rig.project.dir, nats: rig.nats.url });
  rig.children.push(engine);
  await answering(rig.client, 'engine');
};

const killEngine = async () => {
  await stopChild(engine, 'SIGKILL');
};

const requestsOf = async (jobId: string) =>
  (await rig.storage.events.readStream(`job/${jobId}`)).filter((e) => e.type === 'run.requested');

beforeAll(async () => {
  rig = await openCrashRig('lily-crash-request-');
  rig.project.job(
    'once',
    `id: once
title: runs once per request
target: { kind: blueprint, id: pipeline.v1 }
runtime: { timeout_ms: 60000 }
bindings:
  steps:
    - { id: a, executor: echo }
`,
  );
  // workers: 0 in config would run executors in the engine; the default (1) leaves them to a worker.
  rig.children.push(spawnDaemon('worker', { dir: rig.project.dir, nats: rig.nats.url, id: 'w1' }));
  await startEngine();
}, 60_000);

afterAll(() => rig?.close());

describe('idempotent run requests across an engine SIGKILL', () => {
  it('the reply is lost, the engine is killed after the append: the retry returns the same run', async () => {
    const link = { mode: 'explicit' as const, bus: rig.client, ns: 'default' };
    const request = buildRunRequest('once', {});
    expect(request.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
    // The first attempt: delivered and recorded, its reply sent to a subject nobody reads.
    rig.client.publish(schedSubject('default'), request, { reply: '_INBOX.lost-reply' });
    const [first] = await waitUntil('the request in the log', async () => {
      const found = await requestsOf('once');
      return found.length > 0 ? found : undefined;
    });
    const firstRunId = (first?.data as { runId: RunId } | undefined)?.runId as RunId;
    await killEngine();
    await startEngine();
    const retried = await sendRunRequest(link, request);
    expect(retried).toMatchObject({ runId: firstRunId, jobId: 'once', existing: true });
    expect(await requestsOf('once')).toHaveLength(1);
    await waitUntil('the run completed', async () => {
      const events = await rig.storage.events.readStream(runStream(firstRunId));
      return events.some((e) => e.type === 'run.completed') ? true : undefined;
    });
  });

  it('the client retries while no engine answers; the request lands once the engine is back', async () => {
    const link = { mode: 'explicit' as const, bus: rig.client, ns: 'default' };
    await killEngine();
    const before = (await requestsOf('once')).length;
    const request = buildRunRequest('once', { idempotencyKey: 'while-restarting' });
    const sent = sendRunRequest(link, request);
    await sleep(1_000);
    await startEngine();
    const accepted = await sent;
    expect(accepted.existing).toBe(false);
    const again = await sendRunRequest(link, request);
    expect(again).toMatchObject({ runId: accepted.runId, existing: true });
    expect((await requestsOf('once')).length).toBe(before + 1);
  });
});
