import { describe, expect, it } from 'vitest';
import { memoryLogger } from '../../../src/actors/logger.js';
import type { ExecItem, InboundEvent } from '../../../src/actors/messages.js';
import { SealVerifier } from '../../../src/actors/trust/dispatch-seal.js';
import { createEngineKeys, sealPublicKeyFromHex } from '../../../src/actors/trust/engine-keys.js';
import { EngineSeals, emptySealBook, noteForSeals } from '../../../src/actors/trust/engine-seals.js';
import { admitAnswer } from '../../../src/actors/trust/fact-admission.js';
import { screenFact } from '../../../src/actors/trust/fact-screen.js';
import { checkSealedProgram } from '../../../src/actors/trust/program-identity.js';
import { countingLogger, RejectionCounter } from '../../../src/actors/trust/rejections.js';
import {
  claimedAnswer,
  deriveReplyKey,
  proveFact,
  REPLY_KEYS_KEPT,
  ReplyKeys,
} from '../../../src/actors/trust/reply-proof.js';
import type { RunState } from '../../../src/machines/types.js';

const RUN = '01ARZ3NDEKTSV4RRFFQ69G5FAV';
const T0 = 1_800_000_000_000;
const keys = createEngineKeys();
const seals = new EngineSeals(keys, { ttlMs: 60_000 });
const verifier = new SealVerifier(sealPublicKeyFromHex(keys.sealPublicKey));

const step = (over: Record<string, unknown> = {}): ExecItem =>
  ({
    kind: 'step',
    runId: RUN,
    jobId: 'job',
    data: {
      stepId: 'a',
      attempt: 1,
      dispatchId: `${RUN}/a/1`,
      executor: 'command',
      input: { n: 1 },
      idempotent: true,
      dryRun: false,
      with: { argv: ['node', 'x.js'] },
      ...over,
    },
  }) as unknown as ExecItem;

const book = () => {
  const b = emptySealBook();
  noteForSeals(b, RUN, { type: 'step.dispatched', at: T0, data: { dispatchId: `${RUN}/a/1` } });
  noteForSeals(b, RUN, {
    type: 'policy.decided',
    at: T0,
    data: {
      stepId: 'a',
      attempt: 1,
      decision: 'allow',
      reasons: [],
      programs: [
        { program: 'node', path: '/usr/bin/node', sha256: 'ab'.repeat(32) },
        { gateId: 'g', program: 'sh', path: '/bin/sh' },
      ],
    },
  });
  return b;
};

describe('dispatch seals', () => {
  it('are made from logged data only: the same dispatch is sealed to the same bytes, binding the step programs', () => {
    const a = seals.seal(step(), book(), false, T0 + 5);
    const b = seals.seal(step(), book(), false, T0 + 99_999);
    expect(a.seal).toEqual(b.seal);
    const verdict = verifier.verify(a, a.seal?.grant, T0 + 1_000);
    expect(verdict).toMatchObject({
      ok: true,
      claims: { dispatchId: `${RUN}/a/1`, kind: 'step', executor: 'command', exp: T0 + 60_000 },
    });
    if (verdict.ok)
      expect(verdict.claims.programs).toEqual([
        { program: 'node', path: '/usr/bin/node', sha256: 'ab'.repeat(32) },
      ]);
  });

  it('refuse every change in transit, another key, and expiry, each by name', () => {
    const sealed = seals.seal(step(), book(), false, T0);
    const grant = sealed.seal?.grant;
    const at = T0 + 1_000;
    const reason = (item: ExecItem, g = grant, now = at) => {
      const v = verifier.verify(item, g, now);
      return v.ok ? 'ok' : v.reason;
    };
    expect(reason(sealed)).toBe('ok');
    expect(reason(sealed, '')).toBe('unsealed');
    expect(reason(sealed, 'x')).toBe('malformed_seal');
    const other = new EngineSeals(createEngineKeys()).seal(step(), book(), false, T0).seal?.grant;
    expect(reason(sealed, other)).toBe('bad_signature');
    expect(reason(step({ dispatchId: `${RUN}/b/1` }))).toBe('wrong_dispatch');
    expect(reason({ ...sealed, runId: '01BX5ZZKBKACTAV9WEVGEMMVRZ' } as unknown as ExecItem)).toBe(
      'wrong_run',
    );
    expect(reason(step({ executor: 'echo' }))).toBe('other_executor');
    expect(reason(step({ with: { argv: ['sh', '-c', 'evil'] } }))).toBe('digest_mismatch');
    expect(reason(step({ idempotent: false }))).toBe('digest_mismatch');
    expect(reason(step({ input: { n: 2 } }))).toBe('digest_mismatch');
    expect(reason(sealed, grant, T0 + 60_001)).toBe('expired');
    // A body re-signed by nobody: the claims edited, the signature kept.
    const [body, sig] = (grant as string).split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString());
    const edited = Buffer.from(JSON.stringify({ ...claims, exp: T0 + 10 ** 9 })).toString('base64url');
    expect(reason(sealed, `${edited}.${sig}`, T0 + 60_001)).toBe('bad_signature');
  });

  it("seal a gate with its own program and a partition with none, each with its kind's reply key", () => {
    const gate = {
      kind: 'gate',
      runId: RUN,
      jobId: 'job',
      data: {
        stepId: 'a',
        attempt: 1,
        dispatchId: `${RUN}/a/1:gate:g`,
        gateId: 'g',
        executor: 'command',
        input: {},
      },
    } as unknown as ExecItem;
    const sealed = seals.seal(gate, book(), false, T0);
    const v = verifier.verify(sealed, sealed.seal?.grant, T0);
    expect(v).toMatchObject({
      ok: true,
      claims: { kind: 'gate', gateId: 'g', programs: [{ program: 'sh', path: '/bin/sh' }] },
    });
    expect(sealed.seal?.replyKey).toBe(
      deriveReplyKey(keys.replySecret, `${RUN}/a/1:gate:g`, 'gate').toString('base64url'),
    );
    expect(sealed.seal?.replyKey).not.toBe(
      deriveReplyKey(keys.replySecret, `${RUN}/a/1:gate:g`, 'step').toString('base64url'),
    );
  });
});

const fact = (type: string, data: Record<string, unknown>, id: string): InboundEvent => ({
  id,
  type,
  at: T0,
  data,
  producer: 'worker/w1',
});

describe('the run inbox screen (stateless)', () => {
  const d = `${RUN}/a/1`;
  const ok = fact(
    'step.succeeded',
    { dispatchId: d, stepId: 'a', attempt: 1, output: 1, artifacts: [], durationMs: 1 },
    `${d}/succeeded`,
  );
  const key = deriveReplyKey(keys.replySecret, d, 'step');
  const screen = (f: InboundEvent, runId = RUN) => {
    const v = screenFact(new ReplyKeys(keys.replySecret), runId, f);
    return v.ok ? 'ok' : v.reason;
  };

  it("passes a worker's answer with the proof of its dispatch's reply key", () => {
    expect(screen(proveFact(key, ok))).toBe('ok');
  });

  it('refuses engine facts, other types, foreign runs, made-up ids, and missing or wrong proofs', () => {
    expect(screen(fact('run.started', {}, 'x'))).toBe('engine_only_fact');
    expect(screen(fact('approval.granted', { approvalId: 'x' }, 'x'))).toBe('engine_only_fact');
    expect(screen(fact('policy.decided', {}, 'x'))).toBe('engine_only_fact');
    expect(screen(fact('timer.fired', {}, 'x'))).toBe('engine_only_fact');
    expect(screen(fact('run.completed', {}, 'x'))).toBe('not_a_run_fact');
    expect(screen(fact('step.succeeded', { stepId: 'a' }, 'x'))).toBe('no_dispatch_named');
    expect(screen(proveFact(key, ok), '01BX5ZZKBKACTAV9WEVGEMMVRZ')).toBe('wrong_run');
    expect(screen(proveFact(key, { ...ok, id: `${d}/succeeded-2` }))).toBe('fact_id_mismatch');
    expect(screen(ok)).toBe('proof_missing');
    expect(screen({ ...proveFact(key, ok), data: { ...(ok.data as object), output: 2 } })).toBe(
      'proof_invalid',
    );
    expect(screen({ ...proveFact(key, ok), producer: 'worker/other' })).toBe('proof_invalid');
    // A gate's key does not prove a step's fact with the same id, nor a shard's a step's.
    expect(screen(proveFact(deriveReplyKey(keys.replySecret, d, 'gate'), ok))).toBe('proof_invalid');
    expect(screen(proveFact(deriveReplyKey(keys.replySecret, d, 'shard'), ok))).toBe('proof_invalid');
  });

  it('remembers derived reply keys by kind and dispatch, at most REPLY_KEYS_KEPT, and derives forgotten ones again', () => {
    const kept = new ReplyKeys(keys.replySecret);
    // One keyring across screens: the same verdicts as a fresh derivation each time.
    expect(screenFact(kept, RUN, proveFact(key, ok))).toMatchObject({ ok: true });
    expect(screenFact(kept, RUN, proveFact(deriveReplyKey(keys.replySecret, d, 'gate'), ok))).toEqual({
      ok: false,
      reason: 'proof_invalid',
    });
    expect(kept.of(d, 'gate').equals(deriveReplyKey(keys.replySecret, d, 'gate'))).toBe(true);
    expect(kept.of(d, 'step').equals(key)).toBe(true);
    for (let i = 0; i < REPLY_KEYS_KEPT + 10; i++) kept.of(`${RUN}/s/${i}`, 'step');
    expect(kept.size).toBe(REPLY_KEYS_KEPT);
    expect(kept.of(d, 'step').equals(key)).toBe(true);
    expect(kept.size).toBe(REPLY_KEYS_KEPT);
  });

  it('reads what a fact claims to answer: step, shard, gate, partition (planned or failed)', () => {
    expect(claimedAnswer(RUN, ok)).toMatchObject({ kind: 'step', dispatchId: d });
    expect(
      claimedAnswer(RUN, {
        type: 'step.started',
        data: { dispatchId: `${d}/k`, stepId: 'a', attempt: 1, shard: 'k' },
      }),
    ).toMatchObject({ kind: 'shard' });
    expect(
      claimedAnswer(RUN, {
        type: 'gate.failed',
        data: { dispatchId: `${d}:gate:g`, stepId: 'a', attempt: 1, gateId: 'g' },
      }),
    ).toMatchObject({ kind: 'gate', gateId: 'g' });
    expect(
      claimedAnswer(RUN, { type: 'partition.planned', data: { stepId: 'a', attempt: 1 } }),
    ).toMatchObject({ kind: 'partition', dispatchId: `${d}:partition` });
    expect(
      claimedAnswer(RUN, {
        type: 'step.failed',
        data: { dispatchId: `${d}:partition`, stepId: 'a', attempt: 1 },
      }),
    ).toMatchObject({ kind: 'partition' });
  });
});

describe('admission of an answer against the run state', () => {
  const state = (over: Partial<RunState>): RunState =>
    ({
      v: 1,
      runId: RUN,
      status: 'running',
      steps: {},
      inflight: {},
      pending: {},
      timers: {},
      ...over,
    }) as RunState;
  const shard = { dispatchId: `${RUN}/a/1/k`, kind: 'shard' as const, stepId: 'a', attempt: 1, shard: 'k' };

  it('admits an answer to an outstanding dispatch of its kind, refuses another kind or step, ignores a closed one', () => {
    const s = state({ inflight: { [shard.dispatchId]: { stepId: 'a', attempt: 1, shard: 'k' } } });
    expect(admitAnswer(s, shard)).toEqual({ verdict: 'admit' });
    expect(admitAnswer(s, { ...shard, shard: 'other' })).toMatchObject({ reason: 'answer_mismatch' });
    expect(admitAnswer(s, { ...shard, kind: 'step', shard: undefined })).toMatchObject({
      reason: 'kind_mismatch',
    });
    expect(admitAnswer(state({}), shard)).toMatchObject({ verdict: 'stale', reason: 'dispatch_closed' });
    expect(admitAnswer(undefined, shard)).toMatchObject({ reason: 'run_not_started' });
    const partition = {
      dispatchId: `${RUN}/a/1:partition`,
      kind: 'partition' as const,
      stepId: 'a',
      attempt: 1,
    };
    const waiting = state({
      pending: {
        'partition:a/1': {
          type: 'partition.plan',
          data: { stepId: 'a', attempt: 1, partitioner: 'p', with: {}, input: null },
        },
      },
    });
    expect(admitAnswer(waiting, partition)).toEqual({ verdict: 'admit' });
    expect(admitAnswer(waiting, { ...partition, attempt: 2 })).toMatchObject({ verdict: 'stale' });
  });
});

describe("the worker's last check of the program it starts", () => {
  const sealed = [{ program: 'node', path: '/usr/bin/node', sha256: 'aa' }];
  it('passes the sealed content, refuses another; programs the step did not name are not bound', () => {
    expect(() => checkSealedProgram(sealed, 'node', '/opt/node', () => 'aa')).not.toThrow();
    expect(() => checkSealedProgram(sealed, 'node', '/usr/bin/node', () => 'bb')).toThrow(
      expect.objectContaining({
        code: 'job_policy_denied',
        data: expect.objectContaining({ rule: 'program_identity' }),
      }),
    );
    expect(() =>
      checkSealedProgram([{ program: 'node', path: '/usr/bin/node' }], 'node', '/tmp/node'),
    ).toThrow();
    expect(() => checkSealedProgram(sealed, 'git', '/usr/bin/git', () => 'cc')).not.toThrow();
  });
});

describe('refusal counts', () => {
  it('count every warn refusal a logger (or its children) writes, by reason, and nothing else', () => {
    const counter = new RejectionCounter();
    const log = countingLogger(memoryLogger(), counter);
    log.warn({ event: 'message.rejected', reason: 'proof_missing' });
    log.child({ actor: 'worker' }).warn({ event: 'dispatch.refused', reason: 'unsealed' }, 'x');
    log.child({ a: 1 }).child({ b: 2 }).warn({ event: 'message.rejected', reason: 'proof_missing' });
    log.warn({ event: 'dispatch.refused', rule: 'commands' });
    log.info({ event: 'message.rejected', reason: 'not counted at info' });
    log.warn({ event: 'something.else', reason: 'x' });
    expect(counter.counts()).toEqual({ total: 4, reasons: { commands: 1, proof_missing: 2, unsealed: 1 } });
  });
});
