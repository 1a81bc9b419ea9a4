import { describe, expect, it } from 'vitest';
import { createInMemoryBus } from '../../../src/actors/bus/in-memory-bus.js';
import { memoryLogger } from '../../../src/actors/logger.js';
import { PolicyGate } from '../../../src/actors/policy/policy-gate.js';
import type { JobKind } from '../../../src/blueprints/job-kinds.js';
import { planSchema } from '../../../src/blueprints/plan.js';
import { hashJson } from '../../../src/contracts/canonical-json.js';
import { SimulatedClock } from '../../../src/contracts/clock.js';
import type { RunId } from '../../../src/contracts/ids.js';
import type { JsonObject } from '../../../src/contracts/json.js';
import { createInMemoryEventStore } from '../../../src/eventstore/in-memory-event-store.js';
import { createUlidGenerator } from '../../../src/eventstore/system-ports.js';
import { policySchema } from '../../../src/project/policy.js';

const T0 = Date.UTC(2026, 0, 1);

const migrateKind: JobKind = {
  id: 'deploy.migrate',
  version: 1,
  description: 'migrations',
  partitioners: [],
  executors: ['echo'],
  safety: { allowNonIdempotent: true, requireDryRun: true },
  nonIdempotentCapability: 'hxo:force-merge',
  defaultSloMs: 1_000,
};
const packKind: JobKind = {
  ...migrateKind,
  id: 'deploy.pack',
  safety: { allowNonIdempotent: false, requireDryRun: false },
};

const setup = (policyOver: Record<string, unknown> = {}) => {
  const clock = new SimulatedClock(T0);
  const store = createInMemoryEventStore();
  const ids = createUlidGenerator(clock);
  const gate = new PolicyGate({
    store,
    bus: createInMemoryBus(),
    ns: 't',
    clock,
    log: memoryLogger(),
    policy: policySchema.parse({
      principals: { operator: { capabilities: ['hxo:force-merge'] }, guest: { capabilities: [] } },
      executors: ['echo'],
      workspace: { allow: ['**'], deny: [] },
      ...policyOver,
    }),
    inbox: { deliver: async () => undefined },
    workspace: '/lily-kind-test-root',
    catalog: {
      executors: new Map(),
      jobKinds: new Map([
        ['deploy.migrate', [migrateKind]],
        ['deploy.pack', [packKind]],
      ]),
    },
  });
  const run = async (o: {
    kind: string;
    dryRun?: boolean;
    completed?: string;
    principal?: string;
    input?: JsonObject;
  }) => {
    const runId = ids.runId();
    const plan = planSchema.parse({
      blueprint: { id: 'm.v1', version: '1' },
      kind: o.kind,
      steps: [{ id: 'migrate', executor: 'echo', idempotent: false, capabilities: ['hxo:force-merge'] }],
    });
    const input = o.input ?? {};
    const dryRun = o.dryRun ?? false;
    const principal = o.principal ?? 'operator';
    const meta = { producer: 'test' };
    const requested = { runId, jobId: 'mig', trigger: { kind: 'manual' }, input, dryRun, principal };
    const started = {
      runId,
      jobId: 'mig',
      blueprint: plan.blueprint,
      bindings: {},
      plan: JSON.parse(JSON.stringify(plan)) as JsonObject,
      planHash: hashJson(plan),
      input,
      inputHash: hashJson(input),
      dryRun,
      kernelVersion: 't',
      env: {},
      principal,
    };
    const req = { id: `${runId}/requested`, type: 'run.requested' as const, at: T0, data: requested, meta };
    await store.append('job/mig', [req]);
    await store.append(`run/${runId}`, [
      req,
      { id: `${runId}/started`, type: 'run.started' as const, at: T0, data: started, meta },
      ...(o.completed
        ? [
            {
              id: `${runId}/done`,
              type: 'run.completed' as const,
              at: T0,
              data: {
                status: o.completed,
                envelope: { status: o.completed, artifacts: [], references: {}, payload: null },
              },
              meta,
            },
          ]
        : []),
    ]);
    return runId;
  };
  const decide = (runId: RunId) =>
    gate.decide(runId, { stepId: 'migrate', attempt: 1, executor: 'echo', request: {} });
  return { run, decide };
};

describe('policy gate: a job kind that requires a dry run', () => {
  it('denies an apply with rule kind.require_dry_run naming the kind, with no policy rule', async () => {
    const g = setup();
    const d = await g.decide(await g.run({ kind: 'deploy.migrate@1' }));
    expect(d).toMatchObject({ decision: 'deny', rule: 'kind.require_dry_run' });
    expect(d?.reasons[0]).toContain('deploy.migrate@1');
  });

  it('allows the dry run itself, and a failed dry run proves nothing', async () => {
    const g = setup();
    const dry = await g.run({ kind: 'deploy.migrate@1', dryRun: true });
    expect(await g.decide(dry)).toMatchObject({ decision: 'allow' });
    await g.run({ kind: 'deploy.migrate@1', dryRun: true, completed: 'failed' });
    expect(await g.decide(await g.run({ kind: 'deploy.migrate@1' }))).toMatchObject({ decision: 'deny' });
  });

  it('allows an apply after a succeeded dry run of the same plan and input, naming the proof', async () => {
    const g = setup();
    const proof = await g.run({ kind: 'deploy.migrate@1', dryRun: true, completed: 'succeeded' });
    const d = await g.decide(await g.run({ kind: 'deploy.migrate@1' }));
    expect(d).toMatchObject({ decision: 'allow', dryRunProof: proof });
    // Another input is another apply: the dry run does not cover it.
    expect(await g.decide(await g.run({ kind: 'deploy.migrate@1', input: { x: 1 } }))).toMatchObject({
      decision: 'deny',
      rule: 'kind.require_dry_run',
    });
  });

  it('still wants the declared capability from the principal', async () => {
    const g = setup();
    await g.run({ kind: 'deploy.migrate@1', dryRun: true, completed: 'succeeded', principal: 'guest' });
    const d = await g.decide(await g.run({ kind: 'deploy.migrate@1', principal: 'guest' }));
    expect(d).toMatchObject({ decision: 'deny', rule: 'capabilities' });
    expect(d?.reasons[0]).toContain('hxo:force-merge');
  });

  it('leaves kinds without the rule alone, and denies a plan whose kind is not registered', async () => {
    const g = setup();
    const d = await g.decide(await g.run({ kind: 'deploy.pack@1' }));
    expect(d).toMatchObject({ decision: 'allow' });
    expect(d?.dryRunProof).toBeUndefined();
    expect(await g.decide(await g.run({ kind: 'deploy.nope@1' }))).toMatchObject({
      decision: 'deny',
      rule: 'kind',
    });
  });

  it('a policy require_dry_run rule keeps its own rule name', async () => {
    const g = setup({ require_dry_run: [{ executor: 'echo' }] });
    expect(await g.decide(await g.run({ kind: 'deploy.pack@1' }))).toMatchObject({
      decision: 'deny',
      rule: 'require_dry_run',
    });
  });
});
