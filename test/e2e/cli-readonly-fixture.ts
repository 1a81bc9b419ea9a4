/**
 * Writes real, verifiable run histories into a project's log without an engine: the hello job
 * (pipeline.v1) compiled as the engine would, driven through `createRunProgram(plan).start/apply`
 * with happy answers (policy allows, steps succeed with an artifact each), every inbound fact
 * appended with the commands it caused, as the run host does.
 */
import { resolveJob } from '../../src/blueprints/jobs/resolve.js';
import type { Plan } from '../../src/blueprints/plan.js';
import { hashJson } from '../../src/contracts/canonical-json.js';
import type { NewEvent } from '../../src/contracts/events/envelope.js';
import type { ArtifactRef } from '../../src/contracts/events/shared-schemas.js';
import { openLilyStorage } from '../../src/eventstore/storage.js';
import { commandToEvents } from '../../src/machines/commands.js';
import { createRunProgram } from '../../src/machines/program.js';
import type { Command, RunEvent, RunState } from '../../src/machines/types.js';
import { openProject } from '../../src/project/open.js';

export interface SeedOptions {
  runId: string;
  /** Epoch ms of run.requested; later events follow 1 ms apart. */
  at: number;
  /** Deny the policy check of this step (the run fails). */
  deny?: string;
  /** `nondeterministic`: rewrite a recorded dispatch; `drift`: change the pinned plan hash. */
  tamper?: 'nondeterministic' | 'drift';
}

type Answer = { type: string; data: unknown }[];

const answer = async (
  command: Command,
  options: SeedOptions,
  putArtifact: (stepId: string) => Promise<ArtifactRef>,
): Promise<Answer | undefined> => {
  switch (command.type) {
    case 'policy.check': {
      const { stepId, attempt } = command.data;
      const deny = options.deny === stepId;
      return [
        {
          type: 'policy.decided',
          data: {
            stepId,
            attempt,
            decision: deny ? 'deny' : 'allow',
            reasons: deny ? ['denied by the test'] : [],
            ...(deny ? { rule: 'test' } : {}),
          },
        },
      ];
    }
    case 'step.dispatch': {
      const { stepId, attempt, dispatchId } = command.data;
      const ref = { stepId, attempt, dispatchId };
      const artifact = await putArtifact(stepId);
      return [
        { type: 'step.started', data: { ...ref, worker: 'w1' } },
        {
          type: 'step.succeeded',
          data: { ...ref, output: { step: stepId }, artifacts: [artifact], durationMs: 3 },
        },
      ];
    }
    case 'gate.run': {
      const { stepId, attempt, dispatchId, gateId } = command.data;
      return [{ type: 'gate.passed', data: { stepId, attempt, dispatchId, gateId } }];
    }
    default:
      return undefined;
  }
};

/** Appends one run of the hello job to the project's log; returns its events count and plan hash. */
export const seedRun = async (
  dir: string,
  options: SeedOptions,
): Promise<{ events: number; planHash: string }> => {
  const project = await openProject(dir);
  const job = await project.jobs.load('hello');
  const resolved = resolveJob(project.catalog, job.spec);
  const plan: Plan = resolved.plan;
  const program = createRunProgram(plan, { schemas: project.catalog.schemas });
  const storage = await openLilyStorage({ dir: project.paths.root });
  const stream = `run/${options.runId}`;
  let at = options.at;
  let n = 0;
  const produced = new Map<string, string>();
  const envelope = (type: string, data: unknown): NewEvent => ({
    id: `${options.runId}-${++n}`,
    type: type as NewEvent['type'],
    at,
    data,
    meta: { producer: 'test/seed', correlationId: options.runId },
  });
  let tampered = false;
  const caused = (commands: readonly Command[]) =>
    commands.flatMap(commandToEvents).map((e) => {
      let data = e.data;
      if (options.tamper === 'nondeterministic' && !tampered && e.type === 'step.dispatched') {
        tampered = true;
        data = { ...(data as object), executor: 'tampered' };
      }
      return envelope(e.type, data);
    });
  try {
    const input = {};
    await storage.events.append(stream, [
      envelope('run.requested', {
        runId: options.runId,
        jobId: 'hello',
        trigger: { kind: 'manual', at },
        input,
        dryRun: false,
        principal: 'operator',
      }),
    ]);
    at += 1;
    const startedData = {
      runId: options.runId,
      jobId: 'hello',
      blueprint: plan.blueprint,
      bindings: job.spec.bindings,
      plan,
      planHash: options.tamper === 'drift' ? '0'.repeat(64) : program.planHash,
      input,
      inputHash: hashJson(input),
      dryRun: false,
      kernelVersion: '0.1.0',
      env: { node: 'v20' },
      principal: 'operator',
    };
    const started: RunEvent = {
      type: 'run.started',
      at,
      data: { ...startedData, planHash: program.planHash },
    };
    let t = program.start(started);
    await storage.events.append(stream, [envelope('run.started', startedData), ...caused(t.commands)]);
    let state: RunState = t.state;
    const putArtifact = async (stepId: string) => {
      const inputs = stepId === 'done' ? [...produced.values()] : [];
      const ref = await storage.artifacts.putText(`output of ${stepId} in ${options.runId}\n`, {
        name: `${stepId}.txt`,
        producer: 'executor/command',
        runId: options.runId,
        stepId,
        inputs,
        createdAt: at,
      });
      produced.set(stepId, ref.sha256);
      return ref;
    };
    for (let guard = 0; state.status === 'running' && guard < 100; guard++) {
      let facts: Answer | undefined;
      for (const command of Object.values(state.pending)) {
        facts = await answer(command, options, putArtifact);
        if (facts) break;
      }
      if (!facts) throw new Error(`seed: nothing to answer in ${JSON.stringify(Object.keys(state.pending))}`);
      for (const fact of facts) {
        at += 1;
        t = program.apply(state, { type: fact.type, at, data: fact.data });
        state = t.state;
        await storage.events.append(stream, [envelope(fact.type, fact.data), ...caused(t.commands)]);
      }
    }
    return { events: n, planHash: program.planHash };
  } finally {
    await storage.close();
  }
};
