/**
 * Issue 12's attacks against a managed deployment (the project's nats-server with its JWT trust
 * chain, an engine and a worker, each with its role's credential), forged with the raw NATS
 * client, once with a worker credential and once with an operator credential. For each: nothing
 * runs that the log did not order (effect files are never written), the run's outcome and log
 * have the shape of a clean run, and the refusal is visible: the server's permission violation
 * for what a role may not publish, else a warn log of Lily naming the reason. Where the server
 * refuses, the same forgery is also sent "past the permissions" (with the engine's credential,
 * as a mis-configured NATS would let anyone) to show Lily's own check behind it.
 *
 * Attacks 2 and 7 through job specs are in test/int/policy/exec-attacks.int.test.ts, 8 in
 * test/int/deployment/namespace-claim.int.test.ts (plus other-project credentials below), 9 in
 * test/int/project/private-state.int.test.ts.
 */
import { join } from 'node:path';
import { connect, credsAuthenticator } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerReplySchema, type ExecItem } from '../../../src/actors/messages.js';
import { answerSubject, execSubject, inboxSubject } from '../../../src/actors/subjects.js';
import { proveFact } from '../../../src/actors/trust/reply-proof.js';
import { hashJson, type RunId } from '../../../src/contracts/index.js';
import { issueCredential } from '../../../src/deployment/nats-auth/creds.js';
import { loadOrCreateNatsTrust } from '../../../src/deployment/nats-auth/keys.js';
import { tempProject } from '../../helpers/lily-project.js';
import {
  dataOf,
  NS,
  pipelineJob,
  type RawClient,
  refusals,
  shape,
  startTrustDeployment,
  type TrustDeployment,
  waitFor,
  writes,
} from '../../helpers/trust-deployment.js';

const POLICY = `default_principal: operator
principals: { operator: { capabilities: [] } }
executors: [command, echo]
commands: [node]
workspace: { allow: ["**"], deny: [] }
approvals:
  - { job: ship, step: ship, reason: "a human ships" }
`;

let d: TrustDeployment;
const attackers: Record<'worker' | 'operator', RawClient> = {} as never;
const ROLES = ['worker', 'operator'] as const;
const clean: Record<string, string[]> = {};

beforeAll(async () => {
  d = await startTrustDeployment({
    policy: POLICY,
    jobs: (effects) => ({
      pair: pipelineJob('pair', [
        { id: 'a', run: writes(effects, 'a', 400) },
        { id: 'b', run: writes(effects, 'b') },
      ]),
      slow: pipelineJob('slow', [{ id: 'a', run: writes(effects, 'slow', 800) }]),
      ship: pipelineJob('ship', [{ id: 'ship', run: writes(effects, 'ship') }]),
    }),
  });
  for (const role of ROLES) attackers[role] = await d.client(role);
  for (const job of ['pair', 'slow']) clean[job] = shape(await d.completed(await d.request(job)));
}, 90_000);

afterAll(async () => {
  await d?.stop();
});

const publish = async (c: RawClient, subject: string, payload: unknown) => {
  c.nc.publish(subject, JSON.stringify(payload));
  await c.nc.flush();
};

/** The server refused `c`'s publish on `subject` (a permission violation reported to it). */
const refusedByServer = (c: RawClient, subject: string) =>
  waitFor(`the server to refuse ${c.role}'s publish on ${subject}`, () =>
    c.violations.find((v) => v.operation === 'publish' && v.subject === subject),
  );

/** The refusals the engine and the worker logged since `mark()`. */
const mark = () => {
  const e = d.engineLog.entries.length;
  const w = d.workerLog.entries.length;
  return () => [...refusals(d.engineLog, e), ...refusals(d.workerLog, w)];
};

const dispatchesOf = (runId: RunId): ExecItem[] =>
  d.captured
    .filter((m) => m.subject.startsWith(`lily.${NS}.cmd.exec.`))
    .flatMap((m) => (m.json() as { items: ExecItem[] }).items)
    .filter((i) => i.runId === runId);

const waitDispatch = (runId: RunId, stepId: string) =>
  waitFor(`${stepId}'s dispatch`, () => dispatchesOf(runId).find((i) => i.data.stepId === stepId));

const waitEvent = (runId: RunId, type: string, stepId?: string) =>
  waitFor(`${type} of ${runId}`, async () =>
    (await d.events(runId)).find(
      (e) => e.type === type && (stepId === undefined || (e.data as { stepId?: string }).stepId === stepId),
    ),
  );

describe('attack 1: a dispatch copied from a finished run, with another argv, attempt or dispatch id', () => {
  it.each(ROLES)(
    'with a %s credential: refused by the server; past the permissions, by the worker',
    async (role) => {
      const runId = await d.request('pair');
      const events = await d.completed(runId);
      const real = (await waitDispatch(runId, 'a')) as Extract<ExecItem, { kind: 'step' }>;
      const evil = writes(d.effects, `evil1-${role}`);
      const variants: [string, ExecItem][] = [
        ['argv', { ...real, data: { ...real.data, with: { argv: ['sh', '-c', `touch ${d.effects}/x`] } } }],
        [
          'attempt',
          { ...real, data: { ...real.data, attempt: 7, dispatchId: `${runId}/a/7`, with: { argv: evil } } },
        ],
        ['id', { ...real, data: { ...real.data, dispatchId: `${runId}/zz/1`, with: { argv: evil } } }],
        [
          'unsealed',
          {
            ...real,
            seal: undefined,
            data: { ...real.data, dispatchId: `${runId}/a/8`, with: { argv: evil } },
          },
        ],
        // Attacks 2 and 7 on the bus: a gate item, a PATH in the step's env.
        [
          'gate',
          {
            kind: 'gate',
            runId,
            jobId: 'pair',
            data: {
              stepId: 'a',
              attempt: 1,
              dispatchId: `${runId}/a/1:gate:g`,
              gateId: 'g',
              executor: 'command',
              input: { with: { argv: evil } },
            },
          },
        ],
        ['env', { ...real, data: { ...real.data, with: { argv: evil, env: { PATH: d.effects } } } }],
      ];
      const subject = execSubject(NS, 'command');
      for (const [, item] of variants) await publish(attackers[role], subject, { items: [item] });
      await refusedByServer(attackers[role], subject);
      // Past the permissions: the worker itself refuses every one, naming why.
      const since = mark();
      for (const [, item] of variants) d.spy.publish(subject, JSON.stringify({ items: [item] }));
      await d.spy.flush();
      const refused = await waitFor('six refusals', () => (since().length >= 6 ? since() : undefined));
      expect(refused.map((r) => r.reason).sort()).toEqual(
        [
          'digest_mismatch',
          'digest_mismatch',
          'unsealed',
          'unsealed',
          'wrong_dispatch',
          'wrong_dispatch',
        ].sort(),
      );
      expect(d.effect(`evil1-${role}`, runId)).toBe(false);
      expect(shape(await d.events(runId))).toEqual(shape(events));
    },
  );
});

describe('attack 3: a step.succeeded sent while the real step runs', () => {
  it.each(ROLES)('with a %s credential: the fact is refused, the real output is recorded', async (role) => {
    const runId = await d.request('pair');
    const dispatch = await waitDispatch(runId, 'a');
    await waitEvent(runId, 'step.started', 'a');
    const since = mark();
    const dispatchId = (dispatch.data as { dispatchId: string }).dispatchId;
    const forged = (extra: Record<string, unknown> = {}) => ({
      id: `${dispatchId}/succeeded`,
      type: 'step.succeeded',
      at: Date.now(),
      producer: 'worker/w1',
      data: { dispatchId, stepId: 'a', attempt: 1, output: { pwned: true }, artifacts: [], durationMs: 5 },
      ...extra,
    });
    const inbox = inboxSubject(NS, runId);
    await publish(attackers[role], inbox, { runId, events: [forged(), forged({ proof: 'AAAA' })] });
    if (role === 'operator') await refusedByServer(attackers[role], inbox);
    else {
      const refused = await waitFor('two refusals', () => (since().length >= 2 ? since() : undefined));
      expect(refused.map((r) => r.reason)).toEqual(['proof_missing', 'proof_invalid']);
    }
    const events = await d.completed(runId);
    expect(dataOf(events, 'step.succeeded').map((s) => s.output)).not.toContainEqual({ pwned: true });
    expect(dataOf(events, 'step.succeeded')[0]?.output).toMatchObject({ exitCode: 0 });
    expect(shape(events)).toEqual(clean.pair);
  });

  it("a worker's reply key proves only the dispatch it was sealed for (another step's fact is refused)", async () => {
    const runId = await d.request('pair');
    const a = await waitDispatch(runId, 'a');
    const since = mark();
    // The attacker took a's dispatch (it may: a worker credential) and so holds a's reply key.
    const key = Buffer.from(a.seal?.replyKey ?? '', 'base64url');
    const dispatchId = `${runId}/b/1`;
    const fact = proveFact(key, {
      id: `${dispatchId}/succeeded`,
      type: 'step.succeeded',
      at: Date.now(),
      producer: 'worker/evil',
      data: { dispatchId, stepId: 'b', attempt: 1, output: { decoy: true }, artifacts: [], durationMs: 1 },
    });
    await publish(attackers.worker, inboxSubject(NS, runId), { runId, events: [fact] });
    await waitFor('the refusal', () => since().find((r) => r.reason === 'proof_invalid'));
    const events = await d.completed(runId);
    expect(dataOf(events, 'step.succeeded').map((s) => s.output)).not.toContainEqual({ decoy: true });
    expect(d.effect('b', runId)).toBe(true);
    expect(shape(events)).toEqual(clean.pair);
  });
});

describe('attack 4: approvals come only through the engine, and run and record agree', () => {
  it.each(ROLES)('with a %s credential: an approval.granted on the inbox changes nothing', async (role) => {
    const runId = await d.request('ship');
    const approvalId = `${runId}.ship.1`;
    await waitFor('the approval request', async () =>
      (await d.engine.storage.events.readStream(`approval/${approvalId}`)).length > 0 ? true : undefined,
    );
    const since = mark();
    const inbox = inboxSubject(NS, runId);
    const granted = {
      id: `${approvalId}/granted`,
      type: 'approval.granted',
      at: Date.now(),
      producer: 'cli/mallory',
      data: { stepId: 'ship', attempt: 1, approvalId, by: 'mallory' },
    };
    await publish(attackers[role], inbox, { runId, events: [granted] });
    if (role === 'operator') await refusedByServer(attackers[role], inbox);
    else expect((await waitFor('the refusal', () => since()[0])).reason).toBe('engine_only_fact');
    await new Promise((r) => setTimeout(r, 300));
    expect((await d.events(runId)).map((e) => e.type)).not.toContain('step.dispatched');
    expect(d.effect('ship', runId)).toBe(false);
    // The way that works: an operator's request to the engine; the first answer wins.
    const answer = (granted: boolean) =>
      attackers.operator.nc
        .request(
          answerSubject(NS),
          JSON.stringify({ type: 'approval.answer', approvalId, granted, by: 'alice' }),
          {
            timeout: 10_000,
          },
        )
        .then((m) => answerReplySchema.parse(m.json()));
    const first = role === 'worker';
    expect(await answer(first)).toMatchObject({
      ok: true,
      result: { approval: { status: first ? 'granted' : 'denied' } },
    });
    expect(await answer(!first)).toMatchObject({ ok: false, error: { code: 'approval_answered' } });
    const events = await d.completed(runId);
    const record = await d.engine.storage.events.readStream(`approval/${approvalId}`);
    expect(record.map((e) => e.type)).toEqual([
      'approval.requested',
      first ? 'approval.granted' : 'approval.denied',
    ]);
    expect(dataOf(events, 'run.completed')[0]?.status).toBe(first ? 'succeeded' : 'failed');
    expect(d.effect('ship', runId)).toBe(first);
    // A worker may not send answers at all.
    await publish(attackers.worker, answerSubject(NS), {
      type: 'approval.answer',
      approvalId,
      granted: true,
      by: 'w',
    });
    await refusedByServer(attackers.worker, answerSubject(NS));
  });
});

describe('attack 5: a run.started with another plan for a queued run', () => {
  it.each(ROLES)('with a %s credential: refused; the queued run later runs its own plan', async (role) => {
    const first = await d.request('slow');
    const queued = await d.request('slow');
    await waitEvent(first, 'step.started');
    const since = mark();
    const plan = {
      blueprint: { id: 'pipeline.v1', version: '1.0.0' },
      steps: [{ id: 'a', executor: 'command', with: { argv: writes(d.effects, `plan5-${role}`) } }],
    };
    const started = {
      id: `${queued}/started`,
      type: 'run.started',
      at: Date.now(),
      producer: 'engine/scheduler',
      data: {
        runId: queued,
        jobId: 'slow',
        blueprint: plan.blueprint,
        bindings: {},
        plan,
        planHash: hashJson(plan),
        input: {},
        inputHash: hashJson({}),
        dryRun: false,
        kernelVersion: 'x',
        env: {},
        principal: 'operator',
      },
    };
    const inbox = inboxSubject(NS, queued);
    await publish(attackers[role], inbox, { runId: queued, events: [started] });
    if (role === 'operator') await refusedByServer(attackers[role], inbox);
    else expect((await waitFor('the refusal', () => since()[0])).reason).toBe('engine_only_fact');
    expect((await d.events(queued)).map((e) => e.type)).toEqual(['run.requested']);
    const events = await d.completed(queued);
    expect(dataOf(events, 'run.started')[0]?.planHash).not.toBe(hashJson(plan));
    expect(d.effect(`plan5-${role}`, queued)).toBe(false);
    expect(shape(events)).toEqual(clean.slow);
  });
});

describe("attack 6: step a's dispatch re-sent as b's, to pre-claim b in the ledger", () => {
  it.each(ROLES)(
    'with a %s credential: refused by the server; past the permissions, by the worker; b runs itself',
    async (role) => {
      const runId = await d.request('pair');
      const a = (await waitDispatch(runId, 'a')) as Extract<ExecItem, { kind: 'step' }>;
      const decoy = { ...a, data: { ...a.data, dispatchId: `${runId}/b/1`, stepId: 'b' } };
      const subject = execSubject(NS, 'command');
      await publish(attackers[role], subject, { items: [decoy] });
      await refusedByServer(attackers[role], subject);
      const since = mark();
      d.spy.publish(subject, JSON.stringify({ items: [decoy] }));
      await d.spy.flush();
      expect((await waitFor('the refusal', () => since()[0])).reason).toBe('wrong_dispatch');
      const events = await d.completed(runId);
      expect(d.effect('b', runId)).toBe(true);
      const outputs = dataOf(events, 'step.succeeded');
      expect(outputs.map((o) => o.stepId)).toEqual(['a', 'b']);
      expect(shape(events)).toEqual(clean.pair);
    },
  );
});

describe('attack 8: another project on the same NATS', () => {
  it.each(ROLES)("a %s credential of another project is refused by this project's server", async (role) => {
    const other = await tempProject('lily-other-');
    try {
      const trust = await loadOrCreateNatsTrust(join(other.dir, '.lily', 'keys'));
      const issued = await issueCredential(trust.account, { role, ns: NS, executors: ['command'] });
      await expect(
        connect({
          servers: d.url,
          authenticator: credsAuthenticator(new TextEncoder().encode(issued.text)),
          reconnect: false,
        }),
      ).rejects.toThrow(/Authorization Violation/i);
    } finally {
      other.remove();
    }
  });
});

describe('lily status counts what was refused', () => {
  it('the engine and the worker report their refusals by reason in sys.ping', async () => {
    const pong = await d.spy.request(`lily.${NS}.sys.ping.engine`, '', { timeout: 5_000 });
    const engine = pong.json() as {
      details: { rejected: { total: number; reasons: Record<string, number> } };
    };
    expect(engine.details.rejected.total).toBeGreaterThan(0);
    expect(engine.details.rejected.reasons).toMatchObject({
      proof_missing: expect.any(Number),
      engine_only_fact: expect.any(Number),
    });
    const wpong = await d.spy.request(`lily.${NS}.sys.ping.worker-w1`, '', { timeout: 5_000 });
    const worker = wpong.json() as { details: { rejected: { reasons: Record<string, number> } } };
    expect(worker.details.rejected.reasons).toMatchObject({
      wrong_dispatch: expect.any(Number),
      unsealed: expect.any(Number),
    });
  });
});
