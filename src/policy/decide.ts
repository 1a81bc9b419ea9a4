import type { Policy } from './schema.js';

/** Workspace allow/deny globs (relative to the project). */
export interface WorkspaceRules {
  allow: readonly string[];
  deny: readonly string[];
}

export type PathVerdict = { ok: true; absolute: string; relative: string } | { ok: false; reason: string };

const basename = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

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
  /** The plan's job kind (`deploy.migrate@1`) when its safety policy requires a dry run first. */
  kindRequiresDryRun?: string;
  /** The step's gates: they run under the step's grant, so their executors and commands are checked too. */
  gates?: readonly { id: string; executor: string; argv?: readonly string[] }[];
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

/** argv[0] as written, or its basename (`/usr/bin/node` matches `node`). */
const commandListed = (policy: Policy, program: string): boolean =>
  listed(policy.commands, program) || listed(policy.commands, basename(program));

/** Capability every non-idempotent step needs when it declares none of its own. */
export const NON_IDEMPOTENT_CAPABILITY = 'lily:non-idempotent';

type Deny = (rule: string, reason: string) => PolicyVerdict;
type Check = (
  policy: Policy,
  r: PolicyRequest,
  deny: Deny,
  checkPath: (path: string, rules: WorkspaceRules) => PathVerdict,
) => PolicyVerdict | undefined;

/** Executor and command allowlists, for the step and for each of its gates. */
const allowlists: Check = (policy, r, deny) => {
  if (!listed(policy.executors, r.executor))
    return deny('executors', `executor ${r.executor} is not in the executor allowlist`);
  const program = r.argv?.[0];
  if (program !== undefined && !commandListed(policy, program)) {
    return deny('commands', `command ${program} is not in the command allowlist`);
  }
  for (const gate of r.gates ?? []) {
    if (!listed(policy.executors, gate.executor)) {
      return deny('executors', `gate ${gate.id}: executor ${gate.executor} is not in the executor allowlist`);
    }
    const gateProgram = gate.argv?.[0];
    if (gateProgram !== undefined && !commandListed(policy, gateProgram)) {
      return deny('commands', `gate ${gate.id}: command ${gateProgram} is not in the command allowlist`);
    }
  }
  return undefined;
};

/** The principal exists and holds every capability the step needs. */
const capabilities: Check = (policy, r, deny) => {
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
  return undefined;
};

const workspace: Check = (policy, r, deny, checkPath) => {
  for (const path of r.paths) {
    const verdict = checkPath(path, policy.workspace);
    if (!verdict.ok) return deny('workspace', verdict.reason);
  }
  return undefined;
};

const caps: Check = (policy, r, deny) => {
  const { timeout_ms: timeout, max_attempts: attempts } = policy.caps;
  if (timeout !== undefined && (r.timeoutMs === undefined || r.timeoutMs > timeout)) {
    return deny(
      'caps.timeout_ms',
      `step timeout ${r.timeoutMs ?? 'unbounded'} exceeds the cap of ${timeout} ms`,
    );
  }
  if (attempts !== undefined && r.maxAttempts > attempts) {
    return deny('caps.max_attempts', `${r.maxAttempts} attempts exceed the cap of ${attempts}`);
  }
  return undefined;
};

/**
 * Whether this step needs a succeeded dry run of the same plan and input before it may run,
 * proven or not: a `require_dry_run` rule of the policy, or the safety policy of the plan's job
 * kind (even when policy.yaml has no rule). Undefined for a dry run itself.
 */
export const dryRunRequirement = (
  policy: Policy,
  r: PolicyRequest,
): { rule: string; reason: string } | undefined => {
  if (r.dryRun) return undefined;
  if (policy.require_dry_run.some((rule) => matches(rule, r)))
    return {
      rule: 'require_dry_run',
      reason: 'a succeeded dry run of the same plan and input is required first',
    };
  if (r.kindRequiresDryRun !== undefined)
    return {
      rule: 'kind.require_dry_run',
      reason: `job kind ${r.kindRequiresDryRun} requires a succeeded dry run of the same plan and input first`,
    };
  return undefined;
};

const dryRunRequired: Check = (policy, r, deny) => {
  const needed = r.dryRunProven ? undefined : dryRunRequirement(policy, r);
  return needed ? deny(needed.rule, needed.reason) : undefined;
};

/** A dry run has no side effects to approve. */
const approvals: Check = (policy, r) => {
  const approval = policy.approvals.find((rule) => matches(rule, r));
  if (r.dryRun || (r.planApproval === undefined && !approval)) return undefined;
  const reason = r.planApproval ?? approval?.reason ?? `step ${r.stepId} needs an approval`;
  return {
    decision: 'approval_required',
    rule: r.planApproval !== undefined ? 'plan' : 'approvals',
    reasons: [reason],
  };
};

/** The rules in the order they are applied. */
const POLICY_RULE_ORDER = [allowlists, capabilities, workspace, caps, dryRunRequired, approvals];

/**
 * The policy gate's decision for one step attempt, rule by rule (the first denial wins):
 * executor allowlist, command allowlist (argv[0]), the same two for every gate of the step,
 * the principal's capabilities (a non-idempotent step needs an explicit one), workspace
 * paths, runtime caps, require_dry_run (policy rules, then the job kind's safety), then approvals. Pure apart from `checkPath`, which
 * resolves paths on disk.
 */
export const decidePolicy = (
  policy: Policy,
  r: PolicyRequest,
  checkPath: (path: string, rules: WorkspaceRules) => PathVerdict,
): PolicyVerdict => {
  const deny: Deny = (rule, reason) => ({ decision: 'deny', rule, reasons: [reason] });
  for (const check of POLICY_RULE_ORDER) {
    const verdict = check(policy, r, deny, checkPath);
    if (verdict) return verdict;
  }
  return { decision: 'allow', reasons: [] };
};
