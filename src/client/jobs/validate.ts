import type { JobLoadResult } from '../../blueprints/jobs/repository.js';
import { resolveJob } from '../../blueprints/jobs/resolve.js';
import type { JobSpec } from '../../blueprints/jobs/spec.js';
import { type LilyError, toLilyError } from '../../contracts/errors.js';
import type { Project } from '../../project/open.js';
import { deprecationWarnings } from './kind-deprecation.js';
import { type PolicyFinding, policyFindings } from './policy-findings.js';

/** One job of a list: its identity, target and trigger, or the error that makes its spec invalid. */
export type JobEntry =
  | {
      id: string;
      file: string;
      title: string;
      target: JobSpec['target'];
      trigger: JobSpec['trigger'];
      valid: true;
    }
  | { id: string; file?: string; valid: false; error: LilyError };

/** One job checked at every boundary before a run: spec, target, bindings, compile, policy. */
export interface JobValidation {
  id: string;
  file?: string;
  /** False when a boundary refused the job (`error`) or the policy would deny a step (`policy`). */
  ok: boolean;
  /** `id@version` of the blueprint the job resolves to. */
  blueprint?: string;
  planHash?: string;
  /** Deprecations (an old job kind version): the job still runs. */
  warnings: string[];
  /**
   * What the policy gate will say about each step of a manual run: `error` findings are denials
   * (every run would fail with `job_policy_denied`), each with its `fix`; `note`s are approvals
   * and dry runs the run will need. Empty when the job did not compile.
   */
  policy: PolicyFinding[];
  error?: LilyError;
}

export const jobEntry = (r: JobLoadResult): JobEntry =>
  r.ok
    ? {
        id: r.id,
        file: r.job.file,
        title: r.job.spec.title,
        target: r.job.spec.target,
        trigger: r.job.spec.trigger,
        valid: true,
      }
    : { id: r.id, ...(r.file === undefined ? {} : { file: r.file }), valid: false, error: r.error };

/** Resolves and compiles one loaded job against the project's catalog. Never throws. */
export const validateLoaded = (project: Project, r: JobLoadResult): JobValidation => {
  if (!r.ok) {
    return {
      id: r.id,
      ...(r.file === undefined ? {} : { file: r.file }),
      ok: false,
      warnings: [],
      policy: [],
      error: r.error,
    };
  }
  try {
    const resolved = resolveJob(project.catalog, r.job.spec, { locate: r.job.locate, file: r.job.file });
    const blueprint = `${resolved.blueprint.id}@${resolved.blueprint.version}`;
    const warnings = deprecationWarnings(project.catalog, r.id, resolved.plan.kind);
    const policy = policyFindings(project, r.id, resolved.plan);
    const ok = !policy.some((f) => f.severity === 'error');
    return { id: r.id, file: r.job.file, ok, blueprint, planHash: resolved.planHash, warnings, policy };
  } catch (e) {
    return { id: r.id, file: r.job.file, ok: false, warnings: [], policy: [], error: toLilyError(e) };
  }
};

/** One named job: an invalid spec is a result to report; a missing job (`job_not_found`) is thrown. */
export const loadOne = async (project: Project, id: string): Promise<JobLoadResult> => {
  try {
    return { ok: true, id, job: await project.jobs.load(id) };
  } catch (e) {
    const error = toLilyError(e);
    if (error.code !== 'job_invalid_spec') throw error;
    const file = typeof error.data.file === 'string' ? error.data.file : undefined;
    return { ok: false, id, ...(file === undefined ? {} : { file }), error };
  }
};
