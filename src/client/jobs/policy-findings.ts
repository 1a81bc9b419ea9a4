import { programResolver } from '../../actors/policy/executables.js';
import { checkWorkspacePath } from '../../actors/policy/workspace.js';
import { resolveJobKind } from '../../blueprints/job-kinds.js';
import type { Plan } from '../../blueprints/plan.js';
import { type PolicyFinding, preflightPlan } from '../../policy/preflight.js';
import type { Project } from '../../project/open.js';

export type { PolicyFinding } from '../../policy/preflight.js';

/** The dry run a plan's job kind requires (`id@version`), when its safety policy says so. */
const kindDryRun = (project: Project, plan: Plan): string | undefined => {
  if (plan.kind === undefined) return undefined;
  try {
    const kind = resolveJobKind(project.catalog.jobKinds, plan.kind);
    return kind.safety.requireDryRun ? `${kind.id}@${kind.version}` : undefined;
  } catch {
    return undefined;
  }
};

/**
 * What the project's policy will say about each step of a job's compiled plan when a manual run
 * of it (the policy's default principal, no dry run) meets the policy gate: the same decision,
 * against the same workspace (the project directory) and program search path, with the fix of
 * every denial.
 */
export const policyFindings = (project: Project, jobId: string, plan: Plan): PolicyFinding[] => {
  const requiresDryRun = kindDryRun(project, plan);
  return preflightPlan(project.policy, plan, {
    jobId,
    executors: project.catalog.executors,
    ...(requiresDryRun === undefined ? {} : { kindRequiresDryRun: requiresDryRun }),
    checkPath: (path, rules) => checkWorkspacePath(project.paths.dir, path, rules),
    resolveProgram: programResolver(project.policy, project.paths.dir).resolve,
  });
};
