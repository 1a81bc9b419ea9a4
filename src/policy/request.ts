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

/** argv, cwd and the names of the env variables of a command-like `with` (any `with.argv` list of strings). */
const commandOf = (w: Record<string, unknown>) => {
  const argv = stringArray(w.argv);
  const env = typeof w.env === 'object' && w.env !== null && !Array.isArray(w.env) ? Object.keys(w.env) : [];
  return {
    ...(argv ? { argv } : {}),
    ...(typeof w.cwd === 'string' ? { cwd: w.cwd } : {}),
    ...(env.length > 0 ? { env } : {}),
  };
};

/**
 * The policy request for one attempt of a step, built from the plan pinned in the run's log
 * (never from the bus message): argv, cwd and env names of command-like steps (any `with.argv`
 * that is a list of strings), the step's paths, its gates' executors, argv, cwd and env, the timeout (the
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
  const command = commandOf(step.with);
  const paths = [...step.paths];
  if (command.cwd !== undefined) paths.push(command.cwd);
  const gates = step.gates.map((g) => {
    const gateCommand = commandOf(g.with);
    if (gateCommand.cwd !== undefined) paths.push(gateCommand.cwd);
    return { id: g.id, executor: g.executor, ...gateCommand };
  });
  const timeoutMs = step.timeoutMs ?? facts.plan.timeoutMs;
  return {
    jobId: facts.jobId,
    stepId: step.id,
    executor: step.executor,
    sideEffects: worst(step.sideEffects, opts.executors?.get(step.executor)?.sideEffects),
    idempotent: step.idempotent,
    capabilities: step.capabilities,
    ...command,
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
