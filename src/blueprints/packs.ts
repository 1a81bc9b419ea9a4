import { z } from 'zod';
import { LilyError } from '../contracts/errors.js';
import type { AnyBlueprint } from './blueprint.js';
import type { Catalog, ExecutorInfo, GateTemplate, PartitionerInfo } from './catalog.js';
import { contractProblems } from './define.js';
import { type JobKind, jobKindSchema } from './job-kinds.js';
import { routeSchema, stepSchema } from './plan.js';
import type { RoutingPolicy, StepTemplate } from './templates.js';

/**
 * A pack (seed kernel layer 6): a module whose default export (or `pack` export) contributes
 * blueprints, executors, partitioners, job kinds, artifact schemas, gate and step templates and
 * routing policies. Executors and partitioners carry their implementation in `run`, which only
 * workers call.
 */
export interface LilyPack {
  name: string;
  version: string;
  blueprints?: AnyBlueprint[];
  executors?: (Omit<ExecutorInfo, 'owner'> & { run?: unknown })[];
  partitioners?: (Omit<PartitionerInfo, 'owner'> & { run?: unknown })[];
  jobKinds?: JobKind[];
  schemas?: Record<string, z.ZodType>;
  gateTemplates?: Omit<GateTemplate, 'owner'>[];
  stepTemplates?: StepTemplate[];
  routingPolicies?: RoutingPolicy[];
}

export const definePack = (pack: LilyPack): LilyPack => pack;

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

const invalid = (source: string, message: string, issues: unknown[]) =>
  new LilyError('pack_invalid', `pack ${source}: ${message}`, { source, issues });

/**
 * Validates a loaded pack module and registers every contribution into the catalog. Nothing is
 * registered when anything is invalid. Throws `pack_invalid` with `{source, issues}`.
 */
export const installPack = (catalog: Catalog, mod: unknown, source: string): void => {
  const candidate =
    (mod as { default?: unknown; pack?: unknown })?.default ?? (mod as { pack?: unknown })?.pack ?? mod;
  const parsed = packShape.safeParse(candidate);
  if (!parsed.success) {
    throw invalid(
      source,
      'is not a Lily pack',
      parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  }
  const pack = parsed.data;
  const owner = `${pack.name}@${pack.version}`;
  const issues = collisions(catalog, pack);
  pack.blueprints.forEach((bp, i) => {
    for (const p of contractProblems(bp)) issues.push({ path: `blueprints.${i}`, message: p });
  });
  pack.stepTemplates.forEach((t, i) => {
    const problem = templateProblem(t as StepTemplate);
    if (problem) issues.push({ path: `stepTemplates.${i}`, message: problem });
  });
  if (issues.length > 0) throw invalid(source, 'has invalid contributions', issues);
  register(catalog, pack as unknown as LilyPack, owner);
  catalog.packs.push({ name: pack.name, version: pack.version, source });
};

const collisions = (catalog: Catalog, pack: z.output<typeof packShape>) => {
  const issues: { path: string; message: string }[] = [];
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
