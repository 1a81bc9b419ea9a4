/**
 * The floor of W3 (bench/floor/) does the work it claims: a run's 18 events are written and
 * fsynced, its three steps go through the worker process, sealed and proven, and a reply whose
 * proof does not hold, or a dispatch whose seal does not, is dropped. A floor that skipped any of
 * it would understate what the design costs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type FloorW3, startFloorW3 } from '../../../bench/floor/skeleton.js';
import { SUBJECTS } from '../../../bench/floor/protocol.js';
import { type NatsServerHandle, startNatsServer } from '../../helpers/nats-server.js';

let nats: NatsServerHandle;
let floor: FloorW3;
let dir: string;
let spy: NatsConnection;

beforeAll(async () => {
  nats = await startNatsServer();
  dir = mkdtempSync(join(tmpdir(), 'lily-floor-'));
  floor = await startFloorW3({ url: nats.url, dir });
  spy = await connect({ servers: nats.url });
});

afterAll(async () => {
  await spy?.close();
  await floor?.stop();
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the floor of W3', () => {
  it('records 18 events per run, in order, and runs its steps on the worker', async () => {
    const dispatches: string[] = [];
    const sub = spy.subscribe(SUBJECTS.exec, {
      callback: (_e, m) => {
        dispatches.push(m.json<{ claims: { runId: string } }>().claims.runId);
      },
    });
    await spy.flush();
    const before = floor.written().events;
    const runs = await Promise.all(Array.from({ length: 8 }, () => floor.runOne()));
    expect(floor.written().events - before).toBe(8 * 18);
    sub.unsubscribe();
    expect(dispatches.sort()).toEqual(runs.flatMap((r) => [r.runId, r.runId, r.runId]).sort());
    const step = ['policy.requested', 'policy.decided', 'step.dispatched', 'step.started', 'step.succeeded'];
    for (const { runId } of runs) {
      const events = floor.eventsOf(runId);
      expect(events.map((e) => e.type)).toEqual([
        'run.requested',
        'run.started',
        ...step,
        ...step,
        ...step,
        'run.completed',
      ]);
      expect(events.at(-1)?.data).toEqual({ output: { message: 'hello' } });
    }
  });

  it('drops replies whose proof does not hold', async () => {
    // A forger sees every dispatch of a run and answers each at once with its own output.
    const sub = spy.subscribe(SUBJECTS.exec, {
      callback: (_e, m) => {
        const d = m.json<{ claims: { id: string; runId: string; step: number } }>();
        const fact = { dispatchId: d.claims.id, runId: d.claims.runId, step: d.claims.step, at: 0 };
        const facts = [
          { type: 'step.started', ...fact },
          { type: 'step.succeeded', ...fact, output: { forged: true } },
        ];
        spy.publish(SUBJECTS.reply, JSON.stringify({ facts, proof: '00'.repeat(32) }));
      },
    });
    await spy.flush();
    const rejected = floor.rejected();
    const { runId } = await floor.runOne();
    await vi.waitFor(() => expect(floor.rejected() - rejected).toBe(3));
    sub.unsubscribe();
    const outputs = floor
      .eventsOf(runId)
      .filter((e) => e.type === 'step.succeeded')
      .map((e) => (e.data as { output: unknown }).output);
    expect(outputs).toEqual([{ message: 'hello' }, { message: 'hello' }, { message: 'hello' }]);
  });

  it('has its worker drop a dispatch whose seal does not hold', async () => {
    const replies: unknown[] = [];
    const sub = spy.subscribe(SUBJECTS.reply, {
      callback: (_e, m) => {
        replies.push(m.json());
      },
    });
    await spy.flush();
    const claims = { id: 'x-d1', runId: 'x', step: 1, executor: 'echo', digest: 'f'.repeat(64) };
    const seal = { hashes: ['0'.repeat(64)], sig: Buffer.alloc(64).toString('base64') };
    spy.publish(SUBJECTS.exec, JSON.stringify({ claims, input: {}, replyKey: '00', seal }));
    // A real run after it: its replies come back through the same worker, after the forgery's.
    await floor.runOne();
    await spy.flush();
    sub.unsubscribe();
    const runIds = replies.map((r) => (r as { facts: { runId: string }[] }).facts[0]?.runId);
    expect(runIds).not.toContain('x');
    expect(runIds.length).toBeGreaterThanOrEqual(3);
  });
});
