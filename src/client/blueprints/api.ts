import type { PackInfo } from '../../blueprints/catalog.js';
import type { BlueprintDescription } from '../../blueprints/describe.js';
import type { Plan } from '../../blueprints/plan.js';
import type { ClientContext } from '../context.js';
import { invalidArgument } from '../errors.js';
import type { BlueprintGraph, GraphFormat, GraphView } from './graph.js';

/** One registered blueprint. */
export interface BlueprintEntry {
  id: string;
  version: string;
  summary: string;
  kind?: string;
}

/** A job compiled with its blueprint: the plan a run of it pins. */
export interface JobPlan {
  job: string;
  blueprint: Plan['blueprint'];
  planHash: string;
  /** The blueprint's plan hash before the job's runtime caps (blueprint + bindings only). */
  blueprintPlanHash: string;
  plan: Plan;
  /** Deprecations (an old job kind version): the job still runs. */
  warnings: string[];
}

const oneOf = <T extends string>(
  name: string,
  raw: string | undefined,
  allowed: readonly T[],
  fallback: T,
): T => {
  if (raw === undefined) return fallback;
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  throw invalidArgument(`--${name} must be one of ${allowed.join(', ')}, not ${raw}`, {
    option: `--${name}`,
  });
};

/** `id` or `id@version`. */
const splitRef = (ref: string): { id: string; version?: string } => {
  const at = ref.lastIndexOf('@');
  return at > 0 ? { id: ref.slice(0, at), version: ref.slice(at + 1) } : { id: ref };
};

/**
 * Blueprints: the built-ins and those of the project's packs (the built-ins alone outside a
 * project). Compiling is pure: nothing here needs an engine or writes anything.
 */
export class BlueprintsApi {
  readonly #ctx: ClientContext;

  /** @internal */
  constructor(ctx: ClientContext) {
    this.#ctx = ctx;
  }

  /**
   * Every registered blueprint (newest version first per id) and the packs they came from.
   * Throws `config_invalid`, `pack_invalid`.
   *
   * @example
   * const { blueprints } = await client.blueprints.list();
   */
  async list(): Promise<{ blueprints: BlueprintEntry[]; packs: PackInfo[] }> {
    const catalog = await this.#ctx.catalog();
    const blueprints = catalog.blueprints.list().map((bp) => ({
      id: bp.id,
      version: bp.version,
      summary: bp.summary,
      ...(bp.kind === undefined ? {} : { kind: bp.kind }),
    }));
    return { blueprints, packs: catalog.packs };
  }

  /**
   * One blueprint (`id` or `id@version`) with its bindings, input and output schemas as JSON
   * Schema. Throws `blueprint_not_found` `{id, version, known}`.
   *
   * @example
   * const { bindings } = await client.blueprints.show('pipeline.v1');
   */
  async show(ref: string): Promise<BlueprintDescription> {
    const catalog = await this.#ctx.catalog();
    const { describeBlueprint } = await import('../../blueprints/describe.js');
    const { id, version } = splitRef(ref);
    return describeBlueprint(catalog.blueprints.get(id, version));
  }

  /**
   * Compiles a job's blueprint with its bindings: the plan and its hash, as a run would pin
   * them. Throws what loading and resolving the job throw (`job_not_found`,
   * `job_bindings_invalid`, `blueprint_compile_failed`, ...).
   *
   * @example
   * const { planHash, plan } = await client.blueprints.plan('hello');
   */
  async plan(jobId: string): Promise<JobPlan> {
    const project = await this.#ctx.project();
    const [{ resolveJob }, { deprecationWarnings }] = await Promise.all([
      import('../../blueprints/jobs/resolve.js'),
      import('../jobs/kind-deprecation.js'),
    ]);
    const job = await project.jobs.load(jobId);
    const resolved = resolveJob(project.catalog, job.spec, { locate: job.locate, file: job.file });
    return {
      job: job.spec.id,
      blueprint: resolved.plan.blueprint,
      planHash: resolved.planHash,
      blueprintPlanHash: resolved.blueprintPlanHash,
      plan: resolved.plan,
      warnings: deprecationWarnings(project.catalog, job.spec.id, resolved.plan.kind),
    };
  }

  /**
   * A blueprint's run machine as Mermaid (`view` machine: a region per step; plan: steps,
   * needs, routes) or Graphviz DOT, compiled with a job's bindings (`job`) or with `{}`.
   * Throws `usage_invalid` (bad format or view, a job of another blueprint),
   * `blueprint_bindings_invalid` (the blueprint needs bindings: pass a job).
   *
   * @example
   * const { graph } = await client.blueprints.graph('pipeline.v1', { job: 'hello', format: 'dot' });
   */
  async graph(id: string, o: { job?: string; format?: string; view?: string } = {}): Promise<BlueprintGraph> {
    const format = oneOf<GraphFormat>('format', o.format, ['mermaid', 'dot'], 'mermaid');
    const view = oneOf<GraphView>('view', o.view, ['machine', 'plan'], 'machine');
    const { defaultPlan, drawPlan, jobPlan } = await import('./graph.js');
    const plan =
      o.job === undefined
        ? defaultPlan(await this.#ctx.catalog(), id)
        : await jobPlan(await this.#ctx.project(), id, o.job);
    return drawPlan(plan, format, view);
  }
}
