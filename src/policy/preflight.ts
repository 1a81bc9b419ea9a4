import type { ExecutorInfo } from '../blueprints/catalog.js';
import type { Plan } from '../blueprints/plan.js';
import {
  decidePolicy,
  dryRunRequirement,
  type PathVerdict,
  type PolicyRequest,
  type WorkspaceRules,
} from './decide.js';
import { fixForDenial } from './fixes.js';
import type { ResolveProgram } from './programs.js';
import { buildPolicyRequest } from './request.js';
import type { Policy } from './schema.js';

/** What the policy will say about one step of a job, before any run. */
export type PolicyFinding =
  | { stepId: string; severity: 'error'; rule: string; reason: string; fix: string }
  | { stepId: string; severity: 'note'; rule: string; reason: string };

export interface PreflightOptions {
  jobId: string;
  principal?: string;
  dryRun?: boolean;
  executors?: ReadonlyMap<string, Pick<ExecutorInfo, 'sideEffects'>>;
  /** The plan's job kind when its safety policy requires a dry run first. */
  kindRequiresDryRun?: string;
  checkPath: (path: string, rules: WorkspaceRules) => PathVerdict;
  /**
   * Finds argv[0] as the gate will: on the policy's search path (`programResolver(policy,
   * projectDir)` on a real file system), or relative to the command's cwd.
   */
  resolveProgram: ResolveProgram;
}

/**
 * Runs every step of a compiled plan through the same decision the policy gate makes (rule by
 * rule, the first denial wins), as a run of the job would meet it: errors are denials, each with
 * the change that fixes it; notes are what will happen without being an error (a human approval
 * the step will wait for, a dry run it needs first). `lily jobs validate` says these.
 */
export const preflightPlan = (policy: Policy, plan: Plan, o: PreflightOptions): PolicyFinding[] => {
  const facts = {
    jobId: o.jobId,
    principal: o.principal ?? policy.default_principal,
    dryRun: o.dryRun ?? false,
    plan,
  };
  const findings: PolicyFinding[] = [];
  for (const step of plan.steps) {
    const request: PolicyRequest = buildPolicyRequest(facts, step, {
      dryRunProven: true,
      ...(o.executors ? { executors: o.executors } : {}),
      ...(o.kindRequiresDryRun !== undefined ? { kindRequiresDryRun: o.kindRequiresDryRun } : {}),
    });
    const verdict = decidePolicy(policy, request, {
      checkPath: o.checkPath,
      resolveProgram: o.resolveProgram,
    });
    if (verdict.decision === 'deny') {
      findings.push({
        stepId: step.id,
        severity: 'error',
        rule: verdict.rule,
        reason: verdict.reasons.join('; '),
        fix: fixForDenial(verdict.rule, request, policy.caps),
      });
      continue;
    }
    const dryRun = dryRunRequirement(policy, request);
    if (dryRun)
      findings.push({ stepId: step.id, severity: 'note', rule: dryRun.rule, reason: dryRun.reason });
    if (verdict.decision === 'approval_required') {
      findings.push({
        stepId: step.id,
        severity: 'note',
        rule: verdict.rule,
        reason: `waits for a human approval: ${verdict.reasons.join('; ')}`,
      });
    }
  }
  return findings;
};
