/**
 * The HXO pack (HXO Blueprint Contract v1.9.6n): six job kinds (deploy.pack, deploy.migrate,
 * deploy.prime, assets.index, assets.stage, docs.index), their blueprints, partitioners and
 * executors. It is the workspace package `@lily/hxo` and imports only `lily`'s public API. Load it
 * with `.lily/config.yaml`: `packs: ['@lily/hxo']` (`lily init --example hxo` writes that). Heavy
 * dependencies (PGlite, esbuild, MiniSearch, es-module-lexer, lmdb) load only when a worker runs
 * the executor that needs them.
 */
import { definePack } from 'lily';
import { HXO_EXECUTOR_INFOS, HXO_PARTITIONER_INFOS } from './executors.js';
import { HXO_BLUEPRINTS } from './model/blueprints.js';
import { HXO_JOB_KINDS } from './model/kinds.js';
import { HXO_SCHEMAS } from './model/schemas.js';

export const hxoPack = definePack({
  name: 'hxo',
  version: '1.0.0',
  blueprints: HXO_BLUEPRINTS,
  executors: HXO_EXECUTOR_INFOS,
  partitioners: HXO_PARTITIONER_INFOS,
  jobKinds: HXO_JOB_KINDS,
  schemas: HXO_SCHEMAS,
});

export default hxoPack;

export { type DocsHit, type DocsIndexFile, searchDocsIndex } from './io/docs-search.js';
export { planShards } from './io/shards.js';
export * from './model/blueprints.js';
export * from './model/kinds.js';
export * from './model/schemas.js';
