import { z } from 'zod';
import { LilyError } from '../contracts/errors.js';
import type { ExecutorFn, PartitionerFn } from '../contracts/executor.js';
import type { AnyBlueprint } from './blueprint.js';
import type { Catalog, ExecutorInfo, GateTemplate, PartitionerInfo } from './catalog.js';
import { contractProblems } from './define.js';
import { type JobKind, jobKindSchema } from './job-kinds.js';
import { routeSchema, stepSchema } from './plan.js';
import type { RoutingPolicy, StepTemplate } from './templates.js';

/**
 * An executor a pack contributes: what compile and policy need (`name`, `summary`,
 * `sideEffects`, the `with` schema) and `run`, the implementation only workers call. An
 * executor without `run` is known to compile (plans may name it) but a worker that receives a
 * dispatch for it fails the step.
 */
export type PackExecutor = Omit<ExecutorInfo, 'owner' | 'run'> & { run?: ExecutorFn };

/** A partitioner a pack contributes: `with` is checked at compile, `run` splits a step into shards in a worker. */
export type PackPartitioner = Omit<PartitionerInfo, 'owner' | 'run'> & { run?: PartitionerFn };

/**
 * A pack (seed kernel layer 6): a module whose default export (or `pack` export) contributes
 * blueprints, executors, partitioners, job kinds, artifact schemas, gate and step templates and
 * routing policies. Names are global: a pack whose executor, partitioner, schema, gate
 * template, job kind version or blueprint version is already registered is refused whole.
 * Make one with `definePack`; list it in `.lily/config.yaml` (`packs:`).
 *
 * @example
 * export default definePack({
 *   name: 'my-pack',
 *   version: '1.0.0',
 *   blueprints: [releaseCheck],
 *   executors: [{ name: 'shout', summary: 'Upper-cases its input', sideEffects: 'none', run: shout }],
 * });
 */
export interface LilyPack {
  /** npm-style name: lowercase, optionally scoped (`@acme/deploy`). */
  name: string;
  version: string;
  blueprints?: AnyBlueprint[];
  executors?: PackExecutor[];
  partitioners?: PackPartitioner[];
  jobKinds?: JobKind[];
  /** Artifact and output schemas: `name@version` -> zod schema (`outputSchema` of a step names one). */
  schemas?: Record<string, z.ZodType>;
  gateTemplates?: Omit<GateTemplate, 'owner'>[];
  stepTemplates?: StepTemplate[];
  routingPolicies?: RoutingPolicy[];
}

const zodType = z.custom<z.ZodType>((v) => v instanceof z.ZodType, 'must be a zod schema');
const named = z.object({ name: z.string().regex(/^[a-z0-9][a-z0-9._:-]*$/), summary: z.string().min(1) });
const packShape = z.object({
  name: z.string().regex(/^(@[a-z0-9._-]+\/)?[a-z0-9][a-z0-9._-]*$/),
  version: z.string().min(1),
  blueprints: z.array(z.unknown()).default([]),
  executors: z
    .array(
      named.extend({
        sideEffects: z.enum(['none', 'read', 'write', 'external']),
        with: zodType.optional(),
        run: z.function().optional(),
      }),
    )
    .default([]),
  partitioners: z.array(named.extend({ with: zodType.optional(), run: z.function().optional() })).default([]),
  jobKinds: z.array(jobKindSchema).default([]),
  schemas: z.record(z.string(), zodType).default({}),
  gateTemplates: z
    .array(
      z.object({
        name: z.string().min(1),
        executor: z.string().min(1),
        with: z.record(z.string(), z.unknown()),
      }),
    )
    .default([]),
  stepTemplates: z.array(named.extend({ params: zodType, build: z.function() })).default([]),
  routingPolicies: z.array(named.extend({ routes: z.array(routeSchema) })).default([]),
});

type Issue = { path: string; message: string };
type ParsedPack = z.output<typeof packShape>;

const invalid = (source: string, message: string, issues: unknown[]) =>
  new LilyError('pack_invalid', `pack ${source}: ${message}`, { source, issues });

/** Parses a pack and checks what needs no catalog: its shape, its blueprints' contract, its step templates. */
const checkPack = (candidate: unknown, source: string): ParsedPack => {
  const parsed = packShape.safeParse(candidate);
  if (!parsed.success) {
    throw invalid(
      source,
      'is not a Lily pack',
      parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  }
  const pack = parsed.data;
  const issues: Issue[] = [];
  pack.blueprints.forEach((bp, i) => {
    for (const p of contractProblems(bp)) issues.push({ path: `blueprints.${i}`, message: p });
  });
  pack.stepTemplates.forEach((t, i) => {
    const problem = templateProblem(t as StepTemplate);
    if (problem) issues.push({ path: `stepTemplates.${i}`, message: problem });
  });
  if (issues.length > 0) throw invalid(source, 'has invalid contributions', issues);
  return pack;
};

/**
 * Checks a pack definition and returns it unchanged, so a broken pack fails where it is
 * written rather than when a project loads it. What depends on the catalog it joins (a name
 * another pack already registered) is checked by `installPack`.
 *
 * @throws LilyError `pack_invalid` `{source: <pack name>, issues: [{path, message}]}` when the
 * pack is not a pack (bad name, an executor without `sideEffects`, a schema that is not zod, ...),
 * one of its blueprints breaks the blueprint contract, or a step template builds an invalid step.
 * @example
 * import { definePack } from 'lily';
 * export default definePack({ name: 'release', version: '1.0.0', blueprints: [releaseCheck] });
 */
export const definePack = <P extends LilyPack>(pack: P): P => {
  const name = typeof (pack as { name?: unknown })?.name === 'string' ? pack.name : '(definePack)';
  checkPack(pack, name);
  return pack;
};

/**
 * Validates a loaded pack module (its default export, its `pack` export, or the pack itself)
 * and registers every contribution into the catalog. Nothing is registered when anything is
 * invalid. Use it to test a pack against the catalog a project would build.
 *
 * @throws LilyError `pack_invalid` `{source, issues}`: what `definePack` refuses, and any name
 * the catalog already holds (executor, partitioner, schema, gate template, job kind version,
 * blueprint version).
 * @example
 * const catalog = createBuiltinCatalog();
 * installPack(catalog, await import('./packs/release.js'), './packs/release.js');
 * const { plan } = compileBlueprint(catalog, catalog.blueprints.get('release-check.v1'), {});
 */
export const installPack = (catalog: Catalog, mod: unknown, source: string): void => {
  const candidate =
    (mod as { default?: unknown; pack?: unknown })?.default ?? (mod as { pack?: unknown })?.pack ?? mod;
  const pack = checkPack(candidate, source);
  const owner = `${pack.name}@${pack.version}`;
  const issues = collisions(catalog, pack);
  if (issues.length > 0) throw invalid(source, 'has invalid contributions', issues);
  register(catalog, pack as unknown as LilyPack, owner);
  catalog.packs.push({ name: pack.name, version: pack.version, source });
};

const collisions = (catalog: Catalog, pack: ParsedPack): Issue[] => {
  const issues: Issue[] = [];
  for (const e of pack.executors)
    if (catalog.executors.has(e.name))
      issues.push({ path: 'executors', message: `executor ${e.name} already exists` });
  for (const p of pack.partitioners)
    if (catalog.partitioners.has(p.name))
      issues.push({ path: 'partitioners', message: `partitioner ${p.name} already exists` });
  for (const t of Object.keys(pack.schemas))
    if (catalog.schemas.has(t)) issues.push({ path: 'schemas', message: `schema ${t} already exists` });
  for (const g of pack.gateTemplates)
    if (catalog.gateTemplates.has(g.name))
      issues.push({ path: 'gateTemplates', message: `gate template ${g.name} already exists` });
  for (const k of pack.jobKinds) {
    if ((catalog.jobKinds.get(k.id) ?? []).some((v) => v.version === k.version))
      issues.push({ path: 'jobKinds', message: `job kind ${k.id}@${k.version} already exists` });
  }
  for (const bp of pack.blueprints as AnyBlueprint[]) {
    if (catalog.blueprints.find(bp?.id, bp?.version))
      issues.push({ path: 'blueprints', message: `blueprint ${bp.id}@${bp.version} already exists` });
  }
  return issues;
};

/** A step template must build a valid step from its own params' defaults when it has any. */
const templateProblem = (t: StepTemplate): string | undefined => {
  const defaults = t.params.safeParse({});
  if (!defaults.success) return undefined;
  const step = stepSchema.safeParse(t.build(defaults.data));
  return step.success ? undefined : `template ${t.name} builds an invalid step`;
};

const register = (catalog: Catalog, pack: LilyPack, owner: string): void => {
  for (const e of pack.executors ?? []) catalog.executors.set(e.name, { ...e, owner });
  for (const p of pack.partitioners ?? []) catalog.partitioners.set(p.name, { ...p, owner });
  for (const [type, schema] of Object.entries(pack.schemas ?? {}))
    catalog.schemas.register(type, schema, owner);
  for (const g of pack.gateTemplates ?? []) catalog.gateTemplates.set(g.name, { ...g, owner });
  for (const t of pack.stepTemplates ?? []) catalog.stepTemplates.set(t.name, t);
  for (const r of pack.routingPolicies ?? []) catalog.routingPolicies.set(r.name, r);
  for (const k of pack.jobKinds ?? []) {
    const versions = [...(catalog.jobKinds.get(k.id) ?? []), k].sort((a, b) => b.version - a.version);
    catalog.jobKinds.set(k.id, versions);
  }
  for (const bp of pack.blueprints ?? []) catalog.blueprints.register(bp);
};
