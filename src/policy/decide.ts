import { checkEnvNames } from './env-rules.js';
import { checkProgram, type ResolvedProgram, type ResolveProgram } from './programs.js';
import type { Policy } from './schema.js';

/** Workspace allow/deny globs (relative to the project). */
export interface WorkspaceRules {
  allow: readonly string[];
  deny: readonly string[];
}

export type PathVerdict = { ok: true; absolute: string; relative: string } | { ok: false; reason: string };

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
  /** The command's cwd, relative to the workspace (default `.`): a relative argv[0] starts there. */
  cwd?: string;
  /** Names of the environment variables the step sets (`with.env`). */
  env?: readonly string[];
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
  gates?: readonly PolicyRequestGate[];
}

/** A gate of the step, as the policy sees it. */
export interface PolicyRequestGate {
  id: string;
  executor: string;
  argv?: readonly string[];
  cwd?: string;
  env?: readonly string[];
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

type Deny = (rule: string, reason: string) => PolicyVerdict;

/** What the decision needs from the file system, injected so the decision stays pure. */
export interface PolicyProbes {
  /** Resolves a workspace path (following symlinks) and checks it against the rules. */
  checkPath: (path: string, rules: WorkspaceRules) => PathVerdict;
  /** Finds argv[0] on the policy's search path (never the step's), or relative to the command's cwd. */
  resolveProgram: ResolveProgram;
}

type Check = (
  policy: Policy,
  r: PolicyRequest,
  deny: Deny,
  probes: PolicyProbes,
) => PolicyVerdict | undefined;

/** The step and its gates: what each runs (`''` for the step itself, else the gate id). */
const commandsOf = (r: PolicyRequest) => [
  { who: '', executor: r.executor, argv: r.argv, cwd: r.cwd, env: r.env },
  ...(r.gates ?? []).map((g) => ({ who: g.id, executor: g.executor, argv: g.argv, cwd: g.cwd, env: g.env })),
];

/**
 * Executor and command allowlists, for the step and for each of its gates. The command
 * allowlist is checked on the program that would run: argv[0] resolved on the policy's
 * search path (or against the cwd), compared by real path and name.
 */
const allowlists: Check = (policy, r, deny, probes) => {
  for (const c of commandsOf(r)) {
    const prefix = c.who === '' ? '' : `gate ${c.who}: `;
    if (!listed(policy.executors, c.executor))
      return deny('executors', `${prefix}executor ${c.executor} is not in the executor allowlist`);
    const program = c.argv?.[0];
    if (program === undefined) continue;
    const verdict = checkProgram(policy.commands, program, c.cwd ?? '.', probes.resolveProgram);
    if (!verdict.ok) return deny('commands', `${prefix}${verdict.reason}`);
  }
  return undefined;
};

/** The variables the step and its gates set: nothing that changes what runs, unless allowed by name. */
const environment: Check = (policy, r, deny) => {
  for (const c of commandsOf(r)) {
    const verdict = checkEnvNames(policy.env, c.env ?? [], c.who === '' ? 'step' : `gate ${c.who}`);
    if (!verdict.ok) return deny('env', verdict.reason);
  }
  return undefined;
};

/**
 * The programs an allowed request runs, resolved as the decision resolved them: what
 * `policy.decided` records (`gateId` absent for the step's own command).
 */
export const requestPrograms = (
  r: PolicyRequest,
  resolve: ResolveProgram,
): { gateId?: string; resolved: ResolvedProgram }[] => {
  const out: { gateId?: string; resolved: ResolvedProgram }[] = [];
  for (const c of commandsOf(r)) {
    const program = c.argv?.[0];
    if (program === undefined) continue;
    const lookup = resolve(program, c.cwd ?? '.');
    if (lookup.ok) out.push({ ...(c.who === '' ? {} : { gateId: c.who }), resolved: lookup.resolved });
  }
  return out;
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

const workspace: Check = (policy, r, deny, probes) => {
  for (const path of r.paths) {
    const verdict = probes.checkPath(path, policy.workspace);
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
const POLICY_RULE_ORDER = [allowlists, environment, capabilities, workspace, caps, dryRunRequired, approvals];

/**
 * The policy gate's decision for one step attempt, rule by rule (the first denial wins):
 * executor allowlist and command allowlist (the resolved argv[0]) for the step and every gate,
 * the variables they set (`env`), the principal's capabilities (a non-idempotent step needs an
 * explicit one), workspace paths, runtime caps, require_dry_run (policy rules, then the job
 * kind's safety), then approvals. Pure apart from `probes`, which look at the disk.
 */
export const decidePolicy = (policy: Policy, r: PolicyRequest, probes: PolicyProbes): PolicyVerdict => {
  const deny: Deny = (rule, reason) => ({ decision: 'deny', rule, reasons: [reason] });
  for (const check of POLICY_RULE_ORDER) {
    const verdict = check(policy, r, deny, probes);
    if (verdict) return verdict;
  }
  return { decision: 'allow', reasons: [] };
};
