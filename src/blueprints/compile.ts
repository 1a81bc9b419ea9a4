import type { z } from 'zod';
import { hashJson } from '../contracts/canonical-json.js';
import { LilyError, toLilyError } from '../contracts/errors.js';
import type { AnyBlueprint } from './blueprint.js';
import type { Catalog } from './catalog.js';
import { resolveJobKind } from './job-kinds.js';
import { type Plan, planSchema } from './plan.js';
import type { CompileTools } from './templates.js';
import { validatePlan } from './validate-plan.js';

/** What the compile boundary returns: the validated plan and its hash. */
export interface CompiledPlan {
  /** The plan with every default filled in, gate templates expanded and job-kind SLOs applied. */
  plan: Plan;
  /** sha256 of the canonical JSON of the plan: pinned in `run.started`, checked on replay. */
  planHash: string;
}

/** Zod issues as plain `{path, message, code}` records (what error `data.issues` holds). */
export const zodIssues = (error: z.ZodError): { path: string; message: string; code: string }[] =>
  error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message, code: i.code }));

/**
 * The compile boundary, the same function the engine calls for every run: parse bindings with
 * the blueprint's schema (absent bindings are `{}`), call its `compile`, parse the result as a
 * Plan, expand gate templates, apply job-kind SLOs, and validate the plan against the catalog
 * (step ids, needs as a DAG, bounded route cycles, inputs read only from upstream steps,
 * executors, partitioners, schemas and `with` configurations that exist and match).
 * Deterministic: the same blueprint and bindings give the same plan and hash.
 *
 * @throws LilyError `blueprint_bindings_invalid` `{blueprint, issues}` (zod issues) when the
 * bindings do not parse; `blueprint_compile_failed` `{blueprint, reason, ...}` when `compile`
 * throws (`reason: 'compile_threw'`) or the plan is refused (`plan_invalid`, `cycle`,
 * `unbounded_cycle`, `input_not_upstream`, `unknown_executor`, ... see docs/blueprints.md);
 * `job_kind_unknown` for a plan naming an unregistered job kind; `stage_partitioner_not_allowed`,
 * `stage_executor_not_allowed` or `stage_non_idempotent_denied` when a step breaks its kind.
 * @example
 * import { compileBlueprint, createBuiltinCatalog, pipelineBlueprint } from 'lily';
 *
 * const { plan, planHash } = compileBlueprint(createBuiltinCatalog(), pipelineBlueprint, {
 *   steps: [{ id: 'build', run: ['npm', 'run', 'build'] }, { id: 'test', run: ['npm', 'test'] }],
 * });
 * plan.steps[1]?.needs; // ['build']
 */
export const compileBlueprint = (
  catalog: Catalog,
  blueprint: AnyBlueprint,
  rawBindings: unknown,
): CompiledPlan => {
  const name = `${blueprint.id}@${blueprint.version}`;
  const bindings = blueprint.bindings.safeParse(rawBindings ?? {});
  if (!bindings.success) {
    throw new LilyError('blueprint_bindings_invalid', `bindings rejected by ${name}`, {
      blueprint: name,
      issues: zodIssues(bindings.error),
    });
  }
  let body: unknown;
  try {
    body = blueprint.compile(bindings.data, compileTools(catalog, name));
  } catch (e) {
    const cause = toLilyError(e, 'blueprint_compile_failed');
    throw new LilyError(
      'blueprint_compile_failed',
      `${name}: compile threw: ${cause.message}`,
      {
        blueprint: name,
        reason: 'compile_threw',
        error: cause.toJSON(),
      },
      { cause: e },
    );
  }
  const parsed = planSchema.safeParse({
    ...(blueprint.kind === undefined ? {} : { kind: blueprint.kind }),
    ...(body as object),
    blueprint: { id: blueprint.id, version: blueprint.version },
  });
  if (!parsed.success) {
    throw new LilyError('blueprint_compile_failed', `${name}: compile returned an invalid plan`, {
      blueprint: name,
      reason: 'plan_invalid',
      issues: zodIssues(parsed.error),
    });
  }
  const plan = applyKindSlo(
    catalog,
    gateSideEffects(catalog, expandGateTemplates(catalog, parsed.data, name)),
  );
  validatePlan(plan, catalog);
  return { plan, planHash: hashJson(plan) };
};

const expandGateTemplates = (catalog: Catalog, plan: Plan, name: string): Plan => ({
  ...plan,
  steps: plan.steps.map((step) => ({
    ...step,
    gates: step.gates.map((gate) => {
      if (gate.template === undefined) return gate;
      const template = catalog.gateTemplates.get(gate.template);
      if (!template) {
        throw new LilyError('blueprint_compile_failed', `${name}: unknown gate template "${gate.template}"`, {
          blueprint: name,
          reason: 'unknown_gate_template',
          step: step.id,
          gate: gate.id,
          template: gate.template,
          known: [...catalog.gateTemplates.keys()].sort(),
        });
      }
      const { template: _expanded, ...rest } = gate;
      return { ...rest, executor: template.executor, with: { ...(template.with as object), ...gate.with } };
    }),
  })),
});

const SEVERITY = ['none', 'read', 'write', 'external'] as const;
type SideEffects = (typeof SEVERITY)[number];
const worse = (a: SideEffects, b: SideEffects): SideEffects =>
  SEVERITY.indexOf(b) > SEVERITY.indexOf(a) ? b : a;

/**
 * Every gate records its side effects: the worse of its own and its executor's (an executor the
 * catalog does not know counts as `external`; validation refuses it anyway). The run machine
 * reads them to skip gates with side effects in a dry run.
 */
const gateSideEffects = (catalog: Catalog, plan: Plan): Plan => ({
  ...plan,
  steps: plan.steps.map((step) =>
    step.gates.length === 0
      ? step
      : {
          ...step,
          gates: step.gates.map((gate) => ({
            ...gate,
            sideEffects: worse(
              gate.sideEffects ?? 'none',
              catalog.executors.get(gate.executor)?.sideEffects ?? 'external',
            ),
          })),
        },
  ),
});

/** A job kind's default SLO becomes the timeout of every step that sets none. */
const applyKindSlo = (catalog: Catalog, plan: Plan): Plan => {
  if (plan.kind === undefined) return plan;
  const kind = resolveJobKind(catalog.jobKinds, plan.kind);
  return { ...plan, steps: plan.steps.map((s) => ({ ...s, timeoutMs: s.timeoutMs ?? kind.defaultSloMs })) };
};

const compileTools = (catalog: Catalog, name: string): CompileTools => {
  const unknown = (what: string, key: string, known: Iterable<string>) =>
    new LilyError('blueprint_compile_failed', `${name}: unknown ${what} "${key}"`, {
      blueprint: name,
      reason: `unknown_${what.replace(' ', '_')}`,
      name: key,
      known: [...known].sort(),
    });
  return {
    stepTemplate: (key, params) => {
      const template = catalog.stepTemplates.get(key);
      if (!template) throw unknown('step template', key, catalog.stepTemplates.keys());
      const parsed = template.params.safeParse(params);
      if (!parsed.success) {
        throw new LilyError('blueprint_compile_failed', `${name}: bad params for step template "${key}"`, {
          blueprint: name,
          reason: 'template_params_invalid',
          name: key,
          issues: zodIssues(parsed.error),
        });
      }
      return template.build(parsed.data);
    },
    routingPolicy: (key) => {
      const policy = catalog.routingPolicies.get(key);
      if (!policy) throw unknown('routing policy', key, catalog.routingPolicies.keys());
      return policy.routes;
    },
  };
};
