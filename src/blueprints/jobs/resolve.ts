import { hashJson } from '../../contracts/canonical-json.js';
import { hasErrorCode, LilyError } from '../../contracts/errors.js';
import type { AnyBlueprint } from '../blueprint.js';
import type { Catalog } from '../catalog.js';
import { compileBlueprint } from '../compile.js';
import type { Plan } from '../plan.js';
import type { JobSpec } from './spec.js';
import type { Locate, SpecIssue } from './yaml-document.js';
import { zodToSpecIssues } from './yaml-document.js';

/** A job bound to its blueprint, with the plan that runs. */
export interface ResolvedJob {
  spec: JobSpec;
  blueprint: AnyBlueprint;
  /** The blueprint's plan with the job's runtime caps applied (see `applyRuntimeCaps`). */
  plan: Plan;
  /** sha256 of the canonical JSON of `plan`: what runs pin and replay checks. */
  planHash: string;
  /** The hash of the blueprint's plan before the job's caps: blueprint + bindings only. */
  blueprintPlanHash: string;
}

export interface ResolveOptions {
  /** Maps spec paths to source lines, so binding issues point into the YAML file. */
  locate?: Locate;
  /** The spec's file, added to `job_bindings_invalid` data so issues read `file:line:column`. */
  file?: string;
}

/**
 * The compile boundary for a job: resolve `target` in the catalog, validate `bindings`, compile.
 *
 * Throws `job_target_unresolved` `{job, target, known}` when no blueprint matches id (+version);
 * `job_bindings_invalid` `{job, file?, blueprint, issues: [{path, message, code, line?, column?}]}` when
 * the bindings fail the blueprint's schema (paths start at `bindings.`); compile failures pass
 * through unchanged (`blueprint_compile_failed`, `job_kind_unknown`, `stage_*`).
 */
export const resolveJob = (catalog: Catalog, spec: JobSpec, options: ResolveOptions = {}): ResolvedJob => {
  const blueprint = catalog.blueprints.find(spec.target.id, spec.target.version);
  if (!blueprint) throw unresolved(catalog, spec);
  const name = `${blueprint.id}@${blueprint.version}`;
  const bindings = blueprint.bindings.safeParse(spec.bindings);
  if (!bindings.success) {
    throw bindingsInvalid(
      spec,
      name,
      zodToSpecIssues(bindings.error.issues, options.locate, ['bindings']),
      options,
    );
  }
  let compiled: ReturnType<typeof compileBlueprint>;
  try {
    compiled = compileBlueprint(catalog, blueprint, spec.bindings);
  } catch (e) {
    if (hasErrorCode(e, 'blueprint_bindings_invalid')) {
      throw bindingsInvalid(spec, name, rebase(e.data.issues, options.locate), options, e);
    }
    throw e;
  }
  const plan = applyRuntimeCaps(compiled.plan, spec.runtime);
  return { spec, blueprint, plan, planHash: hashJson(plan), blueprintPlanHash: compiled.planHash };
};

/**
 * The job's runtime caps, applied to the compiled plan: `timeout_ms` becomes the run timeout
 * (the smaller one when the plan has its own), `max_attempts` caps every step's attempts.
 * Without caps the plan, and so its hash, is the blueprint's own.
 */
export const applyRuntimeCaps = (plan: Plan, runtime: JobSpec['runtime']): Plan => {
  const { timeout_ms: timeout, max_attempts: attempts } = runtime;
  let next = plan;
  if (timeout !== undefined && (plan.timeoutMs === undefined || timeout < plan.timeoutMs)) {
    next = { ...next, timeoutMs: timeout };
  }
  if (attempts !== undefined && plan.steps.some((s) => s.retry.maxAttempts > attempts)) {
    next = {
      ...next,
      steps: next.steps.map((s) =>
        s.retry.maxAttempts > attempts ? { ...s, retry: { ...s.retry, maxAttempts: attempts } } : s,
      ),
    };
  }
  return next;
};

const unresolved = (catalog: Catalog, spec: JobSpec): LilyError => {
  const { id, version } = spec.target;
  const what = version === undefined ? id : `${id}@${version}`;
  const known = catalog.blueprints.list().map((b) => `${b.id}@${b.version}`);
  return new LilyError('job_target_unresolved', `job ${spec.id}: no blueprint ${what} is registered`, {
    job: spec.id,
    target: { id, ...(version === undefined ? {} : { version }) },
    known,
  });
};

const bindingsInvalid = (
  spec: JobSpec,
  blueprint: string,
  issues: SpecIssue[],
  options: ResolveOptions,
  cause?: unknown,
): LilyError => {
  const first = issues[0];
  const detail = first
    ? `: ${first.path}: ${first.message}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''}`
    : '';
  return new LilyError(
    'job_bindings_invalid',
    `job ${spec.id}: bindings rejected by ${blueprint}${detail}`,
    { job: spec.id, ...(options.file === undefined ? {} : { file: options.file }), blueprint, issues },
    { cause },
  );
};

/** Issues of `blueprint_bindings_invalid` (paths relative to the bindings) as job issues. */
const rebase = (raw: unknown, locate?: Locate): SpecIssue[] => {
  const list = Array.isArray(raw) ? (raw as { path?: unknown; message?: unknown; code?: unknown }[]) : [];
  return list.map((i) => {
    const rel = typeof i.path === 'string' && i.path !== '' ? i.path.split('.') : [];
    const path = ['bindings', ...rel.map((s) => (/^\d+$/.test(s) ? Number(s) : s))];
    return {
      path: path.join('.'),
      message: String(i.message ?? 'invalid'),
      ...(typeof i.code === 'string' ? { code: i.code } : {}),
      ...locate?.(path),
    };
  });
};
