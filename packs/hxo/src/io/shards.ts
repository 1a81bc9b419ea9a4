import { canonicalJson, type ExecutionContext, type PartitionerFn } from 'lily';
import { planByDagDepth } from '../model/plan-dag.js';
import {
  planByAssetBucket,
  planByFilesize,
  planByModule,
  planByRouteMap,
  planBySqlBatch,
} from '../model/plan-files.js';
import type { ListedFile, PlannedShard, Planner } from '../model/plan-types.js';
import {
  executorBaseSchema,
  type HxoPartitioner,
  type PartitionConfig,
  partitionConfigSchema,
} from '../model/schemas.js';
import { runtimeDeps, scanModules } from './import-graph.js';
import { parseOr, terminal } from './step-errors.js';
import { listFiles } from './workspace-files.js';

const PLANNERS: Record<Exclude<HxoPartitioner, 'by_dag_depth'>, Planner> = {
  by_filesize: planByFilesize,
  by_module: planByModule,
  by_sql_batch: planBySqlBatch,
  by_asset_bucket: planByAssetBucket,
  by_route_map: planByRouteMap,
};

export interface Plan {
  files: ListedFile[];
  shards: PlannedShard[];
}

/** Lists the workspace and plans the shards: the same function serves partitioners and executors. */
export const planShards = async (
  ctx: ExecutionContext,
  partitioner: HxoPartitioner,
  config: PartitionConfig,
): Promise<Plan> => {
  const files = await listFiles(ctx, config);
  if (partitioner === 'by_dag_depth') {
    const deps = runtimeDeps(await scanModules(ctx, files));
    return { files, shards: planByDagDepth(files, config, deps) };
  }
  return { files, shards: PLANNERS[partitioner](files, config) };
};

/** A PartitionerFn: the partition step's `with` is the partition config; shards keep key and input. */
export const partitioner =
  (name: HxoPartitioner): PartitionerFn =>
  async (ctx) => {
    const config = parseOr(partitionConfigSchema, ctx.request.with, `with for partitioner ${name}`);
    const { shards } = await planShards(ctx, name, config);
    return shards.map(({ key, input }) => ({ key, input }));
  };

export interface ResolvedShard {
  shard: PlannedShard;
  /** Every shard of the plan, in order (sql_migrate's dry run replays the batches before its own). */
  plan: Plan;
  /** The shard's members, in listing order. */
  files: ListedFile[];
}

/**
 * The executor side: re-plans from the step's `with` and finds the shard equal to the input it
 * was given. The input's `files_sha256` pins the members, so a workspace that changed since
 * the partition was planned fails terminally (`reason: workspace_changed`) instead of
 * processing other files than the log says.
 */
export const resolveShard = async (ctx: ExecutionContext): Promise<ResolvedShard> => {
  const w = parseOr(executorBaseSchema, ctx.request.with, 'executor with');
  const { files, shards } = await planShards(ctx, w.partitioner, w);
  const wanted = canonicalJson(ctx.request.input);
  const shard = shards.find((s) => canonicalJson(s.input) === wanted);
  if (!shard) {
    throw terminal(
      'workspace_changed',
      'no shard of the current workspace matches this input: the files changed since the partition was planned',
      { input: ctx.request.input, planned: shards.map((s) => s.key) },
    );
  }
  const byPath = new Map(files.map((f) => [f.path, f]));
  return { shard, plan: { files, shards }, files: shard.members.map((p) => byPath.get(p) as ListedFile) };
};
