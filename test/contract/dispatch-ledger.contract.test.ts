import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DispatchLedger } from '../../src/actors/ledger/dispatch-ledger.js';
import type { InboundEvent } from '../../src/actors/messages.js';
import { LEDGER_FACTORIES, type LedgerHarness } from './dispatch-ledger-factories.js';

const reply = (id: string, data: unknown = { output: { n: 1, nested: [1, 'two', null] } }): InboundEvent => ({
  id,
  type: 'step.succeeded',
  at: 1_700_000_000_123,
  data,
  producer: 'worker/test',
});

const idempotent = { retakeStale: true };
const nonIdempotent = { retakeStale: false };

describe.each(LEDGER_FACTORIES)('DispatchLedger contract: $name', (factory) => {
  let h: LedgerHarness;
  beforeEach(async () => {
    h = await factory.create();
  });
  afterEach(async () => {
    await h.close();
  });

  describe('claim', () => {
    it('the first claim wins; later claims, by anyone, see it running with its owner', async () => {
      const a = await h.open('a');
      const b = await h.open('b');
      expect(await a.claim('r/s/1', idempotent)).toEqual({ kind: 'claimed' });
      const seen = await b.claim('r/s/1', idempotent);
      expect(seen).toMatchObject({ kind: 'running', owner: a.owner });
      if (seen.kind !== 'running') return;
      expect(seen.heartbeatAt).toBeGreaterThanOrEqual(seen.since);
      expect(await a.claim('r/s/1', idempotent)).toMatchObject({ kind: 'running', owner: a.owner });
    });

    it('dispatch ids are independent', async () => {
      const a = await h.open('a');
      const b = await h.open('b');
      expect(await a.claim('r/s/1', idempotent)).toEqual({ kind: 'claimed' });
      expect(await b.claim('r/s/2', idempotent)).toEqual({ kind: 'claimed' });
      expect(await b.claim('r/s/1', idempotent)).toMatchObject({ kind: 'running', owner: a.owner });
    });

    it('among concurrent claimers of one id exactly one gets it', async () => {
      const ledgers: DispatchLedger[] = [];
      for (let i = 0; i < 6; i++) ledgers.push(await h.open(`w${i}`));
      const results = await Promise.all(ledgers.map((l) => l.claim('r/race/1', idempotent)));
      const winners = results.flatMap((r, i) => (r.kind === 'claimed' ? [ledgers[i]] : []));
      expect(winners).toHaveLength(1);
      const owner = winners[0]?.owner;
      for (const r of results.filter((x) => x.kind !== 'claimed')) expect(r).toMatchObject({ owner });
    });
  });

  describe('complete', () => {
    it('a claim after complete answers with the stored replies, exactly as given', async () => {
      const a = await h.open('a');
      const b = await h.open('b');
      const replies = [reply('r/s/1/started', { stepId: 's' }), reply('r/s/1/succeeded')];
      await a.claim('r/s/1', nonIdempotent);
      await a.complete('r/s/1', replies);
      expect(await b.claim('r/s/1', nonIdempotent)).toEqual({ kind: 'done', replies });
      expect(await a.claim('r/s/1', idempotent)).toEqual({ kind: 'done', replies });
    });

    it('done is final: a second complete keeps the first replies', async () => {
      const a = await h.open('a');
      const b = await h.open('b');
      await a.claim('r/s/1', idempotent);
      await a.complete('r/s/1', [reply('first')]);
      await b.complete('r/s/1', [reply('second')]);
      expect(await b.claim('r/s/1', idempotent)).toEqual({ kind: 'done', replies: [reply('first')] });
    });

    it('the replies outlive a restart of the backing store', async () => {
      const a = await h.open('a');
      await a.claim('r/s/1', idempotent);
      await a.complete('r/s/1', [reply('kept')]);
      await h.restart();
      const b = await h.open('b');
      expect(await b.claim('r/s/1', idempotent)).toEqual({ kind: 'done', replies: [reply('kept')] });
    });
  });

  describe('stale owners', () => {
    it('an idempotent dispatch of a stale owner is taken over', async () => {
      const a = await h.open('a');
      const b = await h.open('b');
      await a.claim('r/s/1', idempotent);
      await h.kill(a);
      expect(await b.claim('r/s/1', idempotent)).toEqual({ kind: 'claimed' });
      const c = await h.open('c');
      expect(await c.claim('r/s/1', idempotent)).toMatchObject({ kind: 'running', owner: b.owner });
    });

    it('a non-idempotent dispatch of a stale owner stays claimed by it', async () => {
      const a = await h.open('a');
      const b = await h.open('b');
      await a.claim('r/s/1', nonIdempotent);
      await h.kill(a);
      expect(await b.claim('r/s/1', nonIdempotent)).toMatchObject({ kind: 'running', owner: a.owner });
    });

    it('a live owner keeps its claim even against an idempotent re-claim', async () => {
      const a = await h.open('a');
      const b = await h.open('b');
      const c = await h.open('c');
      await a.claim('r/s/1', idempotent);
      await h.kill(c);
      expect(await b.claim('r/s/1', idempotent)).toMatchObject({ kind: 'running', owner: a.owner });
    });

    it('a stale owner that finishes after the take-over does not overwrite the replies', async () => {
      const a = await h.open('a');
      const b = await h.open('b');
      await a.claim('r/s/1', idempotent);
      await h.kill(a);
      await b.claim('r/s/1', idempotent);
      await b.complete('r/s/1', [reply('by-b')]);
      await a.complete('r/s/1', [reply('by-a')]);
      expect(await b.claim('r/s/1', idempotent)).toEqual({ kind: 'done', replies: [reply('by-b')] });
    });
  });

  describe('heartbeat', () => {
    it('keeps held claims, forgets completed ones, and reports claims another owner took over', async () => {
      const a = await h.open('a');
      const b = await h.open('b');
      await a.claim('r/s/1', idempotent);
      await a.claim('r/s/2', idempotent);
      await a.claim('r/s/3', idempotent);
      await a.complete('r/s/3', [reply('done')]);
      expect(await a.heartbeat()).toEqual({ lost: [] });
      await h.kill(a);
      await b.claim('r/s/1', idempotent);
      expect(await a.heartbeat()).toEqual({ lost: ['r/s/1'] });
      expect(await a.heartbeat()).toEqual({ lost: [] });
    });

    it('refreshes the heartbeat of a held claim', async () => {
      const a = await h.open('a');
      const b = await h.open('b');
      await a.claim('r/s/1', idempotent);
      const before = await b.claim('r/s/1', idempotent);
      await h.elapse(5);
      await a.heartbeat();
      const after = await b.claim('r/s/1', idempotent);
      if (before.kind !== 'running' || after.kind !== 'running') throw new Error('expected running');
      expect(after.since).toBe(before.since);
      expect(after.heartbeatAt).toBeGreaterThan(before.heartbeatAt);
    });
  });
});
