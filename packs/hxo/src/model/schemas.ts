import { z } from 'zod';

/** Every partitioner the HXO pack contributes; a job kind allows a subset of them. */
export const HXO_PARTITIONERS = [
  'by_filesize',
  'by_module',
  'by_sql_batch',
  'by_dag_depth',
  'by_asset_bucket',
  'by_route_map',
] as const;
export type HxoPartitioner = (typeof HXO_PARTITIONERS)[number];

export const HXO_EXECUTORS = [
  'pack_backend',
  'sql_migrate',
  'warm_registry',
  'prime_caches',
  'index_assets',
  'docs_index',
] as const;
export type HxoExecutor = (typeof HXO_EXECUTORS)[number];

/** Directories no HXO partitioner descends into, whatever the globs say. */
export const ALWAYS_EXCLUDED = ['**/node_modules/**', '**/.git/**', '.lily/**'];

const int = z.number().int();
const count = int.nonnegative();
const sha = z.string().regex(/^[0-9a-f]{64}$/);

/**
 * What a partitioner splits and how; the blueprint hands the same object to the partition step
 * and to the executor, which recomputes its shard's members from it. Paths and globs are
 * relative to the workspace root.
 */
export const partitionConfigSchema = z.object({
  /** Folders to walk (files directly named are taken as they are). */
  roots: z.array(z.string().min(1)).min(1).default(['.']),
  /** Globs a file must match (any); empty: every file the partitioner understands. */
  include: z.array(z.string().min(1)).default([]),
  /** Globs that drop a file (on top of ALWAYS_EXCLUDED). */
  exclude: z.array(z.string().min(1)).default([]),
  /** The job kind the shards belong to (`stage_kind` in the seed's shard schemas). */
  stage_kind: z.string().default(''),
  /** by_filesize: partitions hold at most this many MiB (a larger file gets its own). */
  chunk_size_mb: int.min(1).max(4096).default(8),
  /** by_filesize: a finer limit in bytes; overrides `chunk_size_mb` when set. */
  chunk_size_bytes: int.min(1).optional(),
  /** by_sql_batch: migration files per batch. */
  batch_size: int.min(1).max(1000).default(1),
});
export type PartitionConfig = z.output<typeof partitionConfigSchema>;

/** An executor's `with`: the partition config, the partitioner that made its shards, and its own options. */
export const executorBaseSchema = partitionConfigSchema.extend({
  partitioner: z.enum(HXO_PARTITIONERS),
});

/** Every shard carries the sha256 of its members, so an executor can prove it sees the same files. */
const fingerprint = { files_sha256: sha };

export const filesizeShardSchema = z.object({
  partition_id: count,
  file_range_start: count,
  /** Exclusive. */
  file_range_end: count,
  chunk_size_mb: int.min(1),
  stage_kind: z.string(),
  bytes: count,
  ...fingerprint,
});
export const moduleShardSchema = z.object({
  module: z.string(),
  stage_kind: z.string(),
  partition_id: count,
  files: count,
  ...fingerprint,
});
export const sqlBatchShardSchema = z.object({
  batch_id: count,
  offset: count,
  limit: int.min(1),
  stage_kind: z.string(),
  ...fingerprint,
});
export const dagShardSchema = z.object({
  module: z.string(),
  stage_kind: z.string(),
  depth: count,
  files: count,
  ...fingerprint,
});
export const bucketShardSchema = z.object({
  bucket: z.string(),
  stage_kind: z.string(),
  files: count,
  ...fingerprint,
});
export const routeShardSchema = z.object({
  route: z.string().startsWith('/'),
  stage_kind: z.string(),
  files: count,
  ...fingerprint,
});

export const packResultSchema = z.object({
  status: z.literal('packed'),
  partition_id: count,
  files_processed: count,
  /** sha256 of the .tar.gz (stable for the same files on the same zlib). */
  sha256: sha,
  /** sha256 of the uncompressed tar (stable everywhere). */
  tar_sha256: sha,
  bytes: count,
  dry_run: z.boolean(),
});
export const migrateResultSchema = z.object({
  status: z.literal('migrated'),
  batch_id: count,
  rows_affected: count,
  /** Every file of the batch was already recorded in `lily_migrations`: nothing ran. */
  already_applied: z.boolean(),
  files: z.array(z.string()),
  dry_run: z.boolean(),
});
export const primeResultSchema = z.object({
  status: z.enum(['warmed', 'primed']),
  module: z.string(),
  cache_entries: count,
  /** Entries written by this dispatch (0 when every module was unchanged). */
  written: count,
  dry_run: z.boolean(),
});
export const assetsResultSchema = z.object({
  status: z.enum(['indexed', 'staged']),
  bucket: z.string(),
  assets_indexed: count,
  dry_run: z.boolean(),
});
export const docsResultSchemaV1 = z.object({
  status: z.literal('indexed'),
  route: z.string(),
  docs_indexed: count,
});
/** docs.index@2 adds the index artifact's sha256 (null in a dry run) and its term count. */
export const docsResultSchemaV2 = docsResultSchemaV1.extend({
  index_sha256: sha.nullable(),
  terms: count,
  dry_run: z.boolean(),
});

/** Output schemas registered by the pack (`name@version`), named by the blueprints' steps. */
export const HXO_SCHEMAS = {
  'hxo.pack-result@1': packResultSchema,
  'hxo.migrate-result@1': migrateResultSchema,
  'hxo.prime-result@1': primeResultSchema,
  'hxo.assets-result@1': assetsResultSchema,
  'hxo.docs-result@1': docsResultSchemaV1,
  'hxo.docs-result@2': docsResultSchemaV2,
} as const;
