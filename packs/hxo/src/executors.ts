import type { LilyPack } from 'lily';
import { assetsWithSchema, indexAssets } from './io/exec-assets.js';
import { docsIndex } from './io/exec-docs.js';
import { migrateWithSchema, sqlMigrate } from './io/exec-migrate.js';
import { packBackend } from './io/exec-pack.js';
import { primeCaches, primeWithSchema } from './io/exec-prime.js';
import { registryWithSchema, warmRegistry } from './io/exec-registry.js';
import { partitioner } from './io/shards.js';
import { executorBaseSchema, partitionConfigSchema } from './model/schemas.js';

type Executors = NonNullable<LilyPack['executors']>;
type Partitioners = NonNullable<LilyPack['partitioners']>;

/** The pack's executors: `with` schemas are checked at compile, `run` only in workers. */
export const HXO_EXECUTOR_INFOS: Executors = [
  {
    name: 'pack_backend',
    summary: 'A reproducible tar.gz (sorted entries, fixed metadata) of a partition, stored as an artifact.',
    sideEffects: 'read',
    with: executorBaseSchema,
    run: packBackend,
  },
  {
    name: 'sql_migrate',
    summary:
      'Applies a batch of SQL migrations (PGlite or PostgreSQL); dry run rolls back; recorded in lily_migrations.',
    sideEffects: 'external',
    with: migrateWithSchema,
    run: sqlMigrate,
  },
  {
    name: 'warm_registry',
    summary:
      'Records content hashes and resolved imports of modules in an LMDB registry; unchanged ones skipped.',
    sideEffects: 'write',
    with: registryWithSchema,
    run: warmRegistry,
  },
  {
    name: 'prime_caches',
    summary: 'Transpiles modules with esbuild into a content-addressed cache.',
    sideEffects: 'write',
    with: primeWithSchema,
    run: primeCaches,
  },
  {
    name: 'index_assets',
    summary:
      'sha256, size, media type and image dimensions of assets; with stage: true, content-hashed copies.',
    sideEffects: 'write',
    with: assetsWithSchema,
    run: indexAssets,
  },
  {
    name: 'docs_index',
    summary: 'A MiniSearch full-text index of markdown docs per route group, stored as a JSON artifact.',
    sideEffects: 'read',
    run: docsIndex,
  },
];

const SUMMARIES = {
  by_filesize: 'Contiguous ranges of the sorted files under roots, at most chunk_size_mb each.',
  by_module: 'One shard per package (package.json) or top-level folder under roots.',
  by_sql_batch: 'The sorted *.sql files under roots in batches of batch_size.',
  by_dag_depth: 'JS/TS modules layered by import depth (es-module-lexer), one shard per layer.',
  by_asset_bucket: 'Assets by bucket: images, styles, scripts, fonts, media, other.',
  by_route_map: 'Markdown docs mapped to routes, one shard per top-level route.',
} as const;

export const HXO_PARTITIONER_INFOS: Partitioners = Object.entries(SUMMARIES).map(([name, summary]) => ({
  name,
  summary,
  with: partitionConfigSchema,
  run: partitioner(name as keyof typeof SUMMARIES),
}));
