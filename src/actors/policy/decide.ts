import { basename } from 'node:path';
import type { Policy } from '../../eventstore/project/policy.js';
import type { PathVerdict, WorkspaceRules } from './workspace.js';

/** What the policy gate is asked about one attempt of one step. */
export interface PolicyRequest {
  jobId: string;
  stepId: string;
  executor: string;
  /** The executor's declared side effects (catalog). */
  sideEffects: 'none' | 'read' | 'write' | 'external';
  idempotent: boolean;
  /** Capabilities the step declares it needs. */
  capabilities: readonly string[];
  /** argv of a `command` step. */
  argv?: readonly string[];
  /** Workspace paths the step touches (its `paths`, the command cwd). */
  paths: readonly string[];
  timeoutMs?: number;
  maxAttempts: number;
  principal: string;
  dryRun: boolean;
  /** The plan asks for a human approval of this step. */
  planApproval?: string;
  /** A succeeded dry run of the same plan hash and input hash is in the log. */
  dryRunProven: boolean;
}

export type PolicyVerdict =
  | { decision: 'allow'; reasons: string[] }
  | { decision: 'deny'; reasons: string[]; rule: string }
  | { decision: 'approval_required'; reasons: string[]; rule: string };

type Matcher = { job?: string; step?: string; executor?: string; capability?: string; side_effects?: string };

const matches = (rule: Matcher, r: PolicyRequest): boolean =>
  (rule.job === undefined || rule.job === r.jobId) &&
  (rule.step === undefined || rule.step === r.stepId) &&
  (rule.executor === undefined || rule.executor === r.executor) &&
  (rule.capability === undefined || r.capabilities.includes(rule.capability)) &&
  (rule.side_effects === undefined || rule.side_effects === r.sideEffects);

const listed = (list: readonly string[], value: string): boolean =>
  list.includes('*') || list.includes(value);

/** Capability every non-idempotent step needs when it declares none of its own. */
export const NON_IDEMPOTENT_CAPABILITY = 'lily:non-idempotent';

/**
 * The policy gate's decision for one step attempt, rule by rule (the first denial wins):
 * executor allowlist, command allowlist (argv[0]), the principal's capabilities (a
 * non-idempotent step needs an explicit one), workspace paths, runtime caps, require_dry_run,
 * then approvals. Pure apart from `checkPath`, which resolves paths on disk.
 */
export const decidePolicy = (
  policy: Policy,
  r: PolicyRequest,
  checkPath: (path: string, rules: WorkspaceRules) => PathVerdict,
): PolicyVerdict => {
  const deny = (rule: string, reason: string): PolicyVerdict => ({
    decision: 'deny',
    rule,
    reasons: [reason],
  });
  if (!listed(policy.executors, r.executor))
    return deny('executors', `executor ${r.executor} is not in the executor allowlist`);
  if (r.argv && r.argv.length > 0) {
    const program = r.argv[0] as string;
    if (!listed(policy.commands, program) && !listed(policy.commands, basename(program))) {
      return deny('commands', `command ${program} is not in the command allowlist`);
    }
  }
  const held = policy.principals[r.principal]?.capabilities;
  if (!held) return deny('principals', `principal ${r.principal} is not declared in the policy`);
  const needed = [...r.capabilities];
  if (!r.idempotent && needed.length === 0) needed.push(NON_IDEMPOTENT_CAPABILITY);
  for (const capability of needed) {
    if (!listed(held, capability)) {
      const why = r.idempotent ? '' : ' (the step is not idempotent)';
      return deny('capabilities', `principal ${r.principal} lacks capability ${capability}${why}`);
    }
  }
  for (const path of r.paths) {
    const verdict = checkPath(path, policy.workspace);
    if (!verdict.ok) return deny('workspace', verdict.reason);
  }
  const caps = policy.caps;
  if (caps.timeout_ms !== undefined && (r.timeoutMs === undefined || r.timeoutMs > caps.timeout_ms)) {
    return deny(
      'caps.timeout_ms',
      `step timeout ${r.timeoutMs ?? 'unbounded'} exceeds the cap of ${caps.timeout_ms} ms`,
    );
  }
  if (caps.max_attempts !== undefined && r.maxAttempts > caps.max_attempts) {
    return deny('caps.max_attempts', `${r.maxAttempts} attempts exceed the cap of ${caps.max_attempts}`);
  }
  if (!r.dryRun && !r.dryRunProven && policy.require_dry_run.some((rule) => matches(rule, r))) {
    return deny('require_dry_run', 'a succeeded dry run of the same plan and input is required first');
  }
  const approval = policy.approvals.find((rule) => matches(rule, r));
  // A dry run has no side effects to approve.
  if (!r.dryRun && (r.planApproval !== undefined || approval)) {
    const reason = r.planApproval ?? approval?.reason ?? `step ${r.stepId} needs an approval`;
    return {
      decision: 'approval_required',
      rule: r.planApproval !== undefined ? 'plan' : 'approvals',
      reasons: [reason],
    };
  }
  return { decision: 'allow', reasons: [] };
};
