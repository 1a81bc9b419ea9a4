import type { JobKind } from 'lily';
import {
  assetsResultSchema,
  bucketShardSchema,
  dagShardSchema,
  docsResultSchemaV1,
  docsResultSchemaV2,
  filesizeShardSchema,
  migrateResultSchema,
  moduleShardSchema,
  packResultSchema,
  primeResultSchema,
  routeShardSchema,
  sqlBatchShardSchema,
} from './schemas.js';

/** The capability a non-idempotent `deploy.migrate` stage declares and its principal must hold. */
export const FORCE_MERGE_CAPABILITY = 'hxo:force-merge';

const safe = { allowNonIdempotent: false, requireDryRun: false };

/** The six job kinds of the HXO Blueprint Contract (v1.9.6n), version 1, exactly as the seed lists them. */
export const deployPack: JobKind = {
  id: 'deploy.pack',
  version: 1,
  description: 'Pack backend files for deployment (build, bundle, compress)',
  partitioners: ['by_filesize', 'by_module'],
  executors: ['pack_backend'],
  safety: safe,
  defaultSloMs: 120_000,
  input: filesizeShardSchema.or(moduleShardSchema),
  output: packResultSchema,
};

export const deployMigrate: JobKind = {
  id: 'deploy.migrate',
  version: 1,
  description: 'Execute database migrations in batches',
  partitioners: ['by_sql_batch'],
  executors: ['sql_migrate'],
  safety: { allowNonIdempotent: true, requireDryRun: true },
  nonIdempotentCapability: FORCE_MERGE_CAPABILITY,
  defaultSloMs: 30_000,
  input: sqlBatchShardSchema,
  output: migrateResultSchema,
};

export const deployPrime: JobKind = {
  id: 'deploy.prime',
  version: 1,
  description: 'Prime registry and caches for application startup',
  partitioners: ['by_module', 'by_dag_depth'],
  executors: ['warm_registry', 'prime_caches'],
  safety: safe,
  defaultSloMs: 45_000,
  input: moduleShardSchema.or(dagShardSchema),
  output: primeResultSchema,
};

export const assetsIndex: JobKind = {
  id: 'assets.index',
  version: 1,
  description: 'Index assets for search and retrieval',
  partitioners: ['by_asset_bucket', 'by_filesize'],
  executors: ['index_assets'],
  safety: safe,
  defaultSloMs: 60_000,
  input: bucketShardSchema.or(filesizeShardSchema),
  output: assetsResultSchema,
};

export const assetsStage: JobKind = {
  id: 'assets.stage',
  version: 1,
  description: 'Stage assets for deployment (upload, CDN sync)',
  partitioners: ['by_asset_bucket', 'by_filesize'],
  executors: ['index_assets'],
  safety: safe,
  defaultSloMs: 60_000,
  input: bucketShardSchema.or(filesizeShardSchema),
  output: assetsResultSchema,
};

export const docsIndexV1: JobKind = {
  id: 'docs.index',
  version: 1,
  description: 'Index documentation for search',
  partitioners: ['by_route_map'],
  executors: ['docs_index'],
  safety: safe,
  defaultSloMs: 30_000,
  input: routeShardSchema,
  output: docsResultSchemaV1,
  deprecated: {
    message:
      'docs.index@1 results lack the index sha256 and term count; use docs.index@2 (hxo.docs-index.v2)',
    replacedBy: 'docs.index@2',
  },
};

/** Evolution: v2 adds `index_sha256`, `terms` and `dry_run` to the result; v1 keeps working, deprecated. */
const { deprecated: _v1Deprecation, ...docsIndexBase } = docsIndexV1;
export const docsIndexV2: JobKind = { ...docsIndexBase, version: 2, output: docsResultSchemaV2 };

export const HXO_JOB_KINDS: JobKind[] = [
  deployPack,
  deployMigrate,
  deployPrime,
  assetsIndex,
  assetsStage,
  docsIndexV1,
  docsIndexV2,
];
