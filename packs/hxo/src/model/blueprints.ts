import { type AnyBlueprint, defineBlueprint, jsonSchema, type PlanBody } from 'lily';
import { z } from 'zod';
import { FORCE_MERGE_CAPABILITY } from './kinds.js';
import { HXO_PARTITIONERS, type HxoExecutor } from './schemas.js';

const globs = z.array(z.string().min(1));

/** Bindings every HXO blueprint takes (snake_case, as written in a job's YAML). */
const commonBindings = (partitioners: readonly string[], roots: string[]) => ({
  /** Any HXO partitioner: the job kind's stage validation refuses one it does not allow. */
  partitioner: z.enum(HXO_PARTITIONERS).default(partitioners[0] as (typeof HXO_PARTITIONERS)[number]),
  roots: z.array(z.string().min(1)).min(1).default(roots),
  include: globs.default([]),
  exclude: globs.default([]),
  chunk_size_mb: z.number().int().min(1).max(4096).default(8),
  chunk_size_bytes: z.number().int().min(1).optional(),
  concurrency: z.number().int().min(1).max(64).default(4),
  mode: z.enum(['fail_fast', 'collect']).default('fail_fast'),
  retries: z.number().int().min(0).max(10).default(0),
  /** Per-shard timeout; the job kind's default SLO when absent. */
  timeout_ms: z.number().int().positive().optional(),
});
const commonSchema = z.object(commonBindings([], ['.']));
type Common = z.output<typeof commonSchema> & { batch_size?: number };

interface StageSpec {
  stepId: string;
  kind: string;
  executor: HxoExecutor;
  execWith: Record<string, z.infer<typeof jsonSchema>>;
  outputSchema: string;
  sideEffects: 'none' | 'read' | 'write' | 'external';
  /** Workspace paths the stage writes besides reading its roots. */
  writes: string[];
  idempotent?: boolean;
}

/** One partition step over the kind's executor; shards fan in as the step's `{shards}` output. */
export const partitionPlan = (b: Common, spec: StageSpec): PlanBody => {
  const config = {
    roots: b.roots,
    include: b.include,
    exclude: b.exclude,
    stage_kind: spec.kind.split('@')[0] as string,
    chunk_size_mb: b.chunk_size_mb,
    ...(b.chunk_size_bytes === undefined ? {} : { chunk_size_bytes: b.chunk_size_bytes }),
    ...(b.batch_size === undefined ? {} : { batch_size: b.batch_size }),
  };
  const idempotent = spec.idempotent ?? true;
  return {
    kind: spec.kind,
    steps: [
      {
        id: spec.stepId,
        executor: spec.executor,
        with: { ...config, partitioner: b.partitioner, ...spec.execWith },
        partition: { partitioner: b.partitioner, with: config, concurrency: b.concurrency, mode: b.mode },
        retry: { maxAttempts: b.retries + 1 },
        ...(b.timeout_ms === undefined ? {} : { timeoutMs: b.timeout_ms }),
        idempotent,
        capabilities: idempotent ? [] : [FORCE_MERGE_CAPABILITY],
        sideEffects: spec.sideEffects,
        paths: [...b.roots, ...spec.writes],
        outputSchema: spec.outputSchema,
      },
    ],
    output: { shards: { from: 'step', step: spec.stepId, path: 'shards' } },
  };
};

const runInput = z.record(z.string(), jsonSchema);
const runOutput = z.object({ shards: z.array(z.object({ key: z.string(), output: jsonSchema })) });

export const deployPackBlueprint = defineBlueprint({
  id: 'hxo.deploy-pack.v1',
  version: '1.0.0',
  summary: 'deploy.pack: reproducible tar.gz archives of the files under roots, one per partition.',
  kind: 'deploy.pack@1',
  bindings: z.strictObject(commonBindings(['by_filesize', 'by_module'], ['src'])),
  input: runInput,
  output: runOutput,
  compile: (b) =>
    partitionPlan(b, {
      stepId: 'pack',
      kind: 'deploy.pack@1',
      executor: 'pack_backend',
      execWith: {},
      outputSchema: 'hxo.pack-result@1',
      sideEffects: 'read',
      writes: [],
    }),
});

export const deployMigrateBlueprint = defineBlueprint({
  id: 'hxo.deploy-migrate.v1',
  version: '1.0.0',
  summary: 'deploy.migrate: SQL migration batches, in order, against PGlite or PostgreSQL (dry run first).',
  kind: 'deploy.migrate@1',
  bindings: z.strictObject({
    ...commonBindings(['by_sql_batch'], ['migrations']),
    batch_size: z.number().int().min(1).max(1000).default(1),
    /** A postgres:// URL; absent: the embedded PGlite database in `pglite_dir`. */
    database_url: z
      .string()
      .regex(/^postgres(ql)?:\/\//)
      .optional(),
    pglite_dir: z.string().min(1).default('.lily/hxo/pglite'),
  }),
  input: runInput,
  output: runOutput,
  compile: (b) =>
    partitionPlan(
      // Batches build on each other: one at a time, in order, stopping at the first failure.
      { ...b, concurrency: 1, mode: 'fail_fast' },
      {
        stepId: 'migrate',
        kind: 'deploy.migrate@1',
        executor: 'sql_migrate',
        execWith:
          b.database_url === undefined ? { pglite_dir: b.pglite_dir } : { database_url: b.database_url },
        outputSchema: 'hxo.migrate-result@1',
        sideEffects: b.database_url === undefined ? 'write' : 'external',
        writes: b.database_url === undefined ? [b.pglite_dir] : [],
        idempotent: false,
      },
    ),
});

export const deployPrimeBlueprint = defineBlueprint({
  id: 'hxo.deploy-prime.v1',
  version: '1.0.0',
  summary:
    'deploy.prime: warm the module registry or prime the transpile cache, per module or per DAG layer.',
  kind: 'deploy.prime@1',
  bindings: z.strictObject({
    ...commonBindings(['by_dag_depth', 'by_module'], ['src']),
    executor: z.enum(['prime_caches', 'warm_registry']).default('prime_caches'),
    cache_dir: z.string().min(1).default('.lily/hxo/cache'),
    registry_dir: z.string().min(1).default('.lily/hxo/registry'),
    target: z.string().min(1).default('es2022'),
  }),
  input: runInput,
  output: runOutput,
  compile: (b) =>
    partitionPlan(b, {
      stepId: 'prime',
      kind: 'deploy.prime@1',
      executor: b.executor,
      execWith:
        b.executor === 'prime_caches'
          ? { cache_dir: b.cache_dir, target: b.target }
          : { registry_dir: b.registry_dir },
      outputSchema: 'hxo.prime-result@1',
      sideEffects: 'write',
      writes: [b.executor === 'prime_caches' ? b.cache_dir : b.registry_dir],
    }),
});

const assetsBlueprint = (stage: boolean): AnyBlueprint => {
  const kind = stage ? 'assets.stage@1' : 'assets.index@1';
  return defineBlueprint({
    id: stage ? 'hxo.assets-stage.v1' : 'hxo.assets-index.v1',
    version: '1.0.0',
    summary: stage
      ? 'assets.stage: index assets and copy them to content-hashed names in out_dir.'
      : 'assets.index: sha256, size, media type and image dimensions of every asset, per bucket.',
    kind,
    bindings: z.strictObject({
      ...commonBindings(['by_asset_bucket', 'by_filesize'], ['assets']),
      ...(stage ? { out_dir: z.string().min(1).default('.lily/hxo/staged') } : {}),
    }),
    input: runInput,
    output: runOutput,
    compile: (b) =>
      partitionPlan(b, {
        stepId: stage ? 'stage' : 'index',
        kind,
        executor: 'index_assets',
        execWith: stage ? { stage: true, out_dir: b.out_dir as string } : { stage: false },
        outputSchema: 'hxo.assets-result@1',
        sideEffects: stage ? 'write' : 'read',
        writes: stage ? [b.out_dir as string] : [],
      }),
  });
};
export const assetsIndexBlueprint = assetsBlueprint(false);
export const assetsStageBlueprint = assetsBlueprint(true);

const docsBlueprint = (version: 1 | 2): AnyBlueprint =>
  defineBlueprint({
    id: `hxo.docs-index.v${version}`,
    version: `${version}.0.0`,
    summary:
      version === 1
        ? 'docs.index@1 (deprecated: use hxo.docs-index.v2): a full-text index per top-level route.'
        : 'docs.index: a full-text (MiniSearch) index of the markdown docs per top-level route.',
    kind: `docs.index@${version}`,
    bindings: z.strictObject(commonBindings(['by_route_map'], ['docs'])),
    input: runInput,
    output: runOutput,
    compile: (b) =>
      partitionPlan(b, {
        stepId: 'index',
        kind: `docs.index@${version}`,
        executor: 'docs_index',
        execWith: {},
        outputSchema: `hxo.docs-result@${version}`,
        sideEffects: 'read',
        writes: [],
      }),
  });
export const docsIndexBlueprintV1 = docsBlueprint(1);
export const docsIndexBlueprintV2 = docsBlueprint(2);

export const HXO_BLUEPRINTS: AnyBlueprint[] = [
  deployPackBlueprint,
  deployMigrateBlueprint,
  deployPrimeBlueprint,
  assetsIndexBlueprint,
  assetsStageBlueprint,
  docsIndexBlueprintV1,
  docsIndexBlueprintV2,
];
