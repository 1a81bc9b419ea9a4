import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { PlanInput } from '../../../src/blueprints/plan.js';
import { dispatchId, ev, given, plan, RUN, started } from './given.js';

describe('policy, approvals and dry runs', () => {
  const one = plan([
    { id: 'a', executor: 'x', capabilities: ['net'], sideEffects: 'write', paths: ['out/**'] },
  ]);

  it('given the policy denies, the step fails with job_policy_denied (not retried)', () => {
    const w = given(one).when(ev.deny('a')).then(['run.complete']).thenStatus({}, 'failed');
    expect(w.state.outcome?.error?.data).toMatchObject({ error: { code: 'job_policy_denied' } });
  });

  it('given approval is required, the run waits for a person, then dispatches', () => {
    given(one)
      .when(ev.needsApproval('a'))
      .thenMatches([
        { type: 'approval.request', data: { approvalId: `${RUN}/a/1/approval`, reason: 'human' } },
      ])
      .thenStatus({ a: 'awaiting_approval' })
      .and(ev.granted('a'))
      .then(['step.dispatch']);
  });

  it('given a plan approval and a denial, the step fails', () => {
    const p = plan([{ id: 'a', executor: 'x', approval: { reason: 'prod deploy' } }]);
    given(p)
      .when(ev.allow('a'))
      .thenMatches([{ type: 'approval.request', data: { reason: 'prod deploy' } }])
      .and(ev.denied('a'))
      .then(['run.complete']);
  });

  it('given a dry run, policy requests and dispatches carry dryRun', () => {
    given(one, [], { started: { dryRun: true } })
      .when(ev.allow('a'))
      .thenMatches([{ type: 'step.dispatch', data: { dryRun: true, with: {} } }]);
    expect(
      given(one, [], { started: { dryRun: true } }).program.outstanding(
        given(one, [], { started: { dryRun: true } }).state,
      ).resend,
    ).toMatchObject([
      {
        type: 'policy.check',
        data: { request: { dryRun: true, capabilities: ['net'], sideEffects: 'write', paths: ['out/**'] } },
      },
    ]);
  });
});

describe('gates', () => {
  const gated = plan([
    {
      id: 'a',
      executor: 'x',
      gates: [
        { id: 'lint', with: { argv: ['lint'] } },
        { id: 'perf', required: false },
      ],
    },
    { id: 'b', executor: 'x', needs: ['a'] },
  ]);

  it('given a succeeded step with gates, every gate runs against its output', () => {
    given(gated, [ev.allow('a')])
      .when(ev.ok('a', { v: 1 }))
      .thenMatches([
        {
          type: 'gate.run',
          data: {
            gateId: 'lint',
            dispatchId: `${dispatchId('a')}:gate:lint`,
            executor: 'command',
            input: { with: { argv: ['lint'] }, output: { v: 1 }, required: true },
          },
        },
        { type: 'gate.run', data: { gateId: 'perf', input: { required: false } } },
      ])
      .thenStatus({ a: 'gating' });
  });

  it('given an optional gate fails and the required passes, the step succeeds', () => {
    given(gated, [ev.allow('a'), ev.ok('a')])
      .when(ev.gateFailed('a', 'perf', false))
      .then([])
      .and(ev.gatePassed('a', 'lint'))
      .then(['policy.check'])
      .thenStatus({ a: 'succeeded' });
  });

  it('given a required gate fails, the step ends gate_failed and the run fails', () => {
    const w = given(gated, [ev.allow('a'), ev.ok('a'), ev.gatePassed('a', 'perf')])
      .when(ev.gateFailed('a', 'lint'))
      .then(['step.skip', 'run.complete']);
    expect(w.state.steps.a?.error).toMatchObject({
      code: 'blueprint_execution_failed',
      data: { gates: ['lint'] },
    });
  });
});

describe('gates in a dry run', () => {
  const dry = { started: { dryRun: true } };
  const gated = (gates: PlanInput['steps'][number]['gates']) =>
    plan([
      { id: 'a', executor: 'x', gates },
      { id: 'b', executor: 'x', needs: ['a'] },
    ]);

  it('given a dry run, a gate with side effects is recorded as skipped, never run, and the step succeeds', () => {
    const p = gated([{ id: 'deploy-check', sideEffects: 'external' }]);
    given(p, [ev.allow('a')], dry)
      .when(ev.ok('a', { dryRun: true }))
      .thenMatches([
        {
          type: 'gate.skip',
          data: {
            stepId: 'a',
            attempt: 1,
            dispatchId: `${dispatchId('a')}:gate:deploy-check`,
            gateId: 'deploy-check',
            executor: 'command',
            reason: 'dry_run',
          },
        },
        { type: 'policy.check', data: { stepId: 'b' } },
      ])
      .then(['gate.skip', 'policy.check'])
      .thenStatus({ a: 'succeeded', b: 'policy_check' });
  });

  it('given a gate whose side effects the plan does not record, a dry run skips it too', () => {
    given(gated([{ id: 'old' }]), [ev.allow('a')], dry)
      .when(ev.ok('a'))
      .then(['gate.skip', 'policy.check']);
  });

  it('given side-effect-free and side-effecting gates, only the free ones run; the step waits for them', () => {
    const p = gated([
      { id: 'shape', executor: 'echo', sideEffects: 'none' },
      { id: 'smoke', sideEffects: 'write' },
      { id: 'read', sideEffects: 'read' },
    ]);
    const w = given(p, [ev.allow('a')], dry)
      .when(ev.ok('a'))
      .then(['gate.run', 'gate.skip', 'gate.skip'])
      .thenMatches([
        { data: { gateId: 'shape' } },
        { data: { gateId: 'smoke' } },
        { data: { gateId: 'read' } },
      ])
      .thenStatus({ a: 'gating' });
    expect(w.state.steps.a?.gates).toEqual({ shape: 'pending', smoke: 'skipped', read: 'skipped' });
    expect(Object.keys(w.state.inflight)).toEqual([`${dispatchId('a')}:gate:shape`]);
    w.and(ev.gatePassed('a', 'shape')).then(['policy.check']).thenStatus({ a: 'succeeded' });
  });

  it('given a real run, the same gates all run', () => {
    const p = gated([{ id: 'smoke', sideEffects: 'external' }, { id: 'old' }]);
    given(p, [ev.allow('a')])
      .when(ev.ok('a'))
      .then(['gate.run', 'gate.run']);
  });

  it('given a gates-only fork as a dry run, it skips every side-effecting gate and succeeds', () => {
    const p = gated([{ id: 'smoke', sideEffects: 'external' }]);
    const memo = { a: { output: {}, artifacts: [] }, b: { output: {}, artifacts: [] } };
    const program = given(p).program;
    const t = program.start(started(p, { dryRun: true, memo, parent: { runId: 'P', gatesOnly: true } }));
    expect(t.commands.map((c) => c.type)).toEqual(['gate.skip', 'run.complete']);
    expect(t.final?.status).toBe('succeeded');
  });
});

describe('output schemas', () => {
  const schemas = { get: (name: string) => (name === 'count@1' ? z.object({ n: z.number() }) : undefined) };
  const p = plan([{ id: 'a', executor: 'x', outputSchema: 'count@1' }]);

  it('given an output matching its schema, the step succeeds', () => {
    given(p, [ev.allow('a')], { schemas })
      .when(ev.ok('a', { n: 1 }))
      .thenMatches([{ type: 'run.complete', data: { status: 'succeeded' } }]);
  });

  it('given an output breaking its schema, the step fails with blueprint_execution_failed and the issues', () => {
    const w = given(p, [ev.allow('a')], { schemas })
      .when(ev.ok('a', { n: 'one' }))
      .then(['run.complete']);
    expect(w.state.steps.a?.error).toMatchObject({
      code: 'blueprint_execution_failed',
      data: { schema: 'count@1', issues: [{ path: 'n' }] },
    });
  });

  it('given an unregistered schema name, the step fails', () => {
    const w = given(p, [ev.allow('a')])
      .when(ev.ok('a', { n: 1 }))
      .then(['run.complete']);
    expect(w.state.steps.a?.error?.message).toContain('not registered');
  });
});
