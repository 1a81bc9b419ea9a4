import { createHash } from 'node:crypto';
import { accessSync, constants, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createInMemoryBus } from '../../../src/actors/bus/in-memory-bus.js';
import { AnswerDesk } from '../../../src/actors/engine/answer-desk.js';
import { memoryLogger } from '../../../src/actors/logger.js';
import type { InboundEvent, InboxMessage } from '../../../src/actors/messages.js';
import { listApprovals, readApproval } from '../../../src/actors/policy/approvals.js';
import { PolicyGate } from '../../../src/actors/policy/policy-gate.js';
import { policySubject } from '../../../src/actors/subjects.js';
import { type PlanInput, planSchema } from '../../../src/blueprints/plan.js';
import { hashJson } from '../../../src/contracts/canonical-json.js';
import { SimulatedClock } from '../../../src/contracts/clock.js';
import type { RunId } from '../../../src/contracts/ids.js';
import type { JsonObject } from '../../../src/contracts/json.js';
import { createInMemoryEventStore } from '../../../src/eventstore/in-memory-event-store.js';
import { createUlidGenerator } from '../../../src/eventstore/system-ports.js';
import { policySchema } from '../../../src/project/policy.js';

const NS = 't';

/** Where a shell would find `name` on this process's PATH (what the gate uses by default). */
const resolveOnPath = (name: string): string => {
  for (const dir of (process.env.PATH ?? '').split(':').filter((d) => d.startsWith('/'))) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {}
  }
  throw new Error(`${name} is not on PATH`);
};
const T0 = Date.UTC(2026, 0, 1);

const basePolicy = {
  principals: { operator: { capabilities: ['deploy'] }, admin: { capabilities: ['*'] } },
  executors: ['command', 'echo'],
  commands: ['node', 'npm'],
  workspace: { allow: ['**'], deny: ['secrets/**'] },
};

type StepIn = PlanInput['steps'][number];
const step = (over: Partial<StepIn> = {}): StepIn => ({
  id: 'build',
  executor: 'command',
  with: { argv: ['node', 'build.js'] },
  timeoutMs: 1_000,
  ...over,
});

const setup = async (policy: Record<string, unknown> = {}) => {
  const clock = new SimulatedClock(T0);
  const store = createInMemoryEventStore();
  const bus = createInMemoryBus();
  const log = memoryLogger();
  const ids = createUlidGenerator(clock);
  // The run host, as the engine's gate and answer desk see it: facts handed over in-process.
  const inbox: InboxMessage[] = [];
  const runInbox = {
    deliver: async (runId: RunId, events: readonly InboundEvent[]) => {
      inbox.push({ runId, events: [...events] });
    },
  };
  const gate = new PolicyGate({
    store,
    bus,
    ns: NS,
    clock,
    log,
    inbox: runInbox,
    policy: policySchema.parse({ ...basePolicy, ...policy }),
    workspace: '/lily-policy-test-root',
  });
  gate.start();
  const desk = new AnswerDesk({ store, bus, ns: NS, clock, log, inbox: runInbox });
  const answer = (
    approvalId: string,
    a: { granted: boolean; by: string; comment?: string; reason?: string },
  ) => desk.answerApproval({ type: 'approval.answer', approvalId, ...a });

  /** Appends a run (requested + started) as the scheduler and run host would. */
  const run = async (
    steps: StepIn[],
    opts: {
      dryRun?: boolean;
      input?: JsonObject;
      principal?: string;
      completed?: string;
      timeoutMs?: number;
      /** More `run.started` fields (a fork's `parent` and `memo`). */
      started?: JsonObject;
    } = {},
  ) => {
    const runId = ids.runId();
    const parsed = planSchema.parse({
      blueprint: { id: 'p.v1', version: '1' },
      steps,
      timeoutMs: opts.timeoutMs,
    });
    const plan = JSON.parse(JSON.stringify(parsed)) as typeof parsed;
    const input = opts.input ?? {};
    const dryRun = opts.dryRun ?? false;
    const principal = opts.principal ?? 'operator';
    const meta = { producer: 'test' };
    const requested = { runId, jobId: 'build', trigger: { kind: 'manual' }, input, dryRun, principal };
    await store.append('job/build', [
      { id: `${runId}/requested`, type: 'run.requested', at: T0, data: requested, meta },
    ]);
    const started = {
      runId,
      jobId: 'build',
      blueprint: plan.blueprint,
      bindings: {},
      plan: plan as unknown as JsonObject,
      planHash: hashJson(plan),
      input,
      inputHash: hashJson(input),
      dryRun,
      kernelVersion: 't',
      env: {},
      principal,
      ...opts.started,
    };
    await store.append(`run/${runId}`, [
      { id: `${runId}/requested`, type: 'run.requested', at: T0, data: requested, meta },
      { id: `${runId}/started`, type: 'run.started', at: T0, data: started, meta },
    ]);
    if (opts.completed) {
      const status = opts.completed;
      await store.append(`run/${runId}`, [
        {
          id: `${runId}/done`,
          type: 'run.completed',
          at: T0,
          data: { status, envelope: { status, artifacts: [], references: {}, payload: null } },
          meta,
        },
      ]);
    }
    return { runId, started };
  };

  const settle = async () => {
    await bus.flush();
    await gate.idle();
    await bus.flush();
  };

  const check = async (runId: string, stepId = 'build', attempt = 1, executor = 'command') => {
    bus.publish(policySubject(NS), {
      runId,
      jobId: 'build',
      principal: 'forged-admin',
      dryRun: true,
      planHash: 'x',
      inputHash: 'y',
      command: { type: 'policy.check', data: { stepId, attempt, executor, request: {} } },
    });
    await settle();
    const fact = inbox.flatMap((m) => m.events).find((e) => e.id === `${runId}/${stepId}/${attempt}/policy`);
    return fact?.data as Record<string, unknown> & { decision: string; rule?: string; grant?: string };
  };

  const requestApproval = async (runId: string, approvalId: string, stepId = 'build') => {
    bus.publish(policySubject(NS), {
      runId,
      jobId: 'build',
      principal: 'operator',
      dryRun: false,
      planHash: 'x',
      inputHash: 'y',
      command: { type: 'approval.request', data: { stepId, attempt: 1, approvalId, reason: 'prod' } },
    });
    await settle();
  };

  return { clock, store, bus, log, gate, inbox, answer, run, check, settle, requestApproval };
};

describe('PolicyGate: policy.check', () => {
  it('allows, judged on the log, not the message, naming the program it allowed (what seals bind)', async () => {
    const t = await setup();
    const { runId } = await t.run([step()]);
    const decided = await t.check(runId);
    // The message claimed dryRun true and another principal: the log says otherwise.
    expect(decided).toMatchObject({ stepId: 'build', attempt: 1, decision: 'allow', reasons: [] });
    expect(decided.programs).toEqual([
      expect.objectContaining({ program: 'node', path: realpathSync(resolveOnPath('node')) }),
    ]);
    // No grant in the log: the run host seals each dispatch itself (decision 030).
    expect(decided.grant).toBeUndefined();
  });

  const denials: [
    string,
    StepIn[],
    Record<string, unknown>,
    { principal?: string; stepId?: string; executor?: string },
  ][] = [
    ['executors', [step({ executor: 'sql', with: {} })], {}, { executor: 'sql' }],
    ['commands', [step({ with: { argv: ['rm', '-rf', '/'] } })], {}, {}],
    ['commands', [step({ gates: [{ id: 'lint', with: { argv: ['curl', 'evil'] } }] })], {}, {}],
    ['executors', [step({ gates: [{ id: 'g', executor: 'sql', with: {} }] })], {}, {}],
    ['principals', [step()], {}, { principal: 'mallory' }],
    ['capabilities', [step({ capabilities: ['prod:write'] })], {}, {}],
    ['capabilities', [step({ idempotent: false })], {}, {}],
    ['workspace', [step({ paths: ['secrets/key'] })], {}, {}],
    ['workspace', [step({ with: { argv: ['node'], cwd: '../elsewhere' } })], {}, {}],
    ['caps.timeout_ms', [step({ timeoutMs: 5_000 })], { caps: { timeout_ms: 2_000 } }, {}],
    ['caps.timeout_ms', [step({ timeoutMs: undefined })], { caps: { timeout_ms: 2_000 } }, {}],
    ['caps.max_attempts', [step({ retry: { maxAttempts: 5 } })], { caps: { max_attempts: 3 } }, {}],
    ['plan', [step()], {}, { stepId: 'not-in-plan' }],
  ];
  it.each(denials)('denies by rule %s with a warn log', async (rule, steps, policy, opts) => {
    const t = await setup(policy);
    const { runId } = await t.run(steps, opts.principal ? { principal: opts.principal } : {});
    const decided = await t.check(runId, opts.stepId, 1, opts.executor);
    expect(decided).toMatchObject({ decision: 'deny', rule });
    expect(decided.grant).toBeUndefined();
    expect((decided.reasons as string[])[0]).toEqual(expect.any(String));
    if (rule !== 'plan') {
      expect(t.log.entries).toContainEqual(
        expect.objectContaining({ level: 'warn', event: 'policy.denied', rule, runId }),
      );
    }
  });

  it('a run timeout bounds a step without its own under caps.timeout_ms', async () => {
    const t = await setup({ caps: { timeout_ms: 2_000 } });
    const bounded = await t.run([step({ timeoutMs: undefined })], { timeoutMs: 1_500 });
    expect((await t.check(bounded.runId)).decision).toBe('allow');
    const unbounded = await t.run([step({ timeoutMs: undefined })], { timeoutMs: 60_000 });
    expect(await t.check(unbounded.runId)).toMatchObject({ decision: 'deny', rule: 'caps.timeout_ms' });
  });

  it('require_dry_run is satisfied only by a succeeded dry run of the same plan hash and input hash', async () => {
    const t = await setup({ require_dry_run: [{ job: 'build' }] });
    const input = { target: 'prod' };
    const real = async () => (await t.check((await t.run([step()], { input })).runId)).decision;
    expect(await real()).toBe('deny');
    // A dry run itself is allowed (it is the proof being made).
    const dry = await t.run([step()], { input, dryRun: true });
    expect((await t.check(dry.runId)).decision).toBe('allow');
    // Not proofs: a dry run still running, a failed one, one with other input, one of another plan,
    // a real run that succeeded.
    await t.run([step()], { input, dryRun: true, completed: 'failed' });
    await t.run([step()], { input: { target: 'dev' }, dryRun: true, completed: 'succeeded' });
    await t.run([step({ timeoutMs: 999 })], { input, dryRun: true, completed: 'succeeded' });
    await t.run([step()], { input, dryRun: false, completed: 'succeeded' });
    expect(await real()).toBe('deny');
    expect(t.log.entries).toContainEqual(
      expect.objectContaining({ event: 'policy.denied', rule: 'require_dry_run' }),
    );
    await t.run([step()], { input, dryRun: true, completed: 'succeeded' });
    expect(await real()).toBe('allow');
  });

  it('a dry-run fork that copied steps from its parent or ran only gates is no proof', async () => {
    const t = await setup({ require_dry_run: [{ job: 'build' }] });
    const input = { target: 'prod' };
    const real = async () => (await t.check((await t.run([step()], { input })).runId)).decision;
    const parent = { runId: '01ARZ3NDEKTSV4RRFFQ69G5FAV', gatesOnly: false };
    const memo = { build: { output: { copied: true }, artifacts: [] } };
    await t.run([step()], { input, dryRun: true, completed: 'succeeded', started: { parent, memo } });
    await t.run([step()], {
      input,
      dryRun: true,
      completed: 'succeeded',
      started: { parent: { ...parent, gatesOnly: true } },
    });
    expect(await real()).toBe('deny');
    // A full re-run of a parent (nothing memoized) dry-runs every step: it is a proof.
    await t.run([step()], { input, dryRun: true, completed: 'succeeded', started: { parent } });
    expect(await real()).toBe('allow');
  });

  it('records what an allowed step and its gates run: argv[0], the real file, its sha256', async () => {
    const t = await setup();
    const { runId } = await t.run([
      step({ gates: [{ id: 'check', executor: 'command', with: { argv: [process.execPath, '-v'] } }] }),
    ]);
    const decided = await t.check(runId);
    const node = realpathSync(process.execPath);
    const sha256 = createHash('sha256').update(readFileSync(node)).digest('hex');
    expect(decided).toMatchObject({
      decision: 'allow',
      programs: [
        {
          program: 'node',
          path: realpathSync(resolveOnPath('node')),
          sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        },
        { gateId: 'check', program: process.execPath, path: node, sha256 },
      ],
    });
  });

  it('denies a program the allowlist names only by basename, and a step env that changes what runs', async () => {
    const t = await setup();
    const impostor = await t.run([step({ with: { argv: ['/tmp/lily-impostor/node'] } })]);
    expect(await t.check(impostor.runId)).toMatchObject({
      decision: 'deny',
      rule: 'commands',
      reasons: [expect.stringMatching(/^command \/tmp\/lily-impostor\/node is not allowed/)],
    });
    const preload = await t.run([step({ with: { argv: ['node'], env: { LD_PRELOAD: './x/pre.so' } } })]);
    expect(await t.check(preload.runId)).toMatchObject({
      decision: 'deny',
      rule: 'env',
      reasons: [expect.stringMatching(/^step sets LD_PRELOAD/)],
    });
  });

  it('never crashes on malformed messages', async () => {
    const t = await setup();
    t.bus.publish(policySubject(NS), { nonsense: true });
    t.bus.publishBytes(policySubject(NS), new TextEncoder().encode('{not json'));
    await t.settle();
    const { runId } = await t.run([step()]);
    expect((await t.check(runId)).decision).toBe('allow');
    // A check for a run that does not exist gets no reply (there is no run to tell).
    await t.check('01ARZ3NDEKTSV4RRFFQ69G5FAV');
    expect(t.inbox.flatMap((m) => m.events)).toHaveLength(1);
  });
});

describe('PolicyGate: approvals', () => {
  it('asks for approval with a deterministic id, records the request, and delivers the answer', async () => {
    const t = await setup({ approvals: [{ step: 'deploy', reason: 'production deploy' }] });
    const { runId } = await t.run([step({ id: 'deploy' })]);
    const decided = await t.check(runId, 'deploy');
    const approvalId = `${runId}.deploy.1`;
    expect(decided).toMatchObject({
      decision: 'approval_required',
      rule: 'approvals',
      reasons: ['production deploy'],
      approvalId,
    });
    expect(decided.grant).toBeUndefined();

    await t.requestApproval(runId, approvalId, 'deploy');
    await t.requestApproval(runId, approvalId, 'deploy'); // re-sent: recorded once
    const stream = await t.store.readStream(`approval/${approvalId}`);
    expect(stream.map((e) => e.type)).toEqual(['approval.requested']);
    expect(stream[0]?.data).toMatchObject({ runId, jobId: 'build', stepId: 'deploy', approvalId });
    expect(await listApprovals(t.store, { status: 'pending' })).toMatchObject([
      { approvalId, runId, status: 'pending' },
    ]);
    expect(t.log.entries).toContainEqual(
      expect.objectContaining({ level: 'warn', event: 'approval.requested' }),
    );

    const answered = await t.answer(approvalId, { granted: true, by: 'alice', comment: 'go' });
    expect(answered).toMatchObject({ status: 'granted', by: 'alice', note: 'go' });
    await t.settle();
    const facts = t.inbox.flatMap((m) => m.events).filter((e) => e.type === 'approval.granted');
    expect(facts).toEqual([
      expect.objectContaining({
        id: `${approvalId}/granted`,
        data: { stepId: 'deploy', attempt: 1, approvalId, by: 'alice', comment: 'go' },
      }),
    ]);
    // The first answer wins: a later denial is refused and nothing more reaches the run.
    await expect(t.answer(approvalId, { granted: false, by: 'bob' })).rejects.toMatchObject({
      code: 'approval_answered',
      data: { status: 'granted' },
    });
    expect(t.inbox.flatMap((m) => m.events).filter((e) => e.type === 'approval.denied')).toEqual([]);
    await expect(t.answer('nope', { granted: true, by: 'x' })).rejects.toMatchObject({
      code: 'approval_not_found',
    });
    expect(await listApprovals(t.store)).toMatchObject([{ status: 'granted' }]);
  });

  it('an answer recorded before the run host got it is delivered again when the request is re-sent', async () => {
    const t = await setup({ approvals: [{ step: 'deploy' }] });
    const { runId } = await t.run([step({ id: 'deploy' })]);
    const approvalId = `${runId}.deploy.1`;
    await t.requestApproval(runId, approvalId, 'deploy');
    await t.answer(approvalId, { granted: false, by: 'bob', reason: 'not today' });
    await t.settle();
    t.inbox.length = 0; // the engine stopped before its run host appended the answer
    await t.requestApproval(runId, approvalId, 'deploy'); // the engine resumed and re-sent it
    expect(t.inbox.flatMap((m) => m.events)).toEqual([
      expect.objectContaining({
        id: `${approvalId}/denied`,
        type: 'approval.denied',
        data: { stepId: 'deploy', attempt: 1, approvalId, by: 'bob', reason: 'not today' },
      }),
    ]);
    expect(await readApproval(t.store, approvalId)).toMatchObject({ status: 'denied', note: 'not today' });
  });

  it('a step whose plan asks for approval gets approval_required; in a dry run the approval is granted at once', async () => {
    const t = await setup();
    const { runId } = await t.run([step({ approval: { reason: 'plan says so' } })]);
    expect(await t.check(runId)).toMatchObject({ decision: 'approval_required', rule: 'plan' });
    const dry = await t.run([step({ approval: { reason: 'plan says so' } })], { dryRun: true });
    expect((await t.check(dry.runId)).decision).toBe('allow');
    await t.requestApproval(dry.runId, `${dry.runId}.build.1`);
    expect(t.inbox.flatMap((m) => m.events).filter((e) => e.type === 'approval.granted')).toEqual([
      expect.objectContaining({ data: expect.objectContaining({ by: 'lily:dry-run' }) }),
    ]);
  });
});
