import { describe, expect, it } from 'vitest';
import { createInMemoryBus } from '../../../../src/actors/bus/index.js';
import { DispatchDesk } from '../../../../src/actors/engine/dispatch-desk.js';
import { memoryLogger } from '../../../../src/actors/logger.js';
import type { ExecItem } from '../../../../src/actors/messages.js';
import { SealVerifier } from '../../../../src/actors/trust/dispatch-seal.js';
import { createEngineKeys, sealPublicKeyFromHex } from '../../../../src/actors/trust/engine-keys.js';
import { EngineSeals, emptySealBook } from '../../../../src/actors/trust/engine-seals.js';

const RUN = '01ARZ3NDEKTSV4RRFFQ69G5FAV';
const T0 = 1_800_000_000_000;
const keys = createEngineKeys();
const seals = new EngineSeals(keys, { ttlMs: 60_000 });
const verifier = new SealVerifier(sealPublicKeyFromHex(keys.sealPublicKey));

const step = (id: string, executor = 'echo'): ExecItem =>
  ({
    kind: 'step',
    runId: RUN,
    jobId: 'job',
    data: { stepId: id, attempt: 1, dispatchId: `${RUN}/${id}/1`, executor, input: {}, with: {} },
  }) as unknown as ExecItem;

/** A desk over an in-memory bus whose publishes are recorded as they are made. */
const desk = (failOn?: string) => {
  const bus = createInMemoryBus();
  const sent: { subject: string; item: ExecItem }[] = [];
  bus.publish = (subject: string, payload: unknown) => {
    const item = (payload as { items: ExecItem[] }).items[0] as ExecItem;
    if (item.data.stepId === failOn) throw new Error('connection closed');
    sent.push({ subject, item });
  };
  const log = memoryLogger();
  const d = new DispatchDesk({ bus, ns: 't', seals, log });
  const send = (item: ExecItem, traceparent?: string) =>
    d.send({
      terms: seals.terms(item, emptySealBook(), false, T0),
      executor: (item.data as { executor: string }).executor,
      ...(traceparent ? { traceparent } : {}),
    });
  return { d, sent, log, send };
};
const tail = (item: ExecItem) => String(item.seal?.grant).split('.').slice(1).join('.');

describe('the dispatch desk (decision 034)', () => {
  it('sends what one synchronous stretch queued in the microtask after it, sealed with one signature', async () => {
    const { d, sent, send } = desk();
    send(step('a'));
    send(step('b', 'command'), '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    send(step('c'));
    expect(sent).toEqual([]);
    expect(d.waiting).toBe(3);
    await Promise.resolve();
    expect(d.waiting).toBe(0);
    expect(sent.map((s) => [s.subject, s.item.data.stepId])).toEqual([
      ['lily.t.cmd.exec.echo', 'a'],
      ['lily.t.cmd.exec.command', 'b'],
      ['lily.t.cmd.exec.echo', 'c'],
    ]);
    expect(new Set(sent.map((s) => tail(s.item))).size).toBe(1);
    expect(sent[1]?.item.traceparent).toMatch(/^00-/);
    for (const { item } of sent) expect(verifier.verify(item, item.seal?.grant, T0).ok).toBe(true);
  });

  it('seals a dispatch alone in its stretch as a single seal, the bytes a re-send would carry', async () => {
    const { sent, send } = desk();
    send(step('a'));
    await Promise.resolve();
    send(step('b'));
    await Promise.resolve();
    expect(sent).toHaveLength(2);
    expect(sent[0]?.item.seal).toEqual(seals.seal(step('a'), emptySealBook(), false, T0).seal);
    expect(String(sent[1]?.item.seal?.grant).split('.')).toHaveLength(2);
  });

  it('flush sends at once; a publish that fails is logged and the others still go', () => {
    const { d, sent, log, send } = desk('b');
    send(step('a'));
    send(step('b'));
    send(step('c'));
    d.flush();
    expect(sent.map((s) => s.item.data.stepId)).toEqual(['a', 'c']);
    expect(log.entries).toMatchObject([{ level: 'warn', event: 'outbox.dispatch_unsent', dispatches: 1 }]);
    d.flush();
    expect(sent).toHaveLength(2);
  });
});
