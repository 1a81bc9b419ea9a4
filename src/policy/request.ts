import type { ExecutorInfo } from '../blueprints/catalog.js';
import type { Plan, PlanStep } from '../blueprints/plan.js';
import type { PolicyRequest } from './decide.js';

type SideEffects = PolicyRequest['sideEffects'];
const SEVERITY: readonly SideEffects[] = ['none', 'read', 'write', 'external'];
const worst = (a: SideEffects, b: SideEffects | undefined): SideEffects =>
  b !== undefined && SEVERITY.indexOf(b) > SEVERITY.indexOf(a) ? b : a;

/** What a policy request needs to know about the run: from its `run.started`, or a job about to run. */
export interface RunFactsForPolicy {
  jobId: string;
  principal: string;
  dryRun: boolean;
  plan: { timeoutMs?: Plan['timeoutMs'] };
}

const stringArray = (v: unknown): string[] | undefined =>
  Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined;

/**
 * The policy request for one attempt of a step, built from the plan pinned in the run's log
 * (never from the bus message): argv and cwd of command-like steps (any `with.argv` that is a
 * list of strings), the step's paths, its gates' executors, argv and cwd, the timeout (the
 * step's, else the run's), the retry bound, and the worse of the side effects the step and
 * its executor declare.
 */
export const buildPolicyRequest = (
  facts: RunFactsForPolicy,
  step: PlanStep,
  opts: {
    dryRunProven: boolean;
    executors?: ReadonlyMap<string, Pick<ExecutorInfo, 'sideEffects'>>;
    /** The plan's job kind, when its safety policy requires a dry run first. */
    kindRequiresDryRun?: string;
  },
): PolicyRequest => {
  const argv = stringArray(step.with.argv);
  const paths = [...step.paths];
  if (typeof step.with.cwd === 'string') paths.push(step.with.cwd);
  const gates = step.gates.map((g) => {
    const gateArgv = stringArray(g.with.argv);
    if (typeof g.with.cwd === 'string') paths.push(g.with.cwd);
    return { id: g.id, executor: g.executor, ...(gateArgv ? { argv: gateArgv } : {}) };
  });
  const timeoutMs = step.timeoutMs ?? facts.plan.timeoutMs;
  return {
    jobId: facts.jobId,
    stepId: step.id,
    executor: step.executor,
    sideEffects: worst(step.sideEffects, opts.executors?.get(step.executor)?.sideEffects),
    idempotent: step.idempotent,
    capabilities: step.capabilities,
    ...(argv ? { argv } : {}),
    paths,
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    maxAttempts: step.retry.maxAttempts,
    principal: facts.principal,
    dryRun: facts.dryRun,
    ...(step.approval ? { planApproval: step.approval.reason } : {}),
    dryRunProven: opts.dryRunProven,
    ...(opts.kindRequiresDryRun !== undefined ? { kindRequiresDryRun: opts.kindRequiresDryRun } : {}),
    gates,
  };
};
